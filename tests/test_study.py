"""Comparisons and frontiers: reuse of walk times is safe, the frontier never falls, subsidy never hurts,
every executor gives the same table, and a failing variant is a row."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import optimizer as qh
from cli import main
from optimizer.errors import ScenarioError
from optimizer.reach import ReachMismatchError, compute_reach, walk_key
from optimizer.schema import KEYS
from optimizer.study import Variant, compare_variants, knee, parse_vary, sweep
from optimizer.study import runs as runs_module
from optimizer.study.variants import apply, from_table

TINY = Path(__file__).parent / "data" / "tiny"

# Every scenario key a variant may change, and a value different from the base's. A key added to the
# schema must be added here, so the reuse-safety test covers it.
CHANGES: dict[str, object] = {
    "name": "other",
    "description": "other",
    "formats": {"convenience_store": {"walk_minutes": 3}, "pharmacy": {"walk_minutes": 8}},
    "walk.source": "straight_line",
    "walk.speed_m_per_s": 1.0,
    "walk.elderly_speed_m_per_s": 0.8,
    "walk.detour_factor": 1.6,
    "walk.cache": False,
    "priority.old_neighbourhood": 4.0,
    "priority.affordable_housing": 3.0,
    "priority.elderly": 2.0,
    "budget.capital_yuan": 250000.0,
    "budget.rent_subsidy_yuan_per_year": 0.0,
    "subsidy.share_of_rent": 0.2,
    "subsidy.formats": ["pharmacy"],
    "viability.enabled": False,
    "partial_credit.factor": 1.5,
    "partial_credit.credit": 0.3,
    "mandates": [{"group": "old_neighbourhood", "formats": ["pharmacy"], "min_share": 1.0}],
    "phasing.years": 2,
    "phasing.capital_yuan_per_year": [200000.0, 200000.0],
    "phasing.rent_subsidy_yuan_per_year": [50000.0, 50000.0],
    "objective.tie_break": "none",
    "objective.tie_break_method": "two_stage",
    "solver.name": "cbc",
    "solver.time_limit_s": 20.0,
    "solver.mip_gap": 0.01,
    "solver.threads": 1,
    "solver.decompose": "regions",
}
# Keys whose change alters the walk minutes themselves (the reach must be refused), and keys that need a
# street network file (their effect on the key is the network settings digest, checked separately).
WALK_KEYS = {"walk.source", "walk.speed_m_per_s", "walk.elderly_speed_m_per_s", "walk.detour_factor"}
# keys valid only beside another one (a list per year needs the number of years)
COMPANIONS = {
    "phasing.capital_yuan_per_year": {"phasing.years": 2},
    "phasing.rent_subsidy_yuan_per_year": {"phasing.years": 2},
}
HORIZON_KEYS = {"formats", "partial_credit.factor"}  # refused when they lengthen the longest walk
NOT_VARIED = {"walk.network", "walk.include_highway", "walk.exclude_highway", "solver.options", "variants"}


def _base(path: Path = TINY / "scenario.yaml") -> qh.Scenario:
    sc = qh.load_scenario(path)
    return apply(
        sc,
        {
            "viability.enabled": True,
            "budget.rent_subsidy_yuan_per_year": 50000.0,
            "subsidy.formats": ["pharmacy", "convenience_store"],
        },
    )


def _straight_line_base() -> qh.Scenario:
    """The tiny scenario with walk times from straight lines instead of its matrix."""
    frames = {n: pd.read_csv(TINY / f"{n}.csv") for n in ("residences", "sites", "outlets")}
    cfg = _base().config.to_dict()
    cfg["walk"] = {"source": "straight_line"}
    cfg["formats"] = {"convenience_store": {"walk_minutes": 5}, "pharmacy": {"walk_minutes": 8}}
    return qh.Scenario.from_frames(frames["residences"], frames["sites"], frames["outlets"], cfg)


def _answer(res: qh.Result) -> tuple:
    p = res.placements[["site_id", "format", "subsidy_yuan_per_year"]].to_dict("records")
    cov = res.coverage[["credit_before", "credit_after"]].to_numpy().tolist()
    return (
        str(res.status),
        round(res.objective_recomputed(), 6),
        p,
        cov,
        res.reach.demand["priority"].tolist(),
    )


def test_every_variable_scenario_key_is_in_the_reuse_test() -> None:
    variable = {k.path for k in KEYS if "[]" not in k.path and not k.path.startswith("inputs.")}
    assert variable - NOT_VARIED == set(CHANGES), (
        "give every new scenario key a changed value in CHANGES, so the reuse-safety test covers it"
    )


@pytest.mark.parametrize("make", [_base, _straight_line_base], ids=["matrix", "straight_line"])
@pytest.mark.parametrize("key", sorted(CHANGES))
def test_reusing_walk_times_gives_the_fresh_answer_or_is_refused(make, key) -> None:
    base = make()
    reach = compute_reach(base)
    try:
        variant = apply(base, {**COMPANIONS.get(key, {}), key: CHANGES[key]})
    except ScenarioError:
        pytest.skip(f"{key}={CHANGES[key]!r} is not valid for this scenario")
    fresh = qh.solve(variant)
    try:
        reused = qh.solve(variant, reach=reach)
    except ReachMismatchError as e:
        assert key in WALK_KEYS or key in HORIZON_KEYS and "horizon_min" in str(e), str(e)
        return
    assert _answer(reused) == _answer(fresh)


def test_priority_change_with_a_reused_reach_is_not_the_base_plan() -> None:
    base = _base()
    variant = apply(base, {"priority.old_neighbourhood": 4.0})
    reused = qh.solve(variant, reach=qh.solve(base).reach)
    assert reused.objective_recomputed() == pytest.approx(qh.solve(variant).objective_recomputed())
    assert reused.objective_recomputed() != pytest.approx(qh.solve(base).objective_recomputed())


def test_a_reach_for_other_walk_inputs_is_refused_naming_the_key() -> None:
    base = _straight_line_base()
    reach = compute_reach(base)
    with pytest.raises(ReachMismatchError, match=r"speed_m_per_s \(walk.speed_m_per_s\)"):
        qh.solve(apply(base, {"walk.speed_m_per_s": 1.0}), reach=reach)
    with pytest.raises(ReachMismatchError, match="horizon_min"):
        qh.solve(apply(base, {"formats.pharmacy.walk_minutes": 12}), reach=reach)


@pytest.mark.parametrize("make", [_base, _straight_line_base], ids=["matrix", "straight_line"])
def test_a_shorter_horizon_reuses_the_walk_minutes_cut_to_it(make) -> None:
    base = make()
    reach = compute_reach(base)
    for change in ({"formats.pharmacy.walk_minutes": 6}, {"formats.pharmacy.walk_minutes": 3}):
        variant = apply(base, change)
        reused = qh.solve(variant, reach=reach)
        assert _answer(reused) == _answer(qh.solve(variant))
        assert reused.reach.walk.key == walk_key(variant)
        fresh_pairs = compute_reach(variant).site_minutes.nnz
        assert reused.reach.site_minutes.nnz == fresh_pairs


def test_the_frontier_never_falls_as_the_budget_grows() -> None:
    fr = sweep(_base(), {"budget.capital_yuan": np.linspace(0, 800000, 9)}, executor="inprocess")
    t = fr.table
    assert list(t["budget.capital_yuan"]) == sorted(t["budget.capital_yuan"])
    assert (np.diff(t["objective"].to_numpy(float)) >= -1e-9).all()
    assert t["is_scenario_value"].sum() == 1
    assert t.loc[t["is_scenario_value"], "budget.capital_yuan"].item() == 400000.0
    assert t["is_knee"].sum() == 1
    assert list(t.columns[:8]) == [
        "budget.capital_yuan",
        "objective",
        "status",
        "mip_gap",
        "convenience_store_share_after",
        "pharmacy_share_after",
        "is_scenario_value",
        "is_knee",
    ]


def test_no_subsidy_never_covers_more_than_subsidy() -> None:
    variants = [
        Variant("no_subsidy", {"budget.rent_subsidy_yuan_per_year": 0}),
        Variant("share_0", {"subsidy.share_of_rent": 0}),
        Variant("basic_only", {"subsidy.formats": ["pharmacy"]}),
    ]
    t = compare_variants(_base(), variants, executor="inprocess").table
    for v in ("no_subsidy", "share_0", "basic_only"):
        assert t.at[v, "objective"] <= t.at["base", "objective"] + 1e-9
    assert t.at["no_subsidy", "objective"] < t.at["base", "objective"]
    assert t.at["no_subsidy", "rent_subsidy_yuan_per_year_used"] == 0


def test_executors_give_identical_tables() -> None:
    sc = _base()
    vary = {"budget.capital_yuan": [0, 150000, 300000, 600000, 900000]}
    tables = []
    for kind in ("inprocess", "pool", "dask"):
        fr = sweep(sc, vary, executor=kind, workers=2)
        tables.append(fr.table.drop(columns="seconds"))
    pd.testing.assert_frame_equal(tables[0], tables[1])
    pd.testing.assert_frame_equal(tables[0], tables[2])


def test_an_infeasible_variant_is_a_row_with_the_same_columns() -> None:
    variants = [
        Variant("impossible", {"mandates": [{"group": "all", "formats": ["pharmacy"], "min_share": 1.0}]}),
        Variant("cheap", {"budget.capital_yuan": 100000}),
    ]
    cmp = compare_variants(_base(), variants, executor="inprocess")
    t = cmp.table
    assert list(t.index) == ["base", "impossible", "cheap"]
    assert t.at["impossible", "status"] == "infeasible"
    assert pd.isna(t.at["impossible", "all_share_after"]) and t.at["impossible", "all_share_before"] == 0.05
    assert t.at["cheap", "status"] == "optimal"
    assert cmp.exit_code == 3


def test_a_run_that_raises_is_an_error_row() -> None:
    sc = _base()
    bad = runs_module.Run("bad", sc, walk=object())  # type: ignore[arg-type]
    out = runs_module.solve_chain(runs_module.Chain((bad, runs_module.Run("good", sc)), warm=True))
    assert out[0].row["status"] == "error" and "AttributeError" in out[0].row["message"]
    assert set(out[0].row) == set(out[1].row)
    assert out[1].row["status"] == "optimal"


def test_variants_are_validated_together_naming_each() -> None:
    with pytest.raises(ScenarioError) as e:
        compare_variants(
            _base(),
            [Variant("a", {"budget.capitl_yuan": 1}), Variant("b", {"subsidy.share_of_rent": 2})],
            executor="inprocess",
        )
    text = str(e.value)
    assert "row a" in text and "did you mean 'budget.capital_yuan'" in text
    assert "row b" in text and "subsidy.share_of_rent" in text


def test_vary_specs_and_variant_tables(tmp_path) -> None:
    assert parse_vary("budget.capital_yuan=0:1000000:3") == (
        "budget.capital_yuan",
        [0.0, 500000.0, 1000000.0],
    )
    assert parse_vary("subsidy.share_of_rent=0,0.3,0.5") == ("subsidy.share_of_rent", [0.0, 0.3, 0.5])
    with pytest.raises(ScenarioError, match="unknown key"):
        parse_vary("budget.capital=0:1:3")
    p = tmp_path / "v.csv"
    p.write_text("name,budget.capital_yuan,subsidy.formats\nsmall,100000,\nbasic,,pharmacy\n")
    assert from_table(p) == [
        Variant("small", {"budget.capital_yuan": 100000.0}),
        Variant("basic", {"subsidy.formats": "pharmacy"}),
    ]


def test_knee_is_where_the_curve_bends() -> None:
    x = np.arange(6.0)
    assert knee(x, np.array([0, 5, 8, 9, 9.5, 10])) == 2
    assert knee(x, x) is None
    assert knee(x, np.zeros(6)) is None


def test_scenario_variants_key_and_the_commands(tmp_path) -> None:
    text = (TINY / "scenario.yaml").read_text()
    text += "variants:\n  no_subsidy: {budget.rent_subsidy_yuan_per_year: 0}\n  big:\n    budget:\n"
    text += "      capital_yuan: 800000\n"
    for f in ("residences", "sites", "outlets", "walk_minutes"):
        (tmp_path / f"{f}.csv").write_text((TINY / f"{f}.csv").read_text())
    (tmp_path / "scenario.yaml").write_text(text)
    runner = CliRunner()
    out = tmp_path / "cmp"
    r = runner.invoke(
        main, ["compare", str(tmp_path / "scenario.yaml"), "--out", str(out), "-q", "--executor", "inprocess"]
    )
    assert r.exit_code == 0, r.output
    t = pd.read_csv(out / "comparison.csv", index_col=0)
    assert list(t.index) == ["base", "no_subsidy", "big"]
    assert {"comparison.xlsx", "comparison.html", "placements.csv"} <= {p.name for p in out.iterdir()}
    fr = tmp_path / "fr"
    r = runner.invoke(
        main,
        [
            "sweep",
            str(tmp_path / "scenario.yaml"),
            "--vary",
            "budget.capital_yuan=0:800000:5",
            "--out",
            str(fr),
            "-q",
            "--executor",
            "inprocess",
        ],
    )
    assert r.exit_code == 0, r.output
    assert {"frontier.csv", "frontier.png", "frontier.html", "frontier.xlsx"} <= {
        p.name for p in fr.iterdir()
    }
    page = (fr / "frontier.html").read_text()
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "") and "https://" not in page
    r = runner.invoke(
        main,
        [
            "sweep",
            str(tmp_path / "scenario.yaml"),
            "--vary",
            "budget.nope=0:1:2",
            "--out",
            str(tmp_path / "x"),
        ],
    )
    assert r.exit_code == 2 and "unknown key" in r.output


def test_rows_have_the_same_columns_whatever_the_status() -> None:
    sc = _base()
    ok = qh.solve(sc)
    bad = qh.solve(apply(sc, {"mandates": [{"group": "all", "formats": ["pharmacy"], "min_share": 1.0}]}))
    assert str(bad.status) == "infeasible"
    s_ok, s_bad = ok.summary(), bad.summary()
    assert set(s_ok) == set(s_bad) - {"diagnosis"}
    cmp = qh.compare({"ok": ok, "bad": bad}, index="variant")
    assert cmp.table.index.name == "variant" and list(cmp.table.index) == ["ok", "bad"]
    assert cmp.table.at["ok", "binding"] and pd.isna(cmp.table.at["bad", "binding"])
    assert set(cmp.placements["variant"]) == {"ok"}
    assert cmp.table.at["bad", "all_share_before"] == cmp.table.at["ok", "all_share_before"]
    assert pd.isna(cmp.table.at["bad", "all_share_after"])


def test_sweep_command_on_a_dask_scheduler_matches_in_process(tmp_path) -> None:
    from dask.distributed import LocalCluster

    runner = CliRunner()
    args = ["sweep", str(TINY / "scenario.yaml"), "--vary", "budget.capital_yuan=0:600000:4", "-q"]
    r = runner.invoke(main, [*args, "--out", str(tmp_path / "a"), "--executor", "inprocess"])
    assert r.exit_code == 0, r.output
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True) as cluster:
        r = runner.invoke(
            main, [*args, "--out", str(tmp_path / "b"), "--scheduler", cluster.scheduler_address]
        )
    assert r.exit_code == 0, r.output
    a, b = (pd.read_csv(tmp_path / x / "frontier.csv").drop(columns="seconds") for x in "ab")
    pd.testing.assert_frame_equal(a, b)


def test_walk_times_are_computed_once_per_walk_key(monkeypatch) -> None:
    calls = []
    real = runs_module.compute_walk_times

    def counting(sc, progress=False):
        calls.append(sc.config.walk.elderly_speed_m_per_s)
        return real(sc, progress=progress)

    monkeypatch.setattr(runs_module, "compute_walk_times", counting)
    variants = [
        Variant("a", {"budget.capital_yuan": 100000}),
        Variant("b", {"priority.old_neighbourhood": 4}),
        Variant("slow1", {"walk.elderly_speed_m_per_s": 0.8, "budget.capital_yuan": 100000}),
        Variant("slow2", {"walk.elderly_speed_m_per_s": 0.8}),
        Variant("alone", {"walk.elderly_speed_m_per_s": 0.6}),
    ]
    t = compare_variants(_base(), variants, executor="inprocess").table
    assert calls == [None, 0.8]  # 'alone' has a key of its own: computed in its own job
    assert (t["status"] == "optimal").all()


def test_validate_checks_the_variants(tmp_path) -> None:
    for f in ("residences", "sites", "outlets", "walk_minutes"):
        (tmp_path / f"{f}.csv").write_text((TINY / f"{f}.csv").read_text())
    text = (TINY / "scenario.yaml").read_text() + "variants:\n  typo: {budget.capital: 1}\n"
    (tmp_path / "scenario.yaml").write_text(text)
    r = CliRunner().invoke(main, ["validate", str(tmp_path / "scenario.yaml")])
    assert r.exit_code == 2 and "row typo" in r.output and "budget.capital_yuan" in r.output
