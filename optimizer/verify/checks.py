"""Checks of what placements.csv and summary.json claim, against the recomputation.

- summary: the scenario's name, counts, placement count and status;
- placements: the site exists, the format is in play and allowed there, no pair twice, ``max_formats``;
- floor area: the placed formats' areas fit each site's ``floor_area_m2``;
- capital: each fit-out is the site's ``fitout_yuan`` or area x cost per m2; the total is within budget;
- rent subsidy: >= 0, only for subsidised formats, at most ``share_of_rent`` x yearly rent, within budget;
- viability: margin x catchment + subsidy pays yearly rent + operating cost (catchments recomputed);
- summary formats and groups: covered population before and after, per format and per population group;
- mandates: the covered share of each mandated group;
- objective: weighted coverage gained, against ``objective_recomputed`` and the solver's objective.

One rule per function; each records one named check on the report.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..catalog import BY_KEY
from ..groups import GROUP_BY_KEY, GROUPS, SPEED_GROUPS, group_mask
from ..model.budgets import BUDGET_BY_BLOCK, Budget
from ..scenario import Scenario
from .compare import MONEY_TOL, REL_TOL, SOLVED, close, num
from .report import VerifyReport
from .truth import Truth, pair_economics

#: The group blocks summary.json may hold: the population groups, then the speed groups.
SUMMARY_GROUPS: tuple[str, ...] = (
    *(g.key for g in GROUPS),
    *(k for k in SPEED_GROUPS if k not in GROUP_BY_KEY),
)


def check_summary_basics(rep: VerifyReport, sc: Scenario, summary: dict[str, Any], p: pd.DataFrame) -> None:
    """summary.json's scenario name, counts and placement count match; no placements without a solution."""
    probs: list[str] = []
    if summary.get("scenario") != sc.name:
        probs.append(f"scenario name '{summary.get('scenario')}', the scenario is '{sc.name}'")
    counts = summary.get("counts") or {}
    for name, n in (
        ("residences", len(sc.residences)),
        ("sites", len(sc.sites)),
        ("outlets", len(sc.outlets)),
        ("formats", len(sc.formats)),
    ):
        if counts.get(name) != n:
            probs.append(f"counts.{name} {counts.get(name)}, the scenario has {n}")
    if summary.get("placements") != len(p):
        probs.append(f"placements {summary.get('placements')}, placements.csv has {len(p)} rows")
    status = summary.get("status")
    if status not in SOLVED and len(p):
        probs.append(f"status {status} but placements.csv lists {len(p)} placements")
    rep.add("summary", probs, f"status {status}; name, counts and placement count agree")


def check_placements(rep: VerifyReport, sc: Scenario, p: pd.DataFrame) -> pd.DataFrame:
    """Sites exist, formats in play and allowed, no pair twice, max_formats; return the valid rows."""
    probs: list[str] = []
    ok_rows = np.ones(len(p), dtype=bool)
    for n, (sid, key) in enumerate(zip(p["site_id"], p["format"], strict=True)):
        if sid not in sc.sites.index:
            probs.append(f"site {sid}: not a site of the scenario (format {key})")
            ok_rows[n] = False
            continue
        if key not in sc.formats.index:
            what = "not a catalog format" if key not in BY_KEY else "not in play in this scenario"
            probs.append(f"site {sid}: format {key} is {what}")
            ok_rows[n] = False
            continue
        allowed = list(sc.sites.at[sid, "allowed_formats"] or [])
        if allowed and key not in allowed:
            probs.append(f"site {sid}: format {key} is not allowed there (allowed: {', '.join(allowed)})")
    dup = p[p.duplicated(["site_id", "format"], keep="first")]
    for sid, key in zip(dup["site_id"], dup["format"], strict=True):
        probs.append(f"site {sid}: format {key} placed more than once")
    for sid, grp in p.groupby("site_id", sort=True):
        if sid not in sc.sites.index:
            continue
        lim = sc.sites.at[sid, "max_formats"]
        if pd.notna(lim) and len(grp) > int(lim):
            probs.append(
                f"site {sid}: {len(grp)} formats placed ({', '.join(grp['format'])}), "
                f"max_formats is {int(lim)}"
            )
    rep.add("placements", probs, f"{len(p)} placements: sites exist, formats in play and allowed")
    return p[ok_rows]


def check_floor_area(rep: VerifyReport, sc: Scenario, truth: Truth, p: pd.DataFrame, slack: float) -> None:
    """The placed formats' areas fit each site's floor_area_m2; written areas are the formats' areas."""
    probs: list[str] = []
    for sid, grp in p.groupby("site_id", sort=True):
        if sid not in sc.sites.index:
            continue
        parts, total = [], 0.0
        for key in grp["format"]:
            econ = pair_economics(sc, truth, sid, key)
            if econ is None:
                continue
            total += econ["area_m2"]
            parts.append(f"{key} {num(econ['area_m2'])}")
        floor = float(sc.sites.at[sid, "floor_area_m2"])
        if total > floor + 1e-9 + slack * total:
            probs.append(
                f"site {sid}: floor area of the placed formats {num(total)} m2 ({' + '.join(parts)}) "
                f"exceeds floor_area_m2 {num(floor)}"
            )
        for key, area in zip(
            grp["format"], grp.get("area_m2", pd.Series(np.nan, index=grp.index)), strict=True
        ):
            econ = pair_economics(sc, truth, sid, key)
            if econ is not None and pd.notna(area) and not close(area, econ["area_m2"]):
                probs.append(
                    f"site {sid}, {key}: area_m2 {num(area)} written, expected {num(econ['area_m2'])}"
                )
    rep.add("floor area", probs, "every site's placed formats fit its floor area")


def summary_budget_problems(budget: Budget, summary: dict[str, Any], total: float, limit: float) -> list[str]:
    """summary.json's ``<budget>_used`` and ``<budget>_limit`` against the placements and the scenario."""
    b = summary.get("budget") or {}
    used, lim = b.get(f"{budget.key}_used"), b.get(f"{budget.key}_limit")
    probs = []
    if not close(used, total):
        probs.append(
            f"summary.json budget.{budget.key}_used {num(used)}, placements.csv sums to {num(total)}"
        )
    if not close(lim, limit):
        key = budget.key
        probs.append(f"summary.json budget.{key}_limit {num(lim)}, scenario's budget.{key} is {num(limit)}")
    return probs


def check_capital(
    rep: VerifyReport, sc: Scenario, truth: Truth, p: pd.DataFrame, summary: dict[str, Any], slack: float
) -> None:
    """Each fit-out is the site's or area x cost per m2; the total is within budget and as summarised."""
    probs: list[str] = []
    expected_total = 0.0
    written = pd.to_numeric(p["fitout_yuan"], errors="coerce")
    for sid, key, fit in zip(p["site_id"], p["format"], written, strict=True):
        econ = pair_economics(sc, truth, sid, key)
        if econ is None:
            continue
        expected_total += econ["fitout_yuan"]
        if not close(fit, econ["fitout_yuan"], abs_tol=1e-6):
            how = (
                "the site's fitout_yuan"
                if pd.notna(sc.sites.at[sid, "fitout_yuan"])
                else "area x cost per m2"
            )
            probs.append(
                f"site {sid}, {key}: fitout_yuan {num(fit)} written, "
                f"expected {num(econ['fitout_yuan'])} ({how})"
            )
    total = float(written.sum())
    budget = BUDGET_BY_BLOCK["capital"]
    limit = budget.limit(sc.config)
    if expected_total > limit + 1e-6 + (REL_TOL + slack) * expected_total:
        probs.append(
            f"capital: the placements' fit-out totals {num(expected_total)} yuan, over budget.{budget.key} "
            f"{num(limit)}"
        )
    elif total > limit + 1e-6 + (REL_TOL + slack) * total:
        probs.append(f"capital: placements.csv fit-out totals {num(total)} yuan, over budget {num(limit)}")
    probs += summary_budget_problems(budget, summary, total, limit)
    rep.add(
        "capital",
        probs,
        f"fit-out {num(expected_total)} of {num(limit)} yuan; every fit-out and summary.json agree",
    )


def check_subsidy(
    rep: VerifyReport, sc: Scenario, truth: Truth, p: pd.DataFrame, summary: dict[str, Any], slack: float
) -> None:
    """Subsidies are >= 0, only for subsidised formats, within the rent share cap and the budget."""
    probs: list[str] = []
    sub = pd.to_numeric(p["subsidy_yuan_per_year"], errors="coerce")
    rent_w = pd.to_numeric(p["rent_yuan_per_year"], errors="coerce") if "rent_yuan_per_year" in p else None
    share = float(sc.config.subsidy.share_of_rent)
    for n, (sid, key, s) in enumerate(zip(p["site_id"], p["format"], sub, strict=True)):
        econ = pair_economics(sc, truth, sid, key)
        if econ is None:
            continue
        if pd.isna(s):
            probs.append(f"site {sid}, {key}: subsidy_yuan_per_year is empty or not a number")
            continue
        if s < -MONEY_TOL:
            probs.append(f"site {sid}, {key}: negative subsidy {num(s)}")
        if s > MONEY_TOL and not econ["subsidised"]:
            probs.append(
                f"site {sid}, {key}: subsidy {num(s)} yuan/year, but {key} is not a subsidised format"
            )
        elif (
            s > econ["max_subsidy"] + MONEY_TOL + (REL_TOL + slack) * econ["max_subsidy"]
            and econ["subsidised"]
        ):
            probs.append(
                f"site {sid}, {key}: subsidy {num(s)} exceeds share_of_rent {num(share)} x yearly rent "
                f"{num(econ['rent_yuan_per_year'])} = {num(econ['max_subsidy'])}"
            )
        if rent_w is not None and not close(rent_w.iloc[n], econ["rent_yuan_per_year"]):
            probs.append(
                f"site {sid}, {key}: rent_yuan_per_year {num(rent_w.iloc[n])} written, expected "
                f"12 x rent x area = {num(econ['rent_yuan_per_year'])}"
            )
    total = float(sub.fillna(0).sum())
    budget = BUDGET_BY_BLOCK["subsidy_budget"]
    limit = budget.limit(sc.config)
    if total > limit + MONEY_TOL * max(len(p), 1) + (REL_TOL + slack) * total:
        probs.append(f"subsidy: total {num(total)} yuan/year exceeds budget.{budget.key} {num(limit)}")
    probs += summary_budget_problems(budget, summary, total, limit)
    rep.add("rent subsidy", probs, f"subsidy {num(total)} of {num(limit)} yuan/year; caps and formats hold")


def check_viability(rep: VerifyReport, sc: Scenario, truth: Truth, p: pd.DataFrame, slack: float) -> None:
    """Written catchments, margins and costs are as recomputed; with viability on, each placement pays."""
    probs: list[str] = []
    enabled = bool(sc.config.viability.enabled)
    sub = pd.to_numeric(p["subsidy_yuan_per_year"], errors="coerce").fillna(0.0)
    cols = {
        c: pd.to_numeric(p[c], errors="coerce")
        for c in ("opex_yuan_per_year", "catchment", "margin_yuan_per_year")
        if c in p
    }
    for n, (sid, key) in enumerate(zip(p["site_id"], p["format"], strict=True)):
        if key not in sc.formats.index:
            continue
        econ = pair_economics(sc, truth, sid, key)
        if econ is None:
            continue
        for c, v in cols.items():
            if not close(v.iloc[n], econ[c], abs_tol=1e-6, rel_tol=1e-9):
                probs.append(f"site {sid}, {key}: {c} {num(v.iloc[n])} written, recomputed {num(econ[c])}")
        if enabled:
            pays = econ["margin_yuan_per_year"] + float(sub.iloc[n])
            costs = econ["rent_yuan_per_year"] + econ["opex_yuan_per_year"]
            if pays < costs - MONEY_TOL - (REL_TOL + slack) * costs:
                probs.append(
                    f"site {sid}, {key}: not viable: margin {num(econ['margin_per_resident'])} x catchment "
                    f"{num(econ['catchment'])} + subsidy {num(sub.iloc[n])} = {num(pays)} < rent "
                    f"{num(econ['rent_yuan_per_year'])} + operating cost {num(econ['opex_yuan_per_year'])} "
                    f"= {num(costs)}"
                )
    what = "every placement pays its rent and operating cost" if enabled else "viability not enabled"
    rep.add("viability", probs, f"{what}; catchments, margins and operating costs agree")


def check_summary_formats(
    rep: VerifyReport, sc: Scenario, exp: pd.DataFrame, p: pd.DataFrame, summary: dict[str, Any]
) -> None:
    """summary.json's block per format in play: walk limit, population, covered before and after."""
    probs: list[str] = []
    written = summary.get("formats") or {}
    for key in sc.formats.index:
        w = written.get(key)
        if w is None:
            probs.append(f"format {key}: no block in summary.json")
            continue
        c = exp[exp["format"] == key]
        pop = float(c["population"].sum())
        before = float(c.loc[c["covered_before"], "population"].sum())
        after = float(c.loc[c["covered_after"], "population"].sum())
        want = {
            "walk_minutes": float(sc.formats.at[key, "walk_minutes"]),
            "population": pop,
            "covered_before": before,
            "covered_after": after,
            "share_before": before / pop if pop else None,
            "share_after": after / pop if pop else None,
            "sites_opened": float((p["format"] == key).sum()),
        }
        for name, v in want.items():
            if name in w and not close(w[name], v):
                probs.append(f"format {key}: summary.json {name} {num(w[name])}, recomputed {num(v)}")
            elif name not in w:
                probs.append(f"format {key}: summary.json has no {name}")
    for key in written:
        if key not in sc.formats.index:
            probs.append(f"format {key}: in summary.json but not in play")
    rep.add("summary formats", probs, "covered population before/after per format agrees")


def check_summary_groups(
    rep: VerifyReport, exp: pd.DataFrame, units: pd.DataFrame, summary: dict[str, Any]
) -> None:
    """summary.json's block per population or speed group: population, covered before and after."""
    probs: list[str] = []
    written = summary.get("groups") or {}
    if "all" not in written:
        probs.append("summary.json has no groups.all block")
    for g, w in written.items():
        if g not in SUMMARY_GROUPS:
            probs.append(f"group {g}: unknown group block, cannot be verified")
            continue
        mask_u = group_mask(units, g)
        c = exp[mask_u[exp["unit"].to_numpy()]]
        tot = float(c["population"].sum())
        before = float(c.loc[c["covered_before"], "population"].sum())
        after = float(c.loc[c["covered_after"], "population"].sum())
        want = {
            "population": float(units.loc[mask_u, "population"].sum()),
            "covered_before_person_formats": before,
            "covered_after_person_formats": after,
            "share_before": before / tot if tot else None,
            "share_after": after / tot if tot else None,
        }
        for name, v in want.items():
            if name in w and not close(w[name], v):
                probs.append(f"group {g}: summary.json {name} {num(w[name])}, recomputed {num(v)}")
    rep.add("summary groups", probs, f"group blocks agree ({', '.join(written) or 'none'})")


def check_mandates(
    rep: VerifyReport, sc: Scenario, exp: pd.DataFrame, units: pd.DataFrame, status: str
) -> None:
    """With a solution, each mandated group's covered share reaches min_share for each of its formats."""
    probs: list[str] = []
    mandates = sc.config.mandates
    if status not in SOLVED:
        rep.add("mandates", [], f"not checked: status {status}")
        return
    for n, m in enumerate(mandates, start=1):
        mask_u = group_mask(units, m.group)
        total = float(units.loc[mask_u, "population"].sum())
        for key in m.formats:
            c = exp[(exp["format"] == key) & mask_u[exp["unit"].to_numpy()]]
            covered = float(c.loc[c["covered_after"], "population"].sum())
            need = float(m.min_share) * total
            if covered < need - 1e-6 * max(total, 1.0) - 1e-9:
                probs.append(
                    f"mandate {n} ({m.group}, {key}): covered share after {covered / total:.6f} "
                    f"({num(covered)} of {num(total)}) is below min_share {num(m.min_share)}"
                )
    rep.add("mandates", probs, f"{len(mandates)} mandate(s) met" if mandates else "no mandates")


def check_objective(rep: VerifyReport, sc: Scenario, exp: pd.DataFrame, summary: dict[str, Any]) -> None:
    """Weighted coverage gained equals objective_recomputed and agrees with the solver's objective."""
    probs: list[str] = []
    w = exp["format"].map(sc.formats["weight"].astype(float)).to_numpy(float)
    gain = (exp["credit_after"] - exp["credit_before"]).to_numpy(float)
    value = float(np.sum(w * exp["priority"].to_numpy(float) * exp["population"].to_numpy(float) * gain))
    rec = summary.get("objective_recomputed")
    if rec is None or not close(rec, value, abs_tol=1e-6, rel_tol=1e-9):
        probs.append(f"summary.json objective_recomputed {num(rec)}, recomputed {num(value)}")
    obj, bound = summary.get("objective"), summary.get("bound")
    solver = summary.get("solver") or {}
    gap_tol = solver.get("mip_gap", sc.config.solver.mip_gap) or 0.0
    status = summary.get("status")
    if obj is None:
        probs.append("summary.json has no solver objective")
    else:
        if not close(float(obj), value, abs_tol=1e-6, rel_tol=1e-9):
            probs.append(
                f"summary.json objective {num(obj)} is not the value of the plan as placed, {num(value)} "
                "(the headline must be the placements' coverage, not a solver variable)"
            )
        scale = max(abs(float(obj)), abs(float(bound)) if bound is not None else 0.0, 1.0)
        tol = float(gap_tol) * scale + 1e-6 * scale
        if value < float(obj) - tol:
            probs.append(
                f"weighted coverage of the placements {num(value)} is below the solver's objective "
                f"{num(obj)} by more than the MIP gap tolerance {num(gap_tol)}"
            )
        if status == "optimal" and value > float(obj) + tol:
            probs.append(
                f"weighted coverage of the placements {num(value)} exceeds the solver's optimal objective "
                f"{num(obj)} by more than the MIP gap tolerance {num(gap_tol)}"
            )
        if bound is not None and value > float(bound) + tol:
            probs.append(f"weighted coverage {num(value)} exceeds the solver's bound {num(bound)}")
    rep.add("objective", probs, f"weighted coverage gained {num(value)} agrees with summary.json")
