"""Maps of a result: GeoDataFrames keyed by the user's ids, a static matplotlib map and an interactive
folium map."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

if TYPE_CHECKING:
    from . import Result


def to_geodataframe(r: Result, layer: str = "placements") -> gpd.GeoDataFrame:
    """``placements`` (site points), ``sites`` (every site, with what opened), ``residences``
    (coverage per format before/after as columns) or ``coverage`` (long table with geometry)."""
    sc = r.scenario
    if layer == "placements":
        g = sc.sites.geometry
        p = r.placements
        return gpd.GeoDataFrame(p, geometry=g.loc[p["site_id"]].to_numpy(), crs=sc.sites.crs)
    if layer == "sites":
        opened = r.placements.groupby("site_id")["format"].agg(";".join)
        s = sc.sites.copy()
        s["allowed_formats"] = s["allowed_formats"].map(";".join)
        s["opened_formats"] = opened.reindex(s.index).fillna("")
        return s.reset_index(names="site_id")
    cov = r.coverage
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
        table = sc.residences.drop(columns=[c for c in ("allowed_formats",) if c in sc.residences]).join(wide)
        return table.reset_index(names="residence_id")
    raise ValueError(f"unknown layer '{layer}': placements, sites, residences or coverage")


def plot(r: Result, format: str | None = None, ax: Any = None) -> Any:
    """A static map: residences shaded by coverage after, sites, existing outlets and placements."""
    from ..fonts import cjk_style, use_cjk

    with cjk_style():
        ax = _plot(r, format, ax)
    use_cjk(ax.figure)
    return ax


def _plot(r: Result, format: str | None, ax: Any) -> Any:
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    sc = r.scenario
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 8))
    crs = sc.metric_crs
    cov = r.coverage if r.values is not None else None
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
    if len(r.placements):
        p = r.to_geodataframe("placements")
        if format is not None:
            p = p[p["format"] == format]
        if len(p):
            p.to_crs(crs).plot(ax=ax, marker="*", color="crimson", markersize=160)
            handles.append(Line2D([], [], marker="*", ls="", color="crimson", ms=12, label="new placement"))
    ax.legend(handles=handles, loc="lower left", frameon=True)
    ax.set_title(f"{sc.name}: {format or 'all formats'} ({r.status})")
    ax.set_axis_off()
    return ax


def explore(r: Result, format: str | None = None) -> Any:
    """An interactive folium map of residences, sites, outlets and placements."""
    import folium

    sc = r.scenario
    res = r.to_geodataframe("residences") if r.values is not None else sc.residences.reset_index()
    col = None
    if r.values is not None:
        after = [c for c in res.columns if c.endswith("_after") and (format is None or c.startswith(format))]
        res["covered_after"] = res[after].sum(axis=1) / (len(after) * res["population"]) if after else 0
        col = "covered_after"
    m = res.explore(column=col, cmap="YlGn", name="residences", vmin=0, vmax=1)
    r.to_geodataframe("sites").explore(m=m, color="grey", name="candidate sites", marker_kwds={"radius": 5})
    if len(sc.outlets):
        sc.outlets.reset_index().explore(
            m=m, color="steelblue", name="existing outlets", marker_kwds={"radius": 4}
        )
    if len(r.placements):
        p = r.to_geodataframe("placements")
        if format is not None:
            p = p[p["format"] == format]
        if len(p):
            p.explore(m=m, color="crimson", name="placements", marker_kwds={"radius": 8})
    folium.LayerControl().add_to(m)
    return m
