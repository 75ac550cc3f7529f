"""Small random instances: the solver's optimum equals a brute force over every set of placements.

The brute force below is written from the formulation alone (no model code): it enumerates every subset
of (site, format) pairs, keeps the feasible ones and scores them.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from builders import make_scenario
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optimizer as qh
from optimizer.backends.registry import EXACT_SOLVERS
from optimizer.catalog import BY_KEY

FORMATS = ["convenience_store", "breakfast", "pharmacy"]


def random_instance(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    n_res, n_sites = int(rng.integers(3, 7)), int(rng.integers(2, 4))
    fmts = list(rng.choice(FORMATS, size=2, replace=False))
    residences = [
        {
            "id": f"r{i}",
            "population": float(rng.integers(200, 6000)),
            "old_neighbourhood": bool(rng.random() < 0.3),
            "affordable_housing": bool(rng.random() < 0.2),
        }
        for i in range(n_res)
    ]
    sites = [
        {
            "id": f"s{j}",
            "floor_area_m2": float(rng.choice([50, 90, 130, 200])),
            "rent_yuan_per_m2_month": float(rng.integers(40, 160)),
            "max_formats": float(rng.choice([1, 2])) if rng.random() < 0.3 else np.nan,
        }
        for j in range(n_sites)
    ]
    outlets = [{"id": "o0", "format": str(rng.choice(fmts))}] if rng.random() < 0.5 else []
    minutes = {}
    for r in residences:
        for d in [s["id"] for s in sites] + [o["id"] for o in outlets]:
            if rng.random() < 0.7:
                minutes[(r["id"], d)] = float(rng.integers(0, 13))
    partial = {"factor": 1.5, "credit": 0.4} if rng.random() < 0.3 else {}
    return {
        "residences": residences,
        "sites": sites,
        "outlets": outlets,
        "minutes": minutes,
        "formats": fmts,
        "budget": {
            "capital_yuan": float(rng.integers(100_000, 500_000)),
            "rent_subsidy_yuan_per_year": float(rng.choice([0, 20_000, 80_000])),
        },
        "viability": {"enabled": bool(rng.random() < 0.6)},
        "subsidy": {"share_of_rent": float(rng.choice([0.3, 0.5, 1.0]))},
        "priority": {"old_neighbourhood": 1.5, "affordable_housing": 1.2},
        "partial_credit": partial,
    }


def brute_force(inst: dict) -> float:
    res, sites, outs = inst["residences"], inst["sites"], inst["outlets"]
    m = inst["minutes"]
    fmts = inst["formats"]
    pc = inst["partial_credit"]
    share = inst["subsidy"]["share_of_rent"]
    prio = {
        r["id"]: (1.5 if r["old_neighbourhood"] else 1.0) * (1.2 if r["affordable_housing"] else 1.0)
        for r in res
    }
    pop = {r["id"]: r["population"] for r in res}

    def credit(t: float, lim: float) -> float:
        if t <= lim:
            return 1.0
        if pc and t <= lim * pc["factor"]:
            return pc["credit"]
        return 0.0

    def best_credit(rid: str, dests: list[str], lim: float) -> float:
        return max([credit(m[(rid, d)], lim) for d in dests if (rid, d) in m] + [0.0])

    before = {
        (r["id"], f): best_credit(
            r["id"], [o["id"] for o in outs if o["format"] == f], BY_KEY[f].walk_minutes
        )
        for r in res
        for f in fmts
    }
    pairs = [(s, f) for s in sites for f in fmts]
    best = 0.0
    for k in range(len(pairs) + 1):
        for combo in itertools.combinations(pairs, k):
            area, count, capital, subsidy, ok = {}, {}, 0.0, 0.0, True
            for s, f in combo:
                fmt = BY_KEY[f]
                area[s["id"]] = area.get(s["id"], 0) + fmt.area_m2
                count[s["id"]] = count.get(s["id"], 0) + 1
                capital += fmt.area_m2 * fmt.fitout_yuan_per_m2
                if inst["viability"]["enabled"]:
                    lim = fmt.walk_minutes
                    catch = 0.0
                    for r in res:
                        if m.get((r["id"], s["id"]), np.inf) <= lim:
                            n_out = sum(
                                1 for o in outs if o["format"] == f and m.get((r["id"], o["id"]), 99) <= lim
                            )
                            catch += r["population"] / (1 + n_out)
                    rent = 12 * s["rent_yuan_per_m2_month"] * fmt.area_m2
                    deficit = rent + fmt.opex_yuan_per_year - fmt.margin_yuan_per_resident_year * catch
                    if deficit > 1e-6:
                        if not fmt.micro_profit or deficit > share * rent + 1e-6:
                            ok = False
                        subsidy += deficit
            if not ok or capital > inst["budget"]["capital_yuan"] + 1e-6:
                continue
            if subsidy > inst["budget"]["rent_subsidy_yuan_per_year"] + 1e-6:
                continue
            if any(area[s["id"]] > s["floor_area_m2"] + 1e-9 for s, _ in combo):
                continue
            if any(not np.isnan(s["max_formats"]) and count[s["id"]] > s["max_formats"] for s, _ in combo):
                continue
            value = 0.0
            for f in fmts:
                opened = [s["id"] for s, g in combo if g == f] + [o["id"] for o in outs if o["format"] == f]
                for r in res:
                    after = best_credit(r["id"], opened, BY_KEY[f].walk_minutes)
                    value += prio[r["id"]] * pop[r["id"]] * (after - before[(r["id"], f)])
            best = max(best, value)
    return best


def scenario_of(inst: dict) -> qh.Scenario:
    cfg = {k: inst[k] for k in ("budget", "viability", "subsidy", "priority", "partial_credit")}
    sites = [{k: v for k, v in s.items() if not (k == "max_formats" and np.isnan(v))} for s in inst["sites"]]
    return make_scenario(
        inst["residences"], sites, inst["minutes"], outlets=inst["outlets"], formats=inst["formats"], **cfg
    )


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000))
def test_solver_matches_brute_force(seed: int) -> None:
    inst = random_instance(seed)
    res = qh.solve(scenario_of(inst))
    assert res.status == "optimal"
    expected = brute_force(inst)
    assert res.first.objective == pytest.approx(expected, rel=1e-6, abs=1e-6)
    assert res.objective_recomputed() == pytest.approx(expected, rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("seed", range(8))
def test_highs_and_cbc_agree(seed: int) -> None:
    sc = scenario_of(random_instance(1000 + seed))
    objs = {name: qh.solve(sc, solver=name).first.objective for name in EXACT_SOLVERS}
    assert objs["highs"] == pytest.approx(objs["cbc"], rel=1e-6, abs=1e-6)
    assert objs["highs"] == pytest.approx(objs["highs-pulp"], rel=1e-6, abs=1e-6)
