"""What each placement contributes (explain.csv, and the same columns in placements.csv).

Per placement of format :math:`f` at site :math:`j`, counting full coverage (within the walk limit):

- ``residents_newly_covered``: residents within :math:`L_f` of :math:`j` who had no outlet of :math:`f`
  within :math:`L_f` before;
- ``residents_only_here``: those of them no other placement of :math:`f` in the plan reaches (the
  coverage lost if this one placement were dropped and nothing else changed);
- ``priority_residents_covered``: newly covered residents of old neighbourhoods or affordable housing;
- ``public_money_yuan``: fit-out plus one year of subsidy (the money the tie-break minimises);
- ``residents_per_10k_yuan``: residents newly covered per 10,000 yuan of that money;
- ``weighted_loss_if_removed``: priority-weighted coverage lost when the placement is forbidden and the
  plan re-optimised (:func:`removal_losses`, a re-solve per placement; empty unless asked for), with
  ``removal_note`` saying when the plan without it cannot meet a mandate.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..executor import make_executor
from ..groups import group_mask
from ..heuristic import is_feasible, plan_values
from ..lp import LinearProgram

if TYPE_CHECKING:
    from ..config import SolverConfig
    from ..result import Result

EXPLAIN_COLUMNS = [
    "site_id",
    "format",
    "residents_newly_covered",
    "residents_only_here",
    "priority_residents_covered",
    "public_money_yuan",
    "residents_per_10k_yuan",
    "weighted_loss_if_removed",
    "removal_note",
]


def placement_table(r: Result, removal: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per placement with the columns of :data:`EXPLAIN_COLUMNS` (re-solve columns from
    ``removal`` when given, else ``r.analyses['removal']``, else empty)."""
    p = r.placements
    if not len(p):
        return pd.DataFrame(columns=EXPLAIN_COLUMNS)
    demand = r.reach.demand
    pop = demand["population"].to_numpy(float)
    prio = group_mask(demand, "priority")
    site_pos = r.scenario.sites.index.get_indexer(p["site_id"])
    new, only, prio_new = np.zeros(len(p)), np.zeros(len(p)), np.zeros(len(p))
    for key, rows in p.groupby("format").indices.items():
        fr = r.reach.formats[str(key)]
        reach = fr.full[:, site_pos[rows]].toarray().astype(bool) & (fr.base_credit < 1)[:, None]
        n_reaching = reach.sum(axis=1)
        new[rows] = pop @ reach
        only[rows] = pop @ (reach & (n_reaching == 1)[:, None])
        prio_new[rows] = (pop * prio) @ reach
    money = p["fitout_yuan"].to_numpy(float) + p["subsidy_yuan_per_year"].to_numpy(float)
    out = pd.DataFrame(
        {
            "site_id": p["site_id"].to_numpy(),
            "format": p["format"].to_numpy(),
            "residents_newly_covered": new,
            "residents_only_here": only,
            "priority_residents_covered": prio_new,
            "public_money_yuan": money,
            "residents_per_10k_yuan": np.where(money > 0, new / np.maximum(money, 1e-9) * 1e4, np.nan),
        }
    )
    removal = removal if removal is not None else r.analyses.get("removal")
    if removal is not None and len(removal):
        out = out.merge(removal, on=["site_id", "format"], how="left")
    for c in ("weighted_loss_if_removed", "removal_note"):
        if c not in out.columns:
            out[c] = np.nan if c.startswith("weighted") else ""
    return out[EXPLAIN_COLUMNS]


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
