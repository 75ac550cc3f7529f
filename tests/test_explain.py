"""Why this plan: binding constraints, blocked formats and the smallest change, per-placement coverage,
warnings for plans that achieve nothing, on hand-solvable instances (and the Huangpu demo's sentences)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from builders import make_scenario

import optimizer as qh
from optimizer.explain import placement_table
from optimizer.explain.removal import removal_losses

CONV = "convenience_store"
ROOT = Path(__file__).resolve().parents[1]

# s1 reaches A and B, s2 reaches B and C; a convenience store's fit-out is 150,000 yuan.
RES3 = [{"id": "A", "population": 1000}, {"id": "B", "population": 2000}, {"id": "C", "population": 1500}]
SITES2 = [
    {"id": "s1", "floor_area_m2": 200, "rent_yuan_per_m2_month": 100},
    {"id": "s2", "floor_area_m2": 200, "rent_yuan_per_m2_month": 100},
]
M3 = {("A", "s1"): 2, ("B", "s1"): 4, ("B", "s2"): 3, ("C", "s2"): 5}


def _solve(sc: qh.Scenario) -> qh.Result:
    res = qh.solve(sc)
    assert res.status == "optimal"
    return res


def _binding(res: qh.Result, name: str) -> dict:
    return next(b for b in res.explain()["binding"] if b["constraint"] == name)


def test_capital_binds_when_what_is_left_pays_for_no_other_candidate() -> None:
    # 250,000 yuan: one store (s2, 3,500 residents); the 100,000 left cannot pay for s1's 150,000.
    res = _solve(make_scenario(RES3, SITES2, M3, formats=[CONV], budget={"capital_yuan": 250_000}))
    cap = _binding(res, "capital")
    assert cap["used"] == pytest.approx(150_000) and cap["left"] == pytest.approx(100_000)
    assert cap["cheapest_candidate_not_opened"] == pytest.approx(150_000)
    assert cap["binding"] is True
    assert not _binding(res, "subsidy_budget")["binding"]  # nothing needs subsidy
    en = res.explain()["sentences"]["en"]
    assert any("Capital: 150,000 of 250,000 yuan used" in s and "limits the plan" in s for s in en)
    # With 300,000 both stores open: nothing is left to buy, so capital no longer binds.
    res = _solve(make_scenario(RES3, SITES2, M3, formats=[CONV], budget={"capital_yuan": 300_000}))
    assert not _binding(res, "capital")["binding"]


def test_floor_area_and_formats_per_site_bind() -> None:
    # 150 m2: breakfast (40) + pharmacy (80) open, the 30 m2 left holds no convenience store (100).
    sites = [
        {"id": "s1", "floor_area_m2": 150, "rent_yuan_per_m2_month": 100},
        {"id": "s2", "floor_area_m2": 500, "rent_yuan_per_m2_month": 100, "max_formats": 1},
    ]
    sc = make_scenario(
        [{"id": "A", "population": 1000}, {"id": "B", "population": 1000}],
        sites,
        {("A", "s1"): 1, ("B", "s2"): 1},
        formats={CONV: {}, "breakfast": {}, "pharmacy": {"weight": 2.0}},
        budget={"capital_yuan": 1e7},
    )
    res = _solve(sc)
    assert _binding(res, "area")["sites"] == ["s1"]
    assert _binding(res, "max_formats")["sites"] == ["s2"]
    assert any(
        "Floor area is full at 1 of the 2 sites used (s1)" in s for s in res.explain()["sentences"]["en"]
    )


def _breakfast(pop: float, share: float, budget: float = 30_000) -> qh.Scenario:
    # breakfast: 40 m2 at 100 yuan/m2/month -> rent 48,000/yr; opex 150,000; margin 35/resident/yr.
    return make_scenario(
        [{"id": "A", "population": pop}],
        [{"id": "s1", "floor_area_m2": 100, "rent_yuan_per_m2_month": 100}],
        {("A", "s1"): 1},
        formats=["breakfast"],
        budget={"capital_yuan": 1e6, "rent_subsidy_yuan_per_year": budget},
        viability={"enabled": True},
        subsidy={"share_of_rent": share},
    )


def test_minimal_extra_subsidy_makes_the_pair_viable_checked_by_resolving() -> None:
    # 4,900 residents: margin 171,500, deficit 26,500 > half the rent (24,000): 2,500 yuan/year short.
    res = _solve(_breakfast(4900, 0.5))
    assert len(res.placements) == 0
    (blocked,) = res.explain()["formats_blocked"]
    (change,) = [c for c in blocked["changes"] if c["kind"] == "subsidy"]
    assert change["amount"] == pytest.approx(2_500)
    assert change["deficit_yuan_per_year"] == pytest.approx(26_500)
    assert change["share_of_rent_needed"] == pytest.approx(0.5521)
    # Re-solved with that share (and a subsidy budget that holds the deficit) it opens; a bit less does not.
    opened = _solve(_breakfast(4900, change["share_of_rent_needed"], change["subsidy_budget_needed"]))
    assert len(opened.placements) == 1
    assert opened.placements["subsidy_yuan_per_year"].iloc[0] == pytest.approx(26_500)
    assert len(_solve(_breakfast(4900, 0.55, 1e6)).placements) == 0
    # The warning says so, with the amount; excluded.csv's row carries it too.
    s = res.summary()
    assert any(
        "cannot open at any of the 1 sites" in w and "2,500 yuan/year more subsidy" in w
        for w in s["warnings"]
    )
    assert any("the plan places nothing" in w for w in s["warnings"])
    from optimizer.explain import excluded_with_amounts

    exc = excluded_with_amounts(res)
    assert exc["amount"].iloc[0] == pytest.approx(2_500) and exc["amount_unit"].iloc[0] == "yuan/year"


def test_unique_coverage_and_loss_when_removed() -> None:
    res = _solve(make_scenario(RES3, SITES2, M3, formats=[CONV], budget={"capital_yuan": 300_000}))
    why = placement_table(res).set_index("site_id")
    assert why.loc["s1", "residents_newly_covered"] == pytest.approx(3000)
    assert why.loc["s1", "residents_only_here"] == pytest.approx(1000)  # B is also reached from s2
    assert why.loc["s2", "residents_only_here"] == pytest.approx(1500)
    assert why.loc["s1", "public_money_yuan"] == pytest.approx(150_000)
    assert why.loc["s1", "residents_per_10k_yuan"] == pytest.approx(200)
    loss = removal_losses(res).set_index("site_id")
    assert loss.loc["s1", "weighted_loss_if_removed"] == pytest.approx(1000)
    assert loss.loc["s2", "weighted_loss_if_removed"] == pytest.approx(1500)
    with_loss = placement_table(replace(res, analyses={"removal": loss.reset_index()}))
    assert with_loss["weighted_loss_if_removed"].notna().all()


def test_priority_residents_and_mandate_outcome() -> None:
    res_ = [{"id": "A", "population": 5000}, {"id": "B", "population": 1000, "old_neighbourhood": True}]
    sc = make_scenario(
        res_,
        SITES2,
        {("A", "s1"): 1, ("B", "s2"): 1},
        formats=[CONV],
        budget={"capital_yuan": 150_000},
        priority={"old_neighbourhood": 1.0},
        mandates=[{"group": "old_neighbourhood", "formats": ["便利店"], "min_share": 1.0}],
    )
    res = _solve(sc)
    (m,) = res.explain()["mandates"]
    assert (m["share_before"], m["share_after"], m["min_share"], m["met"], m["binding"]) == (
        0,
        1,
        1,
        True,
        True,
    )
    assert placement_table(res)["priority_residents_covered"].tolist() == [1000]
    assert any(
        "rises from 0.0% to 100.0% against a floor of 100.0% (met)" in s
        for s in res.explain()["sentences"]["en"]
    )


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ({"budget": {"capital_yuan": 0}}, "the capital budget is 0 yuan"),
        (
            {"sites": [{"id": "s1", "floor_area_m2": 5, "rent_yuan_per_m2_month": 100}]},
            "not enough floor area",
        ),
        (
            {
                "sites": [
                    {
                        "id": "s1",
                        "floor_area_m2": 200,
                        "rent_yuan_per_m2_month": 100,
                        "allowed_formats": "药店",
                    }
                ]
            },
            "format not allowed at this site",
        ),
    ],
)
def test_runs_that_achieve_nothing_say_so(case: dict, reason: str) -> None:
    """Capital 0, every site too small, every pair excluded: still a correct (optimal, exit 0) answer,
    but never a silent one."""
    sites = case.get("sites", SITES2[:1])
    budget = case.get("budget", {"capital_yuan": 1e6})
    res = _solve(make_scenario(RES3[:1], sites, {("A", "s1"): 1}, formats=[CONV], budget=budget))
    assert len(res.placements) == 0 and res.exit_code == 0
    warnings = res.summary()["warnings"]
    assert any(w.startswith("the plan places nothing") and reason in w for w in warnings), warnings
    assert any("cannot open at any of the 1 sites" in w for w in warnings)
    assert res.explain()["sentences"]["en"][0].startswith("The plan places nothing")


def test_huangpu_sentences_say_what_limits_the_plan() -> None:
    from optimizer.reach import compute_reach

    sc = qh.load_scenario(ROOT / "scenarios" / "shanghai_huangpu" / "scenario.yaml")
    reach = compute_reach(sc)
    # Without subsidy, capital above 950,000 yuan is never used: viability binds, not the budget.
    poor = qh.solve(sc.with_config(budget={"rent_subsidy_yuan_per_year": 0}), reach=reach)
    assert any(
        "Capital: 950,000 of 1,500,000 yuan used; 550,000 is left unused: it does not limit the plan, "
        "viability does" in s
        for s in poor.explain()["sentences"]["en"]
    )
    res = qh.solve(sc, reach=reach)
    e = res.explain()
    en, zh = e["sentences"]["en"], e["sentences"]["zh"]
    assert any("Capital: 1,475,000 of 1,500,000 yuan used" in s and "limits the plan" in s for s in en)
    assert any("Rent subsidy: 178,870 of 400,000 yuan/year used" in s and "does not limit" in s for s in en)
    assert any("at most 50% of rent" in s for s in en)
    assert any(s.startswith("早餐店 (Breakfast shop) cannot open at any of the 40 sites") for s in en)
    assert any("15.3% to 59.9% against a floor of 50.0% (met)" in s for s in en)
    assert any("老旧小区的便利店覆盖率由15.3%提高到59.9%" in s for s in zh)
    assert len(en) == len(zh)
    assert any("早餐店" in w for w in res.summary()["warnings"])


# ---------------------------------------------------------------- re-solving analyses


# Three sites, each reaching one residence: 1,000, 900 and 800 residents.
_THREE = (
    [{"id": "A", "population": 1000}, {"id": "B", "population": 900}, {"id": "C", "population": 800}],
    [{"id": f"s{k}", "floor_area_m2": 200, "rent_yuan_per_m2_month": 100} for k in (1, 2, 3)],
    {("A", "s1"): 1, ("B", "s2"): 1, ("C", "s3"): 1},
)


def _three_sites() -> qh.Scenario:
    """Capital for two stores of three."""
    return make_scenario(*_THREE, formats=[CONV], budget={"capital_yuan": 300_000})


def test_alternatives_are_distinct_and_within_tolerance() -> None:
    from optimizer.explain.alternatives import alternative_plans, side_by_side

    res = _solve(_three_sites())
    assert res.first.objective == pytest.approx(1900)  # s1 + s2
    plans = alternative_plans(res, k=3, within=0.10, differ=1)
    summary, wide = side_by_side(res, plans)
    # Within 10% of 1,900 (>= 1,710): s1+s3 (1,800) only; s2+s3 (1,700) and single stores fall short.
    assert len(plans) == 2
    assert summary["objective"].tolist() == pytest.approx([1900, 1800])
    assert summary.loc[1, "adds"] == f"s3:{CONV}" and summary.loc[1, "drops"] == f"s2:{CONV}"
    assert summary.loc[1, "capital_yuan"] == pytest.approx(300_000)
    assert set(wide["site_id"]) == {"s1", "s2", "s3"}
    # Within 20%: three plans, pairwise different, all >= 1,520.
    plans = alternative_plans(res, k=3, within=0.20, differ=1)
    keys = {tuple(p) for p in plans}
    assert len(keys) == len(plans) == 3
    assert all(side_by_side(res, plans)[0]["objective"] >= 0.8 * 1900 - 1e-6)
    # Leaving out both stores of s1 + s2 leaves s3 alone (800), far outside 20%: no alternative.
    assert len(alternative_plans(res, k=3, within=0.20, differ=2)) == 1
    # Adding a placement that gains nothing is no alternative. A fourth site s4 also reaches A, and there
    # is money for four stores: s2 + s3 with s1 or s4 (the same money: either is the cheapest plan) is
    # optimal; the one alternative swaps that store for the other (not: adds it).
    residences, sites, minutes = _THREE
    sites4 = [*sites, {"id": "s4", "floor_area_m2": 200, "rent_yuan_per_m2_month": 100}]
    rich = _solve(
        make_scenario(
            residences, sites4, {**minutes, ("A", "s4"): 1}, formats=[CONV], budget={"capital_yuan": 6e5}
        )
    )
    plans = alternative_plans(rich, k=3, within=0.10, differ=1)
    summary, _ = side_by_side(rich, plans)
    assert summary["placements"].tolist() == [3, 3]
    swap = {(f"s4:{CONV}", f"s1:{CONV}"), (f"s1:{CONV}", f"s4:{CONV}")}
    assert (summary.loc[1, "adds"], summary.loc[1, "drops"]) in swap


def test_phasing_never_opens_what_the_years_budget_cannot_pay() -> None:
    from optimizer.explain.phasing import solve_phasing

    def phased(caps: list[float]) -> tuple[float, list]:
        sc = make_scenario(
            RES3,
            SITES2,
            M3,
            formats=[CONV],
            budget={"capital_yuan": 300_000},
            phasing={"years": len(caps), "capital_yuan_per_year": caps},
        )
        ph = solve_phasing(sc)
        assert ph.status == "optimal"
        assert (ph.years["capital_yuan_used"] <= ph.years["capital_yuan_limit"] + 1e-6).all()
        return ph.objective, ph.placements[["site_id", "year_opened"]].values.tolist()

    # One store a year: the better one (s2, 3,500) first, s1 in year 2: 3,500 + 4,500 coverage-years.
    assert phased([150_000, 150_000]) == (pytest.approx(8_000), [["s2", 1], ["s1", 2]])
    # Nothing in year 1, both in year 2; money does not carry over, so 100,000 a year opens nothing.
    assert phased([0, 300_000]) == (pytest.approx(4_500), [["s1", 2], ["s2", 2]])
    assert phased([100_000, 100_000, 100_000]) == (pytest.approx(0), [])
    # Subsidy is paid every year a shop is open: a breakfast shop needing 23,000 a year opens in the
    # first year whose subsidy budget holds it, and the later years must hold it too.
    for subsidy, opened in (([0, 30_000, 30_000], [["s1", 2]]), ([30_000, 0, 30_000], [["s1", 3]])):
        sc = _breakfast(5000, 0.5).with_config(
            phasing={"years": 3, "capital_yuan_per_year": [1e6] * 3, "rent_subsidy_yuan_per_year": subsidy}
        )
        ph = solve_phasing(sc)
        assert ph.placements[["site_id", "year_opened"]].values.tolist() == opened
        assert (ph.years["subsidy_yuan_used"] <= ph.years["subsidy_yuan_limit"] + 1e-6).all()


def test_robustness_is_seeded_and_counts_kept_placements() -> None:
    from optimizer.explain.robustness import robustness

    res = _solve(_three_sites())
    a = robustness(res, draws=3, seed=7, error=0.2)
    b = robustness(res, draws=3, seed=7, error=0.2)
    pd_testing = pytest.importorskip("pandas.testing")
    pd_testing.assert_frame_equal(a[0], b[0])
    per_draw, per_placement, summary = a
    assert len(per_draw) == 3 and set(per_placement["site_id"]) == {"s1", "s2"}
    assert (per_draw["chosen_plan_objective"] <= per_draw["reoptimised_objective"] + 1e-6).all()
    assert ((per_placement["kept_share"] >= 0) & (per_placement["kept_share"] <= 1)).all()
    assert summary["draws"] == 3 and summary["seed"] == 7


def test_cli_explain_alternatives_robustness_on_a_run_folder(tiny, tmp_path) -> None:
    """The commands work on a written folder, add their files, and the folder still verifies."""
    import json

    import pandas as pd
    from click.testing import CliRunner

    from cli import main

    def cli(*args: object):
        return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)

    out = tmp_path / "out"
    r = cli("run", tiny, "--out", out, "--no-maps", "--explain-money")
    assert r.exit_code == 0, r.output
    assert "- Capital: 290,000 of 400,000 yuan used" in r.output
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert {"binding", "formats_blocked", "mandates", "marginal", "sentences"} <= set(s["explain"])
    assert s["explain"]["marginal"]["budgets"][0]["step"] == 100_000
    p = pd.read_csv(out / "placements.csv")
    assert {"residents_only_here", "weighted_loss_if_removed", "residents_per_10k_yuan"} <= set(p.columns)
    assert p["weighted_loss_if_removed"].notna().all()
    # the pilot plan (Chinese by default) states the explanation's sentences
    assert s["explain"]["sentences"]["zh"][0] in (out / "report.html").read_text(encoding="utf-8")
    assert cli("explain", out, "--multiples", "1,2").exit_code == 0
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert [b["step"] for b in s["explain"]["marginal"]["budgets"]] == [100_000, 200_000] * 2
    r = cli("alternatives", out, "--k", 2, "--within", "5%")
    assert r.exit_code == 0, r.output
    alt = pd.read_csv(out / "alternatives_summary.csv")
    assert alt["objective"].min() >= 0.95 * alt["objective"].iloc[0] - 1e-6
    r = cli("robustness", out, "--draws", 2, "--seed", 1)
    assert r.exit_code == 0, r.output
    assert json.loads((out / "robustness.json").read_text())["draws"] == 2
    assert cli("verify", out).exit_code == 0
    assert cli("alternatives", tmp_path / "nothing").exit_code == 2


def test_subsidy_budget_of_zero_binds_and_capital_is_left_unused_for_viability() -> None:
    # 5,000 residents: deficit 23,000 within half the rent, but no subsidy budget: viability, not capital.
    res = _solve(_breakfast(5000, 0.5, budget=0))
    assert len(res.placements) == 0
    sub = _binding(res, "subsidy_budget")
    assert sub["binding"] and sub["pairs_over_whole_budget"] == 1
    assert sub["smallest_need_over_budget"] == pytest.approx(23_000)
    assert not _binding(res, "capital")["binding"]
    en = res.explain()["sentences"]["en"]
    assert any("it does not limit the plan, viability does" in s for s in en)
    assert any("a subsidy budget of at least 23,000 yuan/year" in s for s in en)


def test_an_infeasible_run_says_no_plan_and_what_the_mandate_asks() -> None:
    res_ = [{"id": "A", "population": 5000}, {"id": "B", "population": 1000, "old_neighbourhood": True}]
    sc = make_scenario(
        res_,
        SITES2,
        {("A", "s1"): 1},
        formats=[CONV],
        budget={"capital_yuan": 150_000},
        mandates=[{"group": "old_neighbourhood", "formats": [CONV], "min_share": 0.5}],
    )
    res = qh.solve(sc)
    assert res.status == "infeasible"
    en = res.explain()["sentences"]["en"]
    assert en[0] == "No plan (infeasible): no plan meets every mandate; see the diagnosis."
    assert any("coverage is 0.0% and must reach 50.0%" in s for s in en)
    assert not any("places nothing" in w for w in res.summary()["warnings"])


def test_phasing_is_checked_and_run_writes_phasing_csv(tiny, tmp_path) -> None:
    import shutil

    from click.testing import CliRunner

    from cli import main
    from optimizer.errors import ScenarioError
    from optimizer.explain.phasing import yearly_budgets

    with pytest.raises(ScenarioError) as err:
        make_scenario(
            RES3,
            SITES2,
            M3,
            formats=[CONV],
            budget={"capital_yuan": 1},
            phasing={"years": 2, "capital_yuan_per_year": [1, 2, 3], "rent_subsidy_yuan_per_year": [0, -5]},
        )
    assert [(p.column, p.message) for p in err.value.problems] == [
        (
            "phasing.rent_subsidy_yuan_per_year",
            "'phasing.rent_subsidy_yuan_per_year': item 2: -5 is out of range: must be >= 0",
        ),
        ("phasing.capital_yuan_per_year", "'phasing.capital_yuan_per_year': 3 numbers for 2 years"),
    ]
    sc = make_scenario(RES3, SITES2, M3, formats=[CONV], budget={"capital_yuan": 1})
    with pytest.raises(
        ScenarioError, match="'phasing.capital_yuan_per_year': item 2: expected a number, got 'x'"
    ):
        sc.with_config(phasing={"years": 2, "capital_yuan_per_year": [1, "x"]})
    with pytest.raises(ScenarioError, match="'phasing.years' is not set, but per-year budgets are given"):
        sc.with_config(phasing={"capital_yuan_per_year": [1, "x"]})
    assert yearly_budgets(sc.with_config(phasing={"years": 2, "capital_yuan_per_year": "1_000; 2,000"}))[
        1
    ].tolist() == [
        1000.0,
        2000.0,
    ]
    folder = tmp_path / "sc"
    shutil.copytree(tiny.parent, folder)
    bad = folder / "bad.yaml"
    bad.write_text((folder / "scenario.yaml").read_text() + "phasing:\n  capital_yuan_per_year: [1, x]\n")
    r = CliRunner().invoke(main, ["validate", str(bad)])
    assert r.exit_code == 2 and "phasing.years" in r.output and "phasing.capital_yuan_per_year" in r.output
    with (folder / "scenario.yaml").open("a") as f:
        f.write("phasing:\n  years: 2\n  capital_yuan_per_year: [150000, 250000]\n")
    r = CliRunner().invoke(
        main, ["run", str(folder / "scenario.yaml"), "--out", str(tmp_path / "out"), "--no-maps"]
    )
    assert r.exit_code == 0, r.output
    import pandas as pd

    years = pd.read_csv(tmp_path / "out" / "phasing.csv")
    assert years["year"].tolist() == [1, 2]
    assert (years["capital_yuan_used"] <= years["capital_yuan_limit"] + 1e-6).all()
    assert "Year 1:" in r.output
    assert "分年度实施安排" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")


def test_walk_limit_change_for_a_format_nobody_new_reaches() -> None:
    # A walks 7 min to s1: the pharmacy (10 min) covers A, a convenience store (5 min) nobody.
    def sc(conv_minutes: float) -> qh.Scenario:
        return make_scenario(
            RES3[:1],
            SITES2[:1],
            {("A", "s1"): 7},
            formats={CONV: {"walk_minutes": conv_minutes}, "pharmacy": {"walk_minutes": 10}},
            budget={"capital_yuan": 1e6},
        )

    res = _solve(sc(5))
    (blocked,) = res.explain()["formats_blocked"]
    assert blocked["format"] == CONV and blocked["reasons"] == {"no resident would gain coverage": 1}
    (change,) = blocked["changes"]
    assert (change["kind"], change["amount"], change["walk_minutes_needed"]) == ("walk_limit", 2.0, 7.0)
    opened = _solve(sc(change["walk_minutes_needed"])).placements
    assert ("s1", CONV) in set(zip(opened["site_id"], opened["format"], strict=True))


def test_cli_run_with_no_capital_warns_and_exits_0(tiny, tmp_path) -> None:
    import shutil

    from click.testing import CliRunner

    from cli import main

    folder = tmp_path / "sc"
    shutil.copytree(tiny.parent, folder)
    text = (folder / "scenario.yaml").read_text().replace("capital_yuan: 400000", "capital_yuan: 0")
    (folder / "scenario.yaml").write_text(text)
    r = CliRunner().invoke(
        main, ["run", str(folder / "scenario.yaml"), "--out", str(tmp_path / "o"), "--no-maps"]
    )
    assert r.exit_code == 0, r.output
    assert "warning: the plan places nothing: the capital budget is 0 yuan" in r.output
