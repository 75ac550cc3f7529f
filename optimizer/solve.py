"""Solve a scenario within one deadline: the coverage stage and the tie-break (least public money among
plans of maximum coverage), reading each solver's true termination and reporting the value
of the plan as placed.

Promises kept here:
- one deadline (``solver.time_limit_s``) for the whole solve: the starting plan, both stages and the
  infeasibility diagnosis each get the time that is left (:mod:`optimizer.deadline`);
- the objective, the bound's gap and every table are the value of the plan as placed (coverage
  recomputed from the placements), never a solver variable that may lag behind;
- "optimal" is exact when objective values are whole multiples of a quantum and the bound is closer
  than one quantum; otherwise the result says "optimal within" the gap the proof used;
- the tie-break is a refinement, never a risk (:mod:`optimizer.tiebreak`): either one weighted solve
  whose weight is provably safe, or a second stage that starts from the stage-one plan, is retried once
  with safer settings when a solver calls it infeasible, and otherwise keeps the stage-one plan with a
  warning.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from . import tiebreak
from .backends import backend_for
from .backends.base import (
    FEASIBLE,
    INFEASIBLE,
    NO_SOLUTION,
    OPTIMAL,
    Backend,
    Solution,
    relative_gap,
    solve_empty,
)
from .backends.heuristic import HeuristicBackend
from .backends.highs_process import HighsProcessBackend
from .backends.registry import EXACT_SOLVERS
from .backends.relaxation import FIRST_ORDER_MIN_NNZ, SMOOTHED_DUAL_MIN_NNZ, SideBound, tighter, tighter_bound
from .config import SolverConfig
from .deadline import GRACE_S, Deadline
from .decompose import (
    AUTO_MIN_NNZ,
    Guide,
    Regions,
    SolveWindow,
    find_regions,
    improve_by_windows,
    merged,
    mip_with_windows,
    solve_by_regions,
)
from .diagnose import diagnose_infeasible
from .executor import Executor, make_executor
from .heuristic import chosen_from_placements, greedy_start, is_feasible, local_search, plan_values
from .lp import LinearProgram
from .model import (
    BUDGET_BY_BLOCK,
    COVER,
    RESOURCE,
    CoverageModel,
    build_model,
    families_with_role,
    shared_blocks,
)
from .outcome import Progress, ProgressCallback
from .reach import Reach, compute_reach, reach_for
from .result import Result
from .scenario import Scenario

QUANTA = (1, 2, 4, 5, 8, 10, 20, 25, 40, 50, 100, 200, 400, 1000)
MAX_PARTS = 32  # regions are merged into at most this many MIPs (each a union of whole regions)
log = logging.getLogger(__name__)


def _progress(callback: ProgressCallback | None) -> ProgressCallback:
    """Log every progress report (INFO) and hand it to the caller's callback."""

    def report(p: Progress) -> None:
        log.info("%s", p)
        if callback is not None:
            callback(p)

    return report


def solver_config(
    scenario: Scenario, solver: SolverConfig | str | dict[str, Any] | None = None
) -> SolverConfig:
    """The scenario's solver settings, overridden by ``solver`` (a name, a dict of settings or a config)."""
    base = scenario.config.solver
    if solver is None:
        return base
    if isinstance(solver, SolverConfig):
        return solver
    if isinstance(solver, str):
        return replace(base, name=solver)
    return replace(base, **solver)


def objective_quantum(c: np.ndarray) -> float | None:
    """The largest q = 1/m (m in QUANTA) such that every objective coefficient is a whole multiple of q,
    so two plans' values are equal or at least q apart; None when there is no such q."""
    nz = np.abs(c[c != 0])
    if not len(nz):
        return None
    for m in QUANTA:
        scaled = nz * m
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-9 * np.maximum(1.0, scaled)):
            return 1.0 / m
    return None


def run_backend(
    lp: LinearProgram,
    config: SolverConfig,
    start: np.ndarray | None = None,
    deadline: Deadline | None = None,
    abs_gap: float | None = None,
    progress: ProgressCallback | None = None,
    backend: Backend | None = None,
) -> Solution:
    """Solve with the configured backend (or ``backend``) by the deadline; a model with no variables
    needs no solver."""
    if lp.n_cols == 0:
        return solve_empty(lp, config.name)
    backend = backend or backend_for(config.name)
    sol = backend.solve(lp, config, start=start, deadline=deadline, abs_gap=abs_gap, progress=progress)
    if sol.status == NO_SOLUTION and start is not None:
        # The solver stopped before it could even take up the starting plan: that plan is the incumbent.
        obj = float(lp.c @ start)
        bound = sol.bound if sol.bound is not None and sol.bound >= obj else None
        return Solution(
            FEASIBLE,
            np.asarray(start, dtype=float),
            obj,
            bound,
            relative_gap(obj, bound),
            sol.seconds,
            sol.solver,
            f"{sol.message}; no solution of the solver's own: the greedy starting plan is returned",
        )
    return sol


def as_placed(
    scenario: Scenario, reach: Reach, model: CoverageModel, sol: Solution, money: bool = False
) -> Solution:
    """The solution with every column at the value its placements earn (coverage recomputed, each
    subsidy at what its placement needs) and the objective of that plan (its coverage, or its public
    money when ``money``); the bound is kept, moved to the plan's value if the solver's tolerance left
    it a rounding on the wrong side."""
    if sol.values is None or not sol.has_solution:
        return sol
    chosen = sol.values[model.lp.cols("x")] > 0.5
    values = plan_values(scenario, reach, model, chosen)
    obj = float((model.money if money else model.lp.c) @ values)
    bound = sol.bound
    if bound is not None and ((bound > obj) if money else (bound < obj)):
        bound = obj
    return replace(sol, values=values, objective=obj, bound=bound, gap=relative_gap(obj, bound))


def _starting_plan(
    scenario: Scenario,
    reach: Reach,
    model: CoverageModel,
    given: pd.DataFrame | None,
    improve_s: float | None = None,
    lp: LinearProgram | None = None,
    progress: ProgressCallback | None = None,
    threads: int = 1,
    guide: Guide | None = None,
) -> np.ndarray | None:
    """The better of the greedy plan and the caller's plan, among those that meet every row (a plan
    that misses a mandate is no start: the solver then searches from scratch). With ``improve_s``, the
    greedy plan is first improved by local search (1-swaps) and the best plan then window by window
    (:mod:`optimizer.decompose.windows`, on ``lp``'s objective) for what is left of that many seconds,
    following the relaxation's values (``guide``) once a sweep of windows improves nothing."""
    if not len(model.x):
        return None
    t0 = time.perf_counter()
    greedy = greedy_start(scenario, reach, model)
    candidates = [greedy]
    if improve_s:  # 1-swaps do not target mandates: the greedy plan stays a candidate
        candidates.append(local_search(scenario, reach, model, start=greedy, time_limit_s=improve_s))
    if given is not None:
        chosen = chosen_from_placements(model, given)
        if chosen is not None:
            candidates.append(plan_values(scenario, reach, model, chosen))
    feasible = [v for v in candidates if is_feasible(model, v)]
    if not feasible:
        return None
    best = max(feasible, key=lambda v: float(model.lp.c @ v))
    left = (improve_s or 0.0) - (time.perf_counter() - t0)
    if left > MIN_WINDOW_SECONDS:
        best = _by_windows(lp if lp is not None else model.lp, best, left, progress, threads, guide)
    return best


# Windows are worth starting only with at least this long left of the improvement time.
MIN_WINDOW_SECONDS = 2.0


# HiGHS options for one window's MIP. Presolve off: on the same windows of the L city, narrow windows
# (80,000 nonzeros, below the size where the backend turns presolve off itself) took 1.32-1.38x less
# time with it off, for the same plans; wide ones (mostly above that size) were unchanged
# (bench/RESULTS.md, "HiGHS options for windows").
WINDOW_OPTIONS: dict[str, Any] = {"presolve": "off"}


def window_solver(threads: int | None = None, options: dict[str, Any] | None = None) -> SolveWindow:
    """How one window's MIP is solved: HiGHS to optimality within the window's seconds, from the plan,
    with ``options`` (default :data:`WINDOW_OPTIONS`) and the run's thread count (default the solver's;
    HiGHS keeps one thread pool per process and refuses another count later)."""
    highs = backend_for("highs")
    config = SolverConfig(name="highs", mip_gap=0.0, options=WINDOW_OPTIONS if options is None else options)
    if threads is not None:
        config = replace(config, threads=threads)

    def solve_window(sub: LinearProgram, start: np.ndarray, limit: float) -> Solution:
        return highs.solve(sub, replace(config, time_limit_s=limit), start=start, deadline=Deadline(limit))

    return solve_window


def _by_windows(
    lp: LinearProgram,
    values: np.ndarray,
    seconds: float,
    progress: ProgressCallback | None,
    threads: int,
    guide: Guide | None = None,
    stop: Callable[[], bool] | None = None,
) -> np.ndarray:
    """``values`` improved window by window for ``seconds`` (or until ``stop()``), each window a small
    MIP for HiGHS, as many windows at a time as the run has threads; guided by the relaxation's values
    once windows stall."""
    workers = max(1, threads)
    better, stats = improve_by_windows(
        lp,
        values,
        shared_blocks(),
        window_solver(1 if workers > 1 else threads),  # side by side: one thread each
        seconds,
        progress=progress,
        narrow_blocks=families_with_role(COVER),
        workers=workers,
        guide=guide,
        stop=stop,
    )
    log.info(
        "windows: %d solved (%d guided by the relaxation), %d improved the plan (%s -> %s)",
        stats.windows,
        stats.guided,
        stats.improved,
        stats.values[0],
        stats.values[-1],
    )
    return better


def shape_options(model: CoverageModel, config: SolverConfig) -> SolverConfig:
    """HiGHS's MIP presolve off for a pure covering model (no row per site, no viability or subsidy
    rows, no mandate: only cover rows and budgets), unless the options say otherwise. Measured in
    bench/RESULTS.md ("HiGHS presolve on or off, by model shape"): on such models presolve only costs
    (off 1.9-3.8x faster), while on cities with rows per site it pays (off up to 2x slower)."""
    if config.name != "highs" or "presolve" in config.options:
        return config
    per_site = [b for b in families_with_role(RESOURCE) if b not in BUDGET_BY_BLOCK] + ["mandate"]
    if any(model.lp.rows(b).stop > model.lp.rows(b).start for b in per_site):
        return config
    return replace(config, options={**config.options, "presolve": "off"})


# How long 1-swaps and windows improve the greedy start before an exact solver, by model size. From
# LOCAL_SEARCH_MIN_NNZ nonzeros an exact solver often does not finish within a planner's limit, so the
# plan it starts from is much of what the run reports. Measured (bench/RESULTS.md, "How much time to
# improve the start"), HiGHS, 60 s: at 4,000 x 500 (290 k nonzeros) the MIP from the greedy start ended
# 3.4% below the optimum, from a start improved for a quarter of the time 0.1% below; at 2,000 x 300
# (90 k), which the MIP proves in 35 s, a quarter cost 4 s. One MIP of a connected city from
# LARGE_MIP_MIN_NNZ gets all but a twentieth: on L and a 1.5 M-nonzero city the MIP never improved on
# its start (eight runs), and the more time the windows had the better the plan (300 s: L 2.364% gap
# at 0.95 against 2.526% at 0.8 and 3.157% at 0.5; the 1.5 M city's windows reached a local optimum
# before either share ran out); the bound of such a model comes from the relaxation beside the MIP in
# any case, and windows that stop early (a sweep without a better window) leave the MIP the rest.
# Walkable regions, which improve their plans region by region themselves, a tenth.
LOCAL_SEARCH_MIN_NNZ = 100_000
LARGE_MIP_MIN_NNZ = 1_000_000
ONE_MIP_IMPROVE_SHARE = 0.25  # before one MIP
LARGE_MIP_IMPROVE_SHARE = 0.95  # before one MIP from LARGE_MIP_MIN_NNZ
LOCAL_SEARCH_SHARE = 0.1  # before walkable regions
HEURISTIC_IMPROVE_SHARE = 0.5  # solver.name heuristic: its answer is that plan
# ... all but a twentieth where the relaxation runs beside the windows from the start (_side_bound)
HEURISTIC_SIDE_IMPROVE_SHARE = 0.95
# ... except from SMOOTHED_DUAL_MIN_NNZ, where its bound (the smoothed dual) tightens with every second
# it gets: on XL (135 M nonzeros, 1,800 s) a quarter gave a gap of 4.778% against half's 4.955% (plan
# 0.045% lower, bound 0.21% tighter; bench/RESULTS.md).
HEURISTIC_HUGE_IMPROVE_SHARE = 0.25
# From here an exact solver is not run on one connected model: HiGHS neither loads nor solves the root
# of such a model within a planner's limit (L, 7.5 M nonzeros: root LP about 517 s; the MIP never
# improved its start in eight runs of L and a 1.5 M city), and its copy would double the run's memory
# (PDLP's copy of XL, 135 M nonzeros, held 12.8 GB). The run then is the quick answer's (its share of
# the limit for windows, the smoothed dual's bound), reported as feasible with that bound and the
# reason in its message; walkable regions are still solved exactly, each its own smaller MIP.
MIP_MAX_NNZ = 20_000_000
BEYOND_MIP = (
    "no branch and bound: {nnz:,} nonzeros in one connected model, beyond what a MIP solves within the limit"
)


def _beyond_mip(lp: LinearProgram, config: SolverConfig) -> bool:
    """Whether an exact solver runs no MIP on ``lp`` as one model (:data:`MIP_MAX_NNZ`)."""
    return config.name in EXACT_SOLVERS and lp.A.nnz >= MIP_MAX_NNZ


def _improve_seconds(
    model: CoverageModel,
    config: SolverConfig,
    deadline: Deadline,
    regions: Regions | None,
    side: bool = False,
) -> float | None:
    """How long 1-swaps and windows may improve the greedy start: for the heuristic solver (its answer
    is that plan) half the time, all but a twentieth with the relaxation beside (``side``), a quarter
    on models bounded by the smoothed dual (and so for an exact solver beyond :data:`MIP_MAX_NNZ`,
    which runs no MIP there); for an exact solver, by model size (above), none on small
    models, where the MIP itself does better."""
    nnz = model.lp.A.nnz
    if config.name == "heuristic" or (regions is None and _beyond_mip(model.lp, config)):
        share = HEURISTIC_HUGE_IMPROVE_SHARE if nnz >= SMOOTHED_DUAL_MIN_NNZ else HEURISTIC_IMPROVE_SHARE
        share = HEURISTIC_SIDE_IMPROVE_SHARE if side else share
    elif nnz < LOCAL_SEARCH_MIN_NNZ:
        return None
    elif regions is not None:
        share = LOCAL_SEARCH_SHARE
    else:
        share = LARGE_MIP_IMPROVE_SHARE if nnz >= LARGE_MIP_MIN_NNZ else ONE_MIP_IMPROVE_SHARE
    return share * deadline.left()


def regions_to_solve(model: CoverageModel, config: SolverConfig) -> Regions | None:
    """The walkable regions to solve separately under ``solver.decompose``, or None for one MIP (off;
    auto below :data:`~optimizer.decompose.AUTO_MIN_NNZ`; a heuristic solver; a single region)."""
    if config.decompose == "off" or config.name not in EXACT_SOLVERS or not model.lp.n_cols:
        return None
    if config.decompose == "auto" and model.lp.A.nnz < AUTO_MIN_NNZ:
        return None
    regions = find_regions(model.lp, shared_blocks())
    return merged(regions, MAX_PARTS) if regions.n >= 2 else None


def _side_bound(
    lp: LinearProgram, config: SolverConfig, regions: Regions | None, deadline: Deadline
) -> SideBound | None:
    """The LP relaxation started beside the solve, on a spare core, for one MIP: its bound where the
    MIP's own root LP may not finish within the limit (from
    :data:`~optimizer.backends.relaxation.FIRST_ORDER_MIN_NNZ` nonzeros), and its values, which guide
    the windows once they stall; for HiGHS from :data:`LOCAL_SEARCH_MIN_NNZ` it is made unstarted and
    started only when windows start beside its MIP (:func:`_one_mip`), so a MIP near its proof keeps
    both cores. For the heuristic solver wherever windows improve its plan (from
    :data:`LOCAL_SEARCH_MIN_NNZ`) and the relaxation is solved by a method that gives values (below
    :data:`~optimizer.backends.relaxation.SMOOTHED_DUAL_MIN_NNZ`): its bound is then the side's, and
    the windows have the time it took. None elsewhere (small models, regions with their own bound)."""
    if regions is not None or not lp.integer.any():
        return None
    nnz = lp.A.nnz
    later = config.name == "highs" and LOCAL_SEARCH_MIN_NNZ <= nnz < FIRST_ORDER_MIN_NNZ  # see above
    if config.name == "heuristic":
        wanted = LOCAL_SEARCH_MIN_NNZ <= nnz < SMOOTHED_DUAL_MIN_NNZ
    else:
        wanted = config.name in EXACT_SOLVERS and (later or nnz >= FIRST_ORDER_MIN_NNZ)
    side = SideBound(lp, deadline) if wanted and not _beyond_mip(lp, config) else None
    return side if side is None or later else side.start()


def _one_mip(
    lp: LinearProgram,
    config: SolverConfig,
    start: np.ndarray | None,
    deadline: Deadline,
    abs_gap: float | None,
    progress: ProgressCallback,
    side: SideBound | None = None,
) -> Solution:
    """One MIP by the configured backend (none beyond :data:`MIP_MAX_NNZ`: the start, with the
    relaxation's bound, as the quick answer's); with a ``side`` bound (a large model), the tighter of the two
    bounds is kept (and each progress report's bound tightened once the side bound is known), and HiGHS
    runs in a process of its own, stopped at the deadline where it does not stop itself, while windows
    improve its start beside it (:func:`~optimizer.decompose.mip_with_windows`)."""
    if _beyond_mip(lp, config) and start is not None:  # never with a side: _side_bound starts none
        why = BEYOND_MIP.format(nnz=lp.A.nnz)
        log.info("%s: the improved start with the relaxation's bound", why)
        sol = run_backend(lp, config, start, deadline=deadline, backend=HeuristicBackend())
        return replace(sol, message=f"{why}; {sol.message}")
    if side is None:
        return run_backend(lp, config, start, deadline=deadline, abs_gap=abs_gap, progress=progress)
    if config.name == "heuristic":  # its bound is the side's: never proved optimal by it
        try:
            return run_backend(lp, config, start, deadline=deadline, backend=HeuristicBackend(side))
        finally:
            side.cancel()

    def report(p: Progress) -> None:
        known = side.peek()
        if known is not None and known.bound is not None and p.bound is not None and p.incumbent is not None:
            bound = tighter_bound(lp.sense, p.bound, known.bound)
            p = replace(p, bound=bound, gap=relative_gap(p.incumbent, bound))
        progress(p)

    try:
        own = HighsProcessBackend() if config.name == "highs" else None

        def mip(rep: ProgressCallback) -> Solution:
            return run_backend(
                lp, config, start, deadline=deadline, abs_gap=abs_gap, progress=rep, backend=own
            )

        def improve(v: np.ndarray, stop: Callable[[], bool], rep: ProgressCallback) -> np.ndarray:
            return _by_windows(lp, v, deadline.left(), rep, 1, side.start().values, stop)

        if own is not None and start is not None:  # windows beside HiGHS's own process
            sol = mip_with_windows(lp, start, mip, improve, report, config.mip_gap, abs_gap)
        else:
            sol = mip(report)
        if sol.status == OPTIMAL or not sol.has_solution:
            return sol
        bound = side.result(timeout=deadline.left() + GRACE_S)
    finally:
        side.cancel()
    if bound is not None:
        log.info("LP relaxation bound %s by %s in %.0f s", bound.bound, bound.method, bound.seconds)
    return tighter(sol, bound, lp, config.mip_gap, abs_gap)


def _stage_one(
    lp: LinearProgram,
    model: CoverageModel,
    config: SolverConfig,
    start: np.ndarray | None,
    deadline: Deadline,
    abs_gap: float | None,
    progress: ProgressCallback,
    executor: Executor | str | None,
    regions: Regions | None,
    side: SideBound | None,
) -> tuple[Solution, bool]:
    """The first solve of ``lp`` (coverage, or coverage minus a safe multiple of money): one MIP, or
    region by region on the executor (``solver.decompose``), stopping once the bound is closer to the
    plan than ``abs_gap``; and whether the answer came from the regions."""
    if regions is None:
        return _one_mip(lp, config, start, deadline, abs_gap, progress, side), False
    log.info("solving %d walkable regions separately", regions.n)
    if executor is None or isinstance(executor, str):
        with make_executor(executor or "inprocess") as ex:
            sol = solve_by_regions(lp, regions, config, deadline, ex, start, abs_gap, progress)
    else:
        sol = solve_by_regions(lp, regions, config, deadline, executor, start, abs_gap, progress)
    if sol.status == NO_SOLUTION and not deadline.expired:
        # no choice of region plans met the shared rows: one MIP proves infeasibility or finds a plan
        log.info("%s; solving the whole model as one MIP", sol.message)
        return _one_mip(lp, config, start, deadline, abs_gap, progress, side), False
    return sol, True


def _exact(sol: Solution, quantum: float | None) -> bool:
    """Whether the proof is exact: the bound lies within one quantum (or a rounding) of the plan."""
    if sol.status != OPTIMAL or sol.bound is None or sol.objective is None:
        return False
    slack = abs(sol.bound - sol.objective)
    return slack < quantum if quantum else slack <= 1e-9 * max(1.0, abs(sol.objective))


def _start_beside(
    scenario: Scenario,
    reach: Reach,
    model: CoverageModel,
    given: pd.DataFrame | None,
    stage: tiebreak.StageOne,
    config: SolverConfig,
    regions: Regions | None,
    deadline: Deadline,
    report: ProgressCallback,
) -> tuple[SideBound | None, np.ndarray | None]:
    """The relaxation started beside the search (where it pays, :func:`_side_bound`), and the starting
    plan, its windows guided by the relaxation's values; the side process is stopped if the search
    fails."""
    side = _side_bound(stage.lp, stage.config, regions, deadline)
    try:
        improve = _improve_seconds(model, config, deadline, regions, side is not None)
        guide = side.values if side else None
        plan = _starting_plan(scenario, reach, model, given, improve, stage.lp, report, config.threads, guide)
    except BaseException:
        if side is not None:
            side.cancel()
        raise
    return side, plan


def solve(
    scenario: Scenario,
    solver: SolverConfig | str | dict[str, Any] | None = None,
    reach: Reach | None = None,
    progress: bool = False,
    start: pd.DataFrame | None = None,
    on_progress: ProgressCallback | None = None,
    executor: Executor | str | None = None,
) -> Result:
    """Solve a scenario: walk times, model, solve, and one Result (infeasible and time-limited included).

    ``start``: a placements table (site_id, format), e.g. a neighbouring variant's ``placements``; when
    it is feasible here and better than the greedy plan, the solver starts from it. ``on_progress`` is
    called about once a second with the incumbent, the bound and the gap while the coverage stage runs
    (also logged at INFO by the ``optimizer.solve`` logger). The solve (not the
    walk times, which are cached) ends within ``solver.time_limit_s`` plus
    :data:`~optimizer.deadline.GRACE_S`, or a little more while the model is built.

    ``executor``: where walkable regions are solved when the model is split (``solver.decompose``):
    an open :mod:`~optimizer.executor` or a kind (inprocess, pool, dask); default in this process.

    ``reach``: walk times computed once for several scenarios (e.g. a base scenario's ``result.reach``).
    Its policy part is re-derived for this scenario; when its walk minutes were computed for other
    inputs (geometry, walk settings, speeds, or a horizon shorter than this scenario needs) it is
    refused with ReachMismatchError.
    """
    config = solver_config(scenario, solver)
    reach = reach_for(scenario, reach) if reach is not None else compute_reach(scenario, progress=progress)
    deadline = Deadline(config.time_limit_s)
    t0 = time.perf_counter()
    model = build_model(scenario, reach)
    t_build = time.perf_counter() - t0
    config = shape_options(model, config)
    quantum = objective_quantum(model.lp.c)
    abs_gap = 0.999 * quantum if quantum else None
    report = _progress(on_progress)
    stage = tiebreak.stage_one(scenario.config.objective, model, config, quantum, abs_gap)
    regions = regions_to_solve(model, config)
    side, start_values = _start_beside(
        scenario, reach, model, start, stage, config, regions, deadline, report
    )
    first, by_regions = _stage_one(
        stage.lp, model, stage.config, start_values, deadline, stage.abs_gap, report, executor, regions, side
    )

    def place(sol: Solution, money: bool = False) -> Solution:
        return as_placed(scenario, reach, model, sol, money)

    second, tie = None, None
    if stage.weighting is not None:  # one solve of coverage minus a safe multiple of money
        first, second, tie = tiebreak.weighted_outcome(stage.weighting, model, first, place)
    else:
        first = place(first)
    # Walk times count even when the caller computed them once for several solves.
    timings = {"walk_times_s": reach.seconds, "build_s": t_build, "stage1_s": first.seconds}
    notes: list[str] = []
    if first.status == INFEASIBLE:

        def run(lp: LinearProgram, cfg: SolverConfig) -> Solution:
            return run_backend(lp, cfg, deadline=deadline)

        diagnosis = diagnose_infeasible(scenario, reach, model, config, run)
        return Result(scenario, reach, model, first, None, config, timings, diagnosis=diagnosis)
    if not first.has_solution:
        return Result(scenario, reach, model, first, None, config, timings)
    if stage.method == "two_stage" and by_regions:
        notes.append(tiebreak.REGIONS_NOT_RUN)
        exact = _exact(first, quantum)
        tie = tiebreak.two_stage_outcome(None, tiebreak.REGIONS_NOT_RUN, exact, stage.fallback)
    elif stage.method == "two_stage":
        t2 = time.perf_counter()
        second, tie_notes, tie = tiebreak.tie_break(
            stage, model, first, deadline, quantum, _exact(first, quantum), run_backend, place
        )
        if tie is not None and tie.status != "not_run":
            timings["stage2_s"] = time.perf_counter() - t2
        notes += tie_notes
    final = second.values if second is not None else first.values
    timings["total_s"] = reach.seconds + time.perf_counter() - t0
    return Result(
        scenario,
        reach,
        model,
        first,
        second,
        config,
        timings,
        values=final,
        notes=tuple(notes),
        exact=_exact(first, quantum),
        quantum=quantum,
        tie_break=tie,
    )


__all__ = ["solve", "solver_config", "run_backend", "as_placed", "objective_quantum", "OPTIMAL", "FEASIBLE"]
