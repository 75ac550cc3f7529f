"""What every backend takes and gives back: a solver config (:class:`optimizer.config.SolverConfig`)
and an honest Solution."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..config import SolverConfig
from ..lp import LinearProgram

# Terminations reported to users (``status`` in summary.json and the CLI's exit code).
OPTIMAL = "optimal"  # proved optimal within the requested relative gap
FEASIBLE = "feasible"  # a solution, but a limit stopped the proof: see gap and bound
INFEASIBLE = "infeasible"
NO_SOLUTION = "no_solution"  # a limit stopped the solver before any solution
ERROR = "error"


@dataclass
class Solution:
    """The real termination of one solve, read from the solver, never assumed."""

    status: str
    values: np.ndarray | None
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    solver: str
    message: str = ""

    @property
    def has_solution(self) -> bool:
        return self.values is not None and self.status in (OPTIMAL, FEASIBLE)


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """|bound - objective| / max(|objective|, 1e-9): the gap definition used in every report."""
    if objective is None or bound is None or not np.isfinite(bound):
        return None
    return abs(bound - objective) / max(abs(objective), 1e-9)


class Backend(Protocol):
    def solve(self, lp: LinearProgram, config: SolverConfig, start: np.ndarray | None = None) -> Solution:
        """Solve ``lp``; ``start`` is an optional feasible point to begin from (an incumbent)."""
        ...


def solve_empty(lp: LinearProgram, solver: str) -> Solution:
    """A model without variables: optimal at 0 if every row admits 0, else infeasible."""
    ok = bool(np.all(lp.row_lb <= 1e-9) and np.all(lp.row_ub >= -1e-9))
    if ok:
        return Solution(OPTIMAL, np.zeros(0), 0.0, 0.0, 0.0, 0.0, solver, "no variables: nothing to open")
    return Solution(INFEASIBLE, None, None, None, None, 0.0, solver, "no variables and a row that needs some")
