"""Sources of walk minutes behind one interface: straight line, street network, user matrix."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import WalkMatrix, WalkTimeSource
from .matrix import MatrixSource
from .straight import StraightLineSource

if TYPE_CHECKING:
    from ..scenario import Scenario

__all__ = ["WalkMatrix", "WalkTimeSource", "MatrixSource", "StraightLineSource", "source_for"]


def source_for(scenario: Scenario, progress: bool = False) -> WalkTimeSource:
    """The walk-time source a scenario asks for (``walk.source``)."""
    walk = scenario.config["walk"]
    kind = walk["source"]
    if kind == "matrix":
        assert scenario.walk_minutes is not None
        return MatrixSource(scenario.walk_minutes)
    if kind == "network":
        from .network import NetworkWalkSource

        cache = scenario.folder / ".quarterhour-cache" if walk.get("cache", True) else None
        return NetworkWalkSource(
            walk["network"],
            include_highway=walk.get("include_highway"),
            exclude_highway=walk.get("exclude_highway"),
            cache_dir=cache,
            progress=progress,
        )
    return StraightLineSource(detour_factor=float(walk["detour_factor"]))
