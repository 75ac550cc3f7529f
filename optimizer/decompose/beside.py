"""Windows beside one MIP: while the exact solver runs (in a process of its own, on one core), the plan
keeps improving window by window on the other; the answer is the better of the two plans, with the
solver's bound.

On a connected model of a few hundred thousand nonzeros the MIP often neither proves its plan nor
improves it within a planner's limit, while windows keep finding better plans long after the share
of the limit they get before it (bench/RESULTS.md, "Windows beside the MIP"). The windows start only
once the MIP reports a wide gap (:data:`MIN_GAP`), since HiGHS at times uses a second thread and a MIP
near its proof is better left both cores; once the MIP returns, no further window starts.

Like the rest of this package it sees only a :class:`~optimizer.lp.LinearProgram`; the MIP and the
windows come in as callables.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from ..lp import LinearProgram
from ..outcome import Progress, ProgressCallback, Solution, Status, proves, relative_gap

# Runs the MIP from the start it was given, reporting through the callback.
RunMip = Callable[[ProgressCallback], Solution]
# Improves a plan until ``stop()`` answers True or its own time is up, reporting through the callback.
Improve = Callable[[np.ndarray, Callable[[], bool], ProgressCallback], np.ndarray]

NOTE = "; plan improved by windows beside the MIP"

# The windows start once the MIP reports a gap at least this wide: nearer a proof the MIP keeps both
# cores (HiGHS uses a second thread at times). Measured (bench/RESULTS.md, "Windows beside the MIP"):
# on 5,137 city blocks, 50 sites within 500 m, HiGHS proved its plan in 245 s alone and in one of four
# runs within 300 s with windows beside it (its gap 0.1-0.2%); with this rule, and the relaxation that
# guides the windows started only with them, in three of three (186-267 s). Within 750 m (gap 2%) the
# windows beside it took the plan from 750,248 to 759,272 in the same 300 s.
MIN_GAP = 0.01


class _Best:
    """What both searches have reported: the best plan's value, the MIP's bound; one lock for both
    threads' reports."""

    def __init__(self, sense: str, progress: ProgressCallback) -> None:
        self.sign = 1.0 if sense == "max" else -1.0
        self.progress = progress
        self.lock = threading.Lock()
        self.windows: float | None = None
        self.bound: float | None = None
        self.gap: float | None = None  # the MIP's last

    def better(self, a: float | None, b: float | None) -> float | None:
        if a is None or b is None:
            return a if b is None else b
        return a if self.sign * (a - b) >= 0 else b

    def from_mip(self, p: Progress) -> None:
        with self.lock:
            self.bound = p.bound if p.bound is not None else self.bound
            self.gap = p.gap if p.gap is not None else self.gap
            plan = self.better(p.incumbent, self.windows)
            self.progress(replace(p, incumbent=plan, gap=relative_gap(plan, p.bound)))

    def from_windows(self, p: Progress) -> None:
        with self.lock:
            self.windows = self.better(p.incumbent, self.windows)
            gap = relative_gap(self.windows, self.bound)
            self.progress(replace(p, stage="windows beside the MIP", bound=self.bound, gap=gap))


def mip_with_windows(
    lp: LinearProgram,
    start: np.ndarray,
    mip: RunMip,
    improve: Improve,
    progress: ProgressCallback,
    mip_gap: float,
    abs_gap: float | None = None,
    min_gap: float = MIN_GAP,
) -> Solution:
    """Run ``mip`` on a thread (it should wait on a process, leaving this one's core to the windows)
    and, once it reports a gap of at least ``min_gap``, ``improve`` from ``start`` here until the MIP
    returns; then the MIP's answer with the better plan. The windows' plan replaces the MIP's only
    when its value (``lp.c @ v``) is strictly better; the bound stays the MIP's, and the status is
    optimal when that bound proves the plan within ``mip_gap`` (relative) or ``abs_gap``, as the solver
    itself would report it. A MIP that returns no plan is returned as it is."""
    best = _Best(lp.sense, progress)
    answer: list[Solution] = []
    thread = threading.Thread(target=lambda: answer.append(mip(best.from_mip)), daemon=True)
    thread.start()
    values = np.asarray(start, dtype=float)
    try:
        while thread.is_alive() and (best.gap is None or best.gap < min_gap):
            thread.join(timeout=0.5)
        if thread.is_alive():
            values = improve(values, lambda: not thread.is_alive(), best.from_windows)
    finally:
        thread.join()
    sol = answer[0]
    if not sol.has_solution or sol.objective is None or sol.status == Status.OPTIMAL:
        return sol
    value = float(lp.c @ values)
    if best.sign * (value - sol.objective) <= 1e-9 * max(1.0, abs(sol.objective)):
        return sol
    return replace(
        sol,
        status=Status.OPTIMAL if proves(value, sol.bound, mip_gap, abs_gap) else Status.FEASIBLE,
        values=values,
        objective=value,
        gap=relative_gap(value, sol.bound),
        message=sol.message + NOTE,
    )


__all__ = ["Improve", "RunMip", "mip_with_windows"]
