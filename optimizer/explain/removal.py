"""Coverage lost per placement when it is forbidden and the rest of the plan re-optimised (re-solves,
run through the executor; kept apart from the cheap per-placement table so that results never import
the solver)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..executor import make_executor
from ..heuristic import is_feasible, plan_values
from ..lp import LinearProgram

if TYPE_CHECKING:
    from ..config import SolverConfig
    from ..result import Result


def portable(lp: LinearProgram) -> LinearProgram:
    """The same program with plain-dict block maps, so it pickles to a worker process."""
    return replace(lp, col_blocks=dict(lp.col_blocks), row_blocks=dict(lp.row_blocks))


def solve_objective(job: tuple[LinearProgram, SolverConfig, np.ndarray | None]) -> tuple[str, float | None]:
    """Run one LP (a job for the executor): its status and objective."""
    from ..solve import run_backend

    lp, config, start = job
    sol = run_backend(lp, config, start=start)
    return str(sol.status), (float(sol.objective) if sol.has_solution and sol.objective is not None else None)


def removal_losses(r: Result, executor: str = "inprocess") -> pd.DataFrame:
    """Per placement: the weighted coverage lost when it is forbidden (its x fixed to 0) and the rest
    of the plan re-optimised within the same budgets and mandates."""
    if r.values is None or not len(r.placements):
        return pd.DataFrame(columns=["site_id", "format", "weighted_loss_if_removed", "removal_note"])
    model, lp = r.model, r.model.lp
    chosen = r.values[lp.cols("x")] > 0.5
    base = float(lp.c @ r.values)
    positions = np.flatnonzero(chosen)
    jobs = []
    for k in positions:
        ub = lp.ub.copy()
        ub[lp.cols("x").start + k] = 0.0
        without = chosen.copy()
        without[k] = False
        start = plan_values(r.scenario, r.reach, model, without)
        job_lp = portable(replace(lp, ub=ub))
        jobs.append((job_lp, r.solver_config, start if is_feasible(model, start) else None))
    with make_executor(executor) as ex:
        solved = ex.map(solve_objective, jobs)
    rows = []
    for k, (status, obj) in zip(positions, solved, strict=True):
        rows.append(_removal_row(model.x.iloc[k], base, status, obj))
    return pd.DataFrame(rows)


def _removal_row(pair: pd.Series, base: float, status: str, obj: float | None) -> dict[str, Any]:
    if status == "infeasible":
        note = "without it no plan meets every mandate"
    elif obj is None:
        note = f"re-solve ended {status}"
    else:
        note = ""
    return {
        "site_id": pair["site_id"],
        "format": pair["format"],
        "weighted_loss_if_removed": None if obj is None else max(base - obj, 0.0),
        "removal_note": note,
    }
