"""Sources of walk minutes behind one interface: straight line, street network, user matrix."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from .base import WalkMatrix, WalkTimeSource
from .matrix import MatrixSource
from .report import SnapStats, WalkReport, merge_reports
from .straight import StraightLineSource

if TYPE_CHECKING:
    from ..scenario import Scenario

__all__ = [
    "MatrixSource",
    "SnapStats",
    "StraightLineSource",
    "WalkMatrix",
    "WalkReport",
    "WalkTimeSource",
    "merge_reports",
    "source_for",
]


def cache_dir(folder: Path) -> Path:
    """Where network walk times are cached: ``$QUARTERHOUR_CACHE_DIR`` when set, else
    ``.quarterhour-cache`` beside the scenario file."""
    env = os.environ.get("QUARTERHOUR_CACHE_DIR")
    return Path(env) if env else folder / ".quarterhour-cache"


def source_for(scenario: Scenario, progress: bool = False) -> WalkTimeSource:
    """The walk-time source a scenario asks for (``walk.source``)."""
    walk = scenario.config.walk
    kind = walk.source
    if kind == "matrix":
        assert scenario.walk_minutes is not None
        return MatrixSource(scenario.walk_minutes)
    if kind == "network":
        from .network import NetworkWalkSource

        cache = cache_dir(scenario.folder) if walk.cache else None
        return NetworkWalkSource(
            walk.network,
            include_highway=list(walk.include_highway) if walk.include_highway is not None else None,
            exclude_highway=list(walk.exclude_highway) if walk.exclude_highway is not None else None,
            cache_dir=cache,
            progress=progress,
        )
    return StraightLineSource(detour_factor=float(walk.detour_factor))
