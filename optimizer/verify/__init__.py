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
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..catalog import BY_KEY, catalog_frame
from ..scenario import Scenario, load_scenario
from ..walk import WalkMatrix, WalkTimeSource, source_for
from .report import Check, VerifyReport

#: Tolerance on walk minutes at a limit (the same 1e-9 the formulation's "within" uses).
MINUTE_TOL = 1e-9
#: Tolerance when comparing minutes written in coverage.csv with recomputed ones.
MINUTES_EQ_TOL = 1e-6
#: Absolute tolerance on money (subsidies are written rounded to 0.01 yuan).
MONEY_TOL = 0.01
#: Relative tolerance on floating-point sums.
REL_TOL = 1e-9
#: Relative slack on budgets, floor areas, subsidy caps and viability (non-strict mode): a MIP solver
#: accepts a binary x within 1e-6 of 1 (HiGHS' mip_feasibility_tolerance), so x_jf = 1 - 1e-6 lets the
#: subsidy fall short of the deficit, or a budget be exceeded, by 1e-6 of the amounts involved.
SOLVER_REL_TOL = 1e-6

SOLVED = ("optimal", "feasible")
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


def _close(a: float, b: float, abs_tol: float = 1e-6, rel_tol: float = REL_TOL) -> bool:
    if a is None or b is None:
        return a is None and b is None
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= abs_tol + rel_tol * max(abs(a), abs(b))


def _num(v: Any) -> str:
    """A number for a message: up to 10 significant digits, no float noise."""
    if v is None:
        return "missing"
    try:
        f = float(v)
    except (TypeError, ValueError):
        return repr(v)
    if math.isnan(f):
        return "empty"
    return f"{f:.10g}"


def _read_csv(path: Path) -> pd.DataFrame:
    """A result CSV with ids kept as text and empty cells as NaN."""
    head = pd.read_csv(path, nrows=0, encoding="utf-8-sig")
    dtype = {c: t for c, t in ID_COLUMNS.items() if c in head.columns}
    return pd.read_csv(path, dtype=dtype, keep_default_na=False, na_values=[""], encoding="utf-8-sig")


def _to_bool(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(values, bad mask) of a column that should hold True/False."""
    if s.dtype == bool:
        return s, pd.Series(False, index=s.index)
    text = s.astype("string").str.strip().str.lower()
    val = text.isin(["true", "1", "1.0"])
    bad = ~(val | text.isin(["false", "0", "0.0"]))
    return val.fillna(False).astype(bool), bad.fillna(True).astype(bool)


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


def _credit(minutes: np.ndarray, limit: float, partial_limit: float | None, partial: float) -> np.ndarray:
    """1 within the limit, the partial credit within the partial limit, else 0 (inf minutes: 0)."""
    out = np.where(minutes <= limit + MINUTE_TOL, 1.0, 0.0)
    if partial_limit is not None:
        out = np.where((out == 0) & (minutes <= partial_limit + MINUTE_TOL), partial, out)
    return out


# ---------------------------------------------------------------------------------------------------------
# the independent recomputation
# ---------------------------------------------------------------------------------------------------------


@dataclass
class _Walk:
    """Walk minutes per demand unit, as long arrays (unit, destination position, minutes)."""

    rows: np.ndarray
    cols: np.ndarray
    minutes: np.ndarray


@dataclass
class _Truth:
    """Everything recomputed from the inputs that the checks compare against."""

    units: pd.DataFrame  # residence_id, group, population, priority, old_neighbourhood, affordable_housing
    sites: _Walk
    outlets: _Walk
    limit: dict[str, float]
    partial_limit: dict[str, float | None]
    partial_credit: float
    before: dict[str, np.ndarray] = field(default_factory=dict)  # minutes to nearest outlet (inf if none)
    n_within: dict[str, np.ndarray] = field(default_factory=dict)  # outlets of f within the limit
    catchment: dict[str, np.ndarray] = field(default_factory=dict)  # per site: sum p_i / (1 + n_if)
    gain: dict[str, np.ndarray] = field(default_factory=dict)  # per site: would some unit's credit rise


def _units(sc: Scenario) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Demand units (one per residence, or an under-60 and an elderly part), their residence positions and
    their walk-time factors (1, or speed / elderly speed)."""
    r = sc.residences
    p = sc.config.priority
    old = r["old_neighbourhood"].to_numpy(bool)
    aff = r["affordable_housing"].to_numpy(bool)
    share = r["elderly_share"].to_numpy(float)
    prio = (
        np.where(old, float(p.old_neighbourhood), 1.0)
        * np.where(aff, float(p.affordable_housing), 1.0)
        * (1.0 + float(p.elderly) * share)
    )
    pop = r["population"].to_numpy(float)
    pos = np.arange(len(r))
    slow = sc.config.walk.elderly_speed_m_per_s
    parts = []
    if slow:
        k = float(sc.config.walk.speed_m_per_s) / float(slow)
        parts = [("under_60", pop * (1.0 - share), 1.0), ("elderly", pop * share, k)]
    else:
        parts = [("all", pop, 1.0)]
    frames, res_pos, factors = [], [], []
    for name, unit_pop, factor in parts:
        keep = unit_pop > 0
        frames.append(
            pd.DataFrame(
                {
                    "residence_id": r.index.astype(str).to_numpy()[keep],
                    "group": name,
                    "population": unit_pop[keep],
                    "priority": prio[keep],
                    "old_neighbourhood": old[keep],
                    "affordable_housing": aff[keep],
                }
            )
        )
        res_pos.append(pos[keep])
        factors.append(np.full(int(keep.sum()), factor))
    units = pd.concat(frames, ignore_index=True)
    return units, np.concatenate(res_pos), np.concatenate(factors)


def _per_unit(m: WalkMatrix, res_pos: np.ndarray, factor: np.ndarray) -> _Walk:
    """Residence-level walk minutes turned into unit-level minutes (each unit at its own speed)."""
    rows, cols, mins = [], [], []
    for k in np.unique(factor):
        sel = np.flatnonzero(factor == k)
        unit_of_res = np.full(len(m.origins), -1, dtype=np.int64)
        unit_of_res[res_pos[sel]] = sel
        u = unit_of_res[m.rows]
        keep = u >= 0
        rows.append(u[keep])
        cols.append(np.asarray(m.cols)[keep].astype(np.int64))
        mins.append(np.asarray(m.minutes, dtype=float)[keep] * k)
    if not rows:
        z = np.zeros(0, dtype=np.int64)
        return _Walk(z, z.copy(), np.zeros(0))
    return _Walk(np.concatenate(rows), np.concatenate(cols), np.concatenate(mins))


def _recompute(sc: Scenario, source: WalkTimeSource | None) -> _Truth:
    """Units, walk minutes and the coverage before any placement, from the scenario's inputs."""
    units, res_pos, factor = _units(sc)
    fmts = sc.formats
    pc = sc.config.partial_credit
    pfactor = pc.factor
    partial = float(pc.credit or 0.0) if pfactor else 0.0
    limit = {k: float(fmts.at[k, "walk_minutes"]) for k in fmts.index}
    plimit = {k: (limit[k] * float(pfactor) if pfactor else None) for k in fmts.index}
    reach_max = max(limit.values()) * (float(pfactor) if pfactor else 1.0)
    horizon = reach_max * (float(factor.max()) if len(factor) else 1.0)
    speed = float(sc.config.walk.speed_m_per_s)
    source = source or source_for(sc)
    crs = sc.metric_crs
    res_pts = sc.residences.geometry.to_crs(crs).centroid
    site_pts = sc.sites.geometry.to_crs(crs).centroid
    m_sites = source.compute(res_pts, site_pts, horizon, speed)
    if len(sc.outlets):
        out_pts = sc.outlets.geometry.to_crs(crs).centroid
        m_out = source.compute(res_pts, out_pts, horizon, speed)
    else:
        m_out = WalkMatrix.empty(res_pts.index, sc.outlets.index)
    truth = _Truth(
        units, _per_unit(m_sites, res_pos, factor), _per_unit(m_out, res_pos, factor), limit, plimit, partial
    )
    out_fmt = sc.outlets["format"].astype(str).to_numpy() if len(sc.outlets) else np.array([], dtype=object)
    n = len(units)
    o = truth.outlets
    for key in fmts.index:
        sel = out_fmt[o.cols] == key if len(o.cols) else np.zeros(0, dtype=bool)
        best = np.full(n, np.inf)
        np.minimum.at(best, o.rows[sel], o.minutes[sel])
        truth.before[key] = best
        within = sel & (o.minutes <= limit[key] + MINUTE_TOL)
        truth.n_within[key] = np.bincount(o.rows[within], minlength=n)
    pop = units["population"].to_numpy(float)
    s = truth.sites
    n_sites = len(sc.sites)
    for key in fmts.index:
        near = s.minutes <= limit[key] + MINUTE_TOL
        share = pop / (1.0 + truth.n_within[key])
        truth.catchment[key] = np.bincount(s.cols[near], weights=share[s.rows[near]], minlength=n_sites)
        before = _credit(truth.before[key], limit[key], plimit[key], partial)
        rises = _credit(s.minutes, limit[key], plimit[key], partial) > before[s.rows] + 1e-12
        truth.gain[key] = np.bincount(s.cols[rises], minlength=n_sites) > 0
    return truth


def _expected_coverage(sc: Scenario, truth: _Truth, placed: pd.DataFrame) -> pd.DataFrame:
    """Per unit and format in play: minutes and credit before and after the placements given."""
    site_pos = {str(s): i for i, s in enumerate(sc.sites.index)}
    parts = []
    s = truth.sites
    u = truth.units
    for key in sc.formats.index:
        open_ = np.zeros(len(sc.sites), dtype=bool)
        for sid in placed.loc[placed["format"] == key, "site_id"]:
            if sid in site_pos:
                open_[site_pos[sid]] = True
        keep = open_[s.cols] if len(s.cols) else np.zeros(0, dtype=bool)
        best = np.full(len(u), np.inf)
        np.minimum.at(best, s.rows[keep], s.minutes[keep])
        before = truth.before[key]
        after = np.minimum(before, best)
        cb = _credit(before, truth.limit[key], truth.partial_limit[key], truth.partial_credit)
        ca = _credit(after, truth.limit[key], truth.partial_limit[key], truth.partial_credit)
        parts.append(
            pd.DataFrame(
                {
                    "residence_id": u["residence_id"].to_numpy(),
                    "group": u["group"].to_numpy(),
                    "format": key,
                    "population": u["population"].to_numpy(),
                    "priority": u["priority"].to_numpy(),
                    "unit": np.arange(len(u)),
                    "minutes_before": before,
                    "minutes_after": after,
                    "covered_before": cb >= 1,
                    "covered_after": ca >= 1,
                    "credit_before": cb,
                    "credit_after": ca,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _pair_economics(sc: Scenario, truth: _Truth, site_id: str, key: str) -> dict[str, float] | None:
    """Fit-out, yearly rent, operating cost, catchment and the subsidy cap of ``key`` at ``site_id``.

    Formats not in play fall back to the catalog's numbers (their catchment is not defined: NaN).
    """
    if site_id not in sc.sites.index:
        return None
    if key in sc.formats.index:
        f = sc.formats.loc[key]
    elif key in BY_KEY:
        f = catalog_frame().loc[key]
    else:
        return None
    site = sc.sites.loc[site_id]
    area = float(f["area_m2"])
    fit_site = site["fitout_yuan"]
    fit = float(fit_site) if pd.notna(fit_site) else area * float(f["fitout_yuan_per_m2"])
    rent = 12.0 * float(site["rent_yuan_per_m2_month"]) * area
    opex = float(f["opex_yuan_per_year"])
    margin = float(f["margin_yuan_per_resident_year"])
    catchment = float("nan")
    if key in sc.formats.index:
        catchment = float(truth.catchment[key][sc.sites.index.get_loc(site_id)])
    subsidised = key in (sc.config.subsidy.formats or ())
    cap = float(sc.config.subsidy.share_of_rent) * rent if subsidised else 0.0
    return {
        "area_m2": area,
        "fitout_yuan": fit,
        "rent_yuan_per_year": rent,
        "opex_yuan_per_year": opex,
        "margin_per_resident": margin,
        "catchment": catchment,
        "margin_yuan_per_year": margin * catchment,
        "max_subsidy": cap,
        "subsidised": float(subsidised),
    }


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


def _check_floor_area(rep: VerifyReport, sc: Scenario, truth: _Truth, p: pd.DataFrame, slack: float) -> None:
    probs: list[str] = []
    for sid, grp in p.groupby("site_id", sort=True):
        if sid not in sc.sites.index:
            continue
        parts, total = [], 0.0
        for key in grp["format"]:
            econ = _pair_economics(sc, truth, sid, key)
            if econ is None:
                continue
            total += econ["area_m2"]
            parts.append(f"{key} {_num(econ['area_m2'])}")
        floor = float(sc.sites.at[sid, "floor_area_m2"])
        if total > floor + 1e-9 + slack * total:
            probs.append(
                f"site {sid}: floor area of the placed formats {_num(total)} m2 ({' + '.join(parts)}) "
                f"exceeds floor_area_m2 {_num(floor)}"
            )
        for key, area in zip(
            grp["format"], grp.get("area_m2", pd.Series(np.nan, index=grp.index)), strict=True
        ):
            econ = _pair_economics(sc, truth, sid, key)
            if econ is not None and pd.notna(area) and not _close(area, econ["area_m2"]):
                probs.append(
                    f"site {sid}, {key}: area_m2 {_num(area)} written, expected {_num(econ['area_m2'])}"
                )
    rep.add("floor area", probs, "every site's placed formats fit its floor area")


def _check_capital(
    rep: VerifyReport, sc: Scenario, truth: _Truth, p: pd.DataFrame, summary: dict, slack: float
) -> None:
    probs: list[str] = []
    expected_total = 0.0
    written = pd.to_numeric(p["fitout_yuan"], errors="coerce")
    for sid, key, fit in zip(p["site_id"], p["format"], written, strict=True):
        econ = _pair_economics(sc, truth, sid, key)
        if econ is None:
            continue
        expected_total += econ["fitout_yuan"]
        if not _close(fit, econ["fitout_yuan"], abs_tol=1e-6):
            how = (
                "the site's fitout_yuan"
                if pd.notna(sc.sites.at[sid, "fitout_yuan"])
                else "area x cost per m2"
            )
            probs.append(
                f"site {sid}, {key}: fitout_yuan {_num(fit)} written, "
                f"expected {_num(econ['fitout_yuan'])} ({how})"
            )
    total = float(written.sum())
    limit = float(sc.config.budget.capital_yuan)
    if expected_total > limit + 1e-6 + (REL_TOL + slack) * expected_total:
        probs.append(
            f"capital: the placements' fit-out totals {_num(expected_total)} yuan, over budget.capital_yuan "
            f"{_num(limit)}"
        )
    elif total > limit + 1e-6 + (REL_TOL + slack) * total:
        probs.append(f"capital: placements.csv fit-out totals {_num(total)} yuan, over budget {_num(limit)}")
    b = summary.get("budget") or {}
    if not _close(b.get("capital_yuan_used"), total):
        probs.append(
            f"summary.json budget.capital_yuan_used {_num(b.get('capital_yuan_used'))}, placements.csv sums "
            f"to {_num(total)}"
        )
    if not _close(b.get("capital_yuan_limit"), limit):
        probs.append(
            f"summary.json budget.capital_yuan_limit {_num(b.get('capital_yuan_limit'))}, scenario's "
            f"budget.capital_yuan is {_num(limit)}"
        )
    rep.add(
        "capital",
        probs,
        f"fit-out {_num(expected_total)} of {_num(limit)} yuan; every fit-out and summary.json agree",
    )


def _check_subsidy(
    rep: VerifyReport, sc: Scenario, truth: _Truth, p: pd.DataFrame, summary: dict, slack: float
) -> None:
    probs: list[str] = []
    sub = pd.to_numeric(p["subsidy_yuan_per_year"], errors="coerce")
    rent_w = pd.to_numeric(p["rent_yuan_per_year"], errors="coerce") if "rent_yuan_per_year" in p else None
    share = float(sc.config.subsidy.share_of_rent)
    for n, (sid, key, s) in enumerate(zip(p["site_id"], p["format"], sub, strict=True)):
        econ = _pair_economics(sc, truth, sid, key)
        if econ is None:
            continue
        if pd.isna(s):
            probs.append(f"site {sid}, {key}: subsidy_yuan_per_year is empty or not a number")
            continue
        if s < -MONEY_TOL:
            probs.append(f"site {sid}, {key}: negative subsidy {_num(s)}")
        if s > MONEY_TOL and not econ["subsidised"]:
            probs.append(
                f"site {sid}, {key}: subsidy {_num(s)} yuan/year, but {key} is not a subsidised format"
            )
        elif (
            s > econ["max_subsidy"] + MONEY_TOL + (REL_TOL + slack) * econ["max_subsidy"]
            and econ["subsidised"]
        ):
            probs.append(
                f"site {sid}, {key}: subsidy {_num(s)} exceeds share_of_rent {_num(share)} x yearly rent "
                f"{_num(econ['rent_yuan_per_year'])} = {_num(econ['max_subsidy'])}"
            )
        if rent_w is not None and not _close(rent_w.iloc[n], econ["rent_yuan_per_year"]):
            probs.append(
                f"site {sid}, {key}: rent_yuan_per_year {_num(rent_w.iloc[n])} written, expected "
                f"12 x rent x area = {_num(econ['rent_yuan_per_year'])}"
            )
    total = float(sub.fillna(0).sum())
    limit = float(sc.config.budget.rent_subsidy_yuan_per_year)
    if total > limit + MONEY_TOL * max(len(p), 1) + (REL_TOL + slack) * total:
        probs.append(
            f"subsidy: total {_num(total)} yuan/year exceeds budget.rent_subsidy_yuan_per_year {_num(limit)}"
        )
    b = summary.get("budget") or {}
    if not _close(b.get("rent_subsidy_yuan_per_year_used"), total):
        probs.append(
            f"summary.json budget.rent_subsidy_yuan_per_year_used "
            f"{_num(b.get('rent_subsidy_yuan_per_year_used'))}, placements.csv sums to {_num(total)}"
        )
    if not _close(b.get("rent_subsidy_yuan_per_year_limit"), limit):
        probs.append(
            f"summary.json budget.rent_subsidy_yuan_per_year_limit "
            f"{_num(b.get('rent_subsidy_yuan_per_year_limit'))}, scenario's budget is {_num(limit)}"
        )
    rep.add("rent subsidy", probs, f"subsidy {_num(total)} of {_num(limit)} yuan/year; caps and formats hold")


def _check_viability(rep: VerifyReport, sc: Scenario, truth: _Truth, p: pd.DataFrame, slack: float) -> None:
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
        econ = _pair_economics(sc, truth, sid, key)
        if econ is None:
            continue
        for c, v in cols.items():
            if not _close(v.iloc[n], econ[c], abs_tol=1e-6, rel_tol=1e-9):
                probs.append(f"site {sid}, {key}: {c} {_num(v.iloc[n])} written, recomputed {_num(econ[c])}")
        if enabled:
            pays = econ["margin_yuan_per_year"] + float(sub.iloc[n])
            costs = econ["rent_yuan_per_year"] + econ["opex_yuan_per_year"]
            if pays < costs - MONEY_TOL - (REL_TOL + slack) * costs:
                probs.append(
                    f"site {sid}, {key}: not viable: margin {_num(econ['margin_per_resident'])} x catchment "
                    f"{_num(econ['catchment'])} + subsidy {_num(sub.iloc[n])} = {_num(pays)} < rent "
                    f"{_num(econ['rent_yuan_per_year'])} + operating cost {_num(econ['opex_yuan_per_year'])} "
                    f"= {_num(costs)}"
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
        f"{w}: population {_num(g)} written, expected {_num(v)}"
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
            f"{w}: {c} {_num(g)} written, recomputed {_num(v) if np.isfinite(v) else 'out of reach'}"
            for w, g, v in zip(at[bad], got[bad], want[bad], strict=True)
        ]
    for c in ("covered_before", "covered_after"):
        vals, unreadable = _to_bool(b[f"{c}_w"])
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
            f"{w}: {c} {_num(g)} written, recomputed {_num(v)}"
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
            if name in w and not _close(w[name], v):
                probs.append(f"format {key}: summary.json {name} {_num(w[name])}, recomputed {_num(v)}")
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
            if name in w and not _close(w[name], v):
                probs.append(f"group {g}: summary.json {name} {_num(w[name])}, recomputed {_num(v)}")
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
                    f"({_num(covered)} of {_num(total)}) is below min_share {_num(m.min_share)}"
                )
    rep.add("mandates", probs, f"{len(mandates)} mandate(s) met" if mandates else "no mandates")


def _check_objective(rep: VerifyReport, sc: Scenario, exp: pd.DataFrame, summary: dict) -> None:
    probs: list[str] = []
    w = exp["format"].map(sc.formats["weight"].astype(float)).to_numpy(float)
    gain = (exp["credit_after"] - exp["credit_before"]).to_numpy(float)
    value = float(np.sum(w * exp["priority"].to_numpy(float) * exp["population"].to_numpy(float) * gain))
    rec = summary.get("objective_recomputed")
    if rec is None or not _close(rec, value, abs_tol=1e-6, rel_tol=1e-9):
        probs.append(f"summary.json objective_recomputed {_num(rec)}, recomputed {_num(value)}")
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
                f"weighted coverage of the placements {_num(value)} is below the solver's objective "
                f"{_num(obj)} by more than the MIP gap tolerance {_num(gap_tol)}"
            )
        if status == "optimal" and value > float(obj) + tol:
            probs.append(
                f"weighted coverage of the placements {_num(value)} exceeds the solver's optimal objective "
                f"{_num(obj)} by more than the MIP gap tolerance {_num(gap_tol)}"
            )
        if bound is not None and value > float(bound) + tol:
            probs.append(f"weighted coverage {_num(value)} exceeds the solver's bound {_num(bound)}")
    rep.add("objective", probs, f"weighted coverage gained {_num(value)} agrees with summary.json")


def _check_excluded(
    rep: VerifyReport, sc: Scenario, truth: _Truth, exc: pd.DataFrame, p: pd.DataFrame
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
        econ = _pair_economics(sc, truth, sid, key)
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
                f"residences layer: residence {rid} {col} {_num(g)}, recomputed {_num(v)}"
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
    truth = _recompute(scenario, source)
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
    exp = _expected_coverage(scenario, truth, valid)
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
