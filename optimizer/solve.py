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
from .heuristic import greedy_start, is_feasible
from .model import CoverageModel, LinearProgram, build_model, group_mask
from .reach import Reach, compute_reach
from .result import Result
from .scenario import Scenario

BIG_BUDGET = 1e15


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
) -> Result:
    """Solve a scenario: walk times, model, solve, and one Result (infeasible and time-limited included)."""
    config = solver_config(scenario, solver)
    reach = reach or compute_reach(scenario, progress=progress)
    t0 = time.perf_counter()
    model = build_model(scenario, reach)
    t_build = time.perf_counter() - t0
    start = greedy_start(scenario, reach, model) if len(model.x) else None
    if start is not None and not is_feasible(model, start):
        start = None  # the greedy plan misses a mandate: let the solver search from scratch
    first = run_backend(model.lp, config, start=start)
    # Walk times count even when the caller computed them once for several solves.
    timings = {"walk_times_s": reach.seconds, "build_s": t_build, "stage1_s": first.seconds}
    if first.status == INFEASIBLE:
        diagnosis = diagnose_infeasible(scenario, reach, model, config)
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


def diagnose_infeasible(
    scenario: Scenario, reach: Reach, model: CoverageModel, config: SolverConfig
) -> pd.DataFrame:
    """Why mandates cannot be met: per mandate and format, the best share within the budgets, the share
    reachable with unlimited money, the budget that would be needed (and the cheapest set of
    site:format placements meeting every mandate), and the residences no site can reach."""
    rows = []
    pop = reach.demand["population"].to_numpy(float)
    # 1. the best each mandate can do alone within the budgets: maximise its covered population
    relaxed = scenario.with_config(mandates=[])
    m_free = build_model(relaxed, reach)
    # 2. the money needed to meet all mandates together, with unlimited budgets
    rich = scenario.with_config(budget={"capital_yuan": BIG_BUDGET, "rent_subsidy_yuan_per_year": BIG_BUDGET})
    m_rich = build_model(rich, reach)
    money = run_backend(m_rich.lp.with_objective(m_rich.money, "min"), config)
    need_cap = need_sub = None
    plan = ""
    if money.has_solution:
        xv = money.values[m_rich.lp.col_blocks["x"]] > 0.5
        need_cap = float(m_rich.x.loc[xv, "fitout_yuan"].sum())
        need_sub = float(money.values[m_rich.lp.col_blocks["s"]].sum())
        chosen = m_rich.x.loc[xv]
        plan = ";".join(f"{sid}:{f}" for sid, f in zip(chosen["site_id"], chosen["format"], strict=True))
    for _, mrow in model.mandates.iterrows():
        g = group_mask(reach.demand, mrow["group"])
        key = mrow["format"]
        y = m_free.y
        sel = y[(y["format"] == key) & g[y["unit"].to_numpy()]]
        c = np.zeros(m_free.lp.n_cols)
        c[m_free.lp.col_blocks["y"].start + sel.index.to_numpy()] = pop[sel["unit"].to_numpy()]
        best = run_backend(m_free.lp.with_objective(c, "max"), config)
        total = mrow["group_population"]
        best_share = (mrow["covered_before"] + (best.objective or 0.0)) / total if total > 0 else 1.0
        fr = reach.formats[key]
        y_rich = m_rich.y
        reachable = y_rich[(y_rich["format"] == key) & g[y_rich["unit"].to_numpy()]]["unit"].to_numpy()
        max_share = (mrow["covered_before"] + pop[reachable].sum()) / total if total > 0 else 1.0
        can = np.zeros(len(pop), dtype=bool)
        can[reachable] = True
        stuck = g & (fr.base_credit < 1) & ~can
        rows.append(
            {
                "mandate": int(mrow["mandate"]),
                "group": mrow["group"],
                "format": key,
                "min_share": float(mrow["min_share"]),
                "best_share_within_budget": float(best_share),
                "met_within_budget": bool(best_share >= mrow["min_share"] - 1e-9),
                "max_share_any_budget": float(max_share),
                "capital_needed_yuan": need_cap,
                "subsidy_needed_yuan_per_year": need_sub,
                "cheapest_plan_meeting_all": plan,
                "unreachable_residences": ";".join(sorted(set(reach.demand.loc[stuck, "residence_id"]))),
            }
        )
    return pd.DataFrame(rows)


__all__ = ["solve", "solver_config", "diagnose_infeasible", "OPTIMAL", "FEASIBLE"]
