"""Choose the backend, solve (two stages for the tie-break), read the true termination, map back to ids."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .backends import backend_for
from .backends.base import FEASIBLE, INFEASIBLE, NO_SOLUTION, OPTIMAL, Solution, relative_gap, solve_empty
from .config import SolverConfig
from .diagnose import diagnose_infeasible
from .heuristic import chosen_from_placements, greedy_start, is_feasible, plan_values
from .lp import LinearProgram
from .model import CoverageModel, build_model
from .reach import Reach, compute_reach, reach_for
from .result import Result
from .scenario import Scenario


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


def run_backend(lp: LinearProgram, config: SolverConfig, start: np.ndarray | None = None) -> Solution:
    """Solve with the configured backend; a model with no variables needs no solver."""
    if lp.n_cols == 0:
        return solve_empty(lp, config.name)
    sol = backend_for(config.name).solve(lp, config, start=start)
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


def _starting_plan(
    scenario: Scenario, reach: Reach, model: CoverageModel, given: pd.DataFrame | None
) -> np.ndarray | None:
    """The better of the greedy plan and the caller's plan, among those that meet every row (a plan
    that misses a mandate is no start: the solver then searches from scratch)."""
    if not len(model.x):
        return None
    candidates = [greedy_start(scenario, reach, model)]
    if given is not None:
        chosen = chosen_from_placements(model, given)
        if chosen is not None:
            candidates.append(plan_values(scenario, reach, model, chosen))
    feasible = [v for v in candidates if is_feasible(model, v)]
    return max(feasible, key=lambda v: float(model.lp.c @ v)) if feasible else None


def _stage_two(model: CoverageModel, first: Solution, config: SolverConfig) -> Solution | None:
    """Among plans with the first stage's coverage, the one with the least public money."""
    lp = model.lp
    z = float(first.objective or 0.0)
    tol = 1e-7 * max(1.0, abs(z))
    row = sp.csr_array(lp.c.reshape(1, -1))
    lp2 = lp.with_rows("keep_coverage", row, np.array([z - tol]), np.array([np.inf])).with_objective(
        model.money, "min"
    )
    left = max(1.0, config.time_limit_s - first.seconds)
    return run_backend(lp2, replace(config, time_limit_s=left), start=first.values)


def solve(
    scenario: Scenario,
    solver: SolverConfig | str | dict[str, Any] | None = None,
    reach: Reach | None = None,
    progress: bool = False,
    start: pd.DataFrame | None = None,
) -> Result:
    """Solve a scenario: walk times, model, solve, and one Result (infeasible and time-limited included).

    ``start``: a placements table (site_id, format), e.g. a neighbouring variant's ``placements``; when
    it is feasible here and better than the greedy plan, the solver starts from it.

    ``reach``: walk times computed once for several scenarios (e.g. a base scenario's ``result.reach``).
    Its policy part is re-derived for this scenario; when its walk minutes were computed for other
    inputs (geometry, walk settings, speeds, a shorter horizon) it is refused with ReachMismatchError.
    """
    config = solver_config(scenario, solver)
    reach = reach_for(scenario, reach) if reach is not None else compute_reach(scenario, progress=progress)
    t0 = time.perf_counter()
    model = build_model(scenario, reach)
    t_build = time.perf_counter() - t0
    first = run_backend(model.lp, config, start=_starting_plan(scenario, reach, model, start))
    # Walk times count even when the caller computed them once for several solves.
    timings = {"walk_times_s": reach.seconds, "build_s": t_build, "stage1_s": first.seconds}
    if first.status == INFEASIBLE:
        diagnosis = diagnose_infeasible(scenario, reach, model, config, run_backend)
        return Result(scenario, reach, model, first, None, config, timings, diagnosis=diagnosis)
    if not first.has_solution:
        return Result(scenario, reach, model, first, None, config, timings)
    final = first
    second = None
    if scenario.config.objective.tie_break == "least_public_money" and len(model.x):
        second = _stage_two(model, first, config)
        timings["stage2_s"] = second.seconds if second else 0.0
        if second is not None and second.has_solution:
            final = second
    timings["total_s"] = reach.seconds + time.perf_counter() - t0
    return Result(scenario, reach, model, first, second, config, timings, values=final.values)


__all__ = ["solve", "solver_config", "diagnose_infeasible", "OPTIMAL", "FEASIBLE"]
