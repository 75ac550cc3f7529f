"""The walk-time sources, as data: name and what each one is. The schema's ``walk.source`` choices
and :func:`optimizer.walk.source_for` read this table."""

from __future__ import annotations

WALK_SOURCES: dict[str, str] = {
    "straight_line": "straight-line distance x a detour factor",
    "network": "shortest walks along a street network (OSM or a line layer)",
    "matrix": "the user's own origin,destination,minutes table",
}
