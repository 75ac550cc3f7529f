"""Sources of walk minutes behind one interface: straight line, street network, user matrix.

:func:`make_source` builds the source that walk settings name, through the registry of sources
(:mod:`optimizer.walk.registry`); each source takes its own typed settings and never reads a Scenario
(``Scenario.walk_source()`` builds a scenario's own). Every ``compute`` returns a :class:`WalkMatrix`
with its :class:`WalkReport`, and :func:`merge_reports` makes the ``walk`` block of a run's summary.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .base import WalkMatrix, WalkTimeSource
from .cache import cache_dir
from .matrix import MatrixSource
from .registry import WALK_SOURCES
from .report import SnapStats, WalkReport, merge_reports
from .straight import StraightLineSettings, StraightLineSource

if TYPE_CHECKING:
    from ..config import WalkConfig

__all__ = [
    "MatrixSource",
    "SnapStats",
    "StraightLineSettings",
    "StraightLineSource",
    "WalkMatrix",
    "WalkReport",
    "WalkTimeSource",
    "cache_dir",
    "make_source",
    "merge_reports",
]


def make_source(
    walk: WalkConfig, *, walk_minutes: pd.DataFrame | None, folder: Path, progress: bool = False
) -> WalkTimeSource:
    """The walk-time source ``walk.source`` names, built from the walk settings.

    ``walk_minutes`` is the user's origin,destination,minutes table (the matrix source needs it),
    ``folder`` the scenario's folder (the network source caches beside it, see :func:`cache_dir`)
    and ``progress`` shows progress bars during long computations. An unknown ``walk.source``,
    or one whose input is missing, is a ValueError.
    """
    kind = WALK_SOURCES.get(walk.source) if walk.source is not None else None
    if kind is None:
        raise ValueError(f"unknown walk source {walk.source!r}: use one of {', '.join(WALK_SOURCES)}")
    return kind.load()(walk, walk_minutes=walk_minutes, folder=folder, progress=progress)
