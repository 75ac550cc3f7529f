"""Why this plan: what limits it, what each placement contributes, what more money would buy, other
plans nearly as good, how robust it is to errors in the data, and in what order to open it.

The cheap parts (:func:`explain_block`: binding constraints, blocked formats with the smallest change
that would let them open, mandates, warnings, the sentences; :func:`placement_table`: coverage per
placement) read the solved plan and run on every run. The parts that re-solve (marginal money,
coverage lost when a placement is removed, alternatives, robustness, phasing) are functions of their own
modules, called by ``quarterhour explain``, ``alternatives``, ``robustness`` and ``run --explain-money``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from .binding import budget_entries, mandate_entries, pair_table, site_entries, subsidy_share_entry
from .blocked import blocked_formats, nothing_reason, pair_amounts
from .placements import EXPLAIN_COLUMNS, placement_table
from .words import blocked_sentence, sentences

if TYPE_CHECKING:
    from ..result import Result


def _binding_list(e: dict[str, Any], viability_on: bool) -> list[dict[str, Any]]:
    sites = e["sites"]
    out: list[dict[str, Any]] = [dict(b) for b in e["budgets"]]
    out.append(dict(e["subsidy_share"]))
    area = [s["site_id"] for s in sites if s["area_binding"]]
    cap = [s["site_id"] for s in sites if s["max_formats_binding"]]
    out.append({"constraint": "area", "sites": area, "binding": bool(area)})
    out.append({"constraint": "max_formats", "sites": cap, "binding": bool(cap)})
    needing = e["subsidy_share"]["placements_subsidised"]
    out.append(
        {
            "constraint": "viability",
            "enabled": viability_on,
            "placements_needing_subsidy": needing,
            "binding": bool(viability_on and needing > 0),
        }
    )
    out += [{"constraint": "mandate", **m} for m in e["mandates"]]
    return out


def _phasing_entry(r: Result) -> list[dict[str, Any]] | None:
    ph = r.analyses.get("phasing")
    return None if ph is None else ph.years.to_dict(orient="records")


def explain_block(r: Result, marginal: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``explain`` block of summary.json: binding constraints, blocked formats, mandates, warnings,
    marginal values (when computed) and ``sentences: {"zh": [...], "en": [...]}``."""
    pairs = pair_table(r)
    p = r.placements
    e: dict[str, Any] = {
        "status": str(r.status),
        "placements": int(len(p)),
        "sites_used": int(p["site_id"].nunique()) if len(p) else 0,
        "objective": r.first.objective,
        "budgets": budget_entries(r, pairs),
        "subsidy_share": subsidy_share_entry(r, pairs),
        "sites": site_entries(r),
        "mandates": mandate_entries(r),
        "formats_blocked": blocked_formats(r, pairs),
        "marginal": marginal,
        "phasing": _phasing_entry(r),
    }
    e["nothing_reason"], e["nothing_reason_zh"] = nothing_reason(r, pairs)
    e["binding"] = _binding_list(e, bool(r.scenario.config.viability.enabled))
    e["warnings"] = explain_warnings(r, e)
    e["sentences"] = sentences(e)
    return e


def explain_warnings(r: Result, e: dict[str, Any]) -> list[str]:
    """A warning when a plan places nothing, and one per format in play excluded at every site."""
    out = []
    if r.values is not None and not e["placements"]:
        out.append(f"the plan places nothing: {e['nothing_reason']}")
    out += [blocked_sentence(b)[1] for b in e["formats_blocked"]]
    return out


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
    from .placements import removal_losses

    analyses = dict(r.analyses)
    if r.values is not None and money:
        analyses["marginal"] = marginal_values(r, step=step, multiples=multiples, executor=executor)
    if r.values is not None and removal:
        analyses["removal"] = removal_losses(r, executor=executor)
    if phasing if phasing is not None else phasing_requested(r.scenario):
        analyses["phasing"] = solve_phasing(r.scenario, r.reach, r.solver_config)
    return replace(r, analyses=analyses)


def excluded_with_amounts(r: Result) -> pd.DataFrame:
    """excluded.csv: every pair left out, its reason, and by how much the reason fails (``amount`` in
    ``amount_unit``: floor area missing, fit-out over the budget, subsidy short of viability)."""
    cols = ["site_id", "format", "reason"]
    amounts = pair_amounts(r)
    amounts = amounts.loc[amounts["reason"] != "", [*cols, "amount", "amount_unit"]]
    return r.model.excluded[cols].merge(amounts, on=cols, how="left")


__all__ = [
    "with_analyses",
    "EXPLAIN_COLUMNS",
    "excluded_with_amounts",
    "placement_table",
    "explain_block",
    "pair_table",
    "pair_amounts",
    "blocked_formats",
    "explain_warnings",
]
