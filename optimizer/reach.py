"""Who reaches what: the sparse structure where walk times and the model meet.

Demand units are residences, split into a younger and an elderly part when the scenario gives the
elderly a slower walking speed. For every format in play, :class:`Reach` holds the credit each unit
already has from existing outlets and, per candidate site, whether the unit would reach it within the
format's walk limit (full credit) or its second, longer limit (partial credit). Everything downstream —
the model, the result tables and the reports — reads this one structure.

Reach is made in two parts, so variants can share the slow one safely. :class:`WalkTimes` are the walk
minutes per residence, keyed by a :class:`WalkKey` of exactly what they depend on (the geometry of
residences, sites and outlets, the walk source's settings, the speeds and the horizon: the longest walk
limit times the partial-credit factor). Everything that depends on policy (demand units' priority,
each format's reach and credit) is derived from them per scenario by :func:`derive_reach`.
:func:`reach_for` takes a Reach computed for another scenario and re-derives the policy part when the
walk keys match, or refuses it naming the keys that differ.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from .coord_check import check_coordinates
from .errors import Problem, QuarterHourError, ScenarioError
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
    walk: WalkTimes | None = None
    """The walk minutes per residence this reach was derived from, with their key."""
    policy_key: str = ""
    """Digest of the policy inputs the derived part used (see :func:`policy_key`)."""
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


# ---------------------------------------------------------------------------------------------------------
# walk times: what they depend on, exactly
# ---------------------------------------------------------------------------------------------------------


def _digest(*parts: Any) -> str:
    h = hashlib.sha256()
    for p in parts:
        if isinstance(p, (bytes, bytearray)):
            h.update(p)
        elif isinstance(p, pd.DataFrame | pd.Series | pd.Index):
            h.update(pd.util.hash_pandas_object(p, index=not isinstance(p, pd.Index)).to_numpy().tobytes())
        else:
            h.update(json.dumps(p, sort_keys=True, default=str).encode())
        h.update(b"|")
    return h.hexdigest()[:16]


def _geometry_digest(gdf: Any) -> str:
    """Ids and exact coordinates (WKB) of a table's geometries."""
    wkb = gdf.geometry.to_wkb() if len(gdf) else pd.Series([], dtype=object)
    return _digest(pd.Index(gdf.index.astype(str)), b"".join(wkb.tolist()), str(gdf.crs))


@dataclass(frozen=True)
class WalkKey:
    """Exactly what walk minutes depend on. Two scenarios with equal keys have equal walk minutes."""

    residences: str
    sites: str
    outlets: str
    source: str
    source_settings: str
    speed_m_per_s: float
    elderly_speed_m_per_s: float | None
    horizon_min: float

    def differences(self, other: WalkKey) -> list[str]:
        """Names of the fields that differ from ``other``."""
        return [f.name for f in fields(self) if getattr(self, f.name) != getattr(other, f.name)]


# Which scenario keys each WalkKey field stands for, for error messages.
_KEY_SOURCES: dict[str, str] = {
    "residences": "the residences' ids or geometry",
    "sites": "the sites' ids or geometry",
    "outlets": "the outlets' ids or geometry",
    "source": "walk.source",
    "source_settings": "walk.detour_factor / walk.network / walk.include_highway / walk.exclude_highway "
    "/ inputs.walk_minutes",
    "speed_m_per_s": "walk.speed_m_per_s",
    "elderly_speed_m_per_s": "walk.elderly_speed_m_per_s",
    "horizon_min": "the longest walk limit (formats' walk_minutes x partial_credit.factor)",
}


def horizon(scenario: Scenario) -> float:
    """The longest walk any format's (partial) limit asks for, in minutes at each unit's own speed."""
    limits = scenario.formats["walk_minutes"].astype(float)
    return float(limits.max() if len(limits) else 0.0) * float(scenario.config.partial_credit.factor or 1.0)


def _source_settings(scenario: Scenario) -> str:
    walk = scenario.config.walk
    if walk.source == "matrix":
        wm = scenario.walk_minutes
        return _digest("matrix", wm if wm is not None else "")
    if walk.source == "network":
        p = Path(str(walk.network))
        stat = [p.stat().st_size, p.stat().st_mtime_ns] if p.exists() else None
        return _digest("network", str(p), stat, walk.include_highway, walk.exclude_highway)
    return _digest("straight_line", float(walk.detour_factor))


def walk_key(scenario: Scenario) -> WalkKey:
    """The key of the walk minutes this scenario needs."""
    walk = scenario.config.walk
    return WalkKey(
        residences=_geometry_digest(scenario.residences),
        sites=_geometry_digest(scenario.sites),
        outlets=_geometry_digest(scenario.outlets),
        source=str(walk.source),
        source_settings=_source_settings(scenario),
        speed_m_per_s=float(walk.speed_m_per_s),
        elderly_speed_m_per_s=float(walk.elderly_speed_m_per_s) if walk.elderly_speed_m_per_s else None,
        horizon_min=horizon(scenario),
    )


def policy_key(scenario: Scenario) -> str:
    """Digest of what the derived part of a Reach reads besides walk minutes: the residences'
    attributes, the outlets' formats, priorities, the formats' limits and partial credit."""
    cfg = scenario.config
    attrs = pd.DataFrame(scenario.residences.drop(columns=scenario.residences.geometry.name))
    outlet_formats = scenario.outlets["format"] if len(scenario.outlets) else pd.Series([], dtype=str)
    return _digest(
        attrs,
        outlet_formats.astype(str),
        scenario.formats["walk_minutes"].astype(float),
        cfg.to_dict()["priority"],
        cfg.to_dict()["partial_credit"],
    )


@dataclass(frozen=True, eq=False)
class WalkTimes:
    """Walk minutes per residence at the base speed, to every site and outlet within the horizon
    (times the slowest speed group's factor). Safe to share between scenarios with the same ``key``.
    ``report`` is the summary's ``walk`` block; ``warnings`` are about the points and the network."""

    key: WalkKey
    sites: WalkMatrix
    outlets: WalkMatrix
    source: str
    seconds: float
    report: dict[str, Any]
    warnings: tuple[str, ...] = ()


def _walk_error(scenario: Scenario, e: ValueError) -> ScenarioError:
    network = scenario.config.walk.network
    return ScenarioError(
        [
            Problem(
                f"cannot compute walk times: {e}",
                file=str(network) if network else None,
                column="walk.network",
                fix="check that the street file covers the residences and has walkable ways "
                "(walk.include_highway)",
            )
        ]
    )


def compute_walk_times(
    scenario: Scenario, source: WalkTimeSource | None = None, progress: bool = False
) -> WalkTimes:
    """The slow part: walk minutes from every residence to every site and outlet within the horizon."""
    t0 = time.perf_counter()
    source = source or scenario.walk_source(progress=progress)
    _, factor = demand_units(scenario)
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
    reach_min = horizon(scenario) * max_factor  # long enough for the slowest unit's horizon
    try:
        m_sites = source.compute(res_pts, site_pts, reach_min, speed)
        m_out = (
            source.compute(res_pts, out_pts, reach_min, speed)
            if len(out_pts)
            else WalkMatrix.empty(res_pts.index, scenario.outlets.index)
        )
    except ValueError as e:  # a street network with nothing walkable in it is the user's input
        raise _walk_error(scenario, e) from e
    name = getattr(source, "name", type(source).__name__)
    report = merge_reports(name, m_sites.report, m_out.report)
    warnings = tuple(coordinate_warnings(scenario, source))
    seconds = time.perf_counter() - t0
    return WalkTimes(walk_key(scenario), m_sites, m_out, name, seconds, report, warnings)


def credit_at(minutes: np.ndarray, limit: float, partial_limit: float | None, partial: float) -> np.ndarray:
    """Coverage credit of a walk: 1 within the limit, ``partial`` within the partial limit, else 0."""
    out = np.where(minutes <= limit + 1e-9, 1.0, 0.0)
    if partial_limit is not None:
        out = np.where((out == 0) & (minutes <= partial_limit + 1e-9), partial, out)
    return out


def _format_reach(
    key: str, lim: float, pfactor: float | None, credit: float, outlets: WalkMatrix, sites: WalkMatrix
) -> FormatReach:
    """One format's reach from the outlet minutes of that format and every site's minutes."""
    plim = lim * pfactor if pfactor else None
    before, _ = outlets.nearest()
    base = credit_at(before, lim, plim, credit)
    return FormatReach(
        key=key,
        limit=lim,
        partial_limit=plim,
        credit_partial=credit,
        base_credit=base,
        minutes_before=before,
        outlets_within=np.bincount(outlets.rows[outlets.minutes <= lim + 1e-9], minlength=len(before)),
        full=sites.within(lim),
        partial=sites.within(plim) if plim is not None else None,
    )


def derive_reach(scenario: Scenario, walk: WalkTimes) -> Reach:
    """The policy part: demand units with this scenario's priorities and each format's reach, from walk
    minutes whose key must be this scenario's (see :func:`reach_for`)."""
    t0 = time.perf_counter()
    demand, factor = demand_units(scenario)
    pc = scenario.config.partial_credit
    pfactor = pc.factor
    credit = float(pc.credit or 0.0) if pfactor else 0.0
    unit_res = scenario.residences.index.get_indexer(demand["residence_id"])
    site_minutes = _expand(walk.sites, unit_res, factor, len(demand))
    outlet_minutes = _expand(walk.outlets, unit_res, factor, len(demand))
    reach = Reach(demand, site_minutes, outlet_minutes, source=walk.source, walk_report=walk.report)
    reach.warnings = list(walk.warnings)
    reach.walk = walk
    reach.policy_key = policy_key(scenario)
    out_format = (
        scenario.outlets["format"].to_numpy() if len(scenario.outlets) else np.array([], dtype=object)
    )
    for key in scenario.formats.index:
        mask = out_format[outlet_minutes.cols] == key if outlet_minutes.nnz else np.zeros(0, bool)
        sub = WalkMatrix(
            outlet_minutes.origins,
            outlet_minutes.destinations,
            outlet_minutes.rows[mask],
            outlet_minutes.cols[mask],
            outlet_minutes.minutes[mask],
        )
        lim = float(scenario.formats.at[key, "walk_minutes"])
        reach.formats[key] = _format_reach(key, lim, pfactor, credit, sub, site_minutes)
    reach.seconds = walk.seconds + time.perf_counter() - t0
    return reach


def compute_reach(scenario: Scenario, source: WalkTimeSource | None = None, progress: bool = False) -> Reach:
    """Walk times from every residence to every site and outlet within reach, then reach per format."""
    return derive_reach(scenario, compute_walk_times(scenario, source, progress))


class ReachMismatchError(QuarterHourError):
    """A Reach was passed for a scenario whose walk minutes differ from those it was computed with."""


def _within(m: WalkMatrix, cutoff: float) -> WalkMatrix:
    keep = m.minutes <= cutoff
    return WalkMatrix(m.origins, m.destinations, m.rows[keep], m.cols[keep], m.minutes[keep], report=m.report)


def walk_times_for(scenario: Scenario, walk: WalkTimes) -> WalkTimes | None:
    """``walk`` when its key is the scenario's; cut to the scenario's shorter horizon when only the
    horizon differs and ``walk``'s is longer (the pairs a fresh computation keeps); None otherwise."""
    want = walk_key(scenario)
    diff = walk.key.differences(want)
    if not diff:
        return walk
    if diff != ["horizon_min"] or walk.key.horizon_min < want.horizon_min:
        return None
    _, factor = demand_units(scenario)
    cutoff = want.horizon_min * (float(factor.max()) if len(factor) else 1.0)
    sites, outlets = _within(walk.sites, cutoff), _within(walk.outlets, cutoff)
    return WalkTimes(want, sites, outlets, walk.source, walk.seconds, walk.report, walk.warnings)


def reach_for(scenario: Scenario, reach: Reach) -> Reach:
    """``reach`` made fit for ``scenario``: as is when computed for the same inputs, re-derived from its
    walk minutes when only policy differs (priorities, limits within the horizon, credits) or the
    scenario's horizon is shorter, refused with :class:`ReachMismatchError` naming what differs when
    the walk minutes themselves cannot be reused (other geometry, walk settings or speeds, a longer
    horizon)."""
    if reach.walk is None:
        raise ReachMismatchError(
            "this Reach carries no walk key, so it cannot be checked against the scenario: "
            "make it with compute_reach"
        )
    walk = walk_times_for(scenario, reach.walk)
    if walk is None:
        diff = reach.walk.key.differences(walk_key(scenario))
        what = "; ".join(f"{d} ({_KEY_SOURCES[d]})" for d in diff)
        raise ReachMismatchError(
            f"the reach passed was computed for other walk inputs: {what} differ. "
            "Compute it for this scenario (compute_reach) or leave reach out"
        )
    if walk is reach.walk and reach.policy_key == policy_key(scenario):
        return reach
    return derive_reach(scenario, walk)
