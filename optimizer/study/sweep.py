"""The coverage frontier: solve a scenario at every point of one or two varied keys (e.g. the capital
budget from 0 to 10 million), warm-starting each point from its neighbour, and find the knee (where more
money starts to buy much less coverage).

>>> fr = sweep(sc, {"budget.capital_yuan": np.linspace(0, 1e7, 21)})
>>> fr.table[["budget.capital_yuan", "objective", "is_knee"]]; fr.plot(); fr.to_dir("out/frontier")
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..scenario import Scenario
from . import runs as _runs
from . import variants as _variants
from .runs import worst_exit_code

CHAINS = 4  # points per key are cut into this many warm-started chains, whatever the executor


@dataclass(frozen=True, eq=False)
class Frontier:
    """``table``: one row per point, in the order of the varied keys (the first varies fastest along
    each curve). Columns: the varied keys, ``objective``, ``status``, ``mip_gap``,
    ``<format>_share_after`` per format, ``is_scenario_value``, ``is_knee``, then the rest of the
    comparison row (``all_share_after``, ``binding``, budgets used, ...)."""

    table: pd.DataFrame
    keys: tuple[str, ...]
    formats: tuple[str, ...]

    @property
    def exit_code(self) -> int:
        """0 every point has a plan; 3 some point is infeasible; 4 some point had no plan or failed."""
        return worst_exit_code(self.table["status"])

    def plot(self, ax: Any = None) -> Any:
        """Objective against the first key (one line per value of the second), the scenario's own
        value and the knee marked."""
        from .pages import plot_frontier

        return plot_frontier(self, ax)

    def to_dir(self, out: str | Path, overwrite: bool = False) -> Path:
        """frontier.csv, frontier.xlsx, frontier.png and frontier.html (works offline), atomically."""
        from .pages import write_frontier

        return write_frontier(self, Path(out), overwrite=overwrite)


def _values(scenario: Scenario, key: str, values: Sequence[Any]) -> list[Any]:
    """The requested values with the scenario's own value added (numbers sorted ascending)."""
    own = _own(scenario, key)
    vals = list(values)
    if own is not None and own not in vals:
        vals.append(own)
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
        vals = sorted(float(v) for v in vals)
    return vals


def _own(scenario: Scenario, key: str) -> Any:
    if key.startswith("formats."):
        _, name, fld = (key.split(".") + [""])[:3]
        return scenario.formats.at[name, fld] if name in scenario.formats.index and fld else None
    v = scenario.config.get(key)
    return list(v) if isinstance(v, tuple) else v


def knee(x: np.ndarray, y: np.ndarray) -> int | None:
    """Position of the knee of an increasing curve: the point farthest above the chord from the first
    to the last point, both axes scaled to [0, 1] (Satopää et al.'s Kneedle). None when flat."""
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3:
        return None
    xs, ys = x[ok], y[ok]
    dx, dy = xs.max() - xs.min(), ys.max() - ys.min()
    if dx <= 0 or dy <= 0:
        return None
    u, v = (xs - xs.min()) / dx, (ys - ys.min()) / dy
    u0, v0, u1, v1 = u[0], v[0], u[-1], v[-1]
    dist = (v - v0) * (u1 - u0) - (u - u0) * (v1 - v0)  # above the chord when positive
    k = int(np.argmax(dist))
    return int(np.flatnonzero(ok)[k]) if dist[k] > 1e-9 else None


def _points(
    scenario: Scenario, vary: Mapping[str, Sequence[Any]]
) -> tuple[list[str], list[dict[str, Any]], int]:
    """Every point, the first key fastest (so a chain walks up one curve), and the points per curve."""
    keys = list(vary)
    if not 1 <= len(keys) <= 2:
        raise ValueError("sweep one or two keys")
    dims = {k: _values(scenario, k, vary[k]) for k in keys}
    outer = dims[keys[1]] if len(keys) == 2 else [None]
    pts = [{keys[0]: v, **({keys[1]: w} if w is not None else {})} for w in outer for v in dims[keys[0]]]
    return keys, pts, len(dims[keys[0]])


def _chains(runs: list[_runs.Run], per_curve: int) -> list[_runs.Chain]:
    size = max(1, math.ceil(per_curve / CHAINS))
    out: list[_runs.Chain] = []
    for c in range(0, len(runs), per_curve):
        out += _runs.chains(runs[c : c + per_curve], size, warm=True)
    return out


def sweep(
    scenario: Scenario,
    vary: Mapping[str, Sequence[Any]],
    executor: str = "pool",
    address: str | None = None,
    workers: int | None = None,
    progress: bool = False,
) -> Frontier:
    """Solve ``scenario`` at every combination of one or two varied keys; walk times are computed once
    when the keys leave them alone (budgets, subsidies, priorities)."""
    keys, pts, per_curve = _points(scenario, vary)
    variants = [_variants.Variant(f"p{i:03d}", p) for i, p in enumerate(pts)]
    built = _variants.build(scenario, variants)
    runs = _runs.share_walk_times([(v.name, sc) for v, sc in built], progress=progress)
    outcomes = _runs.execute(_chains(runs, per_curve), executor, address, workers, progress)
    table = _table(scenario, keys, pts, outcomes, per_curve)
    return Frontier(table, tuple(keys), tuple(scenario.formats.index))


def _table(
    scenario: Scenario,
    keys: list[str],
    pts: list[dict[str, Any]],
    outcomes: list[_runs.Outcome],
    per_curve: int,
) -> pd.DataFrame:
    fmt = [f"{k}_share_after" for k in scenario.formats.index]
    head = [*keys, "objective", "status", "mip_gap", *fmt, "is_scenario_value", "is_knee"]
    rows = []
    for p, o in zip(pts, outcomes, strict=True):
        own = all(_same(p[k], _own(scenario, k)) for k in keys)
        shown = {k: _variants.as_text(v) if isinstance(v, (list, tuple)) else v for k, v in p.items()}
        rows.append({**shown, **o.row, "is_scenario_value": own, "is_knee": False})
    df = pd.DataFrame(rows)
    for c in range(0, len(df), per_curve):
        curve = df.iloc[c : c + per_curve]
        x = pd.to_numeric(curve[keys[0]], errors="coerce").to_numpy(float)
        y = pd.to_numeric(curve["objective"], errors="coerce").to_numpy(float)
        k = knee(x, y)
        if k is not None:
            df.loc[curve.index[k], "is_knee"] = True
    rest = [c for c in df.columns if c not in head]
    return df[head + rest]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-9)
    return a == b
