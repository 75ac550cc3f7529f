"""Read an OpenStreetMap extract (.osm or .osm.pbf): its tagged nodes and its areas, each with its tags.

Features the GDAL OSM reader cannot build a geometry for (ways cut open by the extract's edge) are
left out.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from .tags import parse_other_tags

_SKIP_COLUMNS = {"osm_id", "osm_way_id", "z_order", "other_tags", "geometry"}


def _tag_dicts(df: pd.DataFrame) -> list[dict[str, str]]:
    cols = [c for c in df.columns if c not in _SKIP_COLUMNS]
    out = []
    records = df[cols].to_dict("records")
    others = df["other_tags"].tolist() if "other_tags" in df.columns else [None] * len(df)
    for rec, other in zip(records, others, strict=True):
        tags = parse_other_tags(other)
        for k, v in rec.items():
            if isinstance(v, str) and v:
                tags[k] = v
        out.append(tags)
    return out


@dataclass
class OsmData:
    """The parts of an OSM extract the builder uses, each row with its parsed tags."""

    points: gpd.GeoDataFrame  # columns ref, tags, geometry
    areas: gpd.GeoDataFrame  # columns ref, tags, geometry (closed ways and multipolygon relations)
    bounds: tuple[float, float, float, float]


def _read_layer(path: Path, layer: str) -> gpd.GeoDataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pyogrio.read_dataframe(path, layer=layer, on_invalid="ignore")


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygon parts of a repaired geometry; a collapsed area (no polygon part) stays as it is
    repaired (a line or point), so an outlet mapped on it still has a location."""
    polys = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(polys) if polys else geom


def read_osm(path: Path) -> OsmData:
    """Read the tagged nodes and the areas of an OSM file with GDAL's OSM driver (via pyogrio).

    Ids are OSM references: ``node/1``, ``way/2``, ``relation/3``. Areas with no buildable geometry
    are dropped; invalid ones are repaired with ``make_valid`` (keeping the polygon parts; an area that
    collapses to a line keeps the line, so a shop mapped on it still counts as an outlet). ``bounds``
    is the bounding box of all nodes, lines and areas read.
    """
    path = Path(path)
    pts = _read_layer(path, "points")
    areas = _read_layer(path, "multipolygons")
    lines = _read_layer(path, "lines")
    pts_out = gpd.GeoDataFrame(
        {"ref": ["node/" + str(int(i)) for i in pts["osm_id"]], "tags": _tag_dicts(pts)},
        geometry=pts.geometry.values,
        crs=4326,
    )
    refs = [
        f"way/{int(w)}" if pd.notna(w) else f"relation/{int(r)}"
        for r, w in zip(areas["osm_id"], areas["osm_way_id"], strict=True)
    ]
    areas_out = gpd.GeoDataFrame(
        {"ref": refs, "tags": _tag_dicts(areas)}, geometry=areas.geometry.values, crs=4326
    )
    areas_out = areas_out[areas_out.geometry.notna() & ~areas_out.geometry.is_empty].copy()
    bad = ~areas_out.geometry.is_valid
    if bad.any():
        fixed = shapely.make_valid(areas_out.geometry.values[bad.values])
        fixed = [_polygonal(f) for f in fixed]
        areas_out.loc[bad, "geometry"] = fixed
        areas_out = areas_out[~areas_out.geometry.is_empty]
    b = np.array([g.total_bounds for g in (pts, lines, areas) if len(g) and g.geometry.notna().any()])
    bounds = (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max()))
    return OsmData(pts_out.reset_index(drop=True), areas_out.reset_index(drop=True), bounds)
