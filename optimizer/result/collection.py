"""Several results side by side (in the manner of PyPSA's ``NetworkCollection``): one row per run with
the same columns whatever each run ended in, so a loop over variants never trips on a missing key."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..groups import GROUPS
from ..model import BUDGETS

if TYPE_CHECKING:
    from . import Result


def _row(r: Result) -> dict[str, Any]:
    s = r.summary()
    row: dict[str, Any] = {
        "status": s["status"],
        "objective": s["objective_recomputed"],
        "bound": s["bound"],
        "mip_gap": s["mip_gap"],
        "placements": s["placements"],
    }
    for b in BUDGETS:
        row[f"{b.key}_used"] = s["budget"][f"{b.key}_used"]
        row[f"{b.key}_limit"] = s["budget"][f"{b.key}_limit"]
    for key in r.scenario.formats.index:
        f = s["formats"].get(key, {})
        row[f"{key}_share_before"] = f.get("share_before")
        row[f"{key}_share_after"] = f.get("share_after")
    for g in GROUPS:
        grp = s["groups"].get(g.key, {})
        row[f"{g.key}_share_before"] = grp.get("share_before")
        row[f"{g.key}_share_after"] = grp.get("share_after")
    return row


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
        rows = {name: _row(r) for name, r in self._results.items()}
        out = pd.DataFrame.from_dict(rows, orient="index")
        out.index.name = self.index_name
        return out

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
