"""The shipped real scenarios solve to optimality from the CLI and verify."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["shanghai_huangpu", "helsinki_centre"])
def test_shipped_scenario_solves_to_optimality(name, tmp_path) -> None:
    out = tmp_path / name
    r = CliRunner().invoke(
        main,
        ["run", str(ROOT / "scenarios" / name / "scenario.yaml"), "--out", str(out), "--no-maps"],
        catch_exceptions=False,
    )
    assert r.exit_code == 0, r.output
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["status"] == "optimal" and s["mip_gap"] <= 1e-4
    assert s["walk_source"] == "network"
    # The network and snapping are reported, whether the walk matrix came from the cache or not.
    assert [r["points_of"] for r in s["walk"]["snap"]] == ["residences", "sites", "outlets"]
    assert s["walk"]["snap"][0]["points"] == s["counts"]["residences"]
    assert s["walk"]["network_stats"]["nodes"] > 1000
    assert all(r["max_m"] < 500 for r in s["walk"]["snap"])
    assert s["placements"] > 0
    for f in s["formats"].values():
        assert f["covered_after"] >= f["covered_before"]
    assert any(f["covered_after"] > f["covered_before"] for f in s["formats"].values())
    assert s["budget"]["capital_yuan_used"] <= s["budget"]["capital_yuan_limit"]
    assert json.loads((out / "verify.json").read_text())["ok"] is True


@pytest.mark.parametrize("name", ["shanghai_huangpu", "helsinki_centre"])
def test_shipped_scenario_matches_its_pinned_result(name) -> None:
    """Objective and placements as pinned in tests/expected (regenerate.py rewrites them on purpose)."""
    sys.path.insert(0, str(ROOT / "tests" / "expected"))
    from regenerate import pinned

    expected = json.loads((ROOT / "tests" / "expected" / f"{name}.json").read_text(encoding="utf-8"))
    got = pinned(name)
    assert got["status"] == expected["status"]
    assert got["objective"] == pytest.approx(expected["objective"], rel=1e-9)
    assert got["placements"] == expected["placements"]
