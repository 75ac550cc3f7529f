"""Verification of output folders: fresh runs verify, tampered folders do not."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import optimizer as qh
from optimizer.verify import VerifyReport, verify, verify_dir

TINY = Path(__file__).parent / "data" / "tiny" / "scenario.yaml"
FORMATS = ["convenience_store", "pharmacy", "breakfast", "laundry"]


# ---------------------------------------------------------------------------------------------------------
# fixtures and helpers
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One fresh run of the tiny scenario."""
    out = tmp_path_factory.mktemp("tiny") / "out"
    qh.solve(qh.load_scenario(TINY)).to_dir(out, excel=False, maps=False)  # verify reads neither
    return out


@pytest.fixture
def tiny_copy(tiny_out: Path, tmp_path: Path) -> Path:
    """A private copy of the tiny run to tamper with."""
    return Path(shutil.copytree(tiny_out, tmp_path / "out"))


def failed(rep: VerifyReport) -> dict[str, list[str]]:
    """Failed checks by name, with their mismatches."""
    return {c.name: rep.by_check.get(c.name, []) for c in rep.checks if not c.passed}


def random_frames(seed: int, n_res: int = 30, n_sites: int = 12, n_out: int = 5) -> tuple[pd.DataFrame, ...]:
    """Residences, sites and outlets scattered over about 1.3 km x 1.3 km of Shanghai."""
    rng = np.random.default_rng(seed)
    lon0, lat0, d = 121.47, 31.23, 0.012
    res = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(n_res)],
            "population": rng.integers(200, 3000, n_res).astype(float),
            "elderly_share": rng.uniform(0, 0.5, n_res).round(2),
            "old_neighbourhood": rng.random(n_res) < 0.3,
            "affordable_housing": rng.random(n_res) < 0.2,
            "lon": lon0 + rng.uniform(0, d, n_res),
            "lat": lat0 + rng.uniform(0, d, n_res),
        }
    )
    sites = pd.DataFrame(
        {
            "id": [f"s{i}" for i in range(n_sites)],
            "floor_area_m2": rng.choice([60, 120, 200, 400], n_sites).astype(float),
            "rent_yuan_per_m2_month": rng.uniform(40, 200, n_sites).round(1),
            "fitout_yuan": [
                np.nan if rng.random() < 0.7 else float(rng.integers(50, 200) * 1000) for _ in range(n_sites)
            ],
            "allowed_formats": [
                "" if rng.random() < 0.6 else ";".join(rng.choice(FORMATS, 2, replace=False))
                for _ in range(n_sites)
            ],
            "max_formats": [np.nan if rng.random() < 0.7 else 1.0 for _ in range(n_sites)],
            "lon": lon0 + rng.uniform(0, d, n_sites),
            "lat": lat0 + rng.uniform(0, d, n_sites),
        }
    )
    outlets = pd.DataFrame(
        {
            "id": [f"o{i}" for i in range(n_out)],
            "format": rng.choice(FORMATS, n_out),
            "lon": lon0 + rng.uniform(0, d, n_out),
            "lat": lat0 + rng.uniform(0, d, n_out),
        }
    )
    return res, sites, outlets


def random_config(elderly: bool, partial: bool, viability: bool) -> dict:
    """Low margins for the subsidised formats so that some placements need rent subsidy."""
    cfg: dict = {
        "name": "random",
        "formats": {
            "convenience_store": {},
            "pharmacy": {},
            "breakfast": {"opex_yuan_per_year": 20000, "margin_yuan_per_resident_year": 3},
            "laundry": {"opex_yuan_per_year": 30000, "margin_yuan_per_resident_year": 2.5},
        },
        "budget": {"capital_yuan": 700_000, "rent_subsidy_yuan_per_year": 300_000},
        "subsidy": {"formats": ["breakfast", "laundry"], "share_of_rent": 0.6},
        "viability": {"enabled": viability},
        "priority": {"elderly": 0.5},
        "mandates": [{"group": "priority", "formats": ["convenience_store"], "min_share": 0.2}],
        "solver": {"time_limit_s": 30},
    }
    if elderly:
        cfg["walk"] = {"elderly_speed_m_per_s": 0.8}
    if partial:
        cfg["partial_credit"] = {"factor": 1.5, "credit": 0.4}
    return cfg


def solved_random(tmp_path: Path, seed: int, **flags: bool) -> tuple[qh.Scenario, qh.Result, Path]:
    sc = qh.Scenario.from_frames(*random_frames(seed), config=random_config(**flags))
    res = qh.solve(sc)
    out = res.to_dir(tmp_path / "out", excel=False, maps=False)
    return sc, res, out


# ---------------------------------------------------------------------------------------------------------
# fresh runs verify
# ---------------------------------------------------------------------------------------------------------


def test_fresh_tiny_run_verifies(tiny_out: Path) -> None:
    rep = verify_dir(tiny_out)
    assert rep.ok, str(rep)
    assert rep.mismatches == []
    names = {c.name for c in rep.checks}
    for name in (
        "placements",
        "floor area",
        "capital",
        "rent subsidy",
        "viability",
        "coverage.csv",
        "summary formats",
        "summary groups",
        "mandates",
        "objective",
        "excluded.csv",
        "result.gpkg",
    ):
        assert name in names
    text = str(rep)
    assert "OK" in text and "FAIL" not in text
    json.dumps(rep.to_dict())
    name, passed, detail = rep.checks[0]  # checks unpack as (name, passed, detail)
    assert passed and name and detail


@pytest.mark.parametrize(
    "flags",
    [
        {"elderly": False, "partial": False, "viability": True},
        {"elderly": True, "partial": True, "viability": True},
        {"elderly": True, "partial": False, "viability": False},
    ],
    ids=["plain", "elderly-partial", "elderly-no-viability"],
)
def test_random_straight_line_run_verifies(tmp_path: Path, flags: dict[str, bool]) -> None:
    sc, res, out = solved_random(tmp_path, seed=7, **flags)
    assert res.status == "optimal"
    assert len(res.placements) > 0
    rep = verify_dir(out, scenario=sc)
    assert rep.ok, str(rep)


def test_random_scenario_written_to_files_verifies_from_its_scenario_file(tmp_path: Path) -> None:
    res_df, sites, outlets = random_frames(3)
    folder = tmp_path / "sc"
    folder.mkdir()
    res_df.to_csv(folder / "residences.csv", index=False)
    sites.to_csv(folder / "sites.csv", index=False)
    outlets.to_csv(folder / "outlets.csv", index=False)
    cfg = random_config(elderly=True, partial=True, viability=True)
    cfg["inputs"] = {"residences": "residences.csv", "sites": "sites.csv", "outlets": "outlets.csv"}
    (folder / "scenario.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    out = qh.solve(qh.load_scenario(folder / "scenario.yaml")).to_dir(
        tmp_path / "out", excel=False, maps=False
    )
    rep = verify_dir(out)
    assert rep.ok, str(rep)
    assert any(c.name == "scenario" and str(folder) in c.detail for c in rep.checks)


def test_subsidies_are_exercised_and_verified(tmp_path: Path) -> None:
    """The random scenario needs rent subsidy; dropping one makes that placement not viable."""
    sc, res, out = solved_random(tmp_path, seed=1, elderly=False, partial=False, viability=True)
    p = pd.read_csv(out / "placements.csv", dtype={"site_id": str})
    subsidised = p[p["subsidy_yuan_per_year"] > 0]
    assert len(subsidised), "the scenario should need some rent subsidy"
    assert verify_dir(out, scenario=sc).ok
    row = subsidised.index[0]
    # 3 fen short of paying the costs: within the solver's slack, but not in strict mode
    costs = p.at[row, "rent_yuan_per_year"] + p.at[row, "opex_yuan_per_year"]
    p.loc[row, "subsidy_yuan_per_year"] = costs - p.at[row, "margin_yuan_per_year"] - 0.03
    p.to_csv(out / "placements.csv", index=False)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    summary["budget"]["rent_subsidy_yuan_per_year_used"] = float(p["subsidy_yuan_per_year"].sum())
    (out / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    assert verify_dir(out, scenario=sc).ok
    assert "viability" in failed(verify_dir(out, scenario=sc, strict=True))
    sid, key = p.at[row, "site_id"], p.at[row, "format"]
    p.loc[row, "subsidy_yuan_per_year"] = 0.0
    p.to_csv(out / "placements.csv", index=False)
    rep = verify_dir(out, scenario=sc)
    bad = failed(rep)
    assert "viability" in bad
    assert any(sid in m and key in m and "not viable" in m for m in bad["viability"])


def test_in_memory_tables_verify(tmp_path: Path) -> None:
    """verify() takes the tables as DataFrames (what the CLI can call right after a run)."""
    sc = qh.load_scenario(TINY)
    res = qh.solve(sc)
    summary = json.loads(json.dumps(res.summary()))
    rep = verify(summary, res.placements, res.coverage, sc, excluded=res.model.excluded)
    assert rep.ok, str(rep)


def test_coverage_without_group_column(tiny_copy: Path, tmp_path: Path) -> None:
    cov = pd.read_csv(tiny_copy / "coverage.csv")
    cov.drop(columns="group").to_csv(tiny_copy / "coverage.csv", index=False)
    assert verify_dir(tiny_copy).ok
    sc, _, out = solved_random(tmp_path / "elderly", seed=2, elderly=True, partial=False, viability=False)
    cov = pd.read_csv(out / "coverage.csv")
    assert set(cov["group"]) == {"under_60", "elderly"}
    cov.drop(columns="group").to_csv(out / "coverage.csv", index=False)
    assert "coverage.csv" in failed(verify_dir(out, scenario=sc))


# ---------------------------------------------------------------------------------------------------------
# tampered folders fail
# ---------------------------------------------------------------------------------------------------------


def add_placement(out: Path, site_id: str, key: str, fitout: float, area: float) -> None:
    p = pd.read_csv(out / "placements.csv", dtype={"site_id": str})
    row = {c: 0.0 for c in p.columns} | {
        "site_id": site_id,
        "format": key,
        "name_zh": "",
        "fitout_yuan": fitout,
        "area_m2": area,
    }
    pd.concat([p, pd.DataFrame([row])], ignore_index=True).to_csv(out / "placements.csv", index=False)


def test_second_format_on_a_full_site_fails_floor_area(tiny_copy: Path) -> None:
    # s2 (120 m2, fit-out 140000 per format) already hosts a pharmacy (80 m2): a convenience store
    # (100 m2) does not fit.
    add_placement(tiny_copy, "s2", "convenience_store", 140000.0, 100.0)
    rep = verify_dir(tiny_copy)
    assert not rep.ok
    bad = failed(rep)
    assert "floor area" in bad
    assert any("s2" in m and "floor area" in m for m in rep.mismatches)
    assert "s2" in str(rep) and "FAIL" in str(rep)


def test_supermarket_on_a_small_site_fails(tiny_copy: Path) -> None:
    add_placement(tiny_copy, "s1", "supermarket", 1500 * 1200.0, 1500.0)
    rep = verify_dir(tiny_copy)
    bad = failed(rep)
    assert any("s1" in m and "floor area" in m for m in bad["floor area"])
    assert any("supermarket" in m and "not in play" in m for m in bad["placements"])


def test_flipped_covered_after_fails(tiny_copy: Path) -> None:
    cov = pd.read_csv(tiny_copy / "coverage.csv", dtype={"residence_id": str})
    cov.loc[0, "covered_after"] = not bool(cov.loc[0, "covered_after"])
    cov.to_csv(tiny_copy / "coverage.csv", index=False)
    rep = verify_dir(tiny_copy)
    bad = failed(rep)
    assert list(bad) == ["coverage.csv"]
    rid, key = cov.loc[0, "residence_id"], cov.loc[0, "format"]
    assert any(rid in m and key in m and "covered_after" in m for m in bad["coverage.csv"])


def test_changed_minutes_fail(tiny_copy: Path) -> None:
    cov = pd.read_csv(tiny_copy / "coverage.csv")
    row = cov.index[cov["minutes_after"].notna()][0]
    cov.loc[row, "minutes_after"] += 1e-3
    cov.to_csv(tiny_copy / "coverage.csv", index=False)
    assert any("minutes_after" in m for m in failed(verify_dir(tiny_copy))["coverage.csv"])


def test_tampered_budget_used_fails(tiny_copy: Path) -> None:
    s = json.loads((tiny_copy / "summary.json").read_text(encoding="utf-8"))
    s["budget"]["capital_yuan_used"] -= 10000
    (tiny_copy / "summary.json").write_text(json.dumps(s), encoding="utf-8")
    bad = failed(verify_dir(tiny_copy))
    assert list(bad) == ["capital"]
    assert "capital_yuan_used" in bad["capital"][0]


def test_tampered_summary_coverage_and_objective_fail(tiny_copy: Path) -> None:
    s = json.loads((tiny_copy / "summary.json").read_text(encoding="utf-8"))
    s["formats"]["pharmacy"]["covered_after"] += 1
    s["groups"]["old_neighbourhood"]["share_after"] = 0.5
    s["objective_recomputed"] *= 1.01
    (tiny_copy / "summary.json").write_text(json.dumps(s), encoding="utf-8")
    bad = failed(verify_dir(tiny_copy))
    assert set(bad) == {"summary formats", "summary groups", "objective"}


def test_over_budget_placement_fails_capital(tiny_copy: Path) -> None:
    # s1 (200 m2) hosts a convenience store (100 m2); a pharmacy (80 m2 x 2000 yuan/m2) fits but takes the
    # fit-out to 450000 yuan, over the 400000 budget.
    add_placement(tiny_copy, "s1", "pharmacy", 160000.0, 80.0)
    rep = verify_dir(tiny_copy)
    bad = failed(rep)
    assert "floor area" not in bad
    assert any("450000" in m and "over budget" in m for m in bad["capital"])


def test_smaller_budget_than_spent_fails_capital(tiny_out: Path) -> None:
    sc = qh.load_scenario(TINY).with_config(budget={"capital_yuan": 200000})
    bad = failed(verify_dir(tiny_out, scenario=sc))
    assert any("over budget" in m for m in bad["capital"])


def test_wrong_fitout_and_subsidy_fail(tiny_copy: Path) -> None:
    p = pd.read_csv(tiny_copy / "placements.csv", dtype={"site_id": str})
    p.loc[p["site_id"] == "s2", "fitout_yuan"] = 1000.0  # s2's fitout_yuan is 140000
    p.loc[p["site_id"] == "s1", "subsidy_yuan_per_year"] = 5.0  # not a subsidised format, no budget
    p.to_csv(tiny_copy / "placements.csv", index=False)
    bad = failed(verify_dir(tiny_copy))
    assert any("s2" in m and "fitout_yuan 1000 written, expected 140000" in m for m in bad["capital"])
    assert any("s1" in m and "not a subsidised format" in m for m in bad["rent subsidy"])


def test_false_exclusion_reason_fails(tiny_copy: Path) -> None:
    e = pd.read_csv(tiny_copy / "excluded.csv")
    extra = pd.DataFrame(
        [{"site_id": "s1", "format": "pharmacy", "reason": "format not allowed at this site"}]
    )
    pd.concat([e, extra]).to_csv(tiny_copy / "excluded.csv", index=False)
    bad = failed(verify_dir(tiny_copy))
    assert any("s1" in m and "does not hold" in m for m in bad["excluded.csv"])


def test_max_formats_and_allowed_formats(tiny_copy: Path) -> None:
    add_placement(tiny_copy, "s3", "convenience_store", 150000.0, 100.0)  # s3 allows only pharmacy
    bad = failed(verify_dir(tiny_copy))
    assert any("s3" in m and "not allowed" in m for m in bad["placements"])


# ---------------------------------------------------------------------------------------------------------
# missing and unreadable files
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["summary.json", "placements.csv", "coverage.csv", "excluded.csv"])
def test_missing_file_is_a_failed_check(tiny_copy: Path, name: str) -> None:
    (tiny_copy / name).unlink()
    rep = verify_dir(tiny_copy)
    assert not rep.ok
    assert any(name in c.name and not c.passed for c in rep.checks)
    assert any("does not exist" in m for m in rep.mismatches)


def test_unreadable_files_are_failed_checks(tiny_copy: Path, tmp_path: Path) -> None:
    (tiny_copy / "placements.csv").write_bytes(b"")
    rep = verify_dir(tiny_copy)
    assert not rep.ok and any("cannot read" in m for m in rep.mismatches)
    (tiny_copy / "summary.json").write_text("{not json", encoding="utf-8")
    rep = verify_dir(tiny_copy)
    assert [c.name for c in rep.failed] == ["file summary.json"]
    assert not verify_dir(tmp_path / "nowhere").ok


def test_scenario_file_missing_or_unloadable(tiny_copy: Path, tmp_path: Path) -> None:
    s = json.loads((tiny_copy / "summary.json").read_text(encoding="utf-8"))
    s["scenario_file"] = None
    (tiny_copy / "summary.json").write_text(json.dumps(s), encoding="utf-8")
    rep = verify_dir(tiny_copy)
    assert not rep.ok and "scenario=" in rep.mismatches[0]
    assert verify_dir(tiny_copy, scenario=qh.load_scenario(TINY)).ok
    s["scenario_file"] = str(tmp_path / "gone.yaml")
    (tiny_copy / "summary.json").write_text(json.dumps(s), encoding="utf-8")
    rep = verify_dir(tiny_copy)
    assert not rep.ok and "cannot load" in rep.mismatches[0]


def test_mandated_run_verifies_and_unmet_mandate_fails(tmp_path: Path) -> None:
    sc = qh.load_scenario(TINY).with_config(
        mandates=[{"group": "all", "formats": ["convenience_store"], "min_share": 1.0}]
    )
    res = qh.solve(sc)
    assert res.status == "optimal"
    out = res.to_dir(tmp_path / "out", excel=False, maps=False)
    assert verify_dir(out, scenario=sc).ok
    # the plain run (no mandate) leaves r3 without a convenience store: the mandate is not met there
    plain = qh.solve(qh.load_scenario(TINY)).to_dir(tmp_path / "plain", excel=False, maps=False)
    bad = failed(verify_dir(plain, scenario=sc))
    assert any("convenience_store" in m and "min_share" in m for m in bad["mandates"])


def test_infeasible_run_verifies(tmp_path: Path) -> None:
    sc = qh.load_scenario(TINY).with_config(
        mandates=[{"group": "all", "formats": ["convenience_store", "pharmacy"], "min_share": 1.0}]
    )
    res = qh.solve(sc)
    assert res.status == "infeasible"
    out = res.to_dir(tmp_path / "out", excel=False, maps=False)
    rep = verify_dir(out, scenario=sc)
    assert rep.ok, str(rep)
