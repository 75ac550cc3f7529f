"""Walk minutes along a street network read from OpenStreetMap or any line layer.

:class:`NetworkWalkSource` is the :class:`~optimizer.walk.base.WalkTimeSource` for street
networks. It reads the walkable lines (:mod:`optimizer.walk.osm`), builds the graph and snaps
the points to it (:mod:`optimizer.walk.graph`), runs the bounded multi-source Dijkstra
(:mod:`optimizer.walk.distances`) and caches the matrices it makes (:mod:`optimizer.walk.cache`).
The minutes are exact, not approximate: see those modules for how.

The graph and distance functions are re-exported here (``from optimizer.walk.network import
WalkGraph, node_distances, point_distances``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from . import cache as walk_cache
from .base import WalkMatrix
from .distances import node_distances, point_distances
from .graph import DEFAULT_MERGE_TOLERANCE_M, Snap, WalkGraph
from .osm import read_street_lines
from .report import SNAP_FIELDS, SnapStats, WalkReport

if TYPE_CHECKING:
    from ..config import WalkConfig

__all__ = [
    "DEFAULT_MERGE_TOLERANCE_M",
    "NetworkSettings",
    "NetworkWalkSource",
    "Snap",
    "WalkGraph",
    "node_distances",
    "point_distances",
]


@dataclass(frozen=True)
class NetworkSettings:
    """What shapes a network source's walks: the street file ``network`` (and its ``layer``, for
    multi-layer files), the walkable-way filters (None: :data:`optimizer.walk.osm.DEFAULT_INCLUDE_HIGHWAY`
    and :data:`~optimizer.walk.osm.DEFAULT_EXCLUDE_HIGHWAY`), the folder matrices are cached in
    (None: no cache) and the distance within which line vertices are one node."""

    network: Path
    include_highway: tuple[str, ...] | None = None
    exclude_highway: tuple[str, ...] | None = None
    cache_dir: Path | None = None
    layer: str | None = None
    merge_tolerance_m: float = DEFAULT_MERGE_TOLERANCE_M


def from_walk_config(
    walk: WalkConfig, *, walk_minutes: pd.DataFrame | None, folder: Path, progress: bool = False
) -> NetworkWalkSource:
    """The source of ``walk.source: network`` (the registry's factory for it). Matrices are cached in
    :func:`optimizer.walk.cache.cache_dir` of ``folder`` unless ``walk.cache`` is off."""
    if walk.network is None:
        raise ValueError("walk.source is 'network' but walk.network is not given")
    settings = NetworkSettings(
        network=Path(walk.network),
        include_highway=_tuple(walk.include_highway),
        exclude_highway=_tuple(walk.exclude_highway),
        cache_dir=walk_cache.cache_dir(folder) if walk.cache else None,
    )
    return NetworkWalkSource.from_settings(settings, progress=progress)


class NetworkWalkSource:
    """Walk minutes along a street network file (OSM ``.osm``/``.osm.pbf`` or any line layer).

    The arguments are those of :class:`NetworkSettings` (``path`` is its ``network``), which
    :meth:`from_settings` takes whole; :attr:`settings` holds them. With a ``cache_dir``, matrices
    are cached there as ``walk-<hash>.npz`` keyed by the network file's bytes, the filters, the
    points (ids, coordinates, CRS), the speed and the limit. ``progress`` shows rich progress bars.

    Each :meth:`compute` returns its :class:`~optimizer.walk.report.WalkReport` with the matrix
    (how far the points were from the network, the graph's stats, the cache); a cache hit gives
    the report saved with the matrix. :attr:`reports` keeps them all, oldest first, and
    ``snap_report``, ``last_cache_hit`` and ``last_cache_path`` read them, for interactive use.
    """

    name = "network"

    def __init__(
        self,
        path: str | Path,
        layer: str | None = None,
        include_highway: Iterable[str] | None = None,
        exclude_highway: Iterable[str] | None = None,
        cache_dir: str | Path | None = None,
        progress: bool = False,
        merge_tolerance_m: float = DEFAULT_MERGE_TOLERANCE_M,
    ) -> None:
        self.settings = NetworkSettings(
            network=Path(path),
            include_highway=_tuple(include_highway),
            exclude_highway=_tuple(exclude_highway),
            cache_dir=None if cache_dir is None else Path(cache_dir),
            layer=layer,
            merge_tolerance_m=merge_tolerance_m,
        )
        self.progress = progress
        self.reports: list[WalkReport] = []
        self._lines: gpd.GeoSeries | None = None
        self._graph: WalkGraph | None = None
        self._digest: str | None = None

    @classmethod
    def from_settings(cls, settings: NetworkSettings, progress: bool = False) -> NetworkWalkSource:
        """The source of ``settings``; ``progress`` shows rich progress bars."""
        return cls(
            settings.network,
            layer=settings.layer,
            include_highway=settings.include_highway,
            exclude_highway=settings.exclude_highway,
            cache_dir=settings.cache_dir,
            progress=progress,
            merge_tolerance_m=settings.merge_tolerance_m,
        )

    def __repr__(self) -> str:
        return f"NetworkWalkSource({str(self.settings.network)!r}, layer={self.settings.layer!r})"

    # ---- network --------------------------------------------------------------------------

    @property
    def lines(self) -> gpd.GeoSeries:
        """The walkable lines in the file's CRS (read on first use)."""
        if self._lines is None:
            s = self.settings
            self._lines = read_street_lines(s.network, s.layer, s.include_highway, s.exclude_highway)
        return self._lines

    def graph(self, crs: CRS | str | None = None) -> WalkGraph:
        """The walk graph in ``crs`` (default: the file's CRS if metric, else its UTM zone), built once."""
        lines = self.lines
        if crs is None:
            if lines.crs is not None and lines.crs.is_geographic:
                crs = lines.estimate_utm_crs()
            else:
                crs = lines.crs
        target = CRS.from_user_input(crs) if crs is not None else None
        if self._graph is not None and self._graph.crs == target:
            return self._graph
        if target is not None and target.is_geographic:
            raise ValueError(f"walk networks need a metric CRS, got {target.name}")
        if target is not None and lines.crs is not None and lines.crs != target:
            projected = lines.to_crs(target)
        else:
            if target is None and lines.crs is not None and lines.crs.is_geographic:
                raise ValueError(
                    f"{self.settings.network}: the network is in degrees; give the points a metric CRS"
                )
            projected = gpd.GeoSeries(lines.to_numpy(), crs=target)
        self._graph = WalkGraph.from_lines(projected, self.settings.merge_tolerance_m)
        return self._graph

    def network_digest(self) -> str:
        """SHA-256 of the network file (and sidecars), computed once."""
        if self._digest is None:
            self._digest = walk_cache.file_digest(self.settings.network)
        return self._digest

    # ---- walk minutes -----------------------------------------------------------------------

    def cache_key(
        self, origins: gpd.GeoSeries, destinations: gpd.GeoSeries, max_minutes: float, speed_m_per_s: float
    ) -> str:
        """The hash that names this computation's cache file."""
        s = self.settings
        return walk_cache.cache_key(
            {
                "network": self.network_digest(),
                "layer": s.layer,
                "include_highway": walk_cache.stable_list(s.include_highway),
                "exclude_highway": walk_cache.stable_list(s.exclude_highway),
                "merge_tolerance_m": float(s.merge_tolerance_m),
                "origins": walk_cache.points_digest(origins),
                "destinations": walk_cache.points_digest(destinations),
                "max_minutes": float(max_minutes),
                "speed_m_per_s": float(speed_m_per_s),
            }
        )

    def compute(
        self,
        origins: gpd.GeoSeries,
        destinations: gpd.GeoSeries,
        max_minutes: float,
        speed_m_per_s: float,
    ) -> WalkMatrix:
        """Walk minutes of every origin-destination pair within ``max_minutes`` along the network."""
        if speed_m_per_s <= 0 or not np.isfinite(speed_m_per_s):
            raise ValueError(f"walking speed must be positive, got {speed_m_per_s}")
        if max_minutes < 0 or not np.isfinite(max_minutes):
            raise ValueError(f"max_minutes must be a finite number >= 0, got {max_minutes}")
        crs = _common_crs(origins, destinations)
        if self.settings.cache_dir is None:
            matrix, snap, stats = self._walk(origins, destinations, max_minutes, speed_m_per_s, crs)
            return self._done(matrix, WalkReport(snap=snap, network_stats=stats))
        key = self.cache_key(origins, destinations, max_minutes, speed_m_per_s)
        path = walk_cache.cache_path(self.settings.cache_dir, key)
        cached = walk_cache.load_matrix(path, origins.index, destinations.index, key)
        if cached is not None:
            meta = walk_cache.load_meta(path)
            snap = tuple(SnapStats.from_dict(row) for row in meta.get("snap") or [])
            stats = dict(meta.get("network_stats") or {})
            return self._done(cached, WalkReport(snap, stats, cache_hit=True, cache_path=path))
        matrix, snap, stats = self._walk(origins, destinations, max_minutes, speed_m_per_s, crs)
        meta = {
            "network": str(self.settings.network),
            "max_minutes": max_minutes,
            "speed_m_per_s": speed_m_per_s,
            "network_stats": stats,
            "snap": [row.to_dict() for row in snap],
        }
        walk_cache.save_matrix(path, matrix, key, meta)
        return self._done(matrix, WalkReport(snap, stats, cache_hit=False, cache_path=path))

    def _walk(
        self,
        origins: gpd.GeoSeries,
        destinations: gpd.GeoSeries,
        max_minutes: float,
        speed_m_per_s: float,
        crs: CRS | None,
    ) -> tuple[WalkMatrix, tuple[SnapStats, ...], dict[str, Any]]:
        """The matrix, how far each side's points were snapped and the graph's stats (nothing is
        snapped, and the network is not read, when either side has no points)."""
        if len(origins) == 0 or len(destinations) == 0:
            return WalkMatrix.empty(origins.index, destinations.index), (), {}
        graph = self.graph(crs)
        o_xy, d_xy = _coords(origins, "origins"), _coords(destinations, "destinations")
        o_snap, d_snap = graph.snap(o_xy), graph.snap(d_xy)
        snap = (SnapStats.of("origins", o_snap.offset), SnapStats.of("destinations", d_snap.offset))
        max_metres = max_minutes * 60.0 * speed_m_per_s
        rows, cols, metres = point_distances(
            graph, o_snap, o_xy, d_snap, d_xy, max_metres, self.progress, self.settings.merge_tolerance_m
        )
        minutes = metres / speed_m_per_s / 60.0
        keep = minutes <= max_minutes
        matrix = WalkMatrix(origins.index, destinations.index, rows[keep], cols[keep], minutes[keep])
        return matrix, snap, dict(graph.stats)

    def _done(self, matrix: WalkMatrix, report: WalkReport) -> WalkMatrix:
        """``matrix`` carrying ``report``, which :attr:`reports` keeps."""
        self.reports.append(report)
        return dataclasses.replace(matrix, report=report)

    def snap_distances(self, points: gpd.GeoSeries) -> pd.Series:
        """Metres from each point to the network (its off-network leg), indexed like ``points``."""
        graph = self.graph(points.crs)
        return pd.Series(graph.snap(_coords(points, "points")).offset, index=points.index, name="snap_m")

    # ---- the reports so far, for interactive use ------------------------------------------

    @property
    def snap_report(self) -> pd.DataFrame:
        """One row per call (numbered from 1) and side: how many points were snapped and how far."""
        rows = [{"call": n, **s.to_dict()} for n, r in enumerate(self.reports, start=1) for s in r.snap]
        return pd.DataFrame(rows, columns=["call", "side", *SNAP_FIELDS])

    @property
    def last_cache_hit(self) -> bool | None:
        """Whether the latest call read its matrix from the cache (None: no call, or no cache)."""
        return self.reports[-1].cache_hit if self.reports else None

    @property
    def last_cache_path(self) -> Path | None:
        """The cache file of the latest call (None: no call, or no cache)."""
        return self.reports[-1].cache_path if self.reports else None


def _tuple(values: Iterable[str] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(values)


def _common_crs(origins: gpd.GeoSeries, destinations: gpd.GeoSeries) -> CRS | None:
    """The points' shared metric CRS (None when neither has one)."""
    a, b = origins.crs, destinations.crs
    if a is not None and b is not None and a != b:
        raise ValueError(f"origins ({a.name}) and destinations ({b.name}) must share one CRS")
    crs = a if a is not None else b
    if crs is not None and crs.is_geographic:
        raise ValueError(f"walk minutes need points in a metric CRS, got {crs.name}")
    return crs


def _coords(points: gpd.GeoSeries, what: str) -> np.ndarray:
    """``(n, 2)`` coordinates of a point GeoSeries; empty or non-point geometries are an error."""
    geoms = points.to_numpy()
    bad = shapely.is_empty(geoms) | (shapely.get_type_id(geoms) != 0) | pd.isna(geoms)
    if bad.any():
        first = points.index[np.flatnonzero(bad)[0]]
        raise ValueError(f"{what}: {int(bad.sum())} geometries are not points (first id: {first!r})")
    return shapely.get_coordinates(geoms)
