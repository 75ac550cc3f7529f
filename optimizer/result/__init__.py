"""The one result object for every audience: a frozen record of what the solve found, with tables keyed
by the user's ids, maps, reports and writers (each in its own module beside this one), and a
:class:`ResultSet` for comparisons."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..outcome import Status
from . import html as _html
from . import maps as _maps
from . import tables as _tables
from .collection import ResultSet
from .plugins import SUMMARY_SECTIONS
from .write import raise_if_unverified, write_dir

if TYPE_CHECKING:
    from ..config import SolverConfig
    from ..model import CoverageModel
    from ..outcome import Solution, TieBreak
    from ..reach import Reach
    from ..scenario import Scenario


@dataclass(frozen=True, eq=False)
class Result:
    """What a solve found.

    ``status``: optimal, feasible (a limit stopped the proof; see ``mip_gap``), infeasible (see
    ``diagnosis``), no_solution or error. ``placements`` and ``coverage`` are DataFrames keyed by the
    scenario's ids; ``summary()`` is the dict written to summary.json. ``first`` and ``second`` are the
    solver's own answers for the coverage stage and the tie-break stage (for a weighted tie-break, the
    one solve read as coverage and its bound, and as money and its bound); ``tie_break`` says which
    method ran and what it proved.
    """

    scenario: Scenario
    reach: Reach
    model: CoverageModel
    first: Solution
    second: Solution | None
    solver_config: SolverConfig
    timings: Mapping[str, float]
    values: np.ndarray | None = None
    diagnosis: pd.DataFrame | None = None
    notes: tuple[str, ...] = ()  # what the solve itself warns about (e.g. a failed tie-break stage)
    exact: bool = False  # "optimal" with the bound within one quantum of the plan: nobody can do better
    quantum: float | None = None  # objective values are whole multiples of this (None: no such quantum)
    tie_break: TieBreak | None = None  # the tie-break's method and what it proved (None: not asked for)
    analyses: Mapping[str, Any] = field(default_factory=dict)
    """Analyses that cost re-solves, when asked for (:mod:`optimizer.explain`): ``marginal`` (what the next
    step of each budget buys) and ``removal`` (coverage lost per placement when removed and re-optimised)."""

    @property
    def status(self) -> Status:
        return Status(self.first.status)

    @property
    def has_solution(self) -> bool:
        return self.values is not None

    @property
    def exit_code(self) -> int:
        return self.status.exit_code

    # ---------------------------------------------------------------- tables
    @cached_property
    def placements(self) -> pd.DataFrame:
        """One row per (site, format) opened: costs per year and the population in its catchment."""
        return _tables.placements(self)

    @cached_property
    def coverage(self) -> pd.DataFrame:
        """Per residence (and speed group) and format: minutes to the nearest outlet before and after."""
        return _tables.coverage(self)

    def objective_recomputed(self) -> float:
        """Weighted coverage gained, recomputed from the placements (not read from the solver)."""
        return _tables.objective_recomputed(self)

    @cached_property
    def _summary(self) -> dict[str, Any]:
        return _tables.summary(self)

    def summary(self) -> dict[str, Any]:
        """Everything summary.json holds: termination, objective, bound, gap, coverage, budgets, timings.

        Computed once (it hashes the input files and aggregates the coverage table); each call returns
        its own copy, so callers may change it freely.
        """
        return copy.deepcopy(self._summary)

    @property
    def objective(self) -> float | None:
        """The plan's value as placed (priority-weighted residents newly covered)."""
        return _tables.headline_objective(self)

    def warnings(self) -> list[str]:
        """What the run should say beside its result: what the solve itself noticed (e.g. a failed
        tie-break stage), warnings found while computing walk times, unreachable residences, a plan that
        places nothing, formats that cannot open anywhere (the scenario's own warnings are in summary())."""
        return (
            list(self.notes)
            + list(self.reach.warnings)
            + _tables.unreachable_warnings(self)
            + [w for name in SUMMARY_SECTIONS for w in self._summary[name].get("warnings") or []]
        )

    def explain(self) -> dict[str, Any]:
        """What limits the plan (summary.json's ``explain`` block), with ``sentences`` in zh and en."""
        return self.summary()["explain"]

    def summary_frame(self) -> pd.DataFrame:
        """Coverage before and after per format, as a table."""
        s = self.summary()
        return pd.DataFrame(s["formats"]).T if s["formats"] else pd.DataFrame()

    def groups_frame(self) -> pd.DataFrame:
        """Coverage before and after per population group (person-formats), as a table."""
        g = self.summary()["groups"]
        return pd.DataFrame(g).T if g else pd.DataFrame()

    # ---------------------------------------------------------------- maps
    def to_geodataframe(self, layer: str = "placements") -> gpd.GeoDataFrame:
        """``placements`` (site points), ``sites`` (every site, with what opened), ``residences``
        (coverage per format before/after as columns) or ``coverage`` (long table with geometry)."""
        return _maps.to_geodataframe(self, layer)

    def plot(self, format: str | None = None, ax: Any = None) -> Any:
        """A static map: residences shaded by coverage after, sites, existing outlets and placements."""
        return _maps.plot(self, format, ax)

    def explore(self, format: str | None = None) -> Any:
        """An interactive folium map of residences, sites, outlets and placements."""
        return _maps.explore(self, format)

    # ---------------------------------------------------------------- text
    def __repr__(self) -> str:
        return _html.text_repr(self)

    def _repr_html_(self) -> str:
        return _html.repr_html(self)

    def to_html(self, with_map: bool = True, lang: str = "zh") -> str:
        """The pilot plan (试点方案) as one self-contained HTML page, in Chinese or English (``lang``);
        ``with_map=False`` leaves the map image out."""
        return _html.to_html(self, with_map, lang)

    # ---------------------------------------------------------------- writers
    def to_dir(
        self,
        out: str | Path,
        overwrite: bool = False,
        excel: bool = True,
        maps: bool = True,
        verify: bool = True,
        report: bool = True,
        lang: str = "zh",
        tiles: str = "none",
    ) -> Path:
        """Write summary.json, placements.csv, coverage.csv, excluded.csv, result.gpkg, report.html
        and report.md (and results.xlsx, map.html) into ``out``, atomically: all of it or nothing. Raises
        VerificationError when the independent verification disagrees (the folder is written)."""
        check = write_dir(
            self,
            out,
            overwrite=overwrite,
            excel=excel,
            maps=maps,
            verify=verify,
            report=report,
            lang=lang,
            tiles=tiles,
        )
        raise_if_unverified(check, out)
        return Path(out)


__all__ = ["Result", "ResultSet", "write_dir"]
