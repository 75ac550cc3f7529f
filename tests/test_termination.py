"""Honest termination: a time-limited run is never reported optimal; infeasible and empty models too."""

from __future__ import annotations

import numpy as np
import pytest

import optimizer as qh
from optimizer.backends import backend_for
from optimizer.backends.registry import EXACT_SOLVERS
from optimizer.config import SolverConfig
from optimizer.heuristic import greedy_start, is_feasible
from optimizer.model import build_model
from optimizer.reach import compute_reach
from optimizer.synthetic import synthetic_city


@pytest.fixture(scope="module")
def hard():
    sc = synthetic_city(
        4000, 500, seed=3, budget={"capital_yuan": 2_000_000}, objective={"tie_break": "none"}
    )
    reach = compute_reach(sc)
    return sc, reach, build_model(sc, reach)


@pytest.mark.slow
def test_time_limited_highs_is_feasible_with_a_gap() -> None:
    # This city takes HiGHS about a minute to prove optimal; its root LP takes about a second.
    sc = synthetic_city(
        2000, 300, seed=3, budget={"capital_yuan": 2_000_000}, objective={"tie_break": "none"}
    )
    res = qh.solve(sc, solver={"name": "highs", "time_limit_s": 8.0})
    s = res.summary()
    assert s["status"] == "feasible"
    assert s["mip_gap"] > 1e-4
    assert s["bound"] > s["objective"]
    assert res.exit_code == 0
    assert len(res.placements) > 0
    assert s["objective_recomputed"] == pytest.approx(s["objective"], rel=1e-6)


@pytest.mark.slow
def test_time_limited_runs_are_never_optimal(hard) -> None:
    sc, reach, model = hard
    res = qh.solve(sc, solver={"name": "highs", "time_limit_s": 1.0}, reach=reach)
    assert res.status == "feasible" and (res.first.gap is None or res.first.gap > 1e-4)
    sol = backend_for("cbc").solve(model.lp, SolverConfig(name="cbc", time_limit_s=2.0))
    assert sol.status in ("feasible", "no_solution")
    if sol.status == "feasible":
        assert sol.gap is None or sol.gap > 1e-4
        assert np.all(np.abs(sol.values[model.lp.integer] - np.round(sol.values[model.lp.integer])) < 1e-6)
    start = greedy_start(sc, reach, model)
    assert is_feasible(model, start)
    res = qh.solve(sc, solver={"name": "cbc", "time_limit_s": 2.0}, reach=reach)
    # CBC may stop inside its root LP before taking up the start: then the start is the incumbent.
    assert res.status == "feasible"
    assert res.first.gap is None or res.first.gap > 1e-4
    assert res.first.objective >= float(model.lp.c @ start) - 1e-6


def test_greedy_start_is_feasible_and_not_better_than_the_optimum() -> None:
    sc = synthetic_city(300, 40, seed=5, budget={"capital_yuan": 800_000})
    reach = compute_reach(sc)
    model = build_model(sc, reach)
    start = greedy_start(sc, reach, model)
    assert is_feasible(model, start)
    res = qh.solve(sc, reach=reach)
    assert res.status == "optimal"
    assert 0 < model.lp.c @ start <= res.first.objective + 1e-6


@pytest.mark.parametrize("solver", EXACT_SOLVERS)
def test_infeasible_is_reported_by_every_solver(solver) -> None:
    sc = synthetic_city(
        200,
        20,
        seed=2,
        budget={"capital_yuan": 150_000},
        mandates=[{"group": "all", "formats": ["pharmacy"], "min_share": 0.9}],
    )
    res = qh.solve(sc, solver=solver)
    assert res.status == "infeasible" and res.exit_code == 3
    d = res.diagnosis.iloc[0]
    assert not d["met_within_budget"] and d["best_share_within_budget"] < 0.9


@pytest.mark.parametrize("solver", ["cbc", "highs-pulp"])
def test_pulp_path_raises_no_deprecation_warning(tiny, solver) -> None:
    import warnings

    sc = qh.load_scenario(tiny)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = qh.solve(sc, solver=solver)
    assert res.status == "optimal"
    assert [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)] == []
