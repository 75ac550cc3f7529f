"""Compare a scenario with its variants: one table, one row per run, the same columns whatever each run
ended in (see :mod:`optimizer.result.collection` for what the columns mean).

>>> cmp = compare_variants(sc)                 # the base and the scenario's own ``variants:``
>>> cmp.table[["status", "all_share_after", "binding"]]
>>> cmp.plot("all_share_after"); cmp.to_dir("out/compare")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..result.collection import frame, run_row
from ..scenario import Scenario
from . import runs as _runs
from . import variants as _variants
from .runs import worst_exit_code

if TYPE_CHECKING:
    from ..result import Result

INDEX = "variant"


@dataclass(frozen=True, eq=False)
class Comparison:
    """``table``: one row per run (index: the variant's name; ``overrides`` says what it changed).
    ``placements``: every run's plan, long (variant, site_id, format, ...)."""

    table: pd.DataFrame
    placements: pd.DataFrame

    @property
    def exit_code(self) -> int:
        """0 every run has a plan; 3 some run is infeasible; 4 some run had no plan or failed."""
        return worst_exit_code(self.table["status"])

    def plot(self, column: str = "all_share_after", ax: Any = None) -> Any:
        """A bar chart of one column across the runs."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(max(6.0, 0.6 * len(self.table)), 4))
        self.table[column].astype(float).plot.bar(ax=ax)
        ax.set_ylabel(column)
        ax.set_xlabel(self.table.index.name or "")
        return ax

    def to_dir(self, out: str | Path, overwrite: bool = False) -> Path:
        """comparison.csv, comparison.xlsx, comparison.html and placements.csv, written atomically."""
        from .pages import write_comparison

        return write_comparison(self, Path(out), overwrite=overwrite)


def compare(results: Mapping[str, Result] | Sequence[Result], index: str = "run") -> Comparison:
    """Results already in hand, side by side (a list is named by each scenario's name)."""
    named = dict(results) if isinstance(results, Mapping) else {r.scenario.name: r for r in results}
    table = frame({k: run_row(r) for k, r in named.items()}, index)
    plans = [r.placements.assign(**{index: k}) for k, r in named.items() if r.has_solution]
    return Comparison(table, _long(plans, index))


def _long(parts: list[pd.DataFrame], index: str) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame(columns=[index, "site_id", "format"])
    df = pd.concat(parts, ignore_index=True)
    return df[[index, *[c for c in df.columns if c != index]]]


def compare_variants(
    scenario: Scenario,
    variants: Sequence[_variants.Variant] | None = None,
    executor: str = "pool",
    address: str | None = None,
    workers: int | None = None,
    progress: bool = False,
) -> Comparison:
    """Solve the base scenario and every variant (default: the scenario's ``variants:``) on one executor
    (inprocess, pool, or dask with ``address``); walk times are computed once per walk key."""
    chosen = list(variants) if variants is not None else _variants.from_config(scenario)
    todo = [(_variants.Variant(_variants.BASE), scenario), *_variants.build(scenario, chosen)]
    runs = _runs.share_walk_times([(v.name, sc) for v, sc in todo], progress=progress)
    outcomes = _runs.execute(_runs.chains(runs, None, warm=False), executor, address, workers, progress)
    rows = {o.name: {"overrides": v.label(), **o.row} for (v, _), o in zip(todo, outcomes, strict=True)}
    plans = [o.placements.assign(**{INDEX: o.name}) for o in outcomes if o.placements is not None]
    return Comparison(frame(rows, INDEX), _long(plans, INDEX))
