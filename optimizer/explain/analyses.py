"""The analyses that re-solve (what more money buys, the loss when a placement is removed, phasing),
attached to a Result on request. Kept apart from the explanation every run gets, so that results never
import the solver."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..result import Result


def with_analyses(
    r: Result,
    money: bool = True,
    removal: bool = True,
    phasing: bool | None = None,
    step: float = 100_000.0,
    multiples: tuple[int, ...] = (1,),
    executor: str = "inprocess",
) -> Result:
    """A copy of ``r`` holding the analyses that re-solve: ``marginal`` (what each of ``multiples`` x
    ``step`` more of each budget buys), ``removal`` (coverage lost per placement when removed and the
    plan re-optimised) and ``phasing`` (by default when the scenario has a ``phasing:`` section)."""
    from dataclasses import replace

    from .marginal import marginal_values
    from .phasing import phasing_requested, solve_phasing
    from .removal import removal_losses

    analyses = dict(r.analyses)
    if r.values is not None and money:
        analyses["marginal"] = marginal_values(r, step=step, multiples=multiples, executor=executor)
    if r.values is not None and removal:
        analyses["removal"] = removal_losses(r, executor=executor)
    if phasing if phasing is not None else phasing_requested(r.scenario):
        analyses["phasing"] = solve_phasing(r.scenario, r.reach, r.solver_config)
    return replace(r, analyses=analyses)
