"""What a solve can end in, as data: the status enum and the frozen Solution every backend returns
(in the manner of linopy's ``constants.py``). Reports, exit codes and the CLI read these."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np


class Status(StrEnum):
    """Terminations reported to users (``status`` in summary.json, the console and the exit code)."""

    OPTIMAL = "optimal"  # proved optimal within the requested relative gap
    FEASIBLE = "feasible"  # a plan, but a limit stopped the proof: see the gap and the bound
    INFEASIBLE = "infeasible"  # the mandates cannot all be met: see the diagnosis
    NO_SOLUTION = "no_solution"  # a limit stopped the solver before any plan
    ERROR = "error"  # the solver failed

    @property
    def has_plan(self) -> bool:
        return self in (Status.OPTIMAL, Status.FEASIBLE)

    @property
    def exit_code(self) -> int:
        """The CLI's exit code: 0 solved, 3 infeasible, 4 no solution or a solver error."""
        return EXIT_CODES[self]


EXIT_CODES: dict[Status, int] = {
    Status.OPTIMAL: 0,
    Status.FEASIBLE: 0,
    Status.INFEASIBLE: 3,
    Status.NO_SOLUTION: 4,
    Status.ERROR: 4,
}


@dataclass(frozen=True, eq=False)
class Solution:
    """The real termination of one solve, read from the solver, never assumed."""

    status: Status
    values: np.ndarray | None
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    solver: str
    message: str = ""

    @property
    def has_solution(self) -> bool:
        return self.values is not None and Status(self.status).has_plan


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """|bound - objective| / max(|objective|, 1e-9): the gap definition used in every report."""
    if objective is None or bound is None or not np.isfinite(bound):
        return None
    return abs(bound - objective) / max(abs(objective), 1e-9)


def proves(objective: float, bound: float | None, mip_gap: float, abs_gap: float | None) -> bool:
    """Whether ``bound`` proves a plan of value ``objective`` optimal as a solver would report it:
    within ``mip_gap`` relative, or closer than ``abs_gap``."""
    gap = relative_gap(objective, bound)
    if gap is None or bound is None:
        return False
    return gap <= mip_gap or (abs_gap is not None and abs(bound - objective) < abs_gap)


@dataclass(frozen=True)
class Progress:
    """Where a long solve stands: ``seconds`` since the solver started, the best plan's value
    (``incumbent``), the best bound and the relative gap (None while unknown)."""

    stage: str
    seconds: float
    incumbent: float | None
    bound: float | None
    gap: float | None

    def __str__(self) -> str:
        def num(v: float | None) -> str:
            return "-" if v is None else f"{v:,.1f}"

        gap = "-" if self.gap is None else f"{self.gap:.2%}"
        plan, bound = num(self.incumbent), num(self.bound)
        return f"{self.stage}: {self.seconds:.0f} s, plan {plan}, bound {bound}, gap {gap}"


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class TieBreak:
    """What the least-public-money tie-break did: ``method`` (``weighted``: one solve of coverage minus a
    safe multiple of money; ``two_stage``: coverage, then money at that coverage), whether coverage is
    proven to be the maximum (``coverage_exact``), how far the plan's money may be above the least of
    its coverage (``money_within`` yuan; None when unknown) and ``text``, the same in words."""

    method: str
    status: str
    coverage_exact: bool
    money_within: float | None
    text: str
