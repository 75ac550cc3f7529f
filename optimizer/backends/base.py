"""What every backend takes and gives back: a solver config (:class:`optimizer.config.SolverConfig`)
and an honest :class:`~optimizer.outcome.Solution`."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ..config import SolverConfig
from ..deadline import Deadline
from ..lp import LinearProgram
from ..outcome import ProgressCallback, Solution, Status, relative_gap

OPTIMAL, FEASIBLE, INFEASIBLE, NO_SOLUTION, ERROR = (
    Status.OPTIMAL,
    Status.FEASIBLE,
    Status.INFEASIBLE,
    Status.NO_SOLUTION,
    Status.ERROR,
)
__all__ = ["Backend", "Solution", "Status", "relative_gap", "solve_empty", "SolverConfig"]


class Backend(Protocol):
    def solve(
        self,
        lp: LinearProgram,
        config: SolverConfig,
        start: np.ndarray | None = None,
        deadline: Deadline | None = None,
        abs_gap: float | None = None,
        progress: ProgressCallback | None = None,
    ) -> Solution:
        """Solve ``lp`` by the ``deadline`` (default: ``config.time_limit_s`` from now); ``start`` is an
        optional feasible point to begin from (an incumbent); ``abs_gap`` lets the solver stop once the
        bound is closer than that to the incumbent (an exact proof when objective values are whole
        multiples of a larger quantum); ``progress`` is called with the incumbent, bound and gap as the
        search goes on (backends that cannot report progress never call it)."""
        ...


def solve_empty(lp: LinearProgram, solver: str) -> Solution:
    """A model without variables: optimal at 0 if every row admits 0, else infeasible."""
    ok = bool(np.all(lp.row_lb <= 1e-9) and np.all(lp.row_ub >= -1e-9))
    if ok:
        return Solution(OPTIMAL, np.zeros(0), 0.0, 0.0, 0.0, 0.0, solver, "no variables: nothing to open")
    return Solution(INFEASIBLE, None, None, None, None, 0.0, solver, "no variables and a row that needs some")
