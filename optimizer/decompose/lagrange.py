"""Solve a maximisation LP region by region: prices on the shared rows, region MIPs in parallel through
one executor, and a small coordination MIP that picks one plan per region within the shared limits.

Written with ``H v <= h`` for the shared rows (scaled, :mod:`.regions`) and ``P_k`` for region k's own
rows (its local rows, and its copy of each shared row), for prices ``pi >= 0``:

    L(pi) = pi . h + sum_k max { (c_k - H_k^T pi) v_k : v_k in P_k }

is an upper bound on the optimum for every ``pi`` (weak duality: a plan meeting every shared row loses
nothing when the priced slack ``pi . (h - H v)`` is added). Each region's MIP returns its own bound, so
``pi . h + sum_k bound_k(pi)`` is a valid global bound even when a region stops at its time limit.
The next prices are those at which the plans kept so far prove the least bound (Dantzig-Wolfe's
restricted master in dual form, a small LP: column generation with region MIPs as pricing problems);
when it gives the prices just used (no region had a better plan to add: the bound has converged) or
cannot be solved, they follow the projected subgradient
``pi <- max(0, pi + t (H v(pi) - h))`` with Polyak's step ``t = theta (L(pi) - best plan) /
|H v(pi) - h|^2``, halving ``theta`` when the bound stalls: other prices, other region plans for the
coordination. The rounds stop after six that improve neither the bound nor the plan.

Every region plan met on the way (and the caller's starting plan, cut by region) is kept. The plan is
the best choice of one kept plan per region within the shared rows (a multiple-choice MIP with one
binary per kept plan), so it is never worse than the starting plan. With prices 0 and a union of region
optima that meets every shared row, the bound equals the plan and it is optimal at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from ..backends import backend_for
from ..config import SolverConfig
from ..deadline import Deadline
from ..executor import Executor, InProcess
from ..lp import INF, LinearProgram
from ..outcome import Progress, ProgressCallback, Solution, Status, relative_gap
from .regions import Regions, region_lp

MAX_ROUNDS = 30
STALL_ROUNDS = 3  # rounds without a better bound before the step is halved
MIN_REGION_S = 1.0


@dataclass(frozen=True)
class RegionJob:
    """One region's MIP at the current prices (pickled to a worker)."""

    lp: LinearProgram
    config: SolverConfig
    seconds: float
    start: np.ndarray | None


def solve_region(job: RegionJob) -> Solution:
    """The region's MIP within its time (run in a worker: only the job crosses)."""
    if job.lp.n_cols == 0:
        return Solution(Status.OPTIMAL, np.zeros(0), 0.0, 0.0, 0.0, 0.0, job.config.name)
    start = job.start if job.start is not None and job.lp.is_feasible(job.start) else None
    backend = backend_for(job.config.name)
    return backend.solve(job.lp, job.config, start=start, deadline=Deadline(job.seconds))


@dataclass
class _State:
    """What the rounds have found so far."""

    plans: list[list[np.ndarray]]  # per region, every distinct plan met
    best: np.ndarray | None = None  # the best global plan (full column vector)
    value: float = -INF
    bound: float = INF
    rounds: int = 0


def _add_plan(state: _State, k: int, v: np.ndarray) -> None:
    v = np.where(np.abs(v - np.round(v)) < 1e-6, np.round(v), v)
    if not any(np.allclose(v, w, atol=1e-6) for w in state.plans[k]):
        state.plans[k].append(v)


def _kept(
    lp: LinearProgram, regions: Regions, plans: list[list[np.ndarray]]
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """Every kept plan's value, its use of each shared row (a row per shared row, a column per plan) and
    its (region, position among the region's plans)."""
    sh = regions.shared
    where = [(k, p) for k in range(regions.n) for p in range(len(plans[k]))]
    values = np.array([float(lp.c[regions.cols[k]] @ plans[k][p]) for k, p in where])
    uses = [np.asarray(sh.H[:, regions.cols[k]] @ plans[k][p]) for k, p in where]
    use = np.column_stack(uses) if uses else np.zeros((sh.n, 0))
    return values, use.reshape(sh.n, len(where)), where


def coordinate(
    lp: LinearProgram, regions: Regions, plans: list[list[np.ndarray]], config: SolverConfig, seconds: float
) -> np.ndarray | None:
    """The best choice of one plan per region within the shared rows (None when no choice meets them)."""
    if any(not p for p in plans):
        return None
    sh = regions.shared
    values, use, where = _kept(lp, regions, plans)
    n = len(where)
    owner = np.array([k for k, _ in where])
    one = sp.csr_array((np.ones(n), (owner, np.arange(n))), shape=(regions.n, n))
    mc = LinearProgram(
        "max",
        values,
        np.zeros(n),
        np.ones(n),
        np.ones(n, dtype=bool),
        sp.csr_array(sp.vstack([one, sp.csr_array(use)])),
        np.r_[np.ones(regions.n), np.full(sh.n, -INF)],
        np.r_[np.ones(regions.n), sh.h + 1e-9 * np.maximum(1.0, np.abs(sh.h))],
    )
    sol = backend_for(config.name).solve(mc, replace(config, options={}), deadline=Deadline(seconds))
    if not sol.has_solution or sol.values is None:
        return None
    full = np.zeros(lp.n_cols)
    for j in np.flatnonzero(sol.values > 0.5):
        k, p = where[j]
        full[regions.cols[k]] = plans[k][p]
    return full


def _round(
    lp: LinearProgram,
    regions: Regions,
    subs: list[LinearProgram],
    pi: np.ndarray,
    config: SolverConfig,
    seconds: float,
    starts: list[np.ndarray | None],
    executor: Executor,
) -> tuple[float, list[Solution]]:
    """Every region at prices ``pi``: the Lagrangian bound L(pi) and each region's answer."""
    H = regions.shared.H
    jobs = [
        RegionJob(
            sub.with_objective(sub.c - H[:, cols].T @ pi, "max"),
            config,
            seconds,
            starts[k],
        )
        for k, (sub, cols) in enumerate(zip(subs, regions.cols, strict=True))
    ]
    answers = executor.map(solve_region, jobs)
    bounds = [a.bound for a in answers]
    if any(b is None or not np.isfinite(b) for b in bounds):
        return INF, answers
    return float(pi @ regions.shared.h + sum(float(b) for b in bounds if b is not None)), answers


def _subgradient(regions: Regions, answers: list[Solution], n_cols: int) -> np.ndarray | None:
    v = np.zeros(n_cols)
    for k, a in enumerate(answers):
        if a.values is None:
            return None
        v[regions.cols[k]] = a.values
    return np.asarray(regions.shared.H @ v - regions.shared.h)


def solve_by_regions(
    lp: LinearProgram,
    regions: Regions,
    config: SolverConfig,
    deadline: Deadline,
    executor: Executor | None = None,
    start: np.ndarray | None = None,
    abs_gap: float | None = None,
    progress: ProgressCallback | None = None,
) -> Solution:
    """The plan, bound and gap of ``lp`` (a maximisation) solved region by region (module docstring):
    optimal once the bound is within ``abs_gap`` of the plan (or ``config.mip_gap`` relatively)."""
    assert lp.sense == "max", "regions solve the coverage stage (a maximisation)"
    t0 = time.perf_counter()
    executor = executor or InProcess()
    width = max(1, int(getattr(executor, "workers", None) or 1))  # regions solved at once
    subs = [region_lp(lp, regions, k) for k in range(regions.n)]
    state = _State([[] for _ in range(regions.n)])
    starts: list[np.ndarray | None] = [None] * regions.n
    for k, (sub, cols) in enumerate(zip(subs, regions.cols, strict=True)):
        if sub.is_feasible(np.zeros(len(cols))):
            _add_plan(state, k, np.zeros(len(cols)))
        if start is not None:
            starts[k] = start[cols]
            _add_plan(state, k, start[cols])
    rel_gap = float(config.mip_gap)
    if start is not None:
        seconds = _region_seconds(deadline, 0, regions.n, width)
        for k, a in enumerate(_shares_round(lp, regions, start, config, seconds, executor)):
            if a.has_solution and a.values is not None:
                _add_plan(state, k, a.values)
                starts[k] = a.values
        _improve_plan(lp, regions, state, config, deadline)
        _report(progress, t0, state)
    pi, theta, stall, idle = _first_prices(regions, start, state.value), 1.0, 0, 0
    while state.rounds < MAX_ROUNDS and not deadline.expired:
        seconds = _region_seconds(deadline, state.rounds, regions.n, width)
        value_before = state.value
        bound, answers = _round(lp, regions, subs, pi, config, seconds, starts, executor)
        state.rounds += 1
        if any(a.status == Status.INFEASIBLE for a in answers):
            # a region cannot meet its own rows (its share of a mandate included): neither can the whole
            what = f"{regions.n} regions: a region's own rows cannot be met"
            took = time.perf_counter() - t0
            return Solution(Status.INFEASIBLE, None, None, None, None, took, config.name, what)
        for k, a in enumerate(answers):
            if a.has_solution and a.values is not None:
                _add_plan(state, k, a.values)
                starts[k] = a.values
        _improve_plan(lp, regions, state, config, deadline)
        better = bound < state.bound - 1e-9 * abs(state.bound)
        stall = 0 if better else stall + 1
        # rounds that improve neither the bound nor the plan: after six the rounds stop
        idle = 0 if better or state.value > value_before + 1e-9 * abs(value_before) else idle + 1
        state.bound = min(state.bound, bound)
        _report(progress, t0, state)
        if _closed(state, abs_gap, rel_gap) or idle >= 2 * STALL_ROUNDS:
            break  # proved, or the prices no longer lower the bound: the rest is the price gap
        g = _subgradient(regions, answers, lp.n_cols)
        if g is not None:
            g = np.where((pi > 0) | (g > 0), g, 0.0)  # a price at 0 on a slack row stays there
        if g is None or not np.any(np.abs(g) > 1e-12):
            break  # no price can move: every shared row is met with complementary slack
        master = _master_prices(lp, regions, state.plans, config, deadline)
        if master is not None and not np.allclose(master, pi, rtol=1e-6, atol=1e-12):
            pi = master
            continue
        # The master gave back these prices (column generation has converged: the bound left is the
        # price gap) or could not be solved: a subgradient step prices other plans for the coordination.
        if stall >= STALL_ROUNDS:
            theta, stall = theta / 2, 0
        target = state.value if np.isfinite(state.value) else 0.0
        step = theta * max(bound - target, 1e-9 * max(1.0, abs(bound))) / max(float(g @ g), 1e-12)
        pi = np.maximum(0.0, pi + step * g)
    return _solution(state, config, abs_gap, rel_gap, time.perf_counter() - t0, regions.n)


def _master_prices(
    lp: LinearProgram,
    regions: Regions,
    plans: list[list[np.ndarray]],
    config: SolverConfig,
    deadline: Deadline,
) -> np.ndarray | None:
    """The prices at which the plans kept so far prove the least bound (Dantzig-Wolfe's restricted
    master, in its dual form): ``min pi . h + sum_k t_k`` subject to ``t_k >= c_k v - pi . H_k v`` for
    every kept plan ``v`` of region k, ``pi >= 0``, each price at most the whole plan's value per unit
    of its row (which keeps the LP bounded). None when the LP is not solved."""
    sh = regions.shared
    if not any(plans):
        return None
    values, use, where = _kept(lp, regions, plans)
    owner = np.array([k for k, _ in where])
    one = np.zeros((len(where), regions.n))
    one[np.arange(len(where)), owner] = 1.0
    best = np.zeros(regions.n)
    np.maximum.at(best, owner, values)  # each region's best kept plan (0: the empty plan or better)
    cap = np.full(sh.n, max(float(best.sum()), 1.0) / np.maximum(np.abs(sh.h), 1e-9))
    dual = LinearProgram(
        "min",
        np.r_[sh.h, np.ones(regions.n)],
        np.r_[np.zeros(sh.n), np.full(regions.n, -INF)],
        np.r_[cap, np.full(regions.n, INF)],
        np.zeros(sh.n + regions.n, dtype=bool),
        sp.csr_array(np.hstack([use.T, one])),
        values,
        np.full(len(values), INF),
    )
    sol = backend_for(config.name).solve(
        dual, replace(config, options={}), deadline=Deadline(deadline.limit())
    )
    if sol.status != Status.OPTIMAL or sol.values is None:
        return None
    return np.maximum(sol.values[: sh.n], 0.0)


def _shares_round(
    lp: LinearProgram,
    regions: Regions,
    start: np.ndarray,
    config: SolverConfig,
    seconds: float,
    executor: Executor,
) -> list[Solution]:
    """Every region at its true objective within a share of each shared limit: what the starting plan
    uses there, plus the plan's slack split by region size. The shares add up to the limits, so the
    union of the answers meets every shared row and is at least as good as the starting plan."""
    sh = regions.shared
    use = [sh.H[:, cols] @ start[cols] for cols in regions.cols]
    slack = np.maximum(sh.h - np.sum(use, axis=0), 0.0) if use else np.zeros(sh.n)
    size = np.array([len(c) for c in regions.cols], dtype=float)
    jobs = [
        RegionJob(
            region_lp(lp, regions, k, caps=use[k] + slack * size[k] / size.sum()),
            config,
            seconds,
            start[cols],
        )
        for k, cols in enumerate(regions.cols)
    ]
    return executor.map(solve_region, jobs)


def _first_prices(regions: Regions, start: np.ndarray | None, value: float) -> np.ndarray:
    """Prices to begin with: on each shared row the starting plan nearly exhausts (scaled limit 1), half
    the plan's value per unit of the limit; 0 elsewhere (and everywhere without a plan)."""
    sh = regions.shared
    pi = np.zeros(sh.n)
    if start is None or not np.isfinite(value) or value <= 0:
        return pi
    tight = (sh.H @ start >= sh.h - 0.05 * np.abs(sh.h)) & (sh.h > 0)
    pi[tight] = 0.5 * value / sh.h[tight]
    return pi


def _region_seconds(deadline: Deadline, rounds: int, n_regions: int, width: int) -> float:
    """Each region's time limit this round: the first round (the region optima at price 0, often the
    answer) may take a third of what is left, later rounds a sixth; ``width`` regions run at once."""
    share = deadline.left() / (3 if rounds == 0 else 6)
    return max(MIN_REGION_S, share * width / max(n_regions, 1))


def _improve_plan(
    lp: LinearProgram, regions: Regions, state: _State, config: SolverConfig, deadline: Deadline
) -> None:
    plan = coordinate(lp, regions, state.plans, config, max(MIN_REGION_S, 0.1 * deadline.left()))
    if plan is not None and lp.is_feasible(plan):
        value = float(lp.c @ plan)
        if value > state.value:
            state.best, state.value = plan, value


def _closed(state: _State, abs_gap: float | None, rel_gap: float) -> bool:
    if state.best is None or not np.isfinite(state.bound):
        return False
    slack = state.bound - state.value
    return slack <= (abs_gap or 0.0) or slack <= rel_gap * max(abs(state.value), 1e-9)


def _report(progress: Callable[[Progress], None] | None, t0: float, state: _State) -> None:
    if progress is None:
        return
    value = state.value if state.best is not None else None
    bound = state.bound if np.isfinite(state.bound) else None
    progress(Progress("regions", time.perf_counter() - t0, value, bound, relative_gap(value, bound)))


def _solution(
    state: _State, config: SolverConfig, abs_gap: float | None, rel_gap: float, seconds: float, n: int
) -> Solution:
    name = f"{config.name}, {n} regions"
    what = f"{n} regions, {state.rounds} price rounds, {sum(len(p) for p in state.plans)} region plans kept"
    bound = state.bound if np.isfinite(state.bound) else None
    if state.best is None:
        what = f"{what}; no plan met every row"
        return Solution(Status.NO_SOLUTION, None, None, bound, None, seconds, name, what)
    closed = _closed(state, abs_gap, rel_gap)
    status = Status.OPTIMAL if closed else Status.FEASIBLE
    gap = relative_gap(state.value, bound)
    return Solution(status, state.best, state.value, bound, gap, seconds, name, what)
