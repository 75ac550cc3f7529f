"""Several results side by side (in the manner of PyPSA's ``NetworkCollection``): one row per run with
the same columns whatever each run ended in, so a loop over variants never trips on a missing key.

:func:`run_row` is the one definition of a comparison row; :func:`empty_row` gives the same columns for
a run that produced no Result at all (an error before the solver). Money columns: ``public_yuan`` is
first-year public money, the capital spent plus one year of rent subsidy; ``newly_covered`` counts
person-formats (a resident newly within reach of two formats counts twice).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..config import ScenarioConfig
from ..groups import GROUPS
from ..model import BUDGETS

if TYPE_CHECKING:
    from . import Result

BINDING_SHARE = 0.995  # a budget this full bound the plan
NO_BUDGET_BINDS = "viability/none"


def columns(formats: Iterable[str]) -> list[str]:
    """The columns of a comparison row, in order, for a scenario with these formats."""
    cols = ["status", "objective", "bound", "mip_gap", "message", "outlets_opened", "newly_covered"]
    for b in BUDGETS:
        cols += [f"{b.key}_used", f"{b.key}_limit", f"{b.key}_share_used"]
    cols += ["public_yuan", "public_yuan_per_newly_covered", "binding"]
    for key in formats:
        cols += [f"{key}_share_before", f"{key}_share_after"]
    for g in GROUPS:
        cols += [f"{g.key}_share_before", f"{g.key}_share_after"]
    return [*cols, "seconds"]


def empty_row(formats: Iterable[str], config: ScenarioConfig, status: str, message: str) -> dict[str, Any]:
    """A row for a run with no plan: every column, empty except status, message and the limits."""
    row: dict[str, Any] = dict.fromkeys(columns(formats))
    row.update(status=status, message=message)
    for b in BUDGETS:
        row[f"{b.key}_limit"] = b.limit(config)
    return row


def binding(row: Mapping[str, Any]) -> str:
    """Which budgets are at least 99.5% used ('+'-joined), or 'viability/none' when none is. A budget
    of zero binds when the plan opens nothing."""

    def binds(b: Any) -> bool:
        share = row.get(f"{b.key}_share_used")
        if share is None:
            return row.get(f"{b.key}_limit") == 0 and row.get("outlets_opened") == 0
        return share >= BINDING_SHARE

    full = [b.key for b in BUDGETS if binds(b)]
    return "+".join(full) if full else NO_BUDGET_BINDS


def run_row(r: Result) -> dict[str, Any]:
    """One comparison row from a result (see the module docstring for what the columns mean)."""
    s = r.summary()
    if not s["formats"] and len(r.coverage):  # no plan: the summary leaves coverage out; before still holds
        from .tables import format_summary, group_summary

        s["formats"], s["groups"] = format_summary(r), group_summary(r)
    row = empty_row(r.scenario.formats.index, r.scenario.config, s["status"], s.get("solver_message") or "")
    row.update(objective=s["objective_recomputed"], bound=s["bound"], mip_gap=s["mip_gap"])
    row["seconds"] = s["seconds"]
    for key, f in s["formats"].items():
        row[f"{key}_share_before"] = f.get("share_before")
    for g in GROUPS:
        row[f"{g.key}_share_before"] = s["groups"].get(g.key, {}).get("share_before")
    if not r.has_solution:
        return row
    for key, f in s["formats"].items():
        row[f"{key}_share_after"] = f.get("share_after")
    for g in GROUPS:
        row[f"{g.key}_share_after"] = s["groups"].get(g.key, {}).get("share_after")
    every = s["groups"].get("all", {})
    new = (every.get("covered_after_person_formats") or 0.0) - (
        every.get("covered_before_person_formats") or 0.0
    )
    row["outlets_opened"] = s["placements"]
    row["newly_covered"] = new
    public = 0.0
    for b in BUDGETS:
        used, limit = s["budget"][f"{b.key}_used"], s["budget"][f"{b.key}_limit"]
        row[f"{b.key}_used"] = used
        row[f"{b.key}_share_used"] = used / limit if limit else None
        public += used
    row["public_yuan"] = public
    row["public_yuan_per_newly_covered"] = public / new if new > 0 else None
    row["binding"] = binding(row)
    return row


def frame(rows: Mapping[str, Mapping[str, Any]], index_name: str = "run") -> pd.DataFrame:
    """Rows (by run name) as a table with one column order: the union of the rows' columns."""
    order: dict[str, None] = {}
    for row in rows.values():
        order.update(dict.fromkeys(row))
    out = pd.DataFrame.from_records(
        [[row.get(c) for c in order] for row in rows.values()],
        index=pd.Index(list(rows), name=index_name),
        columns=list(order),
    )
    return out


class ResultSet(Mapping[str, "Result"]):
    """Named results, in order. ``table()`` gives one row per result with the same columns for every
    status (empty where a run has no plan); ``plot(column)`` draws one column across the runs."""

    def __init__(self, results: Mapping[str, Result] | None = None, index_name: str = "run") -> None:
        self._results: dict[str, Result] = dict(results or {})
        self.index_name = index_name

    def __getitem__(self, key: str) -> Result:
        return self._results[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._results)

    def __len__(self) -> int:
        return len(self._results)

    def table(self) -> pd.DataFrame:
        return frame({name: run_row(r) for name, r in self._results.items()}, self.index_name)

    def plot(self, column: str = "objective", ax: Any = None) -> Any:
        """A bar chart of one column of :meth:`table` across the runs."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(8, 4))
        self.table()[column].astype(float).plot.bar(ax=ax)
        ax.set_ylabel(column)
        return ax

    def __repr__(self) -> str:
        return f"<ResultSet of {len(self)}: {', '.join(self._results)}>"
