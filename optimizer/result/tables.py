"""The result's tables, computed from the plan as placed: placements, coverage before and after, the
recomputed objective, and the summary that summary.json holds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..catalog import BY_KEY
from ..groups import GROUPS, group_mask
from ..model import BUDGETS
from ..outcome import relative_gap
from ..reach import credit_at
from ..schema import OUTPUT_TABLES

if TYPE_CHECKING:
    from . import Result


def output_columns(table: str) -> list[str]:
    return [c.name for c in OUTPUT_TABLES[table]]


def placements(r: Result) -> pd.DataFrame:
    """One row per (site, format) opened: costs per year and the population in its catchment."""
    cols = output_columns("placements")
    if r.values is None:
        return pd.DataFrame(columns=cols)
    x = r.model.x
    p = x.loc[r.values[r.model.lp.cols("x")] > 0.5].copy()
    # The subsidy a placement needs is its viability deficit, paid in whole fen and never above the
    # policy cap; the solver's s values can sit a rounding error below it.
    need = np.where(p["needs_subsidy"], p["deficit_yuan_per_year"], 0.0)
    p["subsidy_yuan_per_year"] = np.where(
        need > 0, np.minimum(np.ceil(need * 100 - 1e-6) / 100, p["max_subsidy_yuan_per_year"]), 0.0
    )
    p["name_zh"] = [BY_KEY[k].name_zh for k in p["format"]]
    return p[cols].reset_index(drop=True)


def open_sites(r: Result, key: str) -> np.ndarray:
    """Per site: whether the plan opens format ``key`` there."""
    out = np.zeros(len(r.scenario.sites), dtype=bool)
    if r.values is not None:
        p = r.placements
        out[r.scenario.sites.index.get_indexer(p.loc[p["format"] == key, "site_id"])] = True
    return out


def coverage(r: Result) -> pd.DataFrame:
    """Per demand unit and format: minutes to the nearest outlet before and after, and the credit."""
    parts = []
    d = r.reach.demand
    sm = r.reach.site_minutes
    for key, fr in r.reach.formats.items():
        keep = open_sites(r, key)[sm.cols]
        best = np.full(len(d), np.inf)
        np.minimum.at(best, sm.rows[keep], sm.minutes[keep])
        after = np.minimum(fr.minutes_before, best)
        credit_after = credit_at(after, fr.limit, fr.partial_limit, fr.credit_partial)
        parts.append(
            pd.DataFrame(
                {
                    "residence_id": d["residence_id"].to_numpy(),
                    "group": d["group"].to_numpy(),
                    "format": key,
                    "population": d["population"].to_numpy(),
                    "minutes_before": np.where(np.isfinite(fr.minutes_before), fr.minutes_before, np.nan),
                    "minutes_after": np.where(np.isfinite(after), after, np.nan),
                    "covered_before": fr.base_credit >= 1,
                    "covered_after": credit_after >= 1,
                    "credit_before": fr.base_credit,
                    "credit_after": credit_after,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)[output_columns("coverage")] if parts else pd.DataFrame()


def objective_recomputed(r: Result) -> float:
    """Weighted coverage gained, recomputed from the placements (not read from the solver)."""
    if r.values is None:
        return 0.0
    cov = r.coverage
    w = r.scenario.formats["weight"]
    prio = np.tile(r.reach.demand["priority"].to_numpy(), len(r.reach.formats))
    gain = (cov["credit_after"] - cov["credit_before"]) * cov["population"] * prio * cov["format"].map(w)
    return float(gain.sum())


def tie_break_status(r: Result) -> str | None:
    """The least-public-money tie-break: 'optimal' when proved (a weighted solve: coverage exact and
    the solver optimal; never for a time-limited run), 'feasible', 'not_run' when the time limit was
    used up, 'failed' when the solver failed it (the stage-one plan is kept), None when not asked for."""
    if r.tie_break is not None:
        return r.tie_break.status
    if r.second is not None:
        return str(r.second.status)
    if any("tie-break" in n and "not run" in n for n in r.notes):
        return "not_run"
    if any("tie-break stage" in n for n in r.notes):
        return "failed"
    return None


def headline_objective(r: Result) -> float | None:
    """The value of the plan as placed: ``c @ values`` of the final plan (coverage recomputed from the
    placements), or the solver's value when there is no plan."""
    if r.values is None:
        return r.first.objective
    return float(r.model.lp.c @ r.values)


def optimality(r: Result) -> dict[str, Any]:
    """What "optimal" means for this run: exact, or within the relative gap the proof used."""
    gap = relative_gap(headline_objective(r), r.first.bound)
    return {
        "exact": bool(r.exact),
        "within": gap,
        "quantum": r.quantum,
        "bound_known": r.first.bound is not None,
        "text": status_text(r),
    }


def status_text(r: Result) -> str:
    """The status in words for the console and reports: 'optimal', 'optimal within 0.005%',
    'feasible, gap 1.2%' or 'feasible, no bound known'."""
    gap = relative_gap(headline_objective(r), r.first.bound)
    if r.status == "optimal":
        return "optimal" if r.exact or not gap else f"optimal within {gap:.3%}"
    if r.status == "feasible":
        return f"feasible, gap {gap:.3%}" if gap is not None else "feasible, no bound known"
    return str(r.status)


def _share(covered: float | None, total: float) -> float | None:
    return covered / total if total and covered is not None else None


def format_summary(r: Result) -> dict[str, dict[str, Any]]:
    """Per format: population, covered before and after, shares, sites opened. Without a plan
    (infeasible, no solution) the coverage today is still reported and every "after" is None."""
    cov = r.coverage
    out = {}
    for key in r.scenario.formats.index:
        c = cov[cov["format"] == key]
        total = float(c["population"].sum())
        before = float(c.loc[c["covered_before"], "population"].sum())
        after = float(c.loc[c["covered_after"], "population"].sum()) if r.values is not None else None
        out[key] = {
            "name_zh": BY_KEY[key].name_zh,
            "walk_minutes": float(r.scenario.formats.at[key, "walk_minutes"]),
            "population": total,
            "covered_before": before,
            "covered_after": after,
            "share_before": _share(before, total),
            "share_after": _share(after, total),
            "sites_opened": int((r.placements["format"] == key).sum()) if len(r.placements) else 0,
        }
    return out


def group_summary(r: Result) -> dict[str, dict[str, Any]]:
    """Per population group (and speed group): population and person-formats covered before and after
    (after None without a plan)."""
    cov, demand = r.coverage, r.reach.demand
    speed_groups = [g for g in demand["group"].unique() if g != "all"]
    out = {}
    for g in (*(grp.key for grp in GROUPS), *speed_groups):
        unit_mask = group_mask(demand, g)
        c = cov[np.tile(unit_mask, len(r.reach.formats))]
        tot = float(c["population"].sum())
        before = float(c.loc[c["covered_before"], "population"].sum())
        after = float(c.loc[c["covered_after"], "population"].sum()) if r.values is not None else None
        out[g] = {
            "population": float(demand.loc[unit_mask, "population"].sum()),
            "covered_before_person_formats": before,
            "covered_after_person_formats": after,
            "share_before": _share(before, tot),
            "share_after": _share(after, tot),
        }
    return out


def budget_summary(r: Result) -> dict[str, float]:
    """Each budget (:data:`~optimizer.model.BUDGETS`): what the plan spends and the limit."""
    p = r.placements
    out: dict[str, float] = {}
    for b in BUDGETS:
        out[f"{b.key}_used"] = float(p[b.spends].sum()) if len(p) else 0.0
        out[f"{b.key}_limit"] = b.limit(r.scenario.config)
    return out


def unreachable_warnings(r: Result) -> list[str]:
    lost = r.reach.unreachable()
    if not len(lost):
        return []
    ids = ", ".join(map(str, lost[:10])) + (f" and {len(lost) - 10} more" if len(lost) > 10 else "")
    return [f"{len(lost)} residences are reached by no site and no outlet within any walk limit: {ids}"]


def summary(r: Result) -> dict[str, Any]:
    """Everything summary.json holds: termination, objective, bound, gap, coverage, budgets, timings."""
    from .plugins import SUMMARY_SECTIONS
    from .write import inputs_digest, json_safe

    sc = r.scenario
    has_cov = len(r.coverage) > 0
    out: dict[str, Any] = {
        "scenario": sc.name,
        "scenario_file": str(sc.path.resolve()) if sc.path else None,
        "inputs_sha256": inputs_digest(sc.inputs),
        "status": str(r.status),
        "objective": headline_objective(r),
        "objective_recomputed": objective_recomputed(r) if r.values is not None else None,
        "bound": r.first.bound,
        "mip_gap": relative_gap(headline_objective(r), r.first.bound) if r.values is not None else None,
        "optimality": optimality(r),
        "solver": r.solver_config.to_dict(),
        "solver_message": r.first.message,
        "tie_break": sc.config.objective.tie_break,
        "tie_break_status": tie_break_status(r),
        "tie_break_method": r.tie_break.method if r.tie_break is not None else None,
        "tie_break_proof": r.tie_break.text if r.tie_break is not None else None,
        "tie_break_money_within_yuan": r.tie_break.money_within if r.tie_break is not None else None,
        "seconds": r.timings.get("total_s", sum(r.timings.values())),
        "timings": dict(r.timings),
        "walk_source": r.reach.source,
        "walk": r.reach.walk_report,
        "counts": {
            "residences": len(sc.residences),
            "sites": len(sc.sites),
            "outlets": len(sc.outlets),
            "formats": len(sc.formats),
            "x_variables": len(r.model.x),
            "y_variables": len(r.model.y),
            "rows": r.model.lp.n_rows,
        },
        "model_size": r.model.model_size,
        "formats": format_summary(r) if has_cov else {},
        "groups": group_summary(r) if has_cov else {},
        "budget": budget_summary(r),
        "placements": len(r.placements),
        "warnings": [str(w) for w in sc.warnings]
        + list(r.reach.warnings)
        + list(r.notes)
        + unreachable_warnings(r),
    }
    for name, section in SUMMARY_SECTIONS.items():
        block = section(r)
        out["warnings"] += list(block.get("warnings") or [])
        out[name] = block
    if r.diagnosis is not None:
        out["diagnosis"] = r.diagnosis.to_dict(orient="records")
    return json_safe(out)
