"""The budget constraint family: which money each budget limits, as data.

Each budget is one row ``sum of coefficient x column <= limit``; the model, the greedy start, the
summary's ``budget`` block, the reports and the independent verification all read :data:`BUDGETS`
rather than naming a budget themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import BudgetConfig, ScenarioConfig
from ..lp import INF, Constraints, Term


@dataclass(frozen=True)
class Budget:
    """One budget: ``key`` is its field in ``budget:`` of the scenario file (and the prefix of its
    ``_used``/``_limit`` entries in summary.json); it limits ``spends`` of the placements table, which
    the model holds in variable block ``var`` (coefficient column ``coef`` of that block's table, or
    1 when None)."""

    key: str
    block: str
    spends: str
    var: str
    coef: str | None
    unit: str
    name_en: str
    name_zh: str
    yearly: str  # its list of yearly amounts under ``phasing:``

    def limit(self, config: ScenarioConfig) -> float:
        return self.limit_of(config.budget)

    def limit_of(self, budget: BudgetConfig) -> float:
        return float(getattr(budget, self.key))


BUDGETS: tuple[Budget, ...] = (
    Budget(
        "capital_yuan",
        "capital",
        "fitout_yuan",
        "x",
        "fitout_yuan",
        "yuan",
        "capital",
        "建设资金",
        "capital_yuan_per_year",
    ),
    Budget(
        "rent_subsidy_yuan_per_year",
        "subsidy_budget",
        "subsidy_yuan_per_year",
        "s",
        None,
        "yuan/year",
        "rent subsidy",
        "租金补贴",
        "rent_subsidy_yuan_per_year",
    ),
)
BUDGET_BY_BLOCK: dict[str, Budget] = {b.block: b for b in BUDGETS}
CAPITAL, SUBSIDY = BUDGET_BY_BLOCK["capital"], BUDGET_BY_BLOCK["subsidy_budget"]


def budget_coefficients(b: Budget, table_len: int, coef: np.ndarray | None) -> np.ndarray:
    return np.ones(table_len) if coef is None else np.asarray(coef, dtype=float)


def budget_rows(b: Budget, n: int, coef: np.ndarray | None, config: ScenarioConfig) -> Constraints:
    """``sum_k coef_k v_k <= limit`` over the ``n`` variables of block ``b.var``."""
    return Constraints(
        b.block,
        (Term(b.var, np.zeros(n, dtype=np.int64), np.arange(n), budget_coefficients(b, n, coef)),),
        np.array([-INF]),
        np.array([b.limit(config)]),
    )
