"""Residences and their people, from the buildings of an OSM extract and a population grid or density.

Residences are residential buildings (:data:`~optimizer.scenario_builder.tags.RESIDENTIAL_BUILDINGS`,
or ``building=yes`` and the other generic values in
:data:`~optimizer.scenario_builder.tags.GENERIC_BUILDINGS` when the building's representative point
lies in ``landuse=residential``). Population comes from a population grid (polygons with a population
column), each cell's people shared among the residential buildings in it by floor area (footprint area
x ``building:levels``; missing levels take the median of the extract's tagged buildings unless
``default_levels`` is given). The grid and the buildings are clipped to their overlap (the extract's
bounding box): a cell cut by the box keeps the share of its population equal to the share of its area
inside. A cell without residential buildings shares its people among the other buildings in it (except
:data:`~optimizer.scenario_builder.tags.NON_RESIDENTIAL_BUILDINGS`); a cell without any building
becomes a residence itself. So the residences' population equals the clipped grid's exactly. Without a
grid, ``density_per_km2`` x the extract's area is shared the same way.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from .osm import OsmData
from .tags import GENERIC_BUILDINGS, NON_RESIDENTIAL_BUILDINGS, RESIDENTIAL_BUILDINGS

FALLBACK_LEVELS = 3.0
"""Levels used when no building in the extract has ``building:levels``."""


def _levels(tags: dict[str, str]) -> float | None:
    m = re.match(r"\s*(\d+(?:[.,]\d+)?)", tags.get("building:levels", ""))
    if not m:
        return None
    v = float(m.group(1).replace(",", "."))
    return v if v > 0 else None


def residential_buildings(osm: OsmData, default_levels: float | None = None) -> tuple[gpd.GeoDataFrame, str]:
    """Every building with its footprint, levels, and whether it is residential.

    Returns the buildings (columns ``id``, ``building``, ``residential``, ``rule``, ``levels``,
    ``levels_source``, geometry in EPSG:4326) and a sentence saying how missing levels were filled.
    """
    areas = osm.areas
    is_b = np.array([bool(t.get("building")) and t.get("building") != "no" for t in areas["tags"]])
    b = areas[is_b].copy()
    b = b[b.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    lu = areas[[t.get("landuse") == "residential" for t in areas["tags"]]]
    rep = b.geometry.representative_point()
    in_res = np.zeros(len(b), dtype=bool)
    if len(lu):
        zone = shapely.union_all(lu.geometry.values)
        in_res = shapely.contains_xy(zone, rep.x.values, rep.y.values)
    kinds = [t["building"] for t in b["tags"]]
    rules = []
    for kind, tags, inside in zip(kinds, b["tags"], in_res, strict=True):
        if kind in RESIDENTIAL_BUILDINGS:
            rules.append(f"building={kind}")
        elif tags.get("building:use") in ("residential", "apartments") or tags.get("building:flats"):
            rules.append("building:use=residential or building:flats")
        elif kind in GENERIC_BUILDINGS and inside:
            rules.append(f"building={kind} in landuse=residential")
        else:
            rules.append("")
    levels = [_levels(t) for t in b["tags"]]
    tagged = [v for v in levels if v is not None]
    if default_levels is None:
        if tagged:
            default_levels = float(np.median(tagged))
            how = (
                f"missing building:levels: median of the {len(tagged)} buildings in the extract that "
                f"have it ({default_levels:g})"
            )
        else:
            default_levels = FALLBACK_LEVELS
            how = f"missing building:levels: fallback {default_levels:g} (no building in the extract has it)"
    else:
        how = f"missing building:levels: default {default_levels:g} given to the builder"
    out = gpd.GeoDataFrame(
        {
            "id": b["ref"].values,
            "building": kinds,
            "residential": [bool(r) for r in rules],
            "rule": rules,
            "levels": [v if v is not None else default_levels for v in levels],
            "levels_source": ["building:levels" if v is not None else "default" for v in levels],
        },
        geometry=b.geometry.values,
        crs=4326,
    )
    return out.reset_index(drop=True), how


def find_population_column(grid: pd.DataFrame) -> str:
    """The population column of a grid: the numeric column whose name says population."""
    names = [c for c in grid.columns if c != "geometry" and pd.api.types.is_numeric_dtype(grid[c])]
    for pat in ("population", "pop", "asukas", "asukkaat", "vaesto", "väestö", "inhabitants", "residents"):
        for c in names:
            if c.lower() == pat or c.lower().startswith(pat):
                return c
    raise ValueError(f"no population column among {names}; pass population_column")


def share_population(
    buildings: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    metric: object,
    zone_label: str,
) -> gpd.GeoDataFrame:
    """Share each zone's ``population`` among the buildings in it by floor area.

    ``zones`` has columns ``zone``, ``population`` (already clipped) and polygon geometry; ``buildings``
    comes from :func:`residential_buildings`. Buildings are cut by the zones; in each zone the
    residential pieces share its people by footprint x levels, else the non-excluded other buildings,
    else the zone itself becomes a residence. Returns residences with ``id``, ``population``,
    ``floor_area_m2``, ``levels``, ``source`` and polygon geometry in EPSG:4326.
    """
    bm = buildings.to_crs(metric)
    zm = zones.to_crs(metric)
    pieces = gpd.overlay(bm, zm, how="intersection", keep_geom_type=True)
    pieces["piece_area"] = pieces.geometry.area
    pieces = pieces[pieces["piece_area"] > 0.5]
    pieces["floor"] = pieces["piece_area"] * pieces["levels"]
    parts = []
    for zone, zpop, zgeom in zip(zm["zone"], zm["population"], zm.geometry, strict=True):
        if zpop <= 0:
            continue
        parts.append(_zone_share(pieces[pieces["zone"] == zone], zone, zpop, zgeom, zone_label))
    if not parts:
        cols = ["id", "population", "floor_area_m2", "levels", "source", "geometry"]
        return gpd.GeoDataFrame(pd.DataFrame(columns=cols), geometry="geometry", crs=4326)
    allp = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=metric)
    rows = [_residence(rid, grp, zone_label) for rid, grp in allp.groupby("id", sort=False)]
    out = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=metric).to_crs(4326)
    return out[out["population"] > 0].reset_index(drop=True)


_PIECE_COLUMNS = [
    "id",
    "zone",
    "population",
    "floor",
    "piece_area",
    "levels",
    "levels_source",
    "how",
    "geometry",
]


def _zone_share(
    zp: pd.DataFrame, zone: object, zpop: float, zgeom: shapely.Geometry, zone_label: str
) -> pd.DataFrame:
    """One zone's people shared among the building pieces ``zp`` in it (:data:`_PIECE_COLUMNS`): the
    residential pieces by floor area, else the other buildings' (bar the non-residential kinds), else
    the zone itself becomes a residence."""
    res = zp[zp["residential"]]
    how = "residential buildings"
    if res.empty:
        res = zp[~zp["building"].isin(NON_RESIDENTIAL_BUILDINGS)]
        how = "other buildings (fallback: no residential building in the cell)"
    if res.empty:
        return pd.DataFrame(
            {
                "id": [f"{zone_label}/{zone}"],
                "zone": [zone],
                "population": [float(zpop)],
                "floor": [np.nan],
                "piece_area": [zgeom.area],
                "levels": [np.nan],
                "levels_source": [""],
                "how": ["the cell itself (fallback: no building in the cell)"],
                "geometry": [zgeom],
            }
        )
    res = res.copy()
    res["population"] = zpop * res["floor"] / res["floor"].sum()
    res["how"] = how
    return pd.DataFrame(res[_PIECE_COLUMNS])


def _residence(rid: object, grp: pd.DataFrame, zone_label: str) -> dict:
    """One residence from its pieces in every zone it lies in, with its ``source`` sentence."""
    zones_txt = ", ".join(
        f"{zone_label} {z} ({p:.1f} of its people, {h})"
        for z, p, h in zip(grp["zone"], grp["population"], grp["how"], strict=True)
    )
    lev = grp["levels"].iloc[0]
    if np.isnan(lev):
        floor_txt = "area of the cell"
        floor = np.nan
    else:
        floor = float(grp["floor"].sum())
        floor_txt = (
            f"floor area {floor:.0f} m2 = footprint {grp['piece_area'].sum():.0f} m2 x {lev:g} levels "
            f"[{grp['levels_source'].iloc[0]}]"
        )
    return {
        "id": rid,
        "population": float(grp["population"].sum()),
        "floor_area_m2": floor,
        "levels": lev,
        "source": f"population: shared by floor area from {zones_txt}; {floor_txt}",
        "geometry": shapely.union_all(grp.geometry.values),
    }


def clip_grid(
    grid: gpd.GeoDataFrame, region: shapely.Geometry, metric: object, column: str
) -> gpd.GeoDataFrame:
    """Cells of ``grid`` cut to ``region`` (EPSG:4326), each keeping the share of its population equal to
    the share of its area inside. Columns ``zone`` (the cell id), ``population``, ``share``, geometry."""
    g = grid.to_crs(4326)
    ids = g["id"].astype(str) if "id" in g.columns else pd.Series(g.index.astype(str), index=g.index)
    cut = shapely.intersection(g.geometry.values, region)
    full = gpd.GeoSeries(g.geometry.values, crs=4326).to_crs(metric).area.values
    part = gpd.GeoSeries(cut, crs=4326).to_crs(metric).area.values
    share = np.where(full > 0, part / np.where(full > 0, full, 1), 0.0)
    out = gpd.GeoDataFrame(
        {"zone": ids.values, "population": g[column].astype(float).values * share, "share": share},
        geometry=cut,
        crs=4326,
    )
    return out[out["share"] > 1e-9].reset_index(drop=True)


def population_zones(
    region: shapely.Geometry,
    metric: object,
    population: Path | None,
    layer: str | None,
    column: str | None,
    density_per_km2: float | None,
) -> tuple[gpd.GeoDataFrame, shapely.Geometry, str, str]:
    """The zones whose people the buildings share, the area they cover, a sentence saying how their
    population was derived, and what a zone is called in the residences' ``source`` column.

    With a population grid (``population``, its ``layer`` and population ``column``, found by name when
    not given): its cells cut to ``region`` (:func:`clip_grid`), called ``cell``. Without one: ``region``
    itself holding ``density_per_km2`` x its area, called ``area``.
    """
    if population is not None:
        grid = pyogrio.read_dataframe(population, layer=layer)
        col = column or find_population_column(grid)
        zones = clip_grid(grid, region, metric, col)
        how = (
            f"population grid {Path(population).name} (column '{col}'), {len(zones)} cells overlapping "
            f"the extract, each cut to the extract's bounding box keeping the share of its population "
            f"equal to the share of its area inside: {zones['population'].sum():.1f} residents"
        )
        return zones, shapely.union_all(zones.geometry.values), how, "cell"
    area_km2 = gpd.GeoSeries([region], crs=4326).to_crs(metric).area.iloc[0] / 1e6
    zones = gpd.GeoDataFrame(
        {"zone": ["extent"], "population": [density_per_km2 * area_km2], "share": [1.0]},
        geometry=[region],
        crs=4326,
    )
    how = (
        f"density {density_per_km2:g} per km2 x extract area {area_km2:.3f} km2 = "
        f"{density_per_km2 * area_km2:.1f} residents"
    )
    return zones, region, how, "area"
