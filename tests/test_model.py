"""Hand-solvable instances, one or more per constraint family, with their known optima."""

from __future__ import annotations

import pandas as pd
import pytest
from builders import make_scenario

import optimizer as qh
from optimizer.backends.registry import EXACT_SOLVERS

CONV = "convenience_store"


def _one(sc: qh.Scenario, solver: str = "highs") -> qh.Result:
    res = qh.solve(sc, solver=solver)
    assert res.status == "optimal", res.summary()
    return res


def _placed(res: qh.Result) -> set[tuple[str, str]]:
    return set(zip(res.placements["site_id"], res.placements["format"], strict=True))


def test_tiny_scenario_known_optimum(tiny) -> None:
    res = _one(qh.load_scenario(tiny))
    # 2 of 3 stores fit the 400k budget; conv s1 + pharmacy s2 and conv s2 + pharmacy s1 both cover 10,500
    # weighted residents (r2 is old: x2); the tie-break picks the cheaper (s2's fit-out is 140k).
    assert res.first.objective == pytest.approx(10_500)
    assert _placed(res) == {("s1", CONV), ("s2", "pharmacy")}
    s = res.summary()
    assert s["budget"]["capital_yuan_used"] == pytest.approx(290_000)
    assert s["formats"][CONV]["covered_before"] == pytest.approx(500)
    assert s["formats"][CONV]["covered_after"] == pytest.approx(3_500)
    assert s["formats"]["pharmacy"]["covered_after"] == pytest.approx(3_500)


RES3 = [{"id": "A", "population": 1000}, {"id": "B", "population": 2000}, {"id": "C", "population": 1500}]
SITES2 = [
    {"id": "s1", "floor_area_m2": 200, "rent_yuan_per_m2_month": 100},
    {"id": "s2", "floor_area_m2": 200, "rent_yuan_per_m2_month": 100},
]
M3 = {("A", "s1"): 2, ("B", "s1"): 4, ("B", "s2"): 3, ("C", "s2"): 5}


@pytest.mark.parametrize(
    ("capital", "objective", "placed"),
    [
        (149_999, 0, set()),
        (150_000, 3_500, {("s2", CONV)}),
        (300_000, 4_500, {("s1", CONV), ("s2", CONV)}),
    ],
)
def test_cover_and_capital(capital, objective, placed) -> None:
    sc = make_scenario(RES3, SITES2, M3, formats=[CONV], budget={"capital_yuan": capital})
    res = _one(sc)
    assert res.first.objective == pytest.approx(objective)
    assert _placed(res) == placed


def test_walk_limit_is_inclusive_and_strict_beyond() -> None:
    m = {("A", "s1"): 5.0, ("B", "s1"): 5.01}
    sc = make_scenario(RES3[:2], SITES2[:1], m, formats=[CONV], budget={"capital_yuan": 1e6})
    assert _one(sc).first.objective == pytest.approx(1000)


def test_floor_area_hosts_several_formats() -> None:
    # 150 m2: breakfast (40) + pharmacy (80) or conv (100) + breakfast fit; conv + pharmacy (180) does not.
    sites = [{"id": "s1", "floor_area_m2": 150, "rent_yuan_per_m2_month": 100}]
    m = {("A", "s1"): 1}
    sc = make_scenario(
        RES3[:1],
        sites,
        m,
        formats={CONV: {}, "breakfast": {}, "pharmacy": {"weight": 2.0}},
        budget={"capital_yuan": 1e7},
    )
    res = _one(sc)
    assert res.first.objective == pytest.approx(3000)
    assert _placed(res) == {("s1", "breakfast"), ("s1", "pharmacy")}


def test_allowed_and_max_formats() -> None:
    sites = [
        {"id": "s1", "floor_area_m2": 500, "rent_yuan_per_m2_month": 100, "allowed_formats": "便利店"},
        {"id": "s2", "floor_area_m2": 500, "rent_yuan_per_m2_month": 100, "max_formats": 1},
    ]
    m = {("A", "s1"): 1, ("A", "s2"): 1}
    sc = make_scenario(RES3[:1], sites, m, formats=[CONV, "pharmacy"], budget={"capital_yuan": 1e7})
    res = _one(sc)
    assert res.first.objective == pytest.approx(2000)
    assert _placed(res) == {("s1", CONV), ("s2", "pharmacy")}
    assert ("s1", "pharmacy", "format not allowed at this site") in set(
        map(tuple, res.model.excluded[["site_id", "format", "reason"]].to_numpy())
    )


def _breakfast(pop: float, subsidy_budget: float) -> qh.Result:
    # breakfast: 40 m2 at 100 yuan/m2/month -> rent 48,000/yr; opex 150,000; margin 35/resident/yr.
    sites = [{"id": "s1", "floor_area_m2": 100, "rent_yuan_per_m2_month": 100}]
    sc = make_scenario(
        [{"id": "A", "population": pop}],
        sites,
        {("A", "s1"): 1},
        formats=["breakfast"],
        budget={"capital_yuan": 1e6, "rent_subsidy_yuan_per_year": subsidy_budget},
        viability={"enabled": True},
        subsidy={"share_of_rent": 0.5},
    )
    return _one(sc)


def test_viability_needs_subsidy_and_gets_exactly_the_deficit() -> None:
    # 5,000 residents: margin 175,000 < 198,000 -> deficit 23,000 <= half the rent (24,000).
    assert len(_breakfast(5000, 0).placements) == 0
    res = _breakfast(5000, 30_000)
    assert res.first.objective == pytest.approx(5000)
    assert res.placements["subsidy_yuan_per_year"].iloc[0] == pytest.approx(23_000)
    # 6,000 residents: margin 210,000 pays for itself; no subsidy.
    res = _breakfast(6000, 30_000)
    assert res.placements["subsidy_yuan_per_year"].iloc[0] == pytest.approx(0)
    # 4,900 residents: deficit 26,500 > half the rent: never viable, whatever the budget.
    res = _breakfast(4900, 1e6)
    assert len(res.placements) == 0
    assert res.model.excluded["reason"].str.startswith("not viable").all()


def test_unsubsidised_format_is_not_rescued() -> None:
    # convenience store: rent 120,000 + opex 260,000 vs margin 120 x 3,000 = 360,000; not a subsidised format.
    sites = [{"id": "s1", "floor_area_m2": 100, "rent_yuan_per_m2_month": 100}]
    sc = make_scenario(
        [{"id": "A", "population": 3000}],
        sites,
        {("A", "s1"): 1},
        formats=[CONV],
        budget={"capital_yuan": 1e6, "rent_subsidy_yuan_per_year": 1e6},
        viability={"enabled": True},
    )
    assert len(_one(sc).placements) == 0


def test_catchment_is_shared_with_existing_outlets() -> None:
    # A (1,000, uncovered) and B (7,000, already near n existing stores) both reach s1. B's custom is shared
    # equally: catchment 1,000 + 7,000 / (1 + n). Margin 120 x catchment must pay rent 120,000 + opex 260,000.
    sites = [{"id": "s1", "floor_area_m2": 100, "rent_yuan_per_m2_month": 100}]
    for n_out, opens in ((1, True), (2, True), (3, False)):  # catchments 4,500 / 3,333 / 2,750
        outlets = [{"id": f"o{k}", "format": CONV} for k in range(n_out)]
        m = {("A", "s1"): 1, ("B", "s1"): 1, **{("B", f"o{k}"): 2 for k in range(n_out)}}
        sc = make_scenario(
            [{"id": "A", "population": 1000}, {"id": "B", "population": 7000}],
            sites,
            m,
            outlets=outlets,
            formats=[CONV],
            budget={"capital_yuan": 1e6},
            viability={"enabled": True},
        )
        res = _one(sc)
        assert len(res.placements) == int(opens)
        assert res.first.objective == pytest.approx(1000 if opens else 0)
        if opens:
            assert res.placements["catchment"].iloc[0] == pytest.approx(1000 + 7000 / (1 + n_out))
        else:
            assert res.model.excluded["reason"].iloc[0].startswith("not viable")


def test_partial_credit() -> None:
    m = {("A", "s1"): 7, ("B", "s2"): 3}
    for pop_a, expected, site in ((1000, 1000, "s2"), (3000, 1500, "s1")):
        res_ = [{"id": "A", "population": pop_a}, {"id": "B", "population": 1000}]
        sc = make_scenario(
            res_,
            SITES2,
            m,
            formats=[CONV],
            budget={"capital_yuan": 150_000},
            partial_credit={"factor": 2.0, "credit": 0.5},
        )
        res = _one(sc)
        assert res.first.objective == pytest.approx(expected)
        assert _placed(res) == {(site, CONV)}


def test_priority_weights_old_neighbourhoods() -> None:
    res_ = [{"id": "A", "population": 1000, "old_neighbourhood": True}, {"id": "B", "population": 1500}]
    m = {("A", "s1"): 1, ("B", "s2"): 1}
    sc = make_scenario(
        res_, SITES2, m, formats=[CONV], budget={"capital_yuan": 150_000}, priority={"old_neighbourhood": 2.0}
    )
    res = _one(sc)
    assert res.first.objective == pytest.approx(2000)
    assert _placed(res) == {("s1", CONV)}


def test_mandate_forces_the_old_neighbourhood() -> None:
    res_ = [{"id": "A", "population": 5000}, {"id": "B", "population": 1000, "old_neighbourhood": True}]
    m = {("A", "s1"): 1, ("B", "s2"): 1}
    base = {"formats": [CONV], "budget": {"capital_yuan": 150_000}, "priority": {"old_neighbourhood": 1.0}}
    assert _placed(_one(make_scenario(res_, SITES2, m, **base))) == {("s1", CONV)}
    mand = [{"group": "old_neighbourhood", "formats": ["便利店"], "min_share": 1.0}]
    res = _one(make_scenario(res_, SITES2, m, mandates=mand, **base))
    assert _placed(res) == {("s2", CONV)}
    assert res.first.objective == pytest.approx(1000)


def test_infeasible_mandate_is_diagnosed() -> None:
    res_ = [{"id": "A", "population": 5000}, {"id": "B", "population": 1000, "old_neighbourhood": True}]
    # Nobody reaches B: no budget can meet the old-neighbourhood floor.
    sc = make_scenario(
        res_,
        SITES2,
        {("A", "s1"): 1},
        formats=[CONV],
        budget={"capital_yuan": 150_000},
        mandates=[{"group": "old_neighbourhood", "formats": [CONV], "min_share": 0.5}],
    )
    res = qh.solve(sc)
    assert res.status == "infeasible" and res.exit_code == 3
    d = res.diagnosis.iloc[0]
    assert d["max_share_any_budget"] == pytest.approx(0.0)
    assert d["unreachable_residences"] == "B"
    # Everyone must be covered but the budget pays for one store: 300,000 would do.
    m = {("A", "s1"): 1, ("B", "s2"): 1}
    sc = make_scenario(
        res_,
        SITES2,
        m,
        formats=[CONV],
        budget={"capital_yuan": 150_000},
        mandates=[{"group": "all", "formats": [CONV], "min_share": 1.0}],
    )
    res = qh.solve(sc)
    assert res.status == "infeasible"
    d = res.diagnosis.iloc[0]
    assert d["best_share_within_budget"] == pytest.approx(5000 / 6000)
    assert d["max_share_any_budget"] == pytest.approx(1.0)
    assert d["capital_needed_yuan"] == pytest.approx(300_000)


def test_tie_break_takes_the_least_public_money() -> None:
    sites = [
        {"id": "s1", "floor_area_m2": 200, "rent_yuan_per_m2_month": 100, "fitout_yuan": 200_000},
        {"id": "s2", "floor_area_m2": 200, "rent_yuan_per_m2_month": 100, "fitout_yuan": 100_000},
        {"id": "s3", "floor_area_m2": 200, "rent_yuan_per_m2_month": 100, "fitout_yuan": 120_000},
    ]
    m = {("A", "s1"): 1, ("A", "s2"): 1, ("A", "s3"): 1}
    sc = make_scenario(RES3[:1], sites, m, formats=[CONV], budget={"capital_yuan": 1e6})
    res = _one(sc)
    assert _placed(res) == {("s2", CONV)}
    assert res.summary()["budget"]["capital_yuan_used"] == pytest.approx(100_000)


def test_existing_outlets_cover_before() -> None:
    m = {("A", "s1"): 1, ("B", "s1"): 1, ("A", "o1"): 3}
    sc = make_scenario(
        RES3[:2],
        SITES2[:1],
        m,
        outlets=[{"id": "o1", "format": "便利店"}],
        formats=[CONV],
        budget={"capital_yuan": 1e6},
    )
    res = _one(sc)
    assert res.first.objective == pytest.approx(2000)
    cov = res.coverage.set_index("residence_id")
    assert cov.loc["A", "minutes_before"] == 3 and cov.loc["A", "minutes_after"] == 1
    assert bool(cov.loc["A", "covered_before"]) and not bool(cov.loc["B", "covered_before"])


def test_elderly_walk_slower() -> None:
    # 1,000 residents, 30% elderly; 4 minutes at 1.2 m/s is 8 minutes at 0.6 m/s: only the 700 are covered.
    sc = make_scenario(
        [{"id": "A", "population": 1000, "elderly_share": 0.3}],
        SITES2[:1],
        {("A", "s1"): 4},
        formats=[CONV],
        budget={"capital_yuan": 1e6},
        walk={"speed_m_per_s": 1.2, "elderly_speed_m_per_s": 0.6},
    )
    res = _one(sc)
    assert res.first.objective == pytest.approx(700)
    cov = res.coverage.set_index("group")
    assert cov.loc["elderly", "minutes_after"] == pytest.approx(8)
    assert not bool(cov.loc["elderly", "covered_after"])


@pytest.mark.parametrize("solver", EXACT_SOLVERS)
def test_every_solver_finds_the_tiny_optimum(tiny, solver) -> None:
    res = _one(qh.load_scenario(tiny), solver)
    assert res.first.objective == pytest.approx(10_500)
    assert res.first.gap == pytest.approx(0, abs=1e-6)
    assert _placed(res) == {("s1", CONV), ("s2", "pharmacy")}


def test_frames_indexed_by_the_users_ids() -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    res = gpd.GeoDataFrame(
        {"population": [3000, 2000]},
        geometry=[Point(121.47, 31.23), Point(121.471, 31.23)],
        index=pd.Index(["北京东路1号", "北京东路2号"], name="residence"),
        crs=4326,
    )
    sites = gpd.GeoDataFrame(
        {"floor_area_m2": [120.0], "rent_yuan_per_m2_month": [150.0]},
        geometry=[Point(121.4705, 31.2301)],
        index=["空置铺面A"],
        crs=4326,
    )
    sc = qh.Scenario.from_frames(res, sites, None, {"formats": ["便利店"], "budget": {"capital_yuan": 2e5}})
    out = qh.solve(sc)
    assert list(out.placements["site_id"]) == ["空置铺面A"]
    assert set(out.coverage["residence_id"]) == {"北京东路1号", "北京东路2号"}
    # viable: margin 120 x 5,000 = 600,000 >= rent 180,000 + operating cost 260,000
    assert out.first.objective == pytest.approx(5000)


def test_a_given_start_plan_is_used_and_changes_no_optimum(tiny) -> None:
    sc = qh.load_scenario(tiny)
    base = qh.solve(sc)
    again = qh.solve(sc, start=base.placements)
    assert again.first.objective == pytest.approx(base.first.objective)
    # a start that names a pair this model cannot place is ignored, not an error
    bogus = pd.DataFrame({"site_id": ["no-such-site"], "format": ["convenience_store"]})
    assert qh.solve(sc, start=bogus).first.objective == pytest.approx(base.first.objective)
