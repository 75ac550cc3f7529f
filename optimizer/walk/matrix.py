"""User-supplied walk minutes (a CSV origin,destination,minutes): pairs not listed are out of reach."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from .base import WalkMatrix
from .report import WalkReport

if TYPE_CHECKING:
    from ..config import WalkConfig


@dataclass(frozen=True)
class MatrixSource:
    """Walk minutes as given by the user, already at the scenario's walking speed."""

    table: pd.DataFrame
    name: str = "matrix"

    def compute(
        self,
        origins: gpd.GeoSeries,
        destinations: gpd.GeoSeries,
        max_minutes: float,
        speed_m_per_s: float,
    ) -> WalkMatrix:
        t = self.table
        r = origins.index.get_indexer(t["origin"])
        c = destinations.index.get_indexer(t["destination"])
        keep = (r >= 0) & (c >= 0) & (t["minutes"].to_numpy() <= max_minutes + 1e-9)
        order = np.lexsort((c[keep], r[keep]))
        return WalkMatrix(
            origins.index,
            destinations.index,
            r[keep][order].astype(np.int64),
            c[keep][order].astype(np.int64),
            t["minutes"].to_numpy(dtype=float)[keep][order],
            report=WalkReport(),
        )


def from_walk_config(
    walk: WalkConfig, *, walk_minutes: pd.DataFrame | None, folder: Path, progress: bool = False
) -> MatrixSource:
    """The source of ``walk.source: matrix`` (the registry's factory for it): the user's table,
    which has no settings of its own."""
    if walk_minutes is None:
        raise ValueError("walk.source is 'matrix' but no walk-minutes table was given (inputs.walk_minutes)")
    return MatrixSource(walk_minutes)
