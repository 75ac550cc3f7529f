"""report.html and map.html in headless Chromium with the network off: no console errors, no request
leaves the page, and the map's layers are there. Skipped (with the reason) where Chromium is absent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optimizer.report import browser

pytestmark = pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))


@pytest.fixture(scope="module")
def driver():
    with browser.offline_browser() as d:
        yield d


def test_report_opens_offline_without_errors(huangpu_run: Path, driver, tmp_path: Path) -> None:
    errors = browser.open_page(driver, huangpu_run / "report.html")
    assert errors == []
    assert browser.external_requests(driver) == []
    h2 = driver.execute_script("return [...document.querySelectorAll('h2')].map(h => h.textContent)")
    assert h2 == ["第一部分 试点概要", "第二部分 建设基础", "第三部分 建设方案"]
    drawn = driver.execute_script("return [...document.images].map(i => i.complete && i.naturalWidth > 0)")
    assert len(drawn) >= 3 and all(drawn)
    driver.save_screenshot(str(tmp_path / "report.png"))


def test_map_opens_offline_with_every_layer(huangpu_run: Path, driver, tmp_path: Path) -> None:
    errors = browser.open_page(driver, huangpu_run / "map.html")
    assert errors == []
    assert browser.external_requests(driver) == []
    counts = driver.execute_script("return window.qh.counts")
    s = json.loads((huangpu_run / "summary.json").read_text(encoding="utf-8"))
    chosen = len({row.split(",")[0] for row in (huangpu_run / "placements.csv").read_text().splitlines()[1:]})
    assert counts == {
        "residences": s["counts"]["residences"],
        "outlets": s["counts"]["outlets"],
        "chosen": chosen,
        "candidates": s["counts"]["sites"] - chosen,
    }
    # Drawn on the page: one path per residence and site, the layer control and the legend.
    assert driver.execute_script(
        "return document.querySelectorAll('path.leaflet-interactive').length"
    ) >= sum(counts.values())
    assert (
        driver.execute_script(
            "return document.querySelectorAll('.leaflet-control-layers-overlays input').length"
        )
        == 4
    )
    options = driver.execute_script(
        "return [...document.querySelectorAll('#qh-format option')].map(o => o.value)"
    )
    assert options == ["all", *s["formats"]]
    # Switching format and before/after restyles the residences without an error.
    driver.execute_script(
        "const s=document.getElementById('qh-format');s.value='repair';s.dispatchEvent(new Event('change'));"
        "document.querySelector('input[value=before]').click();"
    )
    assert driver.execute_script("return window.qh.state") == {"format": "repair", "when": "before"}
    # Only the chosen sites hosting a repair point stay fully drawn (Huangpu has no repair outlet).
    lit = "return window.qh.layers.{}.getLayers().filter(l => l.options.opacity === 1).length"
    placements = (huangpu_run / "placements.csv").read_text().splitlines()[1:]
    assert driver.execute_script(lit.format("chosen")) == len([p for p in placements if ",repair," in p])
    assert driver.execute_script(lit.format("outlets")) == 0
    assert [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"] == []
    driver.save_screenshot(str(tmp_path / "map.png"))
