"""One deadline for a whole solve: every step (the starting plan, both stages, the diagnosis) asks how
much time is left instead of taking a fresh time limit of its own."""

from __future__ import annotations

import time
from collections.abc import Callable

# How far past the deadline a run may end: a solver is asked to stop at the deadline, and one that has
# not returned GRACE_S later is interrupted (HiGHS) or stopped by signal (CBC). Writing the results and
# computing walk times are outside the solve and not counted.
GRACE_S = 2.0


class Deadline:
    """A point in time, ``seconds`` from now (None: never)."""

    def __init__(self, seconds: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.seconds = seconds
        self.end = None if seconds is None else clock() + float(seconds)

    def left(self) -> float:
        """Seconds left (never negative; infinite without a deadline)."""
        return float("inf") if self.end is None else max(0.0, self.end - self._clock())

    @property
    def expired(self) -> bool:
        return self.left() <= 0.0

    def limit(self, floor: float = 0.05) -> float:
        """A time limit to hand a solver: the time left, at least ``floor`` seconds so it can return
        what it has."""
        return max(floor, min(self.left(), 1e9))
