"""What more money buys: exact re-solves of the whole scenario at nearby budgets.

For each budget :math:`b` (:data:`~optimizer.model.BUDGETS`) and each step multiple :math:`k`, the
scenario is solved again with :math:`B_b + k\\,\\Delta` (every other setting as given; walk times
reused) and the marginal coverage is the difference of the optimal weighted coverage, and of the
residents covered. The re-solves are independent jobs for the executor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..executor import make_executor
from ..model import BUDGETS

if TYPE_CHECKING:
    from ..config import SolverConfig
    from ..reach import Reach
    from ..result import Result
    from ..scenario import Scenario

STEP_YUAN = 100_000.0


def _objective_at(job: tuple[Scenario, Reach, SolverConfig]) -> tuple[str, float | None, float]:
    """Solve one budget variant (a job for the executor): status, weighted objective, and residents
    covered (person-formats, all formats)."""
    from ..solve import solve

    sc, reach, config = job
    res = solve(sc, solver=config, reach=reach)
    if not res.has_solution:
        return str(res.status), None, 0.0
    cov = res.coverage
    return str(res.status), res.first.objective, float(cov.loc[cov["covered_after"], "population"].sum())


def marginal_values(
    r: Result, step: float = STEP_YUAN, multiples: Sequence[int] = (1,), executor: str = "inprocess"
) -> dict[str, Any]:
    """Per budget: the weighted coverage (and residents) gained by ``step`` x each multiple more of it,
    from exact re-solves. The block ``explain.marginal`` of summary.json."""
    cfg = r.scenario.config
    base_obj = float(r.first.objective or 0.0)
    cov = r.coverage if r.values is not None else None
    base_cov = (
        float(cov.loc[cov["covered_after"], "population"].sum()) if cov is not None and len(cov) else 0.0
    )
    variants, labels = [], []
    for b in BUDGETS:
        for k in multiples:
            new = b.limit(cfg) + k * step
            variants.append((r.scenario.with_config(budget={b.key: new}), r.reach, r.solver_config))
            labels.append((b, k, new))
    with make_executor(executor) as ex:
        solved = ex.map(_objective_at, variants)
    budgets = []
    for (b, k, new), (status, obj, covered) in zip(labels, solved, strict=True):
        budgets.append(
            {
                "budget": b.key,
                "name_en": b.name_en,
                "name_zh": b.name_zh,
                "unit": b.unit,
                "limit": b.limit(cfg),
                "step": k * step,
                "new_limit": new,
                "status": status,
                "objective": obj,
                "gain": None if obj is None else obj - base_obj,
                "residents_gain": covered - base_cov if obj is not None else None,
                "gain_per_10k_yuan": None if obj is None else (obj - base_obj) / (k * step) * 1e4,
            }
        )
    return {"step_yuan": step, "base_objective": base_obj, "budgets": budgets}
