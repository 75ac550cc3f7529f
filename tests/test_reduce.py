"""Reductions before solving keep the optimum: brute force on small instances made to have duplicate
residences and sites, and the optimum of the full and the reduced model on small synthetic cities."""

from __future__ import annotations

import copy
import functools

import numpy as np
import pytest
from builders import make_scenario
from test_bruteforce import brute_force, random_instance, scenario_of

from optimizer.backends import backend_for
from optimizer.config import SolverConfig
from optimizer.model import REDUCTIONS, build_model, demand_pairs
from optimizer.model import reduce as red
from optimizer.reach import compute_reach
from optimizer.synthetic import synthetic_city

CONV = "convenience_store"
CFG = SolverConfig(name="highs", time_limit_s=60, mip_gap=0.0)  # threads as every other test


def _optimum(model) -> float:
    sol = backend_for("highs").solve(model.lp, CFG)
    assert sol.status == "optimal", sol.message
    return float(sol.objective)


def with_duplicates(inst: dict, seed: int) -> dict:
    """Copies of some residences (same walk minutes, other population) and of a site (same minutes),
    so that both reductions have something to remove."""
    rng = np.random.default_rng(seed)
    inst = copy.deepcopy(inst)
    for r in list(inst["residences"][:2]):
        twin = {**r, "id": r["id"] + "b", "population": float(rng.integers(200, 6000))}
        inst["residences"].append(twin)
        for (o, d), t in list(inst["minutes"].items()):
            if o == r["id"]:
                inst["minutes"][(twin["id"], d)] = t
    s = inst["sites"][0]
    twin_site = {
        **s,
        "id": "s9",
        "rent_yuan_per_m2_month": s["rent_yuan_per_m2_month"] + 10,
        "max_formats": np.nan,
    }
    inst["sites"].append(twin_site)
    for (o, d), t in list(inst["minutes"].items()):
        if d == s["id"]:
            inst["minutes"][(o, "s9")] = max(0.0, t - 1)
    return inst


@pytest.fixture(params=[False, True], ids=["ties kept", "ties dropped"])
def ties(request, monkeypatch):
    """Run with exact ties of dominated pairs kept (the default) and dropped."""
    import optimizer.model.build as build

    monkeypatch.setattr(build, "dominated_pairs", functools.partial(red.dominated_pairs, ties=request.param))
    return request.param


@pytest.mark.parametrize("seed", range(16))
def test_reduced_model_matches_brute_force(seed, ties) -> None:
    inst = with_duplicates(random_instance(seed), seed)
    sc = scenario_of(inst)
    reach = compute_reach(sc)
    full, reduced = build_model(sc, reach, reduce=False), build_model(sc, reach, reduce=REDUCTIONS)
    expected = brute_force(inst)
    assert _optimum(reduced) == pytest.approx(expected, rel=1e-6, abs=1e-6)
    assert _optimum(full) == pytest.approx(expected, rel=1e-6, abs=1e-6)
    assert reduced.model_size["after"]["cols"] <= reduced.model_size["before"]["cols"]


def test_reductions_remove_something_on_duplicated_instances(ties) -> None:
    removed = {"dominated_pairs": 0, "merge_demand": 0}
    for seed in range(8):
        sc = scenario_of(with_duplicates(random_instance(seed), seed))
        for r in build_model(sc, compute_reach(sc), reduce=REDUCTIONS).model_size["reductions"]:
            removed[r["name"]] += r["removed_cols"]
    assert removed["dominated_pairs"] > 0 and removed["merge_demand"] > 0


CITY_VARIANTS = {
    "plain": {},
    "partial credit, elderly, mandates": {
        "partial_credit": {"factor": 1.5, "credit": 0.5},
        "walk": {"elderly_speed_m_per_s": 0.8},
        "mandates": [
            {"group": "old_neighbourhood", "formats": ["pharmacy"], "min_share": 0.2},
            {"group": "priority", "formats": ["pharmacy", "breakfast"], "min_share": 0.1},
        ],
    },
    "viability": {"viability": {"enabled": True}, "subsidy": {"share_of_rent": 0.5}},
}


@pytest.mark.parametrize("variant", list(CITY_VARIANTS))
@pytest.mark.parametrize("seed", [0, 1])
def test_reduced_and_full_models_have_the_same_optimum(variant, seed) -> None:
    sc = synthetic_city(
        80,
        18,
        formats=("pharmacy", "breakfast"),
        size_km=1.5,
        seed=seed,
        budget={"capital_yuan": 400_000, "rent_subsidy_yuan_per_year": 100_000},
        **CITY_VARIANTS[variant],
    )
    reach = compute_reach(sc)
    full, reduced = build_model(sc, reach, reduce=False), build_model(sc, reach, reduce=REDUCTIONS)
    assert _optimum(reduced) == pytest.approx(_optimum(full), rel=1e-7, abs=1e-6)
    assert _optimum(build_model(sc, reach)) == pytest.approx(_optimum(full), rel=1e-7, abs=1e-6)
    size = reduced.model_size
    assert size["after"]["cols"] == reduced.lp.n_cols and size["after"]["rows"] == reduced.lp.n_rows
    assert size["after"]["nnz"] == reduced.lp.A.nnz
    assert size["before"]["cols"] == full.lp.n_cols and size["before"]["nnz"] == full.lp.A.nnz
    removed = sum(r["removed_nnz"] for r in size["reductions"])
    assert size["before"]["nnz"] - size["after"]["nnz"] == removed
    assert {r["name"] for r in size["reductions"]} == {"dominated_pairs", "merge_demand"}


def test_merged_classes_hold_units_with_identical_reach() -> None:
    sc = synthetic_city(
        300,
        30,
        formats=("pharmacy", "breakfast"),
        size_km=1.0,
        seed=4,
        partial_credit={"factor": 1.5, "credit": 0.5},
    )
    reach = compute_reach(sc)
    m = build_model(sc, reach)
    y0, z0 = demand_pairs(sc, reach, m.x)
    pop = reach.demand["population"].to_numpy(float)
    for block, table, unmerged in (("y", m.y, y0), ("z", m.z, z0)):
        mem = m.members(block)
        assert len(mem.indptr) == len(table) + 1
        assert mem.sizes.sum() == len(unmerged) and len(table) < len(unmerged)
        for key in sc.formats.index:
            rows = np.flatnonzero((table["format"] == key).to_numpy())
            units = mem.of(rows)
            assert sorted(units) == sorted(unmerged.loc[unmerged["format"] == key, "unit"])
            fr = reach.formats[key]
            mat = fr.full if block == "y" else fr.partial
            cols = m.x.loc[m.x["format"] == key, "site_pos"].to_numpy()
            for r in rows:
                us = mem.of(np.array([r]))
                assert us[0] == table.at[r, "unit"]
                sub = mat[us][:, cols].toarray()
                assert (sub == sub[0]).all()
            assert table.loc[rows, "population"].sum() == pytest.approx(pop[units].sum())
        assert table["coef"].sum() == pytest.approx(unmerged["coef"].sum())


def test_units_with_the_same_reach_are_one_class_wherever_they_stand() -> None:
    import scipy.sparse as sp

    rng = np.random.default_rng(7)
    sets = rng.random((400, 60)) < 0.3
    dense = sets[rng.integers(0, 400, 5_000)]  # each set at many rows, far apart
    cls = red._classes([sp.csr_array(dense)], np.zeros(len(dense), dtype=np.int64))
    distinct, inverse = np.unique(dense, axis=0, return_inverse=True)
    # one class per distinct set, exactly: the same rows together as np.unique puts them
    assert cls.max() + 1 == len(distinct)
    assert len(set(zip(cls.tolist(), inverse.ravel().tolist(), strict=True))) == len(distinct)


def test_classes_are_exact_when_hashes_collide(monkeypatch) -> None:
    rng = np.random.default_rng(0)
    import scipy.sparse as sp

    dense = rng.random((60, 6)) < 0.4
    dense[30:] = dense[:30]  # every set twice
    m = sp.csr_array(dense)
    monkeypatch.setattr(red, "_row_hash", lambda m, salt: np.zeros(m.shape[0], dtype=np.uint64))
    cls = red._classes([m], np.zeros(60, dtype=np.int64))
    for a in range(60):
        for b in range(60):
            assert (cls[a] == cls[b]) == bool((dense[a] == dense[b]).all())


RES = [{"id": "A", "population": 1000}, {"id": "B", "population": 2000}]


def _two_sites(s1: dict, s2: dict, minutes: dict, formats=(CONV,)) -> tuple:
    sites = [
        {"id": "s1", "floor_area_m2": 500, "rent_yuan_per_m2_month": 100, **s1},
        {"id": "s2", "floor_area_m2": 500, "rent_yuan_per_m2_month": 100, **s2},
    ]
    sc = make_scenario(RES, sites, minutes, formats=list(formats), budget={"capital_yuan": 1e7})
    reach = compute_reach(sc)
    return sc, reach


def _dropped(sc, reach, **kw) -> set[tuple[str, str]]:
    from optimizer.model import site_format_pairs

    x = site_format_pairs(sc, reach)
    x = x[x["reason"] == ""].reset_index(drop=True)
    by, _ = red.dominated_pairs(sc, reach, x, **kw)
    drop = by >= 0
    return set(zip(x.loc[drop, "site_id"], x.loc[drop, "format"], strict=True))


def test_dominated_pair_is_dropped_unless_the_dominating_site_has_per_site_rows() -> None:
    m = {("A", "s1"): 1, ("B", "s1"): 1, ("A", "s2"): 1}
    assert _dropped(*_two_sites({}, {}, m)) == {("s2", CONV)}
    # s1 may host only one of two formats: it cannot always take s2's place.
    sc, reach = _two_sites({"max_formats": 1}, {}, m, formats=(CONV, "pharmacy"))
    assert ("s2", CONV) not in _dropped(sc, reach)
    # ... nor when the two formats do not fit its floor area together.
    sc, reach = _two_sites({"floor_area_m2": 150}, {}, m, formats=(CONV, "pharmacy"))
    assert ("s2", CONV) not in _dropped(sc, reach)
    # A dearer fit-out is no domination.
    assert _dropped(*_two_sites({"fitout_yuan": 200_000}, {}, m)) == set()


def test_exact_ties_keep_the_lower_position_and_large_comparisons_are_skipped() -> None:
    m = {("A", "s1"): 1, ("B", "s1"): 1, ("A", "s2"): 1, ("B", "s2"): 2}
    sc, reach = _two_sites({}, {}, m)
    assert _dropped(sc, reach) == set()
    assert _dropped(sc, reach, ties=True) == {("s2", CONV)}
    from optimizer.model import site_format_pairs

    x = site_format_pairs(sc, reach)
    x = x[x["reason"] == ""].reset_index(drop=True)
    by, notes = red.dominated_pairs(sc, reach, x, max_overlap_nnz=0)
    assert (by < 0).all() and "skipped" in notes[0]


def test_infeasibility_diagnosis_is_the_same_with_and_without_reductions(monkeypatch) -> None:
    import sys

    import optimizer as qh
    import optimizer.diagnose as diagnose

    solve_mod = sys.modules["optimizer.solve"]  # the package's ``solve`` attribute is the function

    sc = synthetic_city(
        150,
        20,
        formats=("pharmacy",),
        size_km=1.5,
        seed=2,
        budget={"capital_yuan": 400_000},
        mandates=[{"group": "old_neighbourhood", "formats": ["pharmacy"], "min_share": 0.95}],
    )
    reach = compute_reach(sc)
    reduced = qh.solve(sc, reach=reach)
    for mod in (diagnose, solve_mod):
        monkeypatch.setattr(mod, "build_model", functools.partial(build_model, reduce=False))
    full = qh.solve(sc, reach=reach)
    assert reduced.status == full.status == "infeasible"
    assert reduced.model.lp.n_cols < full.model.lp.n_cols
    a, b = reduced.diagnosis, full.diagnosis
    assert list(a["unreachable_residences"]) == list(b["unreachable_residences"])
    for col in ("best_share_within_budget", "max_share_any_budget", "capital_needed_yuan"):
        np.testing.assert_allclose(a[col].to_numpy(float), b[col].to_numpy(float), rtol=1e-6)


def test_a_start_with_a_dominated_placement_opens_the_pair_that_dominates_it() -> None:
    import pandas as pd

    from optimizer.heuristic import chosen_from_placements, is_feasible, plan_values

    m = {("A", "s1"): 1, ("B", "s1"): 1, ("A", "s2"): 1}
    sc, reach = _two_sites({}, {}, m)
    model = build_model(sc, reach, reduce=REDUCTIONS)
    assert list(model.x["site_id"]) == ["s1"]
    assert model.dominated.to_dict("records") == [{"site_id": "s2", "format": CONV, "by_site_id": "s1"}]
    chosen = chosen_from_placements(model, pd.DataFrame({"site_id": ["s2"], "format": [CONV]}))
    assert chosen is not None and chosen.tolist() == [True]
    assert is_feasible(model, plan_values(sc, reach, model, chosen))
    assert chosen_from_placements(model, pd.DataFrame({"site_id": ["s3"], "format": [CONV]})) is None


def test_by_default_only_the_reductions_that_keep_what_if_resolves_exact() -> None:
    m = {("A", "s1"): 1, ("B", "s1"): 1, ("A", "s2"): 1}
    sc, reach = _two_sites({}, {}, m)
    # Forbidding s1 (as the removal losses do) must leave s2 to take its place.
    model = build_model(sc, reach)
    assert sorted(model.x["site_id"]) == ["s1", "s2"]
    assert [r["name"] for r in model.model_size["reductions"]] == ["merge_demand"]
    assert build_model(sc, reach, reduce=False).model_size["reductions"] == []
    with pytest.raises(ValueError, match="unknown reductions"):
        build_model(sc, reach, reduce=["nope"])
