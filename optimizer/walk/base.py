"""The one interface every source of walk minutes implements.

A source turns origins (residences) and destinations (sites or outlets), both as point
GeoSeries in a metric CRS indexed by the user's ids, into a :class:`WalkMatrix`: the
minutes of every origin-destination pair that is within ``max_minutes``, and nothing
else. Memory stays proportional to the pairs within reach, never residences x sites.
The matrix carries the source's :class:`~optimizer.walk.report.WalkReport` of that call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from .report import WalkReport


@dataclass(frozen=True)
class WalkMatrix:
    """Sparse walk minutes between ``origins`` and ``destinations`` (only pairs within reach).

    ``rows[k]``, ``cols[k]`` index ``origins`` and ``destinations``; ``minutes[k]`` is the walk
    time of that pair. Zero minutes are real entries (a shop in the residence's own building).
    ``report`` is what the source that made the matrix says about the computation (None when
    it says nothing); it is not part of the matrix's value.
    """

    origins: pd.Index
    destinations: pd.Index
    rows: np.ndarray
    cols: np.ndarray
    minutes: np.ndarray
    report: WalkReport | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        n = len(self.minutes)
        if not (len(self.rows) == len(self.cols) == n):
            raise ValueError("rows, cols and minutes must have the same length")

    @classmethod
    def empty(cls, origins: pd.Index, destinations: pd.Index, report: WalkReport | None = None) -> WalkMatrix:
        z = np.zeros(0, dtype=np.int64)
        return cls(origins, destinations, z, z.copy(), np.zeros(0), report=report)

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.origins), len(self.destinations))

    @property
    def nnz(self) -> int:
        return len(self.minutes)

    def within(self, limit: float) -> sp.csr_array:
        """Boolean CSR (origins x destinations): True where the walk takes at most ``limit`` minutes."""
        keep = self.minutes <= limit + 1e-9
        data = np.ones(int(keep.sum()), dtype=bool)
        return sp.csr_array((data, (self.rows[keep], self.cols[keep])), shape=self.shape)

    def scaled(self, factor: float) -> WalkMatrix:
        """The same pairs at a walking speed ``1/factor`` times the original (minutes x factor)."""
        return WalkMatrix(self.origins, self.destinations, self.rows, self.cols, self.minutes * factor)

    def nearest(self, limit: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
        """Per origin: minutes to the nearest destination within ``limit`` (inf if none) and its
        position (-1 if none)."""
        best = np.full(len(self.origins), np.inf)
        arg = np.full(len(self.origins), -1, dtype=np.int64)
        keep = self.minutes <= limit + 1e-9
        if keep.any():
            r, c, m = self.rows[keep], self.cols[keep], self.minutes[keep]
            order = np.lexsort((m, r))
            r, c, m = r[order], c[order], m[order]
            first = np.r_[True, r[1:] != r[:-1]]
            best[r[first]] = m[first]
            arg[r[first]] = c[first]
        return best, arg

    def to_frame(self) -> pd.DataFrame:
        """Long table ``origin, destination, minutes`` keyed by the user's ids."""
        return pd.DataFrame(
            {
                "origin": self.origins[self.rows],
                "destination": self.destinations[self.cols],
                "minutes": self.minutes,
            }
        )


class WalkTimeSource(Protocol):
    """Anything that computes a :class:`WalkMatrix`.

    ``origins`` and ``destinations`` are point GeoSeries in the same metric CRS, indexed by
    the user's ids. ``speed_m_per_s`` is the walking speed; pairs slower than ``max_minutes``
    are left out. The matrix's ``report`` says what the call did (the built-in sources always
    give one).
    """

    name: str

    def compute(
        self,
        origins: gpd.GeoSeries,
        destinations: gpd.GeoSeries,
        max_minutes: float,
        speed_m_per_s: float,
    ) -> WalkMatrix: ...
