"""The independent recomputation every check compares against, from the scenario's raw inputs only.

Demand units (one per residence, or its under-60 and elderly parts), walk minutes from each unit to every
site and existing outlet within reach (through the scenario's walk source), the coverage before any
placement, each site's catchment and whether a placement there would raise anyone's credit, the coverage
after a given set of placements, and the economics of a (site, format) pair. It follows the formulation in
:mod:`optimizer.model`'s docstring but shares no code with the model, so a bug there cannot hide here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..catalog import BY_KEY, catalog_frame
from ..scenario import Scenario
from ..walk import WalkMatrix, WalkTimeSource
from .compare import MINUTE_TOL


def credit(minutes: np.ndarray, limit: float, partial_limit: float | None, partial: float) -> np.ndarray:
    """1 within the limit, the partial credit within the partial limit, else 0 (inf minutes: 0)."""
    out = np.where(minutes <= limit + MINUTE_TOL, 1.0, 0.0)
    if partial_limit is not None:
        out = np.where((out == 0) & (minutes <= partial_limit + MINUTE_TOL), partial, out)
    return out


@dataclass
class UnitWalk:
    """Walk minutes per demand unit, as long arrays (unit, destination position, minutes)."""

    rows: np.ndarray
    cols: np.ndarray
    minutes: np.ndarray


@dataclass
class Truth:
    """Everything recomputed from the inputs that the checks compare against."""

    units: pd.DataFrame  # residence_id, group, population, priority, old_neighbourhood, affordable_housing
    sites: UnitWalk
    outlets: UnitWalk
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


def _per_unit(m: WalkMatrix, res_pos: np.ndarray, factor: np.ndarray) -> UnitWalk:
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
        return UnitWalk(z, z.copy(), np.zeros(0))
    return UnitWalk(np.concatenate(rows), np.concatenate(cols), np.concatenate(mins))


def _walk_matrices(
    sc: Scenario, source: WalkTimeSource | None, horizon: float
) -> tuple[WalkMatrix, WalkMatrix]:
    """Residence-level walk minutes to every site and to every existing outlet within ``horizon``."""
    speed = float(sc.config.walk.speed_m_per_s)
    source = source or sc.walk_source()
    crs = sc.metric_crs
    res_pts = sc.residences.geometry.to_crs(crs).centroid
    site_pts = sc.sites.geometry.to_crs(crs).centroid
    m_sites = source.compute(res_pts, site_pts, horizon, speed)
    if len(sc.outlets):
        out_pts = sc.outlets.geometry.to_crs(crs).centroid
        m_out = source.compute(res_pts, out_pts, horizon, speed)
    else:
        m_out = WalkMatrix.empty(res_pts.index, sc.outlets.index)
    return m_sites, m_out


def _add_outlet_coverage(truth: Truth, sc: Scenario) -> None:
    """Per format: each unit's minutes to the nearest existing outlet, and the outlets within the limit."""
    out_fmt = sc.outlets["format"].astype(str).to_numpy() if len(sc.outlets) else np.array([], dtype=object)
    n = len(truth.units)
    o = truth.outlets
    for key in sc.formats.index:
        sel = out_fmt[o.cols] == key if len(o.cols) else np.zeros(0, dtype=bool)
        best = np.full(n, np.inf)
        np.minimum.at(best, o.rows[sel], o.minutes[sel])
        truth.before[key] = best
        within = sel & (o.minutes <= truth.limit[key] + MINUTE_TOL)
        truth.n_within[key] = np.bincount(o.rows[within], minlength=n)


def _add_site_catchments(truth: Truth, sc: Scenario) -> None:
    """Per format and site: the catchment, and whether opening there would raise some unit's credit."""
    pop = truth.units["population"].to_numpy(float)
    s = truth.sites
    n_sites = len(sc.sites)
    for key in sc.formats.index:
        limit, plimit, partial = truth.limit[key], truth.partial_limit[key], truth.partial_credit
        near = s.minutes <= limit + MINUTE_TOL
        share = pop / (1.0 + truth.n_within[key])
        truth.catchment[key] = np.bincount(s.cols[near], weights=share[s.rows[near]], minlength=n_sites)
        before = credit(truth.before[key], limit, plimit, partial)
        rises = credit(s.minutes, limit, plimit, partial) > before[s.rows] + 1e-12
        truth.gain[key] = np.bincount(s.cols[rises], minlength=n_sites) > 0


def recompute(sc: Scenario, source: WalkTimeSource | None) -> Truth:
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
    m_sites, m_out = _walk_matrices(sc, source, horizon)
    truth = Truth(
        units, _per_unit(m_sites, res_pos, factor), _per_unit(m_out, res_pos, factor), limit, plimit, partial
    )
    _add_outlet_coverage(truth, sc)
    _add_site_catchments(truth, sc)
    return truth


def expected_coverage(sc: Scenario, truth: Truth, placed: pd.DataFrame) -> pd.DataFrame:
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
        cb = credit(before, truth.limit[key], truth.partial_limit[key], truth.partial_credit)
        ca = credit(after, truth.limit[key], truth.partial_limit[key], truth.partial_credit)
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


def pair_economics(sc: Scenario, truth: Truth, site_id: str, key: str) -> dict[str, float] | None:
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
