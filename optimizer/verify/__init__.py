"""Re-verify an output folder from the raw inputs, independently of the model code.

``verify_dir(outdir)`` reads what a run wrote (summary.json, placements.csv, coverage.csv, excluded.csv,
result.gpkg), reloads the scenario named in summary.json (or takes the ``scenario`` given), recomputes
walk minutes through the scenario's walk source, and checks every claim of the folder against the
formulation written out in :mod:`optimizer.model`'s docstring:

- placements: the site exists, the format is in play and allowed there, ``max_formats`` holds;
- floor area: the placed formats' areas fit each site's ``floor_area_m2``;
- capital: each fit-out is the site's ``fitout_yuan`` or area x cost per m2; the total is within budget;
- rent subsidy: >= 0, only for subsidised formats, at most ``share_of_rent`` x yearly rent, within budget;
- viability: margin x catchment + subsidy pays yearly rent + operating cost (catchments recomputed);
- coverage: minutes to the nearest outlet before and after, covered flags and credits per residence
  (and speed group) and format, and summary.json's per-format and per-group totals;
- mandates: the covered share of each mandated group;
- objective: weighted coverage gained, against ``objective_recomputed`` and the solver's objective;
- excluded.csv: every stated reason for leaving a (site, format) pair out holds;
- result.gpkg: its layers agree with the CSV tables.

Nothing here imports :mod:`optimizer.model`, :mod:`optimizer.reach`, :mod:`optimizer.solve` or
:mod:`optimizer.result`: a bug there cannot hide itself by being reused. Mismatches are reported, never
raised; unreadable files are failed checks.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..catalog import BY_KEY
from ..scenario import Scenario, load_scenario
from ..walk import WalkTimeSource
from .compare import (
    MINUTE_TOL,
    MINUTES_EQ_TOL,
    MONEY_TOL,
    REL_TOL,
    SOLVED,
    SOLVER_REL_TOL,
    close,
    num,
    to_bool,
)
from .report import Check, VerifyReport
from .truth import Truth, expected_coverage, pair_economics, recompute

SUMMARY_GROUPS = ("all", "old_neighbourhood", "affordable_housing", "priority", "under_60", "elderly")
PLACEMENT_REQUIRED = ("site_id", "format", "fitout_yuan", "subsidy_yuan_per_year")
COVERAGE_REQUIRED = (
    "residence_id",
    "format",
    "population",
    "minutes_before",
    "minutes_after",
    "covered_before",
    "covered_after",
)
ID_COLUMNS = {"site_id": str, "residence_id": str, "format": str, "group": str, "reason": str}

REASON_NOT_ALLOWED = "format not allowed at this site"
REASON_AREA = "not enough floor area"
REASON_CAPITAL = "fit-out exceeds the whole capital budget"
REASON_NOT_VIABLE = "not viable: rent + operating cost exceed margin + largest subsidy"
REASON_SUBSIDY_BUDGET = "not viable within the subsidy budget"
REASON_NO_GAIN = "no resident would gain coverage"


# ---------------------------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------------------------


def _read_csv(path: Path) -> pd.DataFrame:
    """A result CSV with ids kept as text and empty cells as NaN."""
    head = pd.read_csv(path, nrows=0, encoding="utf-8-sig")
    dtype = {c: t for c, t in ID_COLUMNS.items() if c in head.columns}
    return pd.read_csv(path, dtype=dtype, keep_default_na=False, na_values=[""], encoding="utf-8-sig")


def _group_mask(units: pd.DataFrame, group: str) -> np.ndarray:
    """Demand units in a population group (residence attributes, or the speed group itself)."""
    old = units["old_neighbourhood"].to_numpy(bool)
    aff = units["affordable_housing"].to_numpy(bool)
    if group == "old_neighbourhood":
        return old
    if group == "affordable_housing":
        return aff
    if group == "priority":
        return old | aff
    if group in ("under_60", "elderly"):
        return (units["group"] == group).to_numpy()
    return np.ones(len(units), dtype=bool)


# ---------------------------------------------------------------------------------------------------------
# the checks
# ---------------------------------------------------------------------------------------------------------


def _check_placements(rep: VerifyReport, sc: Scenario, p: pd.DataFrame) -> pd.DataFrame:
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


def _check_floor_area(rep: VerifyReport, sc: Scenario, truth: Truth, p: pd.DataFrame, slack: float) -> None:
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


def _check_capital(
    rep: VerifyReport, sc: Scenario, truth: Truth, p: pd.DataFrame, summary: dict, slack: float
) -> None:
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
    limit = float(sc.config.budget.capital_yuan)
    if expected_total > limit + 1e-6 + (REL_TOL + slack) * expected_total:
        probs.append(
            f"capital: the placements' fit-out totals {num(expected_total)} yuan, over budget.capital_yuan "
            f"{num(limit)}"
        )
    elif total > limit + 1e-6 + (REL_TOL + slack) * total:
        probs.append(f"capital: placements.csv fit-out totals {num(total)} yuan, over budget {num(limit)}")
    b = summary.get("budget") or {}
    if not close(b.get("capital_yuan_used"), total):
        probs.append(
            f"summary.json budget.capital_yuan_used {num(b.get('capital_yuan_used'))}, placements.csv sums "
            f"to {num(total)}"
        )
    if not close(b.get("capital_yuan_limit"), limit):
        probs.append(
            f"summary.json budget.capital_yuan_limit {num(b.get('capital_yuan_limit'))}, scenario's "
            f"budget.capital_yuan is {num(limit)}"
        )
    rep.add(
        "capital",
        probs,
        f"fit-out {num(expected_total)} of {num(limit)} yuan; every fit-out and summary.json agree",
    )


def _check_subsidy(
    rep: VerifyReport, sc: Scenario, truth: Truth, p: pd.DataFrame, summary: dict, slack: float
) -> None:
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
    limit = float(sc.config.budget.rent_subsidy_yuan_per_year)
    if total > limit + MONEY_TOL * max(len(p), 1) + (REL_TOL + slack) * total:
        probs.append(
            f"subsidy: total {num(total)} yuan/year exceeds budget.rent_subsidy_yuan_per_year {num(limit)}"
        )
    b = summary.get("budget") or {}
    if not close(b.get("rent_subsidy_yuan_per_year_used"), total):
        probs.append(
            f"summary.json budget.rent_subsidy_yuan_per_year_used "
            f"{num(b.get('rent_subsidy_yuan_per_year_used'))}, placements.csv sums to {num(total)}"
        )
    if not close(b.get("rent_subsidy_yuan_per_year_limit"), limit):
        probs.append(
            f"summary.json budget.rent_subsidy_yuan_per_year_limit "
            f"{num(b.get('rent_subsidy_yuan_per_year_limit'))}, scenario's budget is {num(limit)}"
        )
    rep.add("rent subsidy", probs, f"subsidy {num(total)} of {num(limit)} yuan/year; caps and formats hold")


def _check_viability(rep: VerifyReport, sc: Scenario, truth: Truth, p: pd.DataFrame, slack: float) -> None:
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


def _check_coverage_table(
    rep: VerifyReport, exp: pd.DataFrame, cov: pd.DataFrame, elderly: bool, reach_limit: dict[str, float]
) -> None:
    """coverage.csv against the recomputed coverage, row by (residence, group, format).

    Minutes must agree within :data:`MINUTES_EQ_TOL`; a walk beyond the format's last limit (partial limit
    if any) may be written or left empty, as it is out of reach either way.
    """
    probs: list[str] = []
    missing = [c for c in COVERAGE_REQUIRED if c not in cov.columns]
    if missing:
        rep.add("coverage.csv", [f"missing columns: {', '.join(missing)}"], "", "coverage.csv is incomplete")
        return
    cov = cov.copy()
    if "group" not in cov.columns:
        if elderly:
            probs.append("no 'group' column, but walk.elderly_speed_m_per_s splits residences into groups")
        cov["group"] = "all"
    cov["group"] = cov["group"].fillna("all")
    keys = ["residence_id", "group", "format"]

    def where(df: pd.DataFrame) -> list[str]:
        return [
            f"residence {r} ({g}), {f}"
            for r, g, f in zip(df["residence_id"], df["group"], df["format"], strict=True)
        ]

    dup = cov[cov.duplicated(keys, keep="first")]
    probs += [f"{w}: listed twice" for w in where(dup)]
    cov = cov.drop_duplicates(keys)
    m = exp.merge(cov, on=keys, how="outer", suffixes=("", "_w"), indicator=True)
    probs += [f"{w}: row missing" for w in where(m[m["_merge"] == "left_only"])]
    extra = m[(m["_merge"] == "right_only") & ~(pd.to_numeric(m["population_w"], errors="coerce") == 0)]
    probs += [f"{w}: unexpected row" for w in where(extra)]
    b = m[m["_merge"] == "both"].reset_index(drop=True)
    at = np.array(where(b), dtype=object)
    got_pop = pd.to_numeric(b["population_w"], errors="coerce").to_numpy(float)
    want_pop = b["population"].to_numpy(float)
    bad = ~(np.abs(got_pop - want_pop) <= 1e-6 + REL_TOL * np.abs(want_pop))
    probs += [
        f"{w}: population {num(g)} written, expected {num(v)}"
        for w, g, v in zip(at[bad], got_pop[bad], want_pop[bad], strict=True)
    ]
    last = b["format"].map(reach_limit).to_numpy(float)
    for c in ("minutes_before", "minutes_after"):
        got = pd.to_numeric(b[f"{c}_w"], errors="coerce").to_numpy(float)
        want = b[c].to_numpy(float)
        fg, fw = np.isfinite(got), np.isfinite(want)
        differ = fg & fw & ~(np.abs(got - want) <= MINUTES_EQ_TOL)
        one = (fg != fw) & ~(np.where(fg, got, want) > last + MINUTE_TOL)
        bad = differ | one
        probs += [
            f"{w}: {c} {num(g)} written, recomputed {num(v) if np.isfinite(v) else 'out of reach'}"
            for w, g, v in zip(at[bad], got[bad], want[bad], strict=True)
        ]
    for c in ("covered_before", "covered_after"):
        vals, unreadable = to_bool(b[f"{c}_w"])
        probs += [
            f"{w}: {c} '{v}' is not true/false"
            for w, v in zip(at[unreadable.to_numpy()], b[f"{c}_w"][unreadable], strict=True)
        ]
        got = vals.to_numpy(bool)
        want = b[c].to_numpy(bool)
        bad = (got != want) & ~unreadable.to_numpy()
        probs += [
            f"{w}: {c} {g} written, recomputed {v}"
            for w, g, v in zip(at[bad], got[bad], want[bad], strict=True)
        ]
    for c in ("credit_before", "credit_after"):
        if f"{c}_w" not in b.columns:
            continue
        got = pd.to_numeric(b[f"{c}_w"], errors="coerce").to_numpy(float)
        want = b[c].to_numpy(float)
        bad = ~(np.abs(got - want) <= 1e-9)
        probs += [
            f"{w}: {c} {num(g)} written, recomputed {num(v)}"
            for w, g, v in zip(at[bad], got[bad], want[bad], strict=True)
        ]
    rep.add("coverage.csv", probs, f"{len(exp)} rows: minutes, covered flags and credits agree")


def _check_summary_formats(
    rep: VerifyReport, sc: Scenario, exp: pd.DataFrame, p: pd.DataFrame, summary: dict
) -> None:
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


def _check_summary_groups(rep: VerifyReport, exp: pd.DataFrame, units: pd.DataFrame, summary: dict) -> None:
    probs: list[str] = []
    written = summary.get("groups") or {}
    if "all" not in written:
        probs.append("summary.json has no groups.all block")
    for g, w in written.items():
        if g not in SUMMARY_GROUPS:
            probs.append(f"group {g}: unknown group block, cannot be verified")
            continue
        mask_u = _group_mask(units, g)
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


def _check_mandates(
    rep: VerifyReport, sc: Scenario, exp: pd.DataFrame, units: pd.DataFrame, status: str
) -> None:
    probs: list[str] = []
    mandates = sc.config.mandates
    if status not in SOLVED:
        rep.add("mandates", [], f"not checked: status {status}")
        return
    for n, m in enumerate(mandates, start=1):
        mask_u = _group_mask(units, m.group)
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


def _check_objective(rep: VerifyReport, sc: Scenario, exp: pd.DataFrame, summary: dict) -> None:
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


def _check_excluded(
    rep: VerifyReport, sc: Scenario, truth: Truth, exc: pd.DataFrame, p: pd.DataFrame
) -> None:
    """Every (site, format) left out has the reason stated, and none of them was placed."""
    probs: list[str] = []
    cfg = sc.config
    placed = set(zip(p["site_id"], p["format"], strict=True))
    viability = bool(cfg.viability.enabled)
    cap_budget = float(cfg.budget.capital_yuan)
    sub_budget = float(cfg.budget.rent_subsidy_yuan_per_year)
    for sid, key, reason in zip(exc["site_id"], exc["format"], exc["reason"], strict=True):
        where = f"site {sid}, {key}"
        if (sid, key) in placed:
            probs.append(f"{where}: excluded ({reason}) but placed")
        if sid not in sc.sites.index or key not in sc.formats.index:
            probs.append(f"{where}: not a site and format in play")
            continue
        econ = pair_economics(sc, truth, sid, key)
        assert econ is not None
        allowed = list(sc.sites.at[sid, "allowed_formats"] or [])
        deficit = econ["rent_yuan_per_year"] + econ["opex_yuan_per_year"] - econ["margin_yuan_per_year"]
        if reason == REASON_NOT_ALLOWED:
            holds = bool(allowed) and key not in allowed
        elif reason == REASON_AREA:
            holds = econ["area_m2"] > float(sc.sites.at[sid, "floor_area_m2"]) + 1e-9
        elif reason == REASON_CAPITAL:
            holds = econ["fitout_yuan"] > cap_budget + 1e-6
        elif reason == REASON_NOT_VIABLE:
            holds = viability and deficit > econ["max_subsidy"] + 1e-6
        elif reason == REASON_SUBSIDY_BUDGET:
            holds = viability and deficit > 1e-6 and deficit > sub_budget + 1e-6
        elif reason == REASON_NO_GAIN:
            holds = not bool(truth.gain[key][sc.sites.index.get_loc(sid)])
        else:
            probs.append(f"{where}: unknown reason '{reason}', cannot be verified")
            continue
        if not holds:
            probs.append(f"{where}: excluded as '{reason}', which does not hold")
    rep.add("excluded.csv", probs, f"{len(exc)} exclusions: every stated reason holds")


def _check_gpkg(rep: VerifyReport, path: Path, sc: Scenario, exp: pd.DataFrame, p: pd.DataFrame) -> None:
    """result.gpkg's placements, sites and residences layers agree with the recomputed tables."""
    import geopandas as gpd

    probs: list[str] = []
    try:
        layers = {
            n: gpd.read_file(path, layer=n, engine="pyogrio") for n in ("placements", "sites", "residences")
        }
    except Exception as e:  # an unreadable file is a failed check, not a crash
        rep.add("result.gpkg", [f"cannot read {path.name}: {e}"], "", "result.gpkg unreadable")
        return
    gp = layers["placements"]
    if {"site_id", "format"} <= set(gp.columns):
        got = set(zip(gp["site_id"].astype(str), gp["format"].astype(str), strict=True))
        want = set(zip(p["site_id"], p["format"], strict=True))
        for sid, key in sorted(want - got):
            probs.append(f"placements layer: site {sid}, {key} missing")
        for sid, key in sorted(got - want):
            probs.append(f"placements layer: site {sid}, {key} not in placements.csv")
        sites_ll = sc.sites.geometry.to_crs(gp.crs) if gp.crs is not None else sc.sites.geometry
        for sid, key, geom in zip(gp["site_id"].astype(str), gp["format"], gp.geometry, strict=True):
            if sid in sc.sites.index and geom is not None:
                ref = sites_ll.loc[sid]
                if geom.distance(ref) > 1e-7:
                    probs.append(f"placements layer: site {sid}, {key}: geometry is not at the site")
    else:
        probs.append("placements layer: no site_id/format columns")
    gs = layers["sites"]
    if {"site_id", "opened_formats"} <= set(gs.columns):
        want_open = p.groupby("site_id")["format"].agg(lambda s: sorted(s)).to_dict()
        for sid, opened in zip(gs["site_id"].astype(str), gs["opened_formats"], strict=True):
            got_f = sorted(x for x in str(opened if pd.notna(opened) else "").split(";") if x)
            if got_f != want_open.get(sid, []):
                probs.append(
                    f"sites layer: site {sid} opened_formats '{opened}', placements.csv has "
                    f"'{';'.join(want_open.get(sid, []))}'"
                )
    else:
        probs.append("sites layer: no site_id/opened_formats columns")
    gr = layers["residences"]
    if "residence_id" not in gr.columns:
        probs.append("residences layer: no residence_id column")
    else:
        gr = gr.set_index(gr["residence_id"].astype(str))
        e = exp.assign(before=exp["credit_before"] * exp["population"])
        e = e.assign(after=exp["credit_after"] * exp["population"])
        wide = e.pivot_table(
            index="residence_id", columns="format", values=["before", "after"], aggfunc="sum"
        )
        lost = sorted(set(wide.index) - set(gr.index))
        probs += [f"residences layer: residence {rid} missing" for rid in lost]
        for when, key in wide.columns:
            col = f"{key}_{when}"
            if col not in gr.columns:
                probs.append(f"residences layer: no column {col}")
                continue
            want = wide[(when, key)]
            got = pd.to_numeric(gr[col], errors="coerce").reindex(want.index)
            bad = ~(np.abs(got - want) <= 1e-6 + REL_TOL * np.abs(want)) & got.index.isin(gr.index)
            probs += [
                f"residences layer: residence {rid} {col} {num(g)}, recomputed {num(v)}"
                for rid, g, v in zip(want.index[bad], got[bad], want[bad], strict=True)
            ]
    probs = list(dict.fromkeys(probs))
    rep.add("result.gpkg", probs, "placements, sites and residences layers agree")


def _check_summary_basics(rep: VerifyReport, sc: Scenario, summary: dict, p: pd.DataFrame) -> None:
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


# ---------------------------------------------------------------------------------------------------------
# entry points
# ---------------------------------------------------------------------------------------------------------


def verify(
    summary: dict[str, Any],
    placements: pd.DataFrame,
    coverage: pd.DataFrame | None,
    scenario: Scenario,
    excluded: pd.DataFrame | None = None,
    gpkg: Path | None = None,
    source: WalkTimeSource | None = None,
    report: VerifyReport | None = None,
    strict: bool = False,
) -> VerifyReport:
    """Check a run's tables (as written: summary dict, placements, coverage, excluded) against the inputs.

    ``coverage`` may be None only when the run has no solution. ``source`` overrides the scenario's walk
    source (default: :func:`optimizer.walk.source_for`). ``strict`` drops the solver's relative slack
    (:data:`SOLVER_REL_TOL`) on budgets, floor areas, subsidy caps and viability; only the rounding of
    money to 0.01 yuan is then tolerated. Returns the report; raises nothing for mismatches.
    """
    rep = report or VerifyReport()
    p = placements.copy()
    missing = [c for c in PLACEMENT_REQUIRED if c not in p.columns]
    if missing:
        rep.add("placements.csv columns", [f"missing columns: {', '.join(missing)}"], "")
        return rep
    p["site_id"] = p["site_id"].astype(str)
    p["format"] = p["format"].astype(str)
    status = str(summary.get("status"))
    truth = recompute(scenario, source)
    _check_summary_basics(rep, scenario, summary, p)
    valid = _check_placements(rep, scenario, p)
    slack = 0.0 if strict else SOLVER_REL_TOL
    _check_floor_area(rep, scenario, truth, p, slack)
    _check_capital(rep, scenario, truth, p, summary, slack)
    _check_subsidy(rep, scenario, truth, p, summary, slack)
    _check_viability(rep, scenario, truth, p, slack)
    if excluded is not None:
        _check_excluded(rep, scenario, truth, excluded.astype({"site_id": str, "format": str}), p)
    if status not in SOLVED:
        if summary.get("objective_recomputed") is not None:
            rep.add("objective", ["objective_recomputed given without a solution"], "")
        return rep
    exp = expected_coverage(scenario, truth, valid)
    elderly = bool(scenario.config.walk.elderly_speed_m_per_s)
    if coverage is None:
        rep.add("coverage.csv", ["coverage.csv missing although the run has a solution"], "")
    else:
        last = {k: truth.partial_limit[k] or truth.limit[k] for k in truth.limit}
        _check_coverage_table(rep, exp, coverage, elderly, last)
    _check_summary_formats(rep, scenario, exp, p, summary)
    _check_summary_groups(rep, exp, truth.units, summary)
    _check_mandates(rep, scenario, exp, truth.units, status)
    _check_objective(rep, scenario, exp, summary)
    if gpkg is not None:
        _check_gpkg(rep, gpkg, scenario, exp, p)
    return rep


def _read_file(rep: VerifyReport, outdir: Path, name: str, required: bool = True) -> pd.DataFrame | None:
    path = outdir / name
    if not path.exists():
        if required:
            rep.add(f"file {name}", [f"{path} does not exist"], "", "missing")
        return None
    try:
        df = _read_csv(path)
    except Exception as e:  # any reader failure is reported, not raised
        rep.add(
            f"file {name}",
            [f"cannot read {path}: {str(e).splitlines()[0] if str(e) else e!r}"],
            "",
            "unreadable",
        )
        return None
    return df


def _check_inputs_unchanged(rep: VerifyReport, summary: dict) -> None:
    """The input files still have the SHA-256 they had when the run read them."""
    recorded = summary.get("inputs_sha256") or {}
    if not recorded:
        return
    problems = []
    for path, digest in recorded.items():
        p = Path(path)
        if not p.is_file():
            problems.append(f"input {path} no longer exists")
            continue
        h = hashlib.sha256(p.read_bytes()).hexdigest()
        if h != digest:
            problems.append(f"input {path} changed since the run (sha256 {h[:12]} != {digest[:12]})")
    rep.add(
        "inputs unchanged",
        problems,
        f"{len(recorded)} input files as they were at the run",
        "the inputs changed since the run: re-run before trusting this comparison",
    )


def verify_dir(
    outdir: str | Path,
    scenario: Scenario | None = None,
    source: WalkTimeSource | None = None,
    strict: bool = False,
) -> VerifyReport:
    """Verify an output folder written by ``Result.to_dir`` against its scenario's raw inputs.

    The scenario is reloaded from summary.json's ``scenario_file`` unless ``scenario`` is given (needed
    for scenarios built with ``Scenario.from_frames``). Missing or unreadable files are failed checks.
    ``source`` and ``strict``: as for :func:`verify`.
    """
    outdir = Path(outdir)
    rep = VerifyReport(outdir=outdir)
    if not outdir.is_dir():
        rep.add("output folder", [f"{outdir} is not a folder"], "", "missing")
        return rep
    spath = outdir / "summary.json"
    try:
        summary = json.loads(spath.read_text(encoding="utf-8"))
        if not isinstance(summary, dict):
            raise ValueError("not a JSON object")
    except FileNotFoundError:
        rep.add("file summary.json", [f"{spath} does not exist"], "", "missing")
        return rep
    except (OSError, ValueError, UnicodeDecodeError) as e:
        rep.add("file summary.json", [f"cannot read {spath}: {e}"], "", "unreadable")
        return rep
    if scenario is None:
        sfile = summary.get("scenario_file")
        if not sfile:
            rep.add(
                "scenario",
                ["summary.json names no scenario_file (built from frames?): pass scenario= to verify_dir"],
                "",
                "no scenario",
            )
            return rep
        try:
            scenario = load_scenario(sfile)
        except Exception as e:  # ScenarioError and any reader failure: a failed check
            rep.add("scenario", [f"cannot load {sfile}: {e}"], "", "scenario not loadable")
            return rep
        where = str(sfile)
    else:
        where = str(scenario.path) if scenario.path else "the scenario given"
    rep.checks.append(Check("scenario", True, f"loaded {where}"))
    _check_inputs_unchanged(rep, summary)
    placements = _read_file(rep, outdir, "placements.csv")
    if placements is None:
        return rep
    status = str(summary.get("status"))
    coverage = _read_file(rep, outdir, "coverage.csv", required=status in SOLVED)
    excluded = _read_file(rep, outdir, "excluded.csv")
    gpkg = outdir / "result.gpkg"
    if status in SOLVED and not gpkg.exists():
        rep.add("file result.gpkg", [f"{gpkg} does not exist"], "", "missing")
    n_read = sum(x is not None for x in (placements, coverage, excluded))
    rep.checks.append(Check("files", True, f"summary.json and {n_read} table(s) read"))
    return verify(
        summary,
        placements,
        coverage,
        scenario,
        excluded=excluded,
        gpkg=gpkg if gpkg.exists() and status in SOLVED else None,
        source=source,
        report=rep,
        strict=strict,
    )


__all__ = ["verify", "verify_dir", "VerifyReport", "Check"]
