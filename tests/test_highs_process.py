"""HiGHS's MIP in a process of its own: the same answer as in this process, and stopped at the
deadline with its best plan where HiGHS would not stop itself."""

from __future__ import annotations

import importlib
import sys
import time

import numpy as np
import pytest

import optimizer as qh
import optimizer.backends.highs_process as hp
from optimizer.backends.base import FEASIBLE, NO_SOLUTION, OPTIMAL, SolverConfig
from optimizer.backends.highs import HighsBackend
from optimizer.backends.highs_process import HighsProcessBackend
from optimizer.deadline import Deadline
from optimizer.heuristic import greedy_start
from optimizer.lp import LinearProgram
from optimizer.model import build_model
from optimizer.reach import compute_reach
from optimizer.synthetic import synthetic_city

solve_mod = importlib.import_module("optimizer.solve")  # the package's solve() shadows the module


@pytest.fixture(scope="module")
def city():
    sc = synthetic_city(400, 80, formats=("convenience_store", "pharmacy"), seed=4)
    reach = compute_reach(sc)
    model = build_model(sc, reach)
    return model.lp, greedy_start(sc, reach, model)


def test_a_program_saved_and_loaded_is_the_same(city, tmp_path) -> None:
    lp, start = city
    lp.save(tmp_path / "lp.npz", start=start)
    back, extra = LinearProgram.load(tmp_path / "lp.npz")
    assert back.sense == lp.sense and (back.A != lp.A).nnz == 0
    for name in ("c", "lb", "ub", "integer", "row_lb", "row_ub"):
        assert np.array_equal(getattr(back, name), getattr(lp, name)), name
    assert set(extra) == {"start"} and np.array_equal(extra["start"], start)


def test_the_mip_in_its_own_process_answers_as_in_this_one(city) -> None:
    lp, start = city
    config = SolverConfig(time_limit_s=60, mip_gap=0.0)
    here = HighsBackend().solve(lp, config, start=start)
    reports: list[object] = []
    there = HighsProcessBackend().solve(lp, config, start=start, progress=reports.append)
    assert here.status == there.status == OPTIMAL
    assert there.objective == pytest.approx(here.objective, rel=1e-12)
    assert there.bound == pytest.approx(here.bound, rel=1e-9)
    assert lp.is_feasible(there.values) and float(lp.c @ there.values) == pytest.approx(there.objective)


_STUCK = (
    "import sys, time, numpy as np; np.save(sys.argv[1] + '/incumbent.npy', np.array({})); time.sleep(60)"
)


def test_a_mip_that_outlives_its_deadline_is_stopped_with_its_best_plan(city, monkeypatch) -> None:
    lp, start = city
    better = start.copy()  # a plan "found by HiGHS": the start itself, handed back from the process
    stuck = _STUCK.format(better.tolist())
    monkeypatch.setattr(HighsProcessBackend, "command", (sys.executable, "-c", stuck))
    monkeypatch.setattr(hp, "GRACE_S", 0.5)
    t = time.perf_counter()
    sol = HighsProcessBackend().solve(lp, SolverConfig(time_limit_s=1.0), start=start, deadline=Deadline(1.0))
    took = time.perf_counter() - t
    assert 1.5 <= took < 1.5 + 1.0
    assert sol.status == FEASIBLE and np.array_equal(sol.values, better)
    assert sol.objective == pytest.approx(float(lp.c @ better)) and sol.bound is None
    assert sol.message == "HiGHS did not stop at the time limit: its process was stopped"


def test_a_stopped_mip_keeps_the_last_bound_it_reported_and_the_start_without_a_plan(city, tmp_path) -> None:
    lp, start = city
    obj = float(lp.c @ start)
    last = hp.Progress("solving", 3.0, obj, obj * 1.1, 0.1)
    sol = hp._stopped(lp, tmp_path, start, last, 4.0)  # no improving plan written: the start
    assert sol.status == FEASIBLE and np.array_equal(sol.values, start)
    assert sol.bound == pytest.approx(obj * 1.1) and sol.gap == pytest.approx(0.1)
    wrong = hp.Progress("solving", 3.0, obj, obj * 0.9, None)  # a bound below the plan proves nothing
    assert hp._stopped(lp, tmp_path, start, wrong, 4.0).bound is None
    assert hp._stopped(lp, tmp_path, None, last, 4.0).status == NO_SOLUTION


def test_a_large_models_mip_runs_in_a_process_with_the_same_optimum(monkeypatch) -> None:
    sc = synthetic_city(
        300, 60, formats=("convenience_store", "pharmacy"), seed=5, objective={"tie_break": "none"}
    )
    plain = qh.solve(sc, solver="highs")
    assert plain.status == "optimal"
    monkeypatch.setattr(solve_mod, "FIRST_ORDER_MIN_NNZ", 0)  # as if it were a district
    used: list[HighsProcessBackend] = []
    real = HighsProcessBackend.solve

    def recording(self, *args, **kw):  # type: ignore[no-untyped-def]
        used.append(self)
        return real(self, *args, **kw)

    monkeypatch.setattr(HighsProcessBackend, "solve", recording)
    res = qh.solve(sc, solver="highs")
    assert len(used) == 1 and res.status == "optimal"
    assert res.objective == pytest.approx(plain.objective, rel=1e-12)
