"""Small scenarios built in code for tests: walk minutes given as a matrix, so optima check by hand."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from optimizer.scenario import Scenario


def make_scenario(
    residences: list[dict[str, Any]],
    sites: list[dict[str, Any]],
    minutes: dict[tuple[str, str], float],
    outlets: list[dict[str, Any]] | None = None,
    **config: Any,
) -> Scenario:
    """A scenario whose walk minutes are exactly ``minutes`` ((origin, destination) -> minutes)."""
    res = pd.DataFrame(residences)
    res["lon"] = 121.47 + 0.001 * np.arange(len(res))
    res["lat"] = 31.23
    st = pd.DataFrame(sites)
    st["lon"] = 121.47 + 0.001 * np.arange(len(st))
    st["lat"] = 31.231
    out = None
    if outlets:
        out = pd.DataFrame(outlets, columns=["id", "format"])
        out["lon"] = 121.48
        out["lat"] = 31.232
    wm = pd.DataFrame(
        [{"origin": o, "destination": d, "minutes": m} for (o, d), m in minutes.items()],
        columns=["origin", "destination", "minutes"],
    )
    cfg: dict[str, Any] = {"viability": {"enabled": False}, "objective": {"tie_break": "least_public_money"}}
    for k, v in config.items():
        if isinstance(v, dict) and isinstance(cfg.get(k), dict):
            cfg[k] = {**cfg[k], **v}
        else:
            cfg[k] = v
    return Scenario.from_frames(res, st, out, cfg, walk_minutes=wm)
