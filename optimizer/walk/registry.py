"""The walk-time sources, as data: name, what each one is, and the function that builds it.

The schema's ``walk.source`` choices read the names. :func:`optimizer.walk.make_source` looks the
factory up here and imports its module only then, so the street-network code (and numba) load
only when a scenario walks a network.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import import_module
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

    from .base import WalkTimeSource


class SourceFactory(Protocol):
    """Builds a source from the scenario's walk settings (``optimizer.config.WalkConfig``; the signature
    of ``make_source``)."""

    def __call__(
        self, walk: Any, *, walk_minutes: pd.DataFrame | None, folder: Path, progress: bool = False
    ) -> WalkTimeSource: ...


@dataclass(frozen=True)
class WalkSourceKind:
    """One kind of walk source: what it is, and its factory as ``"module:function"`` in this package."""

    description: str
    factory: str

    def load(self) -> SourceFactory:
        """The factory function (its module is imported now)."""
        module, _, name = self.factory.partition(":")
        return getattr(import_module(f".{module}", __package__), name)


WALK_SOURCES: Mapping[str, WalkSourceKind] = MappingProxyType(
    {
        "straight_line": WalkSourceKind(
            "straight-line distance x a detour factor", "straight:from_walk_config"
        ),
        "network": WalkSourceKind(
            "shortest walks along a street network (OSM or a line layer)", "network:from_walk_config"
        ),
        "matrix": WalkSourceKind(
            "the user's own origin,destination,minutes table", "matrix:from_walk_config"
        ),
    }
)
