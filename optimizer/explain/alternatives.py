r"""Alternatives: up to :math:`k` other plans nearly as good as the chosen one, each different.

Given the chosen plan :math:`P_0` with coverage :math:`z^*`, plan :math:`P_m` (:math:`m = 1..k`) solves
the coverage model with two more row blocks:

.. math::
   \sum_{i,f} \text{coef}_{if}\, (y_{if}, z_{if}) \ge (1-\tau)\, z^*                     && \text{(within)}\\
   \sum_{(j,f)\in P_n} x_{jf} \le |P_n| - d \quad n = 0..m-1                        && \text{(diversity)}

maximising coverage, then (a second stage, as for the chosen plan) the least public money at that
coverage: the best plan that leaves out at least :math:`d` placements of every plan found so far (with
:math:`d = 1` a no-good cut that a plan cannot meet by adding a useless placement) and stays within
:math:`\tau` of the optimum. The search stops early when no such plan exists. Each plan's public money is
recomputed from its placements.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..heuristic import plan_values
from ..lp import LinearProgram
from ..model.budgets import CAPITAL

if TYPE_CHECKING:
    from ..config import SolverConfig
    from ..outcome import Solution
    from ..result import Result


def diversity_row(lp: LinearProgram, chosen: np.ndarray, d: int) -> tuple[sp.csr_array, float]:
    """The row ``sum_{i in P} x_i <= |P| - d`` over the x block: leave out at least d of P's placements."""
    coef = np.zeros(lp.n_cols)
    coef[lp.cols("x")] = chosen.astype(float)
    return sp.csr_array(coef.reshape(1, -1)), float(int(chosen.sum()) - d)


def _least_money(lp: LinearProgram, money: np.ndarray, first: Solution, config: SolverConfig) -> np.ndarray:
    """Among plans of ``first``'s coverage (within every row of ``lp``), one with the least public money."""
    from ..solve import run_backend

    z = float(first.objective or 0.0)
    tol = 1e-7 * max(1.0, abs(z))
    keep = lp.with_rows(
        "keep_coverage", sp.csr_array(lp.c.reshape(1, -1)), np.array([z - tol]), np.array([np.inf])
    )
    second = run_backend(keep.with_objective(money, "min"), config, start=first.values)
    values = second.values if second.has_solution and second.values is not None else first.values
    assert values is not None
    return values


def _plan_costs(r: Result, chosen: np.ndarray) -> dict[str, float]:
    x = r.model.x
    need = np.where(x["needs_subsidy"].to_numpy(bool), x["deficit_yuan_per_year"].to_numpy(float), 0.0)
    values = plan_values(r.scenario, r.reach, r.model, chosen)
    capital = float(x["fitout_yuan"].to_numpy(float)[chosen].sum())
    subsidy = float(need[chosen].sum())
    return {
        "objective": float(r.model.lp.c @ values),
        CAPITAL.key: capital,
        "subsidy_yuan_per_year": subsidy,
        "public_money_yuan": capital + subsidy,
        "placements": int(chosen.sum()),
    }


def alternative_plans(r: Result, k: int = 3, within: float = 0.01, differ: int = 1) -> list[np.ndarray]:
    """The chosen plan's x mask followed by up to ``k`` alternatives (masks over ``model.x``)."""
    from ..solve import run_backend

    if r.values is None:
        return []
    lp = r.model.lp
    base = r.values[lp.cols("x")] > 0.5
    z = float(lp.c @ r.values)
    tol = 1e-7 * max(1.0, abs(z))
    lp = lp.with_rows(
        "within", sp.csr_array(lp.c.reshape(1, -1)), np.array([(1 - within) * z - tol]), np.array([np.inf])
    )
    plans = [base]
    for m in range(1, k + 1):
        row, hi = diversity_row(lp, plans[-1], differ)
        if hi < 0:
            break
        lp = lp.with_rows(f"diversity_{m}", row, np.array([-np.inf]), np.array([hi + 1e-9]))
        sol = run_backend(lp, r.solver_config)
        if not sol.has_solution or sol.values is None:
            break
        plans.append(_least_money(lp, r.model.money, sol, r.solver_config)[lp.cols("x")] > 0.5)
    return plans


def side_by_side(r: Result, plans: list[np.ndarray]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two tables: per plan its coverage (and share of the chosen plan's), money and what it adds and drops
    compared with plan 0; and one row per placement in any plan with a column per plan (1 = in it)."""
    x = r.model.x
    label = (x["site_id"].astype(str) + ":" + x["format"].astype(str)).to_numpy()
    rows: list[dict[str, Any]] = []
    base = _plan_costs(r, plans[0])["objective"] if plans else 0.0
    for m, chosen in enumerate(plans):
        c = _plan_costs(r, chosen)
        rows.append(
            {
                "plan": m,
                **c,
                "share_of_chosen": c["objective"] / base if base else None,
                "adds": ";".join(label[chosen & ~plans[0]]),
                "drops": ";".join(label[plans[0] & ~chosen]),
            }
        )
    summary = pd.DataFrame(rows)
    any_plan = np.flatnonzero(np.any(plans, axis=0)) if plans else np.zeros(0, dtype=int)
    wide = x.loc[any_plan, ["site_id", "format"]].reset_index(drop=True)
    for m, chosen in enumerate(plans):
        wide[f"plan_{m}"] = chosen[any_plan].astype(int)
    return summary, wide
