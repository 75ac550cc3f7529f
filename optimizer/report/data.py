"""What a report reads: the summary, the result tables and the scenario's own tables, from a
:class:`~optimizer.result.Result` in memory or from a result folder written earlier."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..outcome import Status

if TYPE_CHECKING:
    from ..config import ScenarioConfig
    from ..result import Result


@dataclass(frozen=True, eq=False)
class ReportData:
    """Everything the pilot plan, the charts, the web map and the workbook show."""

    summary: dict[str, Any]
    placements: pd.DataFrame
    coverage: pd.DataFrame
    excluded: pd.DataFrame
    residences: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    outlets: gpd.GeoDataFrame
    formats: pd.DataFrame
    config: ScenarioConfig
    metric_crs: Any
    description: str = ""
    diagnosis: pd.DataFrame | None = None
    frontier: pd.DataFrame | None = None
    phasing: pd.DataFrame | None = None  # phasing.csv: one row per year (when the scenario is phased)

    @property
    def name(self) -> str:
        return str(self.summary.get("scenario") or "scenario")

    @property
    def has_solution(self) -> bool:
        """Whether the run has a plan (optimal or feasible); an infeasible run's summary still holds
        today's coverage per format and group."""
        return Status(self.summary["status"]).has_plan

    @property
    def communities(self) -> pd.Series | None:
        """Each residence's 社区/街道 when the residences carry a ``community`` column."""
        if "community" not in self.residences.columns:
            return None
        c = self.residences["community"]
        return c.where(c.notna() & (c.astype(str).str.strip() != ""), "—").astype(str)

    @classmethod
    def from_result(cls, r: Result, folder: str | Path | None = None) -> ReportData:
        sc = r.scenario
        return cls(
            summary=r.summary(),
            placements=r.placements,
            coverage=r.coverage if r.values is not None else pd.DataFrame(),
            excluded=r.model.excluded,
            residences=sc.residences,
            sites=sc.sites,
            outlets=sc.outlets,
            formats=sc.formats,
            config=sc.config,
            metric_crs=sc.metric_crs,
            description=sc.config.description or "",
            diagnosis=r.diagnosis,
            frontier=read_frontier(folder) if folder is not None else None,
            phasing=r.analyses["phasing"].years if r.analyses.get("phasing") is not None else None,
        )

    @classmethod
    def from_dir(cls, folder: str | Path) -> ReportData:
        """Read a result folder (summary.json and its CSV tables) and the scenario it names."""
        from ..scenario import load_scenario

        folder = Path(folder)
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        sc = load_scenario(summary["scenario_file"])
        cov_path = folder / "coverage.csv"
        diag_path = folder / "diagnosis.csv"
        return cls(
            summary=summary,
            placements=_read_csv(folder / "placements.csv", {"site_id": str}),
            coverage=_read_csv(cov_path, {"residence_id": str}) if cov_path.is_file() else pd.DataFrame(),
            excluded=_read_csv(folder / "excluded.csv", {"site_id": str}),
            residences=sc.residences,
            sites=sc.sites,
            outlets=sc.outlets,
            formats=sc.formats,
            config=sc.config,
            metric_crs=sc.metric_crs,
            description=sc.config.description or "",
            diagnosis=pd.read_csv(diag_path) if diag_path.is_file() else None,
            frontier=read_frontier(folder),
            phasing=pd.read_csv(folder / "phasing.csv") if (folder / "phasing.csv").is_file() else None,
        )

    def residence_area_m2(self) -> float | None:
        """Land area of the residences when they are polygons (None for points)."""
        geom = self.residences.geometry
        if not len(geom) or not geom.geom_type.isin(["Polygon", "MultiPolygon"]).all():
            return None
        return float(geom.to_crs(self.metric_crs).area.sum())

    def households(self) -> tuple[float, bool]:
        """Households and whether they were given (else estimated at 2.32 persons per household, the
        Shanghai 2020 census average)."""
        r = self.residences
        if "households" in r.columns and r["households"].notna().any():
            return float(r["households"].fillna(r["population"] / 2.32).sum()), True
        return float(r["population"].sum() / 2.32), False

    def elderly_share(self) -> float | None:
        r = self.residences
        pop = float(r["population"].sum())
        return float((r["population"] * r["elderly_share"].fillna(0)).sum() / pop) if pop else None

    def group_population(self, flag: str) -> float:
        r = self.residences
        return float(r.loc[r[flag].to_numpy(bool), "population"].sum()) if flag in r else 0.0

    def site_label(self, site_id: str) -> str:
        """A site as a planner knows it: its address or street, with the id in brackets."""
        s = self.sites
        if site_id not in s.index:
            return str(site_id)
        row = s.loc[site_id]
        for col in ("address", "name", "street"):
            v = row.get(col) if col in s.columns else None
            if isinstance(v, str) and v.strip():
                return f"{v.strip()}（{site_id}）"
        return str(site_id)

    def coverage_by_unit(self) -> pd.DataFrame:
        """Per residence and format: population and persons covered before and after."""
        c = self.coverage
        if not len(c):
            return pd.DataFrame()
        c = c.assign(
            before=c["population"] * c["covered_before"].astype(bool),
            after=c["population"] * c["covered_after"].astype(bool),
        )
        return c.groupby(["residence_id", "format"])[["population", "before", "after"]].sum().reset_index()


def _read_csv(path: Path, dtype: dict[str, type]) -> pd.DataFrame:
    return pd.read_csv(path, dtype=dtype) if path.is_file() else pd.DataFrame()


def read_frontier(folder: str | Path) -> pd.DataFrame | None:
    """``frontier.csv`` of a budget sweep, when the folder holds one."""
    path = Path(folder) / "frontier.csv"
    if not path.is_file():
        return None
    f = pd.read_csv(path)
    for col in ("is_scenario_value", "is_knee"):
        if col in f.columns:
            f[col] = f[col].astype(str).str.lower().isin(["true", "1", "yes"])
    return f


def varied_key(frontier: pd.DataFrame) -> str | None:
    """The frontier's varied scenario key (a dotted column: a scenario key such as one of the budgets)."""
    keys = [c for c in frontier.columns if "." in c]
    return keys[0] if keys else None


def finite(v: Any) -> bool:
    return v is not None and np.isfinite(float(v))
