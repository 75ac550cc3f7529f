"""The LP relaxation's bound: simplex and first-order answers, the side process beside a MIP, and how a
solve merges it (never a wrong bound, never a lost plan)."""

from __future__ import annotations

import importlib
import json
import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from test_lp import small_lp

import optimizer as qh
import optimizer.backends.relaxation as relax
from optimizer.backends.base import FEASIBLE, OPTIMAL, Solution
from optimizer.backends.relaxation import RelaxationBound, SideBound, relaxation_bound, tighter
from optimizer.deadline import Deadline
from optimizer.lp import LinearProgram
from optimizer.model import build_model
from optimizer.reach import compute_reach
from optimizer.synthetic import synthetic_city

solve_mod = importlib.import_module("optimizer.solve")  # the package's solve() shadows the module


@pytest.fixture(scope="module")
def city_lp():
    """A coverage model's LP and its relaxation's optimum (by HiGHS's simplex, exact)."""
    sc = synthetic_city(400, 80, formats=("convenience_store", "pharmacy"), seed=3)
    m = build_model(sc, compute_reach(sc))
    return m.lp, relaxation_bound(m.lp, Deadline(60)).bound


def test_simplex_gives_the_relaxations_optimum() -> None:
    out = relaxation_bound(small_lp(), Deadline(30))
    assert out.method == "simplex" and out.bound == pytest.approx(11.0)


def test_the_first_order_bound_is_valid_and_close(monkeypatch, city_lp) -> None:
    lp, optimum = city_lp
    monkeypatch.setattr(relax, "FIRST_ORDER_MIN_NNZ", 0)
    out = relaxation_bound(lp, Deadline(60))
    assert out.method == "pdlp"
    # a bound from PDLP's prices: never below the LP optimum, and near it at the tolerance used
    assert optimum - 1e-6 * optimum <= out.bound <= optimum * (1 + 10 * relax.FIRST_ORDER_TOLERANCE)


def test_the_side_process_returns_the_bound_and_is_stopped(city_lp) -> None:
    lp, optimum = city_lp
    side = SideBound(lp, Deadline(60)).start()
    out = side.result(timeout=60)
    assert out is not None and out.bound == pytest.approx(optimum, rel=1e-9)
    assert side._proc.poll() == 0 and not os.path.exists(side._dir.name)
    # a side computation that is not waited for is stopped: no answer, nothing left behind
    other = SideBound(lp, Deadline(60)).start()
    other.cancel()
    assert other._proc.poll() is not None and not os.path.exists(other._dir.name)


def _started_sides(monkeypatch) -> list[SideBound]:
    """Every SideBound started from here on, in order."""
    started: list[SideBound] = []
    real_start = SideBound.start

    def recording(self: SideBound) -> SideBound:
        started.append(self)
        return real_start(self)

    monkeypatch.setattr(SideBound, "start", recording)
    return started


def test_the_side_process_hands_over_the_relaxations_values(city_lp) -> None:
    lp, optimum = city_lp
    side = SideBound(lp, Deadline(60)).start()
    values = side.values(wait=60)
    relaxed = replace(lp, integer=np.zeros_like(lp.integer))
    # an optimal point of the relaxation (the windows' guide), and the process is left to end itself
    assert values is not None and float(lp.c @ values) == pytest.approx(optimum, rel=1e-9)
    assert relaxed.is_feasible(values, tol=1e-6)
    assert side.values() is values and side.result(timeout=5).bound == pytest.approx(optimum, rel=1e-9)
    # not yet computed: None at once, and the process keeps running
    other = SideBound(lp, Deadline(60)).start()
    assert other.values(wait=0.0) is None and other._proc.poll() is None
    other.cancel()
    assert other.values(wait=1.0) is None


def test_the_quick_answer_takes_its_bound_from_the_relaxation_beside_its_windows(
    monkeypatch, city_lp
) -> None:
    lp, optimum = city_lp
    sc = synthetic_city(
        400, 80, formats=("convenience_store", "pharmacy"), seed=3, objective={"tie_break": "none"}
    )
    monkeypatch.setattr(solve_mod, "LOCAL_SEARCH_MIN_NNZ", 0)  # as if windows improved its plan
    started = _started_sides(monkeypatch)
    shares: list[float] = []
    real_improve = solve_mod._improve_seconds

    def improve(model, config, deadline, regions, side=False):  # type: ignore[no-untyped-def]
        out = real_improve(model, config, deadline, regions, side)
        shares.append(out / deadline.left())
        return out

    monkeypatch.setattr(solve_mod, "_improve_seconds", improve)
    res = qh.solve(sc, solver={"name": "heuristic", "time_limit_s": 6.0})
    s = res.summary()
    assert len(started) == 1 and shares == [pytest.approx(solve_mod.HEURISTIC_SIDE_IMPROVE_SHARE, rel=0.01)]
    assert s["status"] == "feasible" and s["bound"] == pytest.approx(optimum, rel=1e-9)
    assert not os.path.exists(started[0]._dir.name)


def test_an_exact_solver_runs_no_mip_on_a_model_beyond_branch_and_bound(monkeypatch, city_lp) -> None:
    lp, optimum = city_lp
    sc = synthetic_city(
        400, 80, formats=("convenience_store", "pharmacy"), seed=3, objective={"tie_break": "none"}
    )
    monkeypatch.setattr(solve_mod, "MIP_MAX_NNZ", lp.A.nnz)  # as if this city were XL
    started = _started_sides(monkeypatch)
    res = qh.solve(sc, solver={"name": "highs", "time_limit_s": 6.0})
    s = res.summary()
    # the improved start, with the relaxation's bound computed here (no process beside, no MIP's copy)
    assert started == [] and res.first.solver == "heuristic"
    assert s["status"] == "feasible" and s["bound"] == pytest.approx(optimum, rel=1e-9)
    assert res.first.message.startswith(f"no branch and bound: {lp.A.nnz:,} nonzeros in one connected model")
    monkeypatch.setattr(solve_mod, "MIP_MAX_NNZ", lp.A.nnz + 1)  # one nonzero below: the MIP proves it
    assert qh.solve(sc, solver={"name": "highs", "time_limit_s": 60.0}).summary()["status"] == "optimal"


@pytest.mark.parametrize("windows", [False, True])
def test_highs_has_the_relaxation_beside_its_mip_only_once_windows_start(monkeypatch, windows) -> None:
    sc = synthetic_city(
        400, 80, formats=("convenience_store", "pharmacy"), seed=3, objective={"tie_break": "none"}
    )
    plain = qh.solve(sc, solver={"name": "highs", "time_limit_s": 60.0})
    monkeypatch.setattr(solve_mod, "LOCAL_SEARCH_MIN_NNZ", 0)  # as if windows ran beside its MIP
    started, made = _started_sides(monkeypatch), []
    real_side = solve_mod._side_bound
    monkeypatch.setattr(solve_mod, "_side_bound", lambda *a: made.append(real_side(*a)) or made[-1])

    def beside(lp, start, mip, improve, progress, *args):  # type: ignore[no-untyped-def]
        if windows:  # as when the MIP reports a wide gap: windows start before it returns
            improve(start, lambda: True, progress)
        return mip(progress)

    monkeypatch.setattr(solve_mod, "mip_with_windows", beside)
    res = qh.solve(sc, solver={"name": "highs", "time_limit_s": 60.0})
    # made at the start, started only for the windows (a MIP near its proof keeps both cores), and
    # nothing left behind either way
    assert len(made) == 1 and started == made[:windows] and not os.path.exists(made[0]._dir.name)
    assert res.status == "optimal" and res.objective == pytest.approx(plain.objective)


def _sol(obj: float, bound: float | None, status=FEASIBLE) -> Solution:
    gap = None if bound is None else abs(bound - obj) / obj
    return Solution(status, np.zeros(2), obj, bound, gap, 1.0, "highs", "time limit")


def test_tighter_keeps_the_better_bound_and_proves_only_within_the_gap() -> None:
    lp = small_lp()  # a maximisation
    side = RelaxationBound(11.0, "pdlp", 3.0)
    merged = tighter(_sol(10.0, 20.0), side, lp, mip_gap=1e-4, abs_gap=None)
    assert merged.bound == 11.0 and merged.gap == pytest.approx(0.1) and merged.status == FEASIBLE
    assert "LP relaxation" in merged.message
    assert tighter(_sol(10.0, None), side, lp, 1e-4, None).bound == 11.0  # the MIP had no bound
    assert tighter(_sol(10.0, 10.5), side, lp, 1e-4, None).bound == 10.5  # the MIP's is tighter
    # closing the gap proves the plan optimal, as the solver would have said
    assert tighter(_sol(11.0, 15.0), side, lp, 1e-4, None).status == OPTIMAL
    assert tighter(_sol(10.5, 15.0), side, lp, 1e-4, abs_gap=0.999).status == OPTIMAL
    assert tighter(_sol(10.5, 15.0), side, lp, 1e-4, abs_gap=0.25).status == FEASIBLE
    # a relaxation bound below the plan is a failed computation: ignored, not clamped into a proof
    assert tighter(_sol(10.0, 20.0), RelaxationBound(9.0, "pdlp", 3.0), lp, 1e-4, None).bound == 20.0
    mini = replace(lp, sense="min")
    assert tighter(_sol(10.0, 5.0), RelaxationBound(8.0, "pdlp", 3.0), mini, 1e-4, None).bound == 8.0


def test_a_solve_reports_the_relaxation_bound_when_the_mip_has_none(monkeypatch) -> None:
    sc = synthetic_city(
        300, 60, formats=("convenience_store", "pharmacy"), seed=5, objective={"tie_break": "none"}
    )
    plain = qh.solve(sc, solver="highs")
    assert plain.status == "optimal"
    monkeypatch.setattr(solve_mod, "FIRST_ORDER_MIN_NNZ", 0)
    # the MIP stops with its plan and no bound (as on a district whose root LP outlasts the limit)
    real = solve_mod.run_backend

    def stopped(*args, **kw):
        sol = real(*args, **kw)
        return replace(sol, status=FEASIBLE, bound=None, gap=None)

    monkeypatch.setattr(solve_mod, "run_backend", stopped)
    res = qh.solve(sc, solver="highs")
    lp_bound = relaxation_bound(res.model.lp, Deadline(60)).bound
    s = res.summary()
    assert res.objective == pytest.approx(plain.objective)
    assert s["bound"] == pytest.approx(lp_bound, rel=1e-9)
    assert s["bound"] >= res.objective


def test_the_quick_answer_takes_a_large_models_bound_from_a_process_it_can_stop(monkeypatch, city_lp) -> None:
    lp, optimum = city_lp
    monkeypatch.setattr(relax, "FIRST_ORDER_MIN_NNZ", 0)  # as if it were large (the process decides anew)
    started = _started_sides(monkeypatch)
    out = relax.bound_by_deadline(lp, Deadline(60))
    assert len(started) == 1 and out.bound == pytest.approx(optimum, rel=1e-9)
    # one that cannot answer within the time left (none, and no grace) is stopped there: no bound,
    # nothing left behind
    monkeypatch.setattr(relax, "GRACE_S", 0.0)
    stopped = relax.bound_by_deadline(lp, Deadline(0.0))
    assert stopped == RelaxationBound(None, "pdlp", stopped.seconds, "stopped at the time limit")
    assert started[1]._proc.poll() is not None and not os.path.exists(started[1]._dir.name)


def _random_lp(seed: int, sense: str) -> LinearProgram:
    """A feasible random LP with one-sided, ranged and equality rows (feasible: v0 satisfies every row)."""
    rng = np.random.default_rng(seed)
    m, n = 12, 20
    A = sp.random_array((m, n), density=0.4, rng=rng, format="csr") * 4 - sp.random_array(
        (m, n), density=0.2, rng=rng, format="csr"
    )
    A = sp.csr_array(A)
    v0 = rng.uniform(0, 1, n)
    act = A @ v0
    kind = rng.integers(0, 4, m)  # upper only, lower only, ranged, equality
    lo = np.where(kind == 0, -np.inf, act - rng.uniform(0, 1, m))
    hi = np.where(kind == 1, np.inf, act + rng.uniform(0, 1, m))
    lo = np.where(kind == 3, act, lo)
    hi = np.where(kind == 3, act, hi)
    c = rng.normal(size=n)
    return LinearProgram(sense, c, np.zeros(n), np.ones(n), np.zeros(n, dtype=bool), A, lo, hi)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("sense", ["max", "min"])
def test_the_smoothed_dual_bound_is_valid_and_close_on_random_lps(monkeypatch, seed, sense) -> None:
    lp = _random_lp(seed, sense)
    exact = relaxation_bound(lp, Deadline(30))
    assert exact.method == "simplex"
    monkeypatch.setattr(relax, "SMOOTHED_DUAL_MIN_NNZ", 0)
    out = relaxation_bound(lp, Deadline(1.0))
    assert out.method == "smoothed dual" and out.bound is not None
    sign = 1.0 if sense == "max" else -1.0
    slack = sign * (out.bound - exact.bound)
    assert slack >= -1e-7 * max(1.0, abs(exact.bound))  # never on the wrong side of the LP optimum
    assert slack <= 0.002 * max(1.0, abs(exact.bound))  # and near it


def test_the_smoothed_dual_bound_on_a_coverage_model_stops_at_the_deadline(monkeypatch, city_lp) -> None:
    lp, optimum = city_lp
    monkeypatch.setattr(relax, "SMOOTHED_DUAL_MIN_NNZ", 0)
    out = relax.bound_by_deadline(lp, Deadline(3.0))  # run here, not in a process of its own
    assert out.method == "smoothed dual" and out.seconds < 3.0 + relax.GRACE_S
    assert optimum * (1 - 1e-9) <= out.bound <= optimum * 1.01
    assert "evaluations of the dual function" in out.message


def test_the_side_process_ends_by_the_callers_deadline_however_long_the_model_took(
    monkeypatch, city_lp
) -> None:
    lp, optimum = city_lp
    monkeypatch.setattr(relax, "SMOOTHED_DUAL_MIN_NNZ", 0)  # a method that runs until its deadline
    side = SideBound(lp, Deadline(2.0))
    time.sleep(1.0)  # as if writing and reading a district's model took half the limit
    t0 = time.perf_counter()
    relax._main(side._dir.name)  # what the process runs, here
    took = time.perf_counter() - t0
    answer = json.loads((Path(side._dir.name) / "bound.json").read_text())
    side.cancel()
    # it stopped at the caller's deadline (one second on), not two seconds after it began
    assert took < 1.7 and answer["method"] == "smoothed dual"
    assert optimum * (1 - 1e-9) <= answer["bound"] <= optimum * 1.05


def test_the_smoothed_dual_bound_of_an_lp_without_rows_is_its_best_corner() -> None:
    from optimizer.backends.smoothed_dual import smoothed_dual_bound

    A = sp.csr_array((0, 3))
    lp = LinearProgram(
        "max",
        np.array([2.0, -1.0, 0.5]),
        np.zeros(3),
        np.array([1.0, 4.0, 2.0]),
        np.zeros(3, bool),
        A,
        [],
        [],
    )
    assert smoothed_dual_bound(lp, Deadline(1.0)) == (pytest.approx(3.0), "no rows")


@pytest.mark.parametrize("threads", [1, 2, 3, 50])
def test_the_smoothed_duals_products_by_blocks_of_rows_are_the_matrixs(threads) -> None:
    """Threads over ranges of rows (more threads than rows too) give ``A v`` and ``A^T p``, empty rows
    included."""
    from concurrent.futures import ThreadPoolExecutor

    from optimizer.backends.smoothed_dual import _Products

    rng = np.random.default_rng(threads)
    A = sp.csr_array(sp.random_array((40, 30), density=0.1, rng=rng, format="csr"))
    v, p = rng.normal(size=30), rng.normal(size=40)
    with ThreadPoolExecutor(threads) as pool:
        prod = _Products(A, threads, pool)
        cuts = [r0 for r0, _ in prod.rows] + [prod.rows[-1][1]]
        assert cuts[0] == 0 and cuts[-1] == 40 and cuts == sorted(set(cuts)) and len(prod.rows) <= threads
        assert (len(prod.rows) > 1) == (threads > 1)
        np.testing.assert_allclose(prod.times(v), A @ v, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(prod.transposed(p), A.T @ p, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("threads", [1, 3])
def test_the_quick_answers_smoothed_dual_runs_on_the_solvers_threads(monkeypatch, threads) -> None:
    """``solver.threads`` bounds the smoothed dual's threads too (it runs in the solving process)."""
    from optimizer.backends.heuristic import HeuristicBackend
    from optimizer.config import SolverConfig

    lp = _random_lp(0, "max")
    monkeypatch.setattr(relax, "SMOOTHED_DUAL_MIN_NNZ", 0)
    seen: list[int | None] = []
    real = relax.smoothed_dual_bound

    def spy(lp: LinearProgram, deadline: Deadline, threads: int | None = None) -> tuple[float | None, str]:
        seen.append(threads)
        return real(lp, deadline, threads)

    monkeypatch.setattr(relax, "smoothed_dual_bound", spy)
    sol = HeuristicBackend().solve(
        lp, SolverConfig(name="heuristic", threads=threads), np.zeros(lp.n_cols), Deadline(1.0)
    )
    assert seen == [threads] and sol.bound is not None and "smoothed dual" in sol.message


def test_a_smoothed_dual_stage_stalls_once_its_last_evaluations_hardly_tighten_the_bound() -> None:
    """Stalled: the bound STALL_EVALUATIONS evaluations ago is less than STALL_SHARE of it above the
    current one; never before that many evaluations were seen, nor on an infinite bound."""
    from collections import deque

    import optimizer.backends.smoothed_dual as sd

    k, share = sd.STALL_EVALUATIONS, sd.STALL_SHARE
    best, seen = sd._Best(), deque()
    for e, b in [(1, np.inf), (10, 1000.0), (k - 1, 1000.0)]:
        best.evaluations, best.bound = e, b
        assert not best.stalled(seen)  # not yet k evaluations since the first
    best.evaluations, best.bound = k + 10, 1000.0 * (1 - 2 * share)
    assert not best.stalled(seen)  # since evaluation 10 (1000): tightened by two shares
    best.evaluations, best.bound = 2 * k + 9, 1000.0 * (1 - 2.5 * share)
    assert not best.stalled(seen)  # since evaluation k - 1 (1000): by two and a half
    best.evaluations = 2 * k + 10
    assert best.stalled(seen)  # since evaluation k + 10: by half a share
    assert [e for e, _ in seen][0] == k + 10  # older points than needed are dropped


def test_the_smoothed_dual_leaves_a_stalled_stage_for_the_next_but_never_the_last(monkeypatch) -> None:
    """With every stage stalled at once, each but the last ends after its first iteration; the last is
    never cut short by a stall (here it runs 220 evaluations, until L-BFGS-B stops, then finer widths)."""
    import optimizer.backends.smoothed_dual as sd

    lp = _random_lp(3, "max")
    widths: list[float] = []
    real = sd._Dual.__call__

    def spy(self, theta: np.ndarray, mu: float) -> tuple[float, np.ndarray]:
        widths.append(mu)
        return real(self, theta, mu)

    monkeypatch.setattr(sd._Dual, "__call__", spy)
    monkeypatch.setattr(sd, "STAGES", ((0.1, 0.5), (0.01, 0.3), (0.001, 0.2)))
    monkeypatch.setattr(sd._Best, "stalled", lambda self, seen: True)
    t0 = time.perf_counter()
    bound, _ = sd.smoothed_dual_bound(lp, Deadline(1.0), threads=1)
    assert bound is not None and time.perf_counter() - t0 < 1.0 + relax.GRACE_S
    first = {mu: widths.index(mu) for mu in (0.1, 0.01, 0.001)}
    # one iteration (a few evaluations) at each of the first two widths, then the last one's
    assert first[0.01] < 10 and first[0.001] - first[0.01] < 10
    assert widths.count(0.001) > 10 * (widths.count(0.1) + widths.count(0.01))


def test_the_smoothed_dual_logs_its_best_bound_every_so_many_evaluations(monkeypatch, caplog) -> None:
    """Debug lines every LOG_EVERY evaluations; the bound they show never loosens and never passes the LP
    optimum (a maximisation)."""
    import logging
    import re

    import optimizer.backends.smoothed_dual as sd

    lp = _random_lp(1, "max")
    optimum = relaxation_bound(lp, Deadline(30)).bound
    monkeypatch.setattr(sd, "LOG_EVERY", 7)
    with caplog.at_level(logging.DEBUG, logger=sd.__name__):
        bound, how = sd.smoothed_dual_bound(lp, Deadline(0.5), threads=1)
    lines = [
        re.fullmatch(r"smoothed dual: [\d.]+ s, (\d+) evaluations, width \S+, bound (\S+)", r.message)
        for r in caplog.records
    ]
    assert lines and all(lines)
    evaluations = [int(m.group(1)) for m in lines if m]
    bounds = [float(m.group(2)) for m in lines if m]
    assert evaluations == list(range(7, 7 * len(lines) + 1, 7))
    assert int(how.split()[0]) - evaluations[-1] < 7
    assert all(b1 <= b0 for b0, b1 in zip(bounds, bounds[1:], strict=False))
    assert optimum * (1 - 1e-9) - 0.1 <= bounds[-1] and bound <= bounds[-1] + 0.05
