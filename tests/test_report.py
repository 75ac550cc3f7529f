"""The pilot plan (report.html / report.md), its charts, the workbook and the report command."""

from __future__ import annotations

import json
import re
import shutil
import warnings
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

import optimizer as qh
from cli import main
from optimizer.report import ReportData, charts, pilot_plan
from optimizer.report import text as T
from optimizer.report.document import CHAR_LIMIT
from optimizer.report.pilot_plan import HEADINGS

ROOT = Path(__file__).resolve().parents[1]
HUANGPU = ROOT / "scenarios" / "shanghai_huangpu" / "scenario.yaml"


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def huangpu_dir(huangpu_run: Path) -> Path:
    return huangpu_run


def markdown_chars(md: str) -> int:
    """Characters of a Markdown file's text: markup, image links, placeholders and whitespace left out."""
    keep = [ln for ln in md.splitlines() if not ln.startswith(("![", ">", "|---"))]
    text = re.sub(r"^#+ |^- ", "", "\n".join(keep), flags=re.M).replace("|", "")
    return len(re.sub(r"\s", "", text))


def test_huangpu_plan_follows_the_outline_in_order(huangpu_dir: Path) -> None:
    md = (huangpu_dir / "report.md").read_text(encoding="utf-8")
    html = (huangpu_dir / "report.html").read_text(encoding="utf-8")
    positions = [md.index(zh) for zh, _ in HEADINGS.values()]
    assert positions == sorted(positions)
    assert all(zh in html for zh, _ in HEADINGS.values())
    assert "http://" not in html and "https://" not in html  # self-contained
    assert html.count("data:image/png;base64,") >= 3
    assert "【由试点街道（镇）填写】" in md
    assert markdown_chars(md) <= CHAR_LIMIT
    doc = pilot_plan(ReportData.from_dir(huangpu_dir))
    assert doc.generated_chars() <= CHAR_LIMIT
    assert [f.name for f in sorted((huangpu_dir / "report_files").iterdir())] == [
        "fig1.png",
        "fig2.png",
        "fig3.png",
    ]


def test_huangpu_plan_numbers_match_summary(huangpu_dir: Path) -> None:
    s = json.loads((huangpu_dir / "summary.json").read_text(encoding="utf-8"))
    md = (huangpu_dir / "report.md").read_text(encoding="utf-8")
    pop = s["groups"]["all"]["population"]
    assert f"常住人口 {round(pop):,} 人" in md
    b = s["budget"]
    assert f"使用建设资金 {T.money(b['capital_yuan_used'])}（上限 {T.money(b['capital_yuan_limit'])}）" in md
    assert T.money(b["capital_yuan_used"]) == "147.5 万元"
    for key, f in s["formats"].items():
        row = f"| {T.format_name(key)} | {100 * f['share_before']:.1f}% | {100 * f['share_after']:.1f}% |"
        assert row in md, row
    assert (
        f"{s['groups']['all']['share_before']:.1%}" in md and f"{s['groups']['all']['share_after']:.1%}" in md
    )
    p = pd.read_csv(huangpu_dir / "placements.csv")
    assert f"新增 {len(p)} 个便民网点" in md
    assert f"| 合计 | {len(p)} | {T.money(p['fitout_yuan'].sum())} |" in md
    # Sites are named by their street, and shared spaces are marked.
    assert "宁海东路（s06）" in md and "一点多用" in md
    # The mandate (old neighbourhoods, convenience store >= 50%) and whether it is met.
    assert re.search(r"\| 老旧小区 \| 便利店 \| 50\.0% \| \d+\.\d% \| 是 \|", md)
    # No float noise and no NaN anywhere.
    assert "nan" not in md.lower() and not re.search(r"\d\.\d{4,}", md)


def test_english_report_and_frontier_and_explanation(huangpu_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "copy"
    shutil.copytree(huangpu_dir, out)
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    s["explain"] = {
        "sentences": {"zh": ["建设资金用尽，限制了进一步覆盖。"], "en": ["The capital budget binds."]}
    }
    (out / "summary.json").write_text(json.dumps(s, ensure_ascii=False), encoding="utf-8")
    cap = s["budget"]["capital_yuan_limit"]
    frontier = pd.DataFrame(
        {
            "budget.capital_yuan": [0.5 * cap, cap, 2 * cap],
            "objective": [1.0, 2.0, 2.5],
            "status": ["optimal"] * 3,
            "repair_share_after": [0.5, 0.96, 0.99],
            "laundry_share_after": [0.3, 0.7, 0.8],
            "is_scenario_value": [False, True, False],
            "is_knee": [False, True, False],
        }
    )
    frontier.to_csv(out / "frontier.csv", index=False)
    r = run("report", out, "--lang", "en")
    assert r.exit_code == 0, r.output
    md = (out / "report.md").read_text(encoding="utf-8")
    assert all(en in md for _, en in HEADINGS.values())
    assert "The capital budget binds." in md and "1,475,000 yuan" in md
    assert len(list((out / "report_files").iterdir())) == 4  # the frontier chart too
    assert run("report", out).exit_code == 0
    assert "建设资金用尽，限制了进一步覆盖。" in (out / "report.md").read_text(encoding="utf-8")


def test_charts_never_miss_a_chinese_glyph(huangpu_dir: Path, tiny: Path, tmp_path: Path) -> None:
    folder = tmp_path / "sc"
    shutil.copytree(tiny.parent, folder)
    yaml = (folder / "scenario.yaml").read_text(encoding="utf-8").replace("name: tiny", "name: 黄浦区试点")
    (folder / "scenario.yaml").write_text(yaml, encoding="utf-8")
    d = ReportData.from_dir(huangpu_dir)
    d.summary["scenario"] = "黄浦区试点"
    assert charts.cjk_family() is not None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for png in (charts.coverage_by_format(d), charts.coverage_by_group(d), charts.static_map(d)):
            assert len(png) > 1000
        ax = qh.solve(qh.load_scenario(folder / "scenario.yaml")).plot(
            "convenience_store"
        )  # the notebook's static map, titled with the name
        assert "黄浦区试点" in ax.get_title()
        charts.png_base64(ax.figure)
    glyphs = [str(w.message) for w in caught if "glyph" in str(w.message).lower()]
    assert not glyphs, glyphs


def test_workbook_summary_first_bilingual_headers_formats(huangpu_dir: Path) -> None:
    wb = openpyxl.load_workbook(huangpu_dir / "results.xlsx")
    assert wb.sheetnames[0] == "汇总 summary"
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A3"
    ws = wb["新增网点 placements"]
    header = [c.value for c in ws[1]]
    assert header[:2] == ["点位编号", "街道/路名"] and [c.value for c in ws[2]][:2] == ["Site", "Street"]
    col = header.index("建设资金（元）") + 1
    assert ws.cell(3, col).number_format == "#,##0.00"
    summary = wb["汇总 summary"]
    shares = [c for row in summary.iter_rows() for c in row if c.number_format == "0.0%"]
    assert shares and all(0 <= c.value <= 1 for c in shares if c.value is not None)


def test_community_column_gives_per_community_numbers(tiny: Path, tmp_path: Path) -> None:
    folder = tmp_path / "sc"
    shutil.copytree(tiny.parent, folder)
    res = pd.read_csv(folder / "residences.csv")
    res["community"] = ["东社区", "东社区", "西社区", "西社区"]
    res.to_csv(folder / "residences.csv", index=False)
    out = tmp_path / "out"
    assert run("run", folder / "scenario.yaml", "--out", out, "--quiet").exit_code == 0
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "| 社区/街道 |" in md and "| 东社区 | 3,000 人 |" in md and "| 西社区 | 2,000 人 |" in md


def test_no_report_flag_and_notebook_views(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run("run", tiny, "--out", out, "--no-report", "--quiet").exit_code == 0
    assert not (out / "report.html").exists() and (out / "map.html").is_file()
    res = qh.solve(qh.load_scenario(tiny))
    assert "第一部分 试点概要" in res.to_html() and "Part 1. Summary" in res.to_html(lang="en")
    assert "16.2" not in res._repr_html_() and "%" in res._repr_html_()


def test_long_plans_are_cut_to_the_character_limit() -> None:
    from optimizer.report.document import Document

    doc = Document("试点方案")
    doc.p("说明" * 100)
    doc.table(["点位", "业态"], [[f"某某路{i}号", "便利店、早餐店"] for i in range(400)], shrink=True)
    doc.ul([f"问题{i}" for i in range(50)], shrink=True)
    assert doc.generated_chars() > CHAR_LIMIT
    doc.fit(CHAR_LIMIT)
    assert doc.generated_chars() <= CHAR_LIMIT
    rows = doc.blocks[1].rows
    assert rows[-1][0].startswith("其余 ") and rows[-1][0].endswith(" 项见 results.xlsx")
    assert int(rows[-1][0].split()[1]) == 400 - (len(rows) - 1)


def test_infeasible_plan_says_what_the_mandates_would_need(tiny: Path, tmp_path: Path) -> None:
    folder = tmp_path / "sc"
    shutil.copytree(tiny.parent, folder)
    yaml = (
        (folder / "scenario.yaml")
        .read_text(encoding="utf-8")
        .replace("capital_yuan: 400000", "capital_yuan: 100000")
    )
    yaml += "mandates:\n  - {group: all, formats: [pharmacy], min_share: 1.0}\n"
    (folder / "scenario.yaml").write_text(yaml, encoding="utf-8")
    out = tmp_path / "out"
    assert run("run", folder / "scenario.yaml", "--out", out, "--quiet").exit_code == 3
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "不可行" in md and "| 全体居民 | 药店 | 100.0% |" in md and "所需建设资金" in md
    assert all(zh in md for zh in ("第一部分 试点概要", "第二部分 建设基础", "第三部分 建设方案"))


def test_amap_tiles_shift_the_data_to_gcj02(huangpu_dir: Path) -> None:
    from optimizer.coords import wgs84_to_gcj02
    from optimizer.report import webmap

    d = ReportData.from_dir(huangpu_dir)
    plain = webmap.map_data(d, "zh", "wgs84")["chosen"]["features"][0]["geometry"]["coordinates"]
    amap = webmap.map_data(d, "zh", "gcj02")["chosen"]["features"][0]["geometry"]["coordinates"]
    lon, lat = wgs84_to_gcj02(plain[0], plain[1])
    assert abs(amap[0] - lon) < 2e-6 and abs(amap[1] - lat) < 2e-6
    page = webmap.to_html(d, tiles="amap")
    assert "autonavi" in page
    offline = webmap.to_html(d)
    assert "tile.openstreetmap" not in offline and "autonavi" not in offline and "unpkg" not in offline


def test_end_of_run_summary_on_the_console(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = run("run", tiny, "--out", out)
    assert r.exit_code == 0
    text = r.output
    assert "capital: 290,000 yuan of 400,000 yuan" in text
    assert "All residents (5,000 residents):" in text and "Old neighbourhoods (2,000 residents):" in text
    assert f"report: {out / 'report.html'}" in text
    assert not re.search(r"\d\.\d{4,}", text)  # no float noise


def test_large_runs_keep_the_workbook_and_the_map_small(
    huangpu_dir: Path, monkeypatch, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    from optimizer.report import webmap, workbook

    d = ReportData.from_dir(huangpu_dir)
    monkeypatch.setattr(webmap, "MAX_MAP_RESIDENCES", 10)
    monkeypatch.setattr(workbook, "MAX_SHEET_ROWS", 100)
    data = webmap.map_data(d)
    assert len(data["residences"]["features"]) == 10
    assert data["residences_shown"] == f"10 / {len(d.residences):,}"
    shown = {f["properties"]["id"] for f in data["residences"]["features"]}
    assert shown == set(d.residences["population"].astype(float).nlargest(10).index.astype(str))
    workbook.write_workbook(d, tmp_path / "r.xlsx")
    ws = load_workbook(tmp_path / "r.xlsx")["覆盖 coverage"]
    assert "see coverage.csv" in str(ws.cell(3, 1).value) or "see coverage.csv" in str(ws.cell(2, 1).value)
