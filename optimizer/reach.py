"""Who reaches what: the sparse structure where walk times and the model meet.

Demand units are residences, split into a younger and an elderly part when the scenario gives the
elderly a slower walking speed. For every format in play, :class:`Reach` holds the credit each unit
already has from existing outlets and, per candidate site, whether the unit would reach it within the
format's walk limit (full credit) or its second, longer limit (partial credit). Everything downstream —
the model, the result tables and the reports — reads this one structure.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from .coord_check import check_coordinates
from .errors import Problem, ScenarioError
from .scenario import Scenario
from .walk import WalkMatrix, WalkTimeSource, merge_reports


@dataclass
class FormatReach:
    """Reach of one format: demand units (rows) x sites (columns)."""

    key: str
    limit: float
    partial_limit: float | None
    credit_partial: float
    base_credit: np.ndarray  # per demand unit: 1, credit_partial or 0 from existing outlets
    minutes_before: np.ndarray  # per demand unit: minutes to the nearest outlet of the format (inf if none)
    outlets_within: np.ndarray  # per demand unit: existing outlets of the format within the limit
    full: sp.csr_array  # bool: unit reaches site within limit
    partial: sp.csr_array | None  # bool: unit reaches site within partial_limit


@dataclass
class Reach:
    demand: pd.DataFrame
    """One row per demand unit: residence_id, group, population, priority, old_neighbourhood,
    affordable_housing."""
    site_minutes: WalkMatrix
    """Demand units x sites, minutes at each unit's own speed."""
    outlet_minutes: WalkMatrix
    formats: dict[str, FormatReach] = field(default_factory=dict)
    source: str = ""
    seconds: float = 0.0
    """Wall-clock time it took to compute (walk times included)."""
    walk_report: dict[str, Any] = field(default_factory=dict)
    """What the walk source says about itself: network size kept, snapping distances, cache use."""
    warnings: list[str] = field(default_factory=list)
    """What the user should know about the walk times (e.g. coordinates likely in GCJ-02)."""

    def unreachable(self) -> pd.Index:
        """Residences that no site and no outlet reaches within any format's limit (or partial limit)."""
        ok = np.zeros(len(self.demand), dtype=bool)
        for fr in self.formats.values():
            ok |= fr.base_credit > 0
            ok |= np.asarray((fr.partial if fr.partial is not None else fr.full).sum(axis=1)).ravel() > 0
        res_ok = pd.Series(ok, index=self.demand.index).groupby(self.demand["residence_id"]).any()
        return pd.Index(res_ok.index[~res_ok.to_numpy()])


def priority_weights(scenario: Scenario) -> pd.Series:
    """Per residence: the old-neighbourhood and affordable-housing multipliers times the elderly weight."""
    p = scenario.config.priority
    r = scenario.residences
    w = np.ones(len(r))
    w = np.where(r["old_neighbourhood"].to_numpy(bool), w * p.old_neighbourhood, w)
    w = np.where(r["affordable_housing"].to_numpy(bool), w * p.affordable_housing, w)
    w = w * (1.0 + p.elderly * r["elderly_share"].to_numpy(float))
    return pd.Series(w, index=r.index, name="priority")


def demand_units(scenario: Scenario) -> tuple[pd.DataFrame, np.ndarray]:
    """Demand units and each unit's walk-time factor (1, or speed / elderly speed for the elderly part)."""
    r = scenario.residences
    walk = scenario.config.walk
    prio = priority_weights(scenario)
    base = pd.DataFrame(
        {
            "residence_id": r.index.astype(str),
            "population": r["population"].to_numpy(float),
            "priority": prio.to_numpy(),
            "old_neighbourhood": r["old_neighbourhood"].to_numpy(bool),
            "affordable_housing": r["affordable_housing"].to_numpy(bool),
        }
    )
    slow = walk.elderly_speed_m_per_s
    if not slow:
        base["group"] = "all"
        return base, np.ones(len(base))
    share = r["elderly_share"].to_numpy(float)
    young = base.assign(group="under_60", population=base["population"] * (1 - share))
    old = base.assign(group="elderly", population=base["population"] * share)
    both = pd.concat([young, old], ignore_index=True)
    factor = np.r_[np.ones(len(young)), np.full(len(old), walk.speed_m_per_s / slow)]
    keep = both["population"].to_numpy() > 0
    return both[keep].reset_index(drop=True), factor[keep]


def _expand(m: WalkMatrix, unit_residence: np.ndarray, factor: np.ndarray, n_units: int) -> WalkMatrix:
    """Walk minutes per demand unit from walk minutes per residence (each unit at its own speed)."""
    order = np.argsort(m.rows, kind="stable")
    rows_sorted = m.rows[order]
    indptr = np.searchsorted(rows_sorted, np.arange(len(m.origins) + 1))
    starts, ends = indptr[unit_residence], indptr[unit_residence + 1]
    counts = ends - starts
    total = int(counts.sum())
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    idx = order[np.repeat(starts, counts) + offsets]
    rows = np.repeat(np.arange(n_units, dtype=np.int64), counts)
    mins = m.minutes[idx] * np.repeat(factor, counts)
    return WalkMatrix(pd.RangeIndex(n_units), m.destinations, rows, m.cols[idx].astype(np.int64), mins)


def coordinate_warnings(scenario: Scenario, source: WalkTimeSource) -> list[str]:
    """Compare how the points fit the street network in each coordinate system (network sources in
    China only) and warn when another system than ``inputs.coordinates`` fits much better."""
    lines = getattr(source, "lines", None)
    if not isinstance(lines, gpd.GeoSeries):
        return []
    parts = [scenario.residences.geometry, scenario.sites.geometry]
    if len(scenario.outlets):
        parts.append(scenario.outlets.geometry)
    points = gpd.GeoSeries(pd.concat([p.to_crs(4326) for p in parts], ignore_index=True), crs=4326)
    what = "residences, sites and outlets"
    w = check_coordinates(points, lines, scenario.config.inputs.coordinates, what)
    return [w] if w else []


def compute_reach(scenario: Scenario, source: WalkTimeSource | None = None, progress: bool = False) -> Reach:
    """Walk times from every residence to every site and outlet within reach, then reach per format."""
    t0 = time.perf_counter()
    source = source or scenario.walk_source(progress=progress)
    demand, factor = demand_units(scenario)
    fmts = scenario.formats
    pc = scenario.config.partial_credit
    pfactor = pc.factor
    credit = float(pc.credit or 0.0) if pfactor else 0.0
    limits = fmts["walk_minutes"].astype(float)
    horizon = float(limits.max()) * (pfactor or 1.0)
    crs = scenario.metric_crs
    speed = float(scenario.config.walk.speed_m_per_s)
    res_pts = scenario.residences.geometry.to_crs(crs).centroid
    site_pts = scenario.sites.geometry.to_crs(crs).centroid
    out_pts = (
        scenario.outlets.geometry.to_crs(crs).centroid
        if len(scenario.outlets)
        else scenario.sites.geometry.iloc[:0]
    )
    max_factor = float(factor.max()) if len(factor) else 1.0
    # Walk minutes at the base speed, long enough for the slowest unit's horizon.
    try:
        m_sites = source.compute(res_pts, site_pts, horizon * max_factor, speed)
        m_out = (
            source.compute(res_pts, out_pts, horizon * max_factor, speed)
            if len(out_pts)
            else WalkMatrix.empty(res_pts.index, scenario.outlets.index)
        )
    except ValueError as e:  # a street network with nothing walkable in it is the user's input
        network = scenario.config.walk.network
        raise ScenarioError(
            [
                Problem(
                    f"cannot compute walk times: {e}",
                    file=str(network) if network else None,
                    column="walk.network",
                    fix="check that the street file covers the residences and has walkable ways "
                    "(walk.include_highway)",
                )
            ]
        ) from e
    unit_res = scenario.residences.index.get_indexer(demand["residence_id"])
    site_minutes = _expand(m_sites, unit_res, factor, len(demand))
    outlet_minutes = _expand(m_out, unit_res, factor, len(demand))
    reach = Reach(demand, site_minutes, outlet_minutes, source=getattr(source, "name", type(source).__name__))
    reach.walk_report = merge_reports(reach.source, m_sites.report, m_out.report)
    out_format = (
        scenario.outlets["format"].to_numpy() if len(scenario.outlets) else np.array([], dtype=object)
    )
    for key in fmts.index:
        lim = float(limits[key])
        plim = lim * pfactor if pfactor else None
        mask = out_format[outlet_minutes.cols] == key if outlet_minutes.nnz else np.zeros(0, bool)
        sub = WalkMatrix(
            outlet_minutes.origins,
            outlet_minutes.destinations,
            outlet_minutes.rows[mask],
            outlet_minutes.cols[mask],
            outlet_minutes.minutes[mask],
        )
        before, _ = sub.nearest()
        base = np.where(before <= lim + 1e-9, 1.0, 0.0)
        if plim is not None:
            base = np.where((base == 0) & (before <= plim + 1e-9), credit, base)
        reach.formats[key] = FormatReach(
            key=key,
            limit=lim,
            partial_limit=plim,
            credit_partial=credit,
            base_credit=base,
            minutes_before=before,
            outlets_within=np.bincount(sub.rows[sub.minutes <= lim + 1e-9], minlength=len(demand)),
            full=site_minutes.within(lim),
            partial=site_minutes.within(plim) if plim is not None else None,
        )
    reach.warnings = coordinate_warnings(scenario, source)
    reach.seconds = time.perf_counter() - t0
    return reach
