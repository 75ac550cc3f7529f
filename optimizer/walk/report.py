"""What a walk source says about one computation, and the ``walk`` block of a run's summary.

Every :meth:`~optimizer.walk.base.WalkTimeSource.compute` call returns its
:class:`~optimizer.walk.base.WalkMatrix` with a :class:`WalkReport`: how far the points were
from the street network, what the graph kept, whether the matrix came from the cache, the
detour factor. :func:`merge_reports` turns the reports of the two calls a scenario makes
(residences to sites, residences to outlets) into the ``walk`` block of ``summary.json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: The statistics of a snapping side, in the order the summary lists them.
SNAP_FIELDS = ("points", "median_m", "p95_m", "max_m", "mean_m")


@dataclass(frozen=True)
class SnapStats:
    """How far one side's points (``side``: "origins" or "destinations") are from the network:
    metres of their off-network legs (NaN when there are no points)."""

    side: str
    points: int
    median_m: float
    p95_m: float
    max_m: float
    mean_m: float

    @classmethod
    def of(cls, side: str, offset: np.ndarray) -> SnapStats:
        """The statistics of the off-network legs ``offset`` (metres, one per point)."""
        n = len(offset)
        return cls(
            side=side,
            points=n,
            median_m=float(np.median(offset)) if n else np.nan,
            p95_m=float(np.percentile(offset, 95)) if n else np.nan,
            max_m=float(offset.max()) if n else np.nan,
            mean_m=float(offset.mean()) if n else np.nan,
        )

    @classmethod
    def from_dict(cls, row: Mapping[str, Any]) -> SnapStats:
        """From :meth:`to_dict`'s mapping (as saved with a cached matrix; other keys are ignored)."""
        return cls(
            side=str(row["side"]),
            points=int(row["points"]),
            **{k: float(row[k]) for k in SNAP_FIELDS[1:]},
        )

    def to_dict(self) -> dict[str, Any]:
        """``side`` and the statistics, as plain JSON values."""
        return {"side": self.side, **self.stats()}

    def stats(self) -> dict[str, Any]:
        """The statistics without the side, in :data:`SNAP_FIELDS` order."""
        return {k: getattr(self, k) for k in SNAP_FIELDS}


@dataclass(frozen=True)
class WalkReport:
    """One compute call's account of its work; None fields do not apply to the source.

    ``snap``: per side, how far the points were from the network (empty when nothing was
    snapped). ``network_stats``: what building the graph read, kept and dropped (empty when
    the graph was not needed). ``cache_hit``/``cache_path``: whether the matrix was read from
    the cache, and its file. ``detour_factor``: the straight-line source's factor.
    """

    snap: tuple[SnapStats, ...] = ()
    network_stats: Mapping[str, Any] | None = None
    cache_hit: bool | None = None
    cache_path: Path | None = None
    detour_factor: float | None = None


def merge_reports(source: str, sites: WalkReport | None, outlets: WalkReport | None = None) -> dict[str, Any]:
    """The ``walk`` block of a summary from the reports of a scenario's two compute calls.

    ``sites`` is the report of residences -> sites, ``outlets`` that of residences -> outlets
    (None when that call was not made or its source gave no report). Keys, in this order:
    ``source``; ``snap`` (residences, sites, outlets: how far from the network), when points
    were snapped; ``network_stats`` (the latest non-empty ones), for network sources;
    ``last_cache_hit`` (of the latest call), when the source caches; ``detour_factor``.
    """
    out: dict[str, Any] = {"source": source}
    calls = [r for r in (sites, outlets) if r is not None]
    wanted = [(sites, "origins", "residences"), (sites, "destinations", "sites")]
    wanted.append((outlets, "destinations", "outlets"))
    snap = [
        {"points_of": label, **s.stats()}
        for report, side, label in wanted
        if report is not None
        for s in report.snap
        if s.side == side
    ]
    if snap:
        out["snap"] = snap
    stats = [r.network_stats for r in calls if r.network_stats is not None]
    if stats:
        out["network_stats"] = dict(next((s for s in reversed(stats) if s), {}))
    if calls and calls[-1].cache_hit is not None:
        out["last_cache_hit"] = calls[-1].cache_hit
    factors = [r.detour_factor for r in calls if r.detour_factor is not None]
    if factors:
        out["detour_factor"] = factors[-1]
    return out
