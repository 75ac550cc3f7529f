"""Street blocks: the polygons enclosed by a street network, for places where OSM has streets but
no buildings. The street lines are noded (split where they cross) and polygonised; slivers (traffic
islands, the strips between the carriageways of a dual road) and huge faces (gaps of the network
where streets are missing, or the ring around the extract) are dropped by the thresholds below.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from ..coords import utm_crs
from .osm import parse_other_tags

MIN_BLOCK_M2 = 2000.0
"""Faces smaller than 0.2 ha are junction islands and slivers, not blocks."""
MAX_BLOCK_M2 = 300_000.0
"""Faces larger than 30 ha are gaps in the street network, not blocks."""
MIN_COMPACTNESS = 0.15
"""Faces with Polsby-Popper compactness 4 pi A / P^2 below this are strips between parallel carriageways."""


def read_streets(path: Path, layer: str | None = None, exclude_tunnels: bool = True) -> gpd.GeoDataFrame:
    """Street lines (``highway=*``) of an OSM file or a line layer, in EPSG:4326.

    Tunnels are left out by default: they pass under blocks rather than bound them.
    """
    path = Path(path)
    is_osm = path.name.endswith((".osm", ".pbf"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lines = pyogrio.read_dataframe(path, layer=layer or ("lines" if is_osm else None))
    if "highway" in lines.columns:
        lines = lines[lines["highway"].notna()]
    if exclude_tunnels and "other_tags" in lines.columns:
        tunnel = [parse_other_tags(t).get("tunnel", "no") not in ("no", "") for t in lines["other_tags"]]
        lines = lines[~np.array(tunnel, dtype=bool)]
    return lines.to_crs(4326).reset_index(drop=True)


def street_blocks(
    lines: gpd.GeoDataFrame,
    min_area_m2: float = MIN_BLOCK_M2,
    max_area_m2: float = MAX_BLOCK_M2,
    min_compactness: float = MIN_COMPACTNESS,
) -> gpd.GeoDataFrame:
    """Blocks formed by ``lines``: columns ``area_m2``, ``compactness``, polygon geometry (EPSG:4326),
    sorted from north-west to south-east so that ids are stable."""
    lon0, lat0, lon1, lat1 = lines.to_crs(4326).total_bounds
    metric = utm_crs((lon0 + lon1) / 2, (lat0 + lat1) / 2)
    m = lines.to_crs(metric)
    noded = shapely.union_all(m.geometry.values)
    faces = list(shapely.get_parts(shapely.polygonize(shapely.get_parts(noded))))
    g = gpd.GeoSeries(faces, crs=metric)
    area = g.area.values
    compact = np.where(g.length.values > 0, 4 * np.pi * area / np.maximum(g.length.values, 1e-9) ** 2, 0)
    keep = (area >= min_area_m2) & (area <= max_area_m2) & (compact >= min_compactness)
    blocks = gpd.GeoDataFrame(
        {"area_m2": area[keep].round(1), "compactness": compact[keep].round(3)},
        geometry=g.values[keep],
        crs=metric,
    ).to_crs(4326)
    rep = blocks.geometry.representative_point()
    order = np.lexsort((rep.x.values, -rep.y.values.round(3)))
    return blocks.iloc[order].reset_index(drop=True)


def frontage_points(
    blocks: gpd.GeoDataFrame, lines: gpd.GeoDataFrame, inset_m: float = 8.0
) -> tuple[gpd.GeoSeries, list[str], list[str]]:
    """For each block, a street-front point: the block-boundary point nearest the block's
    representative point, moved ``inset_m`` into the block; with the highway class and name of the
    nearest street to it."""
    lon0, lat0, lon1, lat1 = blocks.total_bounds
    metric = utm_crs((lon0 + lon1) / 2, (lat0 + lat1) / 2)
    bm = blocks.to_crs(metric)
    lm = lines.to_crs(metric).reset_index(drop=True)
    pts, hw, names = [], [], []
    tree = shapely.STRtree(lm.geometry.values)
    for geom in bm.geometry:
        centre = geom.representative_point()
        edge = shapely.shortest_line(geom.exterior if geom.geom_type == "Polygon" else geom.boundary, centre)
        a, b = np.asarray(edge.coords[0]), np.asarray(edge.coords[-1])
        d = np.linalg.norm(b - a)
        p = a + (b - a) * min(inset_m / d, 1.0) if d > 0 else a
        point = shapely.Point(p)
        j = tree.nearest(shapely.Point(a))
        pts.append(point)
        hw.append(str(lm["highway"].iloc[j]) if "highway" in lm.columns else "")
        nm = lm["name"].iloc[j] if "name" in lm.columns else None
        names.append(nm if isinstance(nm, str) else "")
    return gpd.GeoSeries(pts, crs=metric).to_crs(4326), hw, names
