"""The one result object: summary, tables keyed by the user's ids, maps and writers."""

from __future__ import annotations

import copy
import hashlib
import html
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .catalog import BY_KEY
from .errors import VerificationError
from .groups import group_mask
from .io import atomic_dir

if TYPE_CHECKING:
    from .backends.base import Solution
    from .config import SolverConfig
    from .model import CoverageModel
    from .reach import Reach
    from .scenario import Scenario

EXIT_CODES = {"optimal": 0, "feasible": 0, "infeasible": 3, "no_solution": 4, "error": 4}
GROUPS = ("all", "old_neighbourhood", "affordable_housing", "priority")


def inputs_digest(paths: list[Path]) -> dict[str, str]:
    """SHA-256 of every input file, so a later check can tell whether the inputs changed since the run."""
    out = {}
    for p in paths:
        p = Path(p)
        if p.is_file():
            h = hashlib.sha256()
            with p.open("rb") as f:
                for chunk in iter(lambda f=f: f.read(1 << 20), b""):
                    h.update(chunk)
            out[str(p)] = h.hexdigest()
    return out


def _clean(v: Any) -> Any:
    """JSON-safe values: numpy scalars to Python, NaN/inf to None."""
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        f = float(v)
        return f if np.isfinite(f) else None
    if isinstance(v, np.bool_):
        return bool(v)
    return v


class Result:
    """What a solve found, for every audience.

    ``status``: optimal, feasible (a limit stopped the proof; see ``mip_gap``), infeasible (see
    ``diagnosis``), no_solution or error. ``placements`` and ``coverage`` are DataFrames keyed by the
    scenario's ids; ``summary()`` is the dict written to summary.json.
    """

    def __init__(
        self,
        scenario: Scenario,
        reach: Reach,
        model: CoverageModel,
        first: Solution,
        second: Solution | None,
        config: SolverConfig,
        timings: dict[str, float],
        values: np.ndarray | None = None,
        diagnosis: pd.DataFrame | None = None,
    ) -> None:
        self.scenario = scenario
        self.reach = reach
        self.model = model
        self.first = first
        self.second = second
        self.solver_config = config
        self.timings = timings
        self.values = values
        self.diagnosis = diagnosis
        self.status = first.status
        self._placements: pd.DataFrame | None = None
        self._coverage: pd.DataFrame | None = None
        self._summary: dict[str, Any] | None = None
        self.verification: Any = None

    # ---------------------------------------------------------------- tables
    @property
    def has_solution(self) -> bool:
        return self.values is not None

    @property
    def placements(self) -> pd.DataFrame:
        """One row per (site, format) opened: costs per year and the population newly covered."""
        if self._placements is None:
            cols = [
                "site_id",
                "format",
                "name_zh",
                "fitout_yuan",
                "rent_yuan_per_year",
                "subsidy_yuan_per_year",
                "opex_yuan_per_year",
                "catchment",
                "margin_yuan_per_year",
                "area_m2",
            ]
            if self.values is None:
                self._placements = pd.DataFrame(columns=cols)
            else:
                lp, x = self.model.lp, self.model.x
                xv = self.values[lp.col_blocks["x"]] > 0.5
                p = x.loc[xv].copy()
                # The subsidy a placement needs is its viability deficit, paid in whole fen and never above
                # the policy cap; the solver's s values can sit a rounding error below it.
                need = np.where(p["needs_subsidy"], p["deficit_yuan_per_year"], 0.0)
                p["subsidy_yuan_per_year"] = np.where(
                    need > 0,
                    np.minimum(np.ceil(need * 100 - 1e-6) / 100, p["max_subsidy_yuan_per_year"]),
                    0.0,
                )
                p["name_zh"] = [BY_KEY[k].name_zh for k in p["format"]]
                self._placements = p[cols].reset_index(drop=True)
        return self._placements

    def _open_sites(self, key: str) -> np.ndarray:
        open_ = np.zeros(len(self.scenario.sites), dtype=bool)
        if self.values is not None:
            pos = self.scenario.sites.index.get_indexer(
                self.placements.loc[self.placements["format"] == key, "site_id"]
            )
            open_[pos] = True
        return open_

    @property
    def coverage(self) -> pd.DataFrame:
        """Per residence (and speed group) and format: minutes to the nearest outlet before and after."""
        if self._coverage is None:
            parts = []
            d = self.reach.demand
            sm = self.reach.site_minutes
            for key, fr in self.reach.formats.items():
                open_ = self._open_sites(key)
                keep = open_[sm.cols]
                best = np.full(len(d), np.inf)
                np.minimum.at(best, sm.rows[keep], sm.minutes[keep])
                after = np.minimum(fr.minutes_before, best)
                credit_after = np.where(after <= fr.limit + 1e-9, 1.0, 0.0)
                if fr.partial_limit is not None:
                    credit_after = np.where(
                        (credit_after == 0) & (after <= fr.partial_limit + 1e-9),
                        fr.credit_partial,
                        credit_after,
                    )
                parts.append(
                    pd.DataFrame(
                        {
                            "residence_id": d["residence_id"].to_numpy(),
                            "group": d["group"].to_numpy(),
                            "format": key,
                            "population": d["population"].to_numpy(),
                            "minutes_before": np.where(
                                np.isfinite(fr.minutes_before), fr.minutes_before, np.nan
                            ),
                            "minutes_after": np.where(np.isfinite(after), after, np.nan),
                            "covered_before": fr.base_credit >= 1,
                            "covered_after": credit_after >= 1,
                            "credit_before": fr.base_credit,
                            "credit_after": credit_after,
                        }
                    )
                )
            self._coverage = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        return self._coverage

    # ---------------------------------------------------------------- summary
    def objective_recomputed(self) -> float:
        """Weighted coverage gained, recomputed from the placements (not read from the solver)."""
        if self.values is None:
            return 0.0
        cov = self.coverage
        w = self.scenario.formats["weight"]
        prio = np.tile(self.reach.demand["priority"].to_numpy(), len(self.reach.formats))
        gain = (cov["credit_after"] - cov["credit_before"]) * cov["population"] * prio * cov["format"].map(w)
        return float(gain.sum())

    def summary(self) -> dict[str, Any]:
        """Everything summary.json holds: termination, objective, bound, gap, coverage, budgets, timings.

        Computed once (it hashes the input files and aggregates the coverage table); each call returns
        its own copy, so callers may change it freely.
        """
        if self._summary is None:
            self._summary = self._compute_summary()
        return copy.deepcopy(self._summary)

    def _compute_summary(self) -> dict[str, Any]:
        sc = self.scenario
        budget = sc.config.budget
        cov = self.coverage if self.values is not None else None
        fmts = {}
        groups = {}
        if cov is not None and len(cov):
            for key in sc.formats.index:
                c = cov[cov["format"] == key]
                fmts[key] = {
                    "name_zh": BY_KEY[key].name_zh,
                    "walk_minutes": float(sc.formats.at[key, "walk_minutes"]),
                    "population": float(c["population"].sum()),
                    "covered_before": float(c.loc[c["covered_before"], "population"].sum()),
                    "covered_after": float(c.loc[c["covered_after"], "population"].sum()),
                    "share_before": float(
                        c.loc[c["covered_before"], "population"].sum() / c["population"].sum()
                    ),
                    "share_after": float(
                        c.loc[c["covered_after"], "population"].sum() / c["population"].sum()
                    ),
                    "sites_opened": int((self.placements["format"] == key).sum()),
                }
            n_f = len(self.reach.formats)
            speed_groups = [g for g in self.reach.demand["group"].unique() if g != "all"]
            for g in (*GROUPS, *speed_groups):
                unit_mask = (
                    group_mask(self.reach.demand, g)
                    if g in GROUPS
                    else (self.reach.demand["group"] == g).to_numpy()
                )
                mask = np.tile(unit_mask, n_f)
                c = cov[mask]
                tot = float(c["population"].sum())
                groups[g] = {
                    "population": float(self.reach.demand.loc[unit_mask, "population"].sum()),
                    "covered_before_person_formats": float(c.loc[c["covered_before"], "population"].sum()),
                    "covered_after_person_formats": float(c.loc[c["covered_after"], "population"].sum()),
                    "share_before": float(c.loc[c["covered_before"], "population"].sum() / tot)
                    if tot
                    else None,
                    "share_after": float(c.loc[c["covered_after"], "population"].sum() / tot)
                    if tot
                    else None,
                }
        p = self.placements
        out = {
            "scenario": sc.name,
            "scenario_file": str(sc.path.resolve()) if sc.path else None,
            "inputs_sha256": inputs_digest(sc.inputs),
            "status": self.status,
            "objective": self.first.objective,
            "objective_recomputed": self.objective_recomputed() if self.values is not None else None,
            "bound": self.first.bound,
            "mip_gap": self.first.gap,
            "solver": self.solver_config.to_dict(),
            "solver_message": self.first.message,
            "tie_break": sc.config.objective.tie_break,
            "tie_break_status": self.second.status if self.second else None,
            "seconds": self.timings.get("total_s", sum(self.timings.values())),
            "timings": self.timings,
            "walk_source": self.reach.source,
            "walk": self.reach.walk_report,
            "counts": {
                "residences": len(sc.residences),
                "sites": len(sc.sites),
                "outlets": len(sc.outlets),
                "formats": len(sc.formats),
                "x_variables": len(self.model.x),
                "y_variables": len(self.model.y),
                "rows": self.model.lp.n_rows,
            },
            "formats": fmts,
            "groups": groups,
            "budget": {
                "capital_yuan_used": float(p["fitout_yuan"].sum()) if len(p) else 0.0,
                "capital_yuan_limit": float(budget.capital_yuan),
                "rent_subsidy_yuan_per_year_used": float(p["subsidy_yuan_per_year"].sum()) if len(p) else 0.0,
                "rent_subsidy_yuan_per_year_limit": float(budget.rent_subsidy_yuan_per_year),
            },
            "placements": len(p),
            "warnings": [str(w) for w in sc.warnings] + self.warnings(),
        }
        if self.diagnosis is not None:
            out["diagnosis"] = self.diagnosis.to_dict(orient="records")
        return _clean(out)

    def warnings(self) -> list[str]:
        lost = self.reach.unreachable()
        if len(lost):
            ids = ", ".join(map(str, lost[:10])) + (f" and {len(lost) - 10} more" if len(lost) > 10 else "")
            return [
                f"{len(lost)} residences are reached by no site and no outlet within any walk limit: {ids}"
            ]
        return []

    @property
    def exit_code(self) -> int:
        return EXIT_CODES.get(self.status, 4)

    # ---------------------------------------------------------------- geo
    def to_geodataframe(self, layer: str = "placements") -> gpd.GeoDataFrame:
        """``placements`` (site points), ``sites`` (every site, with what opened), ``residences``
        (coverage per format before/after as columns) or ``coverage`` (long table with geometry)."""
        sc = self.scenario
        if layer == "placements":
            g = sc.sites.geometry
            p = self.placements
            return gpd.GeoDataFrame(p, geometry=g.loc[p["site_id"]].to_numpy(), crs=sc.sites.crs)
        if layer == "sites":
            opened = self.placements.groupby("site_id")["format"].agg(";".join)
            s = sc.sites.copy()
            s["allowed_formats"] = s["allowed_formats"].map(";".join)
            s["opened_formats"] = opened.reindex(s.index).fillna("")
            return s.reset_index(names="site_id")
        cov = self.coverage
        if layer == "coverage":
            return gpd.GeoDataFrame(
                cov,
                geometry=sc.residences.geometry.loc[cov["residence_id"]].to_numpy(),
                crs=sc.residences.crs,
            )
        if layer == "residences":
            covered = pd.DataFrame(
                {
                    "residence_id": cov["residence_id"],
                    "format": cov["format"],
                    "before": cov["credit_before"] * cov["population"],
                    "after": cov["credit_after"] * cov["population"],
                }
            )
            wide = covered.groupby(["residence_id", "format"])[["before", "after"]].sum().unstack("format")
            wide.columns = [f"{f}_{when}" for when, f in wide.columns]
            r = sc.residences.drop(columns=[c for c in ("allowed_formats",) if c in sc.residences]).join(wide)
            return r.reset_index(names="residence_id")
        raise ValueError(f"unknown layer '{layer}': placements, sites, residences or coverage")

    def plot(self, format: str | None = None, ax: Any = None) -> Any:
        """A static map: residences shaded by coverage after, sites, existing outlets and placements."""
        import matplotlib.pyplot as plt
        from matplotlib.lines import Line2D

        sc = self.scenario
        if ax is None:
            _, ax = plt.subplots(figsize=(8, 8))
        crs = sc.metric_crs
        cov = self.coverage if self.values is not None else None
        res = sc.residences.to_crs(crs)
        if cov is not None and len(cov):
            c = cov if format is None else cov[cov["format"] == format]
            weighted = (c["credit_after"] * c["population"]).groupby(c["residence_id"]).sum()
            share = (weighted / c.groupby("residence_id")["population"].sum()).reindex(res.index)
            res.assign(coverage=share.to_numpy()).plot(
                ax=ax,
                column="coverage",
                cmap="YlGn",
                vmin=0,
                vmax=1,
                legend=True,
                markersize=12,
                legend_kwds={"label": "share of residents covered after", "shrink": 0.6},
            )
        else:
            res.plot(ax=ax, color="lightgrey", markersize=8)
        handles = []
        sites = sc.sites.to_crs(crs)
        sites.plot(ax=ax, marker="s", facecolor="none", edgecolor="grey", markersize=30)
        handles.append(Line2D([], [], marker="s", ls="", mfc="none", mec="grey", label="candidate site"))
        if len(sc.outlets):
            o = sc.outlets if format is None else sc.outlets[sc.outlets["format"] == format]
            if len(o):
                o.to_crs(crs).plot(ax=ax, marker="^", color="steelblue", markersize=30)
                handles.append(Line2D([], [], marker="^", ls="", color="steelblue", label="existing outlet"))
        if len(self.placements):
            p = self.to_geodataframe("placements")
            if format is not None:
                p = p[p["format"] == format]
            if len(p):
                p.to_crs(crs).plot(ax=ax, marker="*", color="crimson", markersize=160)
                handles.append(
                    Line2D([], [], marker="*", ls="", color="crimson", ms=12, label="new placement")
                )
        ax.legend(handles=handles, loc="lower left", frameon=True)
        ax.set_title(f"{sc.name}: {format or 'all formats'} ({self.status})")
        ax.set_axis_off()
        return ax

    def explore(self, format: str | None = None) -> Any:
        """An interactive folium map of residences, sites, outlets and placements."""
        import folium

        sc = self.scenario
        res = self.to_geodataframe("residences") if self.values is not None else sc.residences.reset_index()
        col = None
        if self.values is not None:
            after = [
                c for c in res.columns if c.endswith("_after") and (format is None or c.startswith(format))
            ]
            res["covered_after"] = res[after].sum(axis=1) / (len(after) * res["population"]) if after else 0
            col = "covered_after"
        m = res.explore(column=col, cmap="YlGn", name="residences", vmin=0, vmax=1)
        self.to_geodataframe("sites").explore(
            m=m, color="grey", name="candidate sites", marker_kwds={"radius": 5}
        )
        if len(sc.outlets):
            sc.outlets.reset_index().explore(
                m=m, color="steelblue", name="existing outlets", marker_kwds={"radius": 4}
            )
        if len(self.placements):
            p = self.to_geodataframe("placements")
            if format is not None:
                p = p[p["format"] == format]
            if len(p):
                p.explore(m=m, color="crimson", name="placements", marker_kwds={"radius": 8})
        folium.LayerControl().add_to(m)
        return m

    # ---------------------------------------------------------------- text
    def summary_frame(self) -> pd.DataFrame:
        """Coverage before and after per format, as a table."""
        s = self.summary()
        return pd.DataFrame(s["formats"]).T if s["formats"] else pd.DataFrame()

    def __repr__(self) -> str:
        s = self.summary()
        gap = f", gap {s['mip_gap']:.2%}" if s.get("mip_gap") is not None else ""
        return (
            f"<Result {s['scenario']}: {s['status']}{gap}, {s['placements']} placements, "
            f"capital {s['budget']['capital_yuan_used']:,.0f}/{s['budget']['capital_yuan_limit']:,.0f} yuan>"
        )

    def _repr_html_(self) -> str:
        s = self.summary()
        head = (
            f"<h4>{html.escape(s['scenario'])}: {html.escape(s['status'])}</h4>"
            f"<p>objective {s['objective']}, bound {s['bound']}, gap {s['mip_gap']}; "
            f"capital {s['budget']['capital_yuan_used']:,.0f} of "
            f"{s['budget']['capital_yuan_limit']:,.0f} yuan; "
            f"subsidy {s['budget']['rent_subsidy_yuan_per_year_used']:,.0f} of "
            f"{s['budget']['rent_subsidy_yuan_per_year_limit']:,.0f} yuan/year</p>"
        )
        parts = [head]
        if s["formats"]:
            parts.append(self.summary_frame().to_html(float_format=lambda v: f"{v:,.2f}"))
        if len(self.placements):
            parts.append("<h5>Placements</h5>" + self.placements.to_html(index=False))
        if self.diagnosis is not None:
            parts.append("<h5>Why it is infeasible</h5>" + self.diagnosis.to_html(index=False))
        for w in s["warnings"]:
            parts.append(f"<p><b>warning</b>: {html.escape(w)}</p>")
        return "\n".join(parts)

    def groups_frame(self) -> pd.DataFrame:
        """Coverage before and after per population group (person-formats), as a table."""
        g = self.summary()["groups"]
        return pd.DataFrame(g).T if g else pd.DataFrame()

    def _map_png(self) -> str:
        """The static map of all formats as a base64 PNG (empty when there is nothing to draw)."""
        import base64
        import io

        import matplotlib.pyplot as plt

        ax = self.plot()
        buf = io.BytesIO()
        ax.figure.savefig(buf, format="png", dpi=90, bbox_inches="tight")
        plt.close(ax.figure)
        return base64.b64encode(buf.getvalue()).decode("ascii")

    def to_html(self, with_map: bool = True) -> str:
        """A self-contained report: termination, budgets, coverage by format and group, map, placements."""
        s = self.summary()
        esc = html.escape
        status_text = {
            "optimal": "optimal: no plan covers more (within the solver's gap tolerance)",
            "feasible": "feasible: a limit stopped the solver before it proved this plan best; see the gap",
            "infeasible": "infeasible: the mandates cannot all be met; see the diagnosis",
            "no_solution": "no solution within the limits",
        }.get(s["status"], s["status"])
        gap = f"{s['mip_gap']:.3%}" if s.get("mip_gap") is not None else "-"
        b = s["budget"]
        rows = [
            f"<h1>{esc(s['scenario'])}</h1>",
            f"<p>{esc(self.scenario.config.description or '')}</p>",
            "<h2>Result</h2>",
            f"<p><b>{esc(status_text)}</b>. Objective (priority-weighted residents newly covered) "
            f"{s['objective'] if s['objective'] is not None else '-'}, bound "
            f"{s['bound'] if s['bound'] is not None else '-'}, gap {gap}; solver {esc(s['solver']['name'])}, "
            f"{s['seconds']:.1f} s; walk times: {esc(str(s['walk_source']))}.</p>",
            "<table border='1'><tr><th></th><th>used</th><th>limit</th></tr>"
            f"<tr><td>capital (yuan)</td><td>{b['capital_yuan_used']:,.0f}</td>"
            f"<td>{b['capital_yuan_limit']:,.0f}</td></tr>"
            f"<tr><td>rent subsidy (yuan/year)</td><td>{b['rent_subsidy_yuan_per_year_used']:,.0f}</td>"
            f"<td>{b['rent_subsidy_yuan_per_year_limit']:,.0f}</td></tr></table>",
        ]
        if s["formats"]:
            rows.append("<h2>Coverage by format</h2>")
            rows.append(self.summary_frame().to_html(float_format=lambda v: f"{v:,.3f}"))
            rows.append("<h2>Coverage by group (person-formats)</h2>")
            rows.append(self.groups_frame().to_html(float_format=lambda v: f"{v:,.3f}"))
        if with_map and self.values is not None:
            rows.append("<h2>Map</h2>")
            rows.append(f"<img alt='map' src='data:image/png;base64,{self._map_png()}'/>")
        if len(self.placements):
            rows.append(
                "<h2>Placements</h2>"
                + self.placements.to_html(index=False, float_format=lambda v: f"{v:,.0f}")
            )
        if self.diagnosis is not None:
            rows.append("<h2>Why it is infeasible</h2>" + self.diagnosis.to_html(index=False))
        if s["warnings"]:
            rows.append(
                "<h2>Warnings</h2><ul>" + "".join(f"<li>{esc(w)}</li>" for w in s["warnings"]) + "</ul>"
            )
        style = "body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse}"
        return (
            f"<!doctype html><html><head><meta charset='utf-8'><title>{esc(self.scenario.name)}</title>"
            f"<style>{style}</style></head><body>{''.join(rows)}</body></html>"
        )

    # ---------------------------------------------------------------- writers
    def to_dir(
        self,
        out: str | Path,
        overwrite: bool = False,
        excel: bool = True,
        maps: bool = True,
        verify: bool = True,
    ) -> Path:
        """Write summary.json, placements.csv, coverage.csv, excluded.csv, result.gpkg, report.html
        (and results.xlsx, map.html) into ``out``, atomically: all of it or nothing."""
        out = Path(out)
        with atomic_dir(out, overwrite=overwrite, protect=list(self.scenario.inputs)) as tmp:
            (tmp / "summary.json").write_text(
                json.dumps(self.summary(), indent=2, ensure_ascii=False), encoding="utf-8"
            )
            self.placements.to_csv(tmp / "placements.csv", index=False)
            self.model.excluded.to_csv(tmp / "excluded.csv", index=False)
            if self.diagnosis is not None:
                self.diagnosis.to_csv(tmp / "diagnosis.csv", index=False)
            if self.values is not None:
                self.coverage.to_csv(tmp / "coverage.csv", index=False)
                gpkg = tmp / "result.gpkg"
                self.to_geodataframe("placements").to_file(gpkg, layer="placements", engine="pyogrio")
                self.to_geodataframe("sites").to_file(gpkg, layer="sites", engine="pyogrio")
                self.to_geodataframe("residences").to_file(gpkg, layer="residences", engine="pyogrio")
                if excel:
                    with pd.ExcelWriter(tmp / "results.xlsx") as xw:
                        self.summary_frame().to_excel(xw, sheet_name="formats")
                        self.groups_frame().to_excel(xw, sheet_name="groups")
                        self.placements.to_excel(xw, sheet_name="placements", index=False)
                        self.coverage.to_excel(xw, sheet_name="coverage", index=False)
                        self.model.excluded.to_excel(xw, sheet_name="excluded", index=False)
                if maps:
                    self.explore().save(str(tmp / "map.html"))
            (tmp / "report.html").write_text(self.to_html(with_map=maps), encoding="utf-8")
            report = None
            if verify:
                from .verify import verify_dir

                report = verify_dir(tmp, scenario=self.scenario)
                (tmp / "verify.json").write_text(
                    json.dumps(_clean(report.to_dict()), indent=2, ensure_ascii=False), encoding="utf-8"
                )
        self.verification = report
        if report is not None and not report.ok:
            raise VerificationError(
                f"the results written to {out} failed independent verification (see verify.json):\n{report}"
            )
        return out
