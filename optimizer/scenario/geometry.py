"""Where each residence, site and outlet is: points or polygons in EPSG:4326.

A layer brings its own geometry and CRS; a CSV brings lon/lat columns in the scenario's
``inputs.coordinates`` system. GCJ-02 and BD-09 (the Chinese map providers' systems) are converted
exactly to WGS84 (:mod:`optimizer.coords`). Each check returns its problems; a table with any
geometry problem has no geometry (None) and is not checked further.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from ..coords import TO_WGS84, in_china
from ..errors import Problem
from ..schema import COORDINATE_COLUMNS
from .messages import ids

# The lon and lat headers of a CSV, in order of preference, matched ignoring case.
LON_NAMES, LAT_NAMES = (tuple(n.lower() for n in (c.name, *c.aliases)) for c in COORDINATE_COLUMNS)
COORDINATE_NAMES = frozenset({"geometry", *LON_NAMES, *LAT_NAMES})


def to_wgs84(
    df: pd.DataFrame | gpd.GeoDataFrame, file: str, coordinates: str
) -> tuple[gpd.GeoDataFrame | None, list[Problem]]:
    """The table with its geometry in EPSG:4326 (indexed like ``df``), or None and the problems."""
    label = pd.Series(df.index.astype(str), index=df.index)
    if isinstance(df, gpd.GeoDataFrame) and df.geometry.name in df.columns:
        gdf, found = _from_layer(df, file, coordinates, label)
        if gdf is None:
            return None, found
        lon, lat = gdf.geometry.representative_point().x, gdf.geometry.representative_point().y
    else:
        gdf, lon, lat, found = _from_lon_lat(df, file, coordinates, label)
        if gdf is None:
            return None, found
    found = _outside_the_globe(lon, lat, label, file)
    if not found and coordinates != "wgs84":
        found = _outside_china(lon, lat, label, file, coordinates)
    return (None, found) if found else (gdf, [])


def _from_layer(
    gdf: gpd.GeoDataFrame, file: str, coordinates: str, label: pd.Series
) -> tuple[gpd.GeoDataFrame | None, list[Problem]]:
    """A layer's geometry: it needs a CRS and every row a valid point or polygon."""
    if gdf.crs is None:
        return None, [_no_crs(file)]
    found = _empty_geometries(gdf.geometry, label, file) + _invalid_geometries(gdf.geometry, label, file)
    if found:
        return None, found
    try:
        gdf = gdf.to_crs(4326)
    except (pyproj.exceptions.CRSError, ValueError) as e:
        return None, [
            Problem(
                f"cannot transform from the layer's CRS: {e}", file=file, fix="save the layer in EPSG:4326"
            )
        ]
    return (convert_geometries(gdf, coordinates) if coordinates != "wgs84" else gdf), []


def _no_crs(file: str) -> Problem:
    shp = file.lower().endswith(".shp")
    prj = " (a Shapefile keeps it in a .prj file beside the .shp)" if shp else ""
    return Problem(
        f"the layer has no coordinate reference system (CRS cannot be located){prj}",
        file=file,
        fix="save the layer with a CRS (e.g. EPSG:4326), or give a CSV with lon/lat columns",
    )


def _empty_geometries(geom: gpd.GeoSeries, label: pd.Series, file: str) -> list[Problem]:
    empty = geom.isna() | geom.is_empty
    if not empty.any():
        return []
    return [
        Problem(
            f"missing or empty geometry in rows {ids(label[empty])}",
            file=file,
            column="geometry",
            row=str(label[empty].iloc[0]),
            fix="give every row a point or polygon",
        )
    ]


def _invalid_geometries(geom: gpd.GeoSeries, label: pd.Series, file: str) -> list[Problem]:
    invalid = ~(geom.isna() | geom.is_empty) & ~geom.is_valid
    if not invalid.any():
        return []
    import shapely

    why = shapely.is_valid_reason(geom[invalid].iloc[0])
    return [
        Problem(
            f"invalid geometry in rows {ids(label[invalid])} ({why})",
            file=file,
            column="geometry",
            row=str(label[invalid].iloc[0]),
            fix="repair the geometry (e.g. make_valid in QGIS)",
        )
    ]


def _from_lon_lat(
    df: pd.DataFrame, file: str, coordinates: str, label: pd.Series
) -> tuple[gpd.GeoDataFrame | None, pd.Series, pd.Series, list[Problem]]:
    """Points from lon/lat columns (converted to WGS84), and lon/lat as written (for the range checks)."""
    lower = {str(c).lower(): c for c in df.columns}
    lon_c = next((lower[k] for k in LON_NAMES if k in lower), None)
    lat_c = next((lower[k] for k in LAT_NAMES if k in lower), None)
    none = pd.Series(dtype=float)
    if lon_c is None or lat_c is None:
        problem = Problem(
            "no geometry: a CSV needs 'lon' and 'lat' columns",
            file=file,
            column="lon",
            fix="add lon and lat columns (decimal degrees)",
        )
        return None, none, none, [problem]
    lon = pd.to_numeric(df[lon_c], errors="coerce")
    lat = pd.to_numeric(df[lat_c], errors="coerce")
    bad = lon.isna() | lat.isna()
    if bad.any():
        problem = Problem(
            f"missing or non-numeric lon/lat in rows {ids(label[bad])}",
            file=file,
            column="lon",
            row=str(label[bad].iloc[0]),
            fix="write lon and lat in decimal degrees",
        )
        return None, lon, lat, [problem]
    x, y = TO_WGS84[coordinates](lon.to_numpy(), lat.to_numpy())
    gdf = gpd.GeoDataFrame(df.drop(columns=[lon_c, lat_c]), geometry=gpd.points_from_xy(x, y), crs=4326)
    gdf.index = df.index
    return gdf, lon, lat, []


def _outside_the_globe(lon: pd.Series, lat: pd.Series, label: pd.Series, file: str) -> list[Problem]:
    """Longitudes beyond 180 or latitudes beyond 90, with a guess at why (swapped, or metres)."""
    out_range = (lon.abs() > 180) | (lat.abs() > 90)
    if not out_range.any():
        return []
    swapped = (lat.abs() <= 180) & (lon.abs() <= 90)
    hint = " (lon and lat look swapped)" if bool(swapped[out_range].all()) else ""
    if not hint and bool((lon.abs() > 1000)[out_range].any() or (lat.abs() > 1000)[out_range].any()):
        hint = " (these look like metres: the file's coordinate reference system is wrong)"
    return [
        Problem(
            f"coordinates outside lon -180..180 / lat -90..90 in rows {ids(label[out_range])}{hint}",
            file=file,
            column="lon",
            row=str(label[out_range].iloc[0]),
            fix="give lon (east) first and lat (north) second, in decimal degrees",
        )
    ]


def _outside_china(
    lon: pd.Series, lat: pd.Series, label: pd.Series, file: str, coordinates: str
) -> list[Problem]:
    """GCJ-02 and BD-09 exist only inside China: points outside mean a wrong system or swapped axes."""
    outside = ~in_china(lon.to_numpy(), lat.to_numpy())
    if not outside.any():
        return []
    swapped = bool(in_china(lat.to_numpy(), lon.to_numpy())[outside].all())
    hint = " (lon and lat look swapped)" if swapped else ""
    return [
        Problem(
            f"{coordinates} coordinates outside China in rows {ids(label[outside])}{hint}",
            file=file,
            column="lon",
            row=str(label[outside].iloc[0]),
            fix="GCJ-02 and BD-09 only exist inside China: check inputs.coordinates and lon/lat",
        )
    ]


def convert_geometries(gdf: gpd.GeoDataFrame, coordinates: str) -> gpd.GeoDataFrame:
    """Every vertex of every geometry from GCJ-02 or BD-09 to WGS84."""
    import shapely

    fn = TO_WGS84[coordinates]

    def tf(xy: np.ndarray) -> np.ndarray:
        x, y = fn(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    out = gdf.copy()
    out.geometry = shapely.transform(gdf.geometry.values, tf)
    return out
