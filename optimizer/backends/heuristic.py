"""The quick answer: no branch and bound. The plan is the starting plan ``solve`` hands every backend
(the greedy plan, improved by local search where available); its bound is the LP relaxation's value,
solved by HiGHS (or, when the time runs out first, the bound its row prices prove,
:meth:`~optimizer.lp.LinearProgram.dual_bound`). Always reported as ``feasible`` with that bound, never
as optimal."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from ..deadline import Deadline
from ..lp import LinearProgram
from ..outcome import ProgressCallback
from .base import FEASIBLE, NO_SOLUTION, Solution, SolverConfig, relative_gap


class HeuristicBackend:
    name = "heuristic"

    def solve(
        self,
        lp: LinearProgram,
        config: SolverConfig,
        start: np.ndarray | None = None,
        deadline: Deadline | None = None,
        abs_gap: float | None = None,
        progress: ProgressCallback | None = None,
    ) -> Solution:
        from .highs import HighsBackend

        t0 = time.perf_counter()
        relaxation = replace(lp, integer=np.zeros_like(lp.integer))
        lp_sol = HighsBackend().solve(
            relaxation, replace(config, name="highs", options={}), deadline=deadline
        )
        # the relaxation's bound: its value when solved, or what its prices prove when it was stopped
        bound = lp_sol.bound
        seconds = time.perf_counter() - t0
        if start is None:
            why = "no starting plan meets every row (a mandate?): the heuristic has nothing to return"
            return Solution(NO_SOLUTION, None, None, bound, None, seconds, self.name, why)
        obj = float(lp.c @ start)
        message = "heuristic plan; the bound is the LP relaxation's" + (
            " value" if str(lp_sol.status) == "optimal" else " prices' (the LP was stopped)"
        )
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
