"""Straight-line walk minutes: distance x detour factor / walking speed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from .base import WalkMatrix
from .report import WalkReport

if TYPE_CHECKING:
    from ..config import WalkConfig


@dataclass(frozen=True)
class StraightLineSettings:
    """The straight-line source's setting: how many times longer a walk is than the straight line."""

    detour_factor: float


@dataclass(frozen=True)
class StraightLineSource:
    """Euclidean distance in the metric CRS times ``detour_factor``, walked at the given speed."""

    detour_factor: float = 1.3
    name: str = "straight_line"

    @classmethod
    def from_settings(cls, settings: StraightLineSettings) -> StraightLineSource:
        return cls(detour_factor=settings.detour_factor)

    @property
    def settings(self) -> StraightLineSettings:
        return StraightLineSettings(detour_factor=self.detour_factor)

    def compute(
        self,
        origins: gpd.GeoSeries,
        destinations: gpd.GeoSeries,
        max_minutes: float,
        speed_m_per_s: float,
    ) -> WalkMatrix:
        report = WalkReport(detour_factor=self.detour_factor)
        if len(origins) == 0 or len(destinations) == 0:
            return WalkMatrix.empty(origins.index, destinations.index, report)
        a = np.column_stack([origins.x.to_numpy(), origins.y.to_numpy()])
        b = np.column_stack([destinations.x.to_numpy(), destinations.y.to_numpy()])
        radius = max_minutes * 60.0 * speed_m_per_s / self.detour_factor
        tree_b = cKDTree(b)
        coo = cKDTree(a).sparse_distance_matrix(tree_b, radius, output_type="coo_matrix")
        # sparse_distance_matrix drops exact zeros: add coincident points back.
        same = tree_b.query_ball_point(a, r=0.0)
        zr = np.repeat(np.arange(len(a)), [len(s) for s in same])
        zc = np.fromiter((j for s in same for j in s), dtype=np.int64, count=len(zr))
        rows = np.r_[coo.row.astype(np.int64), zr]
        cols = np.r_[coo.col.astype(np.int64), zc]
        dist = np.r_[coo.data, np.zeros(len(zr))]
        minutes = dist * self.detour_factor / speed_m_per_s / 60.0
        order = np.lexsort((cols, rows))
        return WalkMatrix(
            origins.index, destinations.index, rows[order], cols[order], minutes[order], report=report
        )


def from_walk_config(
    walk: WalkConfig, *, walk_minutes: pd.DataFrame | None, folder: Path, progress: bool = False
) -> StraightLineSource:
    """The source of ``walk.source: straight_line`` (the registry's factory for it)."""
    return StraightLineSource.from_settings(StraightLineSettings(detour_factor=float(walk.detour_factor)))
