"""map.html: one self-contained page that works with no network at all.

Leaflet's JavaScript and CSS are inlined from the vendored copy in ``vendor/leaflet`` (BSD-2-Clause,
its LICENSE beside it). Layers: residences shaded by coverage before or after, per format; existing
outlets by format; chosen sites with their formats; candidate sites not chosen; a legend. Background
tiles are optional (none by default); Amap (Gaode) tiles are in GCJ-02, so every coordinate drawn over
them is shifted with :mod:`optimizer.coords`.
"""

from __future__ import annotations

import base64
import html
import json
from importlib.resources import files
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import shapely

from ..coords import wgs84_to_gcj02
from . import text as T

if TYPE_CHECKING:
    from .data import ReportData

# name -> (URL template, attribution, subdomains, coordinate system of the tiles)
TILES: dict[str, tuple[str, str, str, str]] = {
    "none": ("", "", "", "wgs84"),
    "osm": (
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "&copy; OpenStreetMap contributors",
        "",
        "wgs84",
    ),
    "amap": (
        "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
        "&copy; 高德地图",
        "1234",
        "gcj02",
    ),
}


def _vendor(name: str) -> bytes:
    return files("optimizer.report").joinpath("vendor", "leaflet", name).read_bytes()


def _asset(name: str) -> str:
    return files("optimizer.report").joinpath("assets", name).read_text(encoding="utf-8")


def leaflet_assets() -> tuple[str, str]:
    """Leaflet's CSS (with its control images inlined as data URIs) and JavaScript."""
    css = _vendor("leaflet.css").decode("utf-8")
    for img in ("layers-2x.png", "layers.png"):
        uri = "data:image/png;base64," + base64.b64encode(_vendor(img)).decode("ascii")
        css = css.replace(f"images/{img}", uri)
    css = css.replace("url(images/marker-icon.png)", "none")
    return css, _vendor("leaflet.js").decode("utf-8")


def _shift(g: gpd.GeoSeries, system: str) -> gpd.GeoSeries:
    g = g.to_crs(4326)
    if system != "gcj02":
        return g

    def fn(xy: np.ndarray) -> np.ndarray:
        lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    return gpd.GeoSeries(shapely.transform(g.to_numpy(), fn), index=g.index, crs=4326)


def _features(geom: gpd.GeoSeries, props: list[dict[str, Any]]) -> dict[str, Any]:
    geoms = shapely.set_precision(geom.to_numpy(), 1e-6)
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": json.loads(shapely.to_geojson(g)), "properties": p}
            for g, p in zip(geoms, props, strict=True)
        ],
    }


# Beyond this many residences the map draws the most populous ones only (a page of 100,000 polygons took
# 17.5 s to write and is slow to open); result.gpkg and coverage.csv keep every residence.
MAX_MAP_RESIDENCES = 20_000


def map_data(d: ReportData, lang: str = "zh", system: str = "wgs84") -> dict[str, Any]:
    """The map's layers as GeoJSON with the properties the page's script reads."""
    u = d.coverage_by_unit()
    res = d.residences
    if len(res) > MAX_MAP_RESIDENCES:
        res = res.loc[res["population"].astype(float).nlargest(MAX_MAP_RESIDENCES).index]
    shares: dict[str, dict[str, list[float]]] = {}
    if len(u):
        for when in ("before", "after"):
            wide = (u[when] / u["population"]).groupby([u["residence_id"], u["format"]]).sum().unstack()
            wide = wide.reindex(res.index.astype(str))
            shares[when] = {f: [round(float(v), 3) for v in wide[f].fillna(0)] for f in wide.columns}
    rprops = []
    for i, (rid, pop) in enumerate(zip(res.index.astype(str), res["population"], strict=True)):
        p: dict[str, Any] = {"id": rid, "population": round(float(pop))}
        for when, per in shares.items():
            p[when] = {f: v[i] for f, v in per.items()}
        rprops.append(p)
    out = d.outlets
    oprops = [
        {"id": str(i), "format": f, "name": T.format_name(f, lang)}
        for i, f in zip(out.index, out["format"], strict=True)
    ]
    opened = d.placements.groupby("site_id")["format"].agg(list) if len(d.placements) else {}
    sep = "、" if lang == "zh" else ", "
    chosen_mask = np.array([str(s) in opened for s in d.sites.index], dtype=bool)
    sprops = [
        {
            "id": str(s),
            "label": d.site_label(str(s)),
            "area": float(a),
            "formats": sep.join(T.format_name(f, lang) for f in opened[str(s)]) if str(s) in opened else "",
            "keys": list(opened[str(s)]) if str(s) in opened else [],
        }
        for s, a in zip(d.sites.index, d.sites["floor_area_m2"], strict=True)
    ]
    sites_geom = _shift(d.sites.geometry, system)
    return {
        "residences": _features(_shift(res.geometry, system), rprops),
        "outlets": _features(_shift(out.geometry, system), oprops)
        if len(out)
        else _features(out.geometry, []),
        "chosen": _features(
            sites_geom[chosen_mask], [p for p, c in zip(sprops, chosen_mask, strict=True) if c]
        ),
        "candidates": _features(
            sites_geom[~chosen_mask], [p for p, c in zip(sprops, chosen_mask, strict=True) if not c]
        ),
        "formats": {k: T.format_name(k, lang) for k in d.summary.get("formats", {})},
        "residences_shown": f"{len(res):,} / {len(d.residences):,}",
    }


LABELS: dict[str, tuple[str, str]] = {
    "residences": ("居住街坊（覆盖率）", "Residences (coverage)"),
    "outlets": ("现有网点", "Existing outlets"),
    "chosen": ("新增点位", "Chosen sites"),
    "candidates": ("未选候选点位", "Candidate sites not chosen"),
    "before": ("现状", "Before"),
    "after": ("规划后", "After"),
    "all": ("全部业态（平均）", "All formats (average)"),
    "share": ("步行时限内覆盖率", "Share within the walk limit"),
    "population": ("人口", "Residents"),
}


def to_html(d: ReportData, lang: str = "zh", tiles: str = "none") -> str:
    """The whole page: inlined Leaflet, the data and the script; no request at run time unless tiles
    other than ``none`` are asked for."""
    if tiles not in TILES:
        raise ValueError(f"unknown tiles '{tiles}': {', '.join(TILES)}")
    url, attribution, subdomains, system = TILES[tiles]
    css, js = leaflet_assets()
    labels = {k: (zh if lang == "zh" else en) for k, (zh, en) in LABELS.items()}
    config = {"tiles": url, "attribution": attribution, "subdomains": subdomains, "labels": labels}
    data = json.dumps(map_data(d, lang, system), ensure_ascii=False, separators=(",", ":"))
    title = html.escape(d.name)
    return (
        f"<!doctype html><html lang='{'zh-CN' if lang == 'zh' else 'en'}'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width,initial-scale=1'><title>{title}</title>"
        f"<style>{css}\n{_asset('map.css')}</style></head><body><div id='map'></div>"
        f"<script>{js}</script><script>const QH_DATA={data};const QH_CONFIG="
        f"{json.dumps(config, ensure_ascii=False)};</script><script>{_asset('map.js')}</script></body></html>"
    )
