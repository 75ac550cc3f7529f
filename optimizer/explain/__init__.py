"""Why this plan: what limits it, what each placement contributes, what more money would buy, other
plans nearly as good, how robust it is to errors in the data, and in what order to open it.

The cheap parts (:func:`explain_block`: binding constraints, blocked formats with the smallest change
that would let them open, mandates, warnings, the sentences; :func:`placement_table`: coverage per
placement) read the solved plan and run on every run. The parts that re-solve (marginal money,
coverage lost when a placement is removed, alternatives, robustness, phasing) are functions of their own
modules, called by ``quarterhour explain``, ``alternatives``, ``robustness`` and ``run --explain-money``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..result.plugins import WriteOptions, add_summary_section, add_writer
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


def excluded_with_amounts(r: Result) -> pd.DataFrame:
    """excluded.csv: every pair left out, its reason, and by how much the reason fails (``amount`` in
    ``amount_unit``: floor area missing, fit-out over the budget, subsidy short of viability)."""
    cols = ["site_id", "format", "reason"]
    amounts = pair_amounts(r)
    amounts = amounts.loc[amounts["reason"] != "", [*cols, "amount", "amount_unit"]]
    return r.model.excluded[cols].merge(amounts, on=cols, how="left")


__all__ = [
    "EXPLAIN_COLUMNS",
    "excluded_with_amounts",
    "placement_table",
    "explain_block",
    "pair_table",
    "pair_amounts",
    "blocked_formats",
    "explain_warnings",
]


def _write_tables(r: Result, folder: Path, options: WriteOptions) -> None:
    """placements.csv with the per-placement explanation, explain.csv, excluded.csv with amounts, and the
    phasing tables when the run was phased."""
    why = placement_table(r)
    extra = [c for c in why.columns if c not in r.placements.columns]
    p = r.placements.merge(why, on=["site_id", "format"], how="left") if len(why) else r.placements
    p.reindex(columns=[*r.placements.columns, *extra]).to_csv(folder / "placements.csv", index=False)
    why.to_csv(folder / "explain.csv", index=False)
    excluded_with_amounts(r).to_csv(folder / "excluded.csv", index=False)
    phasing = r.analyses.get("phasing")
    if phasing is not None:
        phasing.years.to_csv(folder / "phasing.csv", index=False)
        phasing.placements.to_csv(folder / "phasing_placements.csv", index=False)


def _explain_section(r: Result) -> dict[str, Any]:
    return explain_block(r, marginal=r.analyses.get("marginal"))


add_summary_section("explain", _explain_section)
add_writer("explain", _write_tables)
