"""Why mandates cannot be met: the infeasibility diagnosis, by relaxing named constraint families."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .backends.base import Solution
from .config import SolverConfig
from .groups import group_mask
from .lp import LinearProgram
from .model import BUDGETS, CoverageModel, build_model
from .reach import Reach
from .scenario import Scenario

Runner = Callable[[LinearProgram, SolverConfig], Solution]


def _cheapest_plan(m_rich: CoverageModel, money: Solution) -> tuple[float | None, float | None, str]:
    """Capital and subsidy of the cheapest plan meeting every mandate, and the plan as site:format."""
    if not money.has_solution or money.values is None:
        return None, None, ""
    xv = money.values[m_rich.lp.cols("x")] > 0.5
    chosen = m_rich.x.loc[xv]
    plan = ";".join(f"{sid}:{f}" for sid, f in zip(chosen["site_id"], chosen["format"], strict=True))
    return (
        float(chosen["fitout_yuan"].sum()),
        float(money.values[m_rich.lp.cols("s")].sum()),
        plan,
    )


def diagnose_infeasible(
    scenario: Scenario, reach: Reach, model: CoverageModel, config: SolverConfig, run: Runner
) -> pd.DataFrame:
    """Per mandate and format: the best share within the budgets (that mandate's row maximised with the
    ``mandate`` family relaxed), the share reachable with unlimited money and the budget that would be
    needed (the budget families relaxed; the cheapest set of site:format placements meeting every
    mandate), and the residences no site can reach."""
    pop = reach.demand["population"].to_numpy(float)
    free = model.lp.relaxed(["mandate"])
    m_rich = build_model(scenario, reach, relax=[b.block for b in BUDGETS])
    need_cap, need_sub, plan = _cheapest_plan(
        m_rich, run(m_rich.lp.with_objective(m_rich.money, "min"), config)
    )
    rows = []
    for _, mrow in model.mandates.iterrows():
        g = group_mask(reach.demand, mrow["group"])
        key = mrow["format"]
        c = model.lp.A[[int(mrow["row"])], :].toarray().ravel()
        best = run(free.with_objective(c, "max"), config)
        total = mrow["group_population"]
        best_share = (mrow["covered_before"] + (best.objective or 0.0)) / total if total > 0 else 1.0
        y_rich = m_rich.y
        rows_g = np.flatnonzero(((y_rich["format"] == key).to_numpy()) & g[y_rich["unit"].to_numpy()])
        reachable = m_rich.members("y").of(rows_g)  # a y row may stand for several units
        max_share = (mrow["covered_before"] + pop[reachable].sum()) / total if total > 0 else 1.0
        can = np.zeros(len(pop), dtype=bool)
        can[reachable] = True
        stuck = g & (reach.formats[key].base_credit < 1) & ~can
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
