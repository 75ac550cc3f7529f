"""The quick answer: no branch and bound. The plan is the starting plan ``solve`` hands every backend
(the greedy plan, improved by local search where available); its bound is the LP relaxation's, solved
by HiGHS (:func:`~optimizer.backends.relaxation.bound_by_deadline`: on large models by a first-order
method in a process stopped at the deadline, whose row prices prove the bound,
:meth:`~optimizer.lp.LinearProgram.dual_bound`, as a stopped simplex's do). Always reported as
``feasible`` with that bound, never as optimal."""

from __future__ import annotations

import time

import numpy as np

from ..deadline import Deadline
from ..lp import LinearProgram
from ..outcome import ProgressCallback
from .base import FEASIBLE, NO_SOLUTION, Solution, SolverConfig, relative_gap
from .relaxation import SideBound, bound_by_deadline


class HeuristicBackend:
    """``side``: the relaxation already running beside the search (its bound is waited for until the
    deadline, instead of solving the relaxation here)."""

    name = "heuristic"

    def __init__(self, side: SideBound | None = None) -> None:
        self.side = side

    def solve(
        self,
        lp: LinearProgram,
        config: SolverConfig,
        start: np.ndarray | None = None,
        deadline: Deadline | None = None,
        abs_gap: float | None = None,
        progress: ProgressCallback | None = None,
    ) -> Solution:
        t0 = time.perf_counter()
        # the relaxation's bound: its value when solved, or what its prices prove (a stopped simplex, or
        # the first-order method used on large models)
        relaxation = bound_by_deadline(
            lp, deadline or Deadline(config.time_limit_s), self.side, config.threads
        )
        bound = relaxation.bound
        seconds = time.perf_counter() - t0
        if start is None:
            why = "no starting plan meets every row (a mandate?): the heuristic has nothing to return"
            return Solution(NO_SOLUTION, None, None, bound, None, seconds, self.name, why)
        obj = float(lp.c @ start)
        how = f"{relaxation.method}: {relaxation.message}"
        message = f"heuristic plan; the bound is the LP relaxation's ({how})"
        return Solution(
            FEASIBLE,
            np.asarray(start, float),
            obj,
            bound,
            relative_gap(obj, bound),
            seconds,
            self.name,
            message,
        )
