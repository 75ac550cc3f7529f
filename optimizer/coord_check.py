"""Which coordinate system the input points are really in, judged by the street network.

Chinese map providers publish GCJ-02 (Amap, Tencent) or BD-09 (Baidu) coordinates, shifted from WGS84
by a few hundred metres. Points read in the wrong system still load, but land beside the wrong street:
shop fronts that should snap to the network within 8-12 m end up hundreds of metres away. This module
compares how far the points fall from the network as declared and as each other system would place
them, and words a warning when another system fits much better.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from .coords import TO_WGS84, in_china, utm_crs, wgs84_to_bd09, wgs84_to_gcj02

SYSTEMS: dict[str, str] = {
    "wgs84": "WGS84 (GPS, OpenStreetMap)",
    "gcj02": "GCJ-02 (Amap/Gaode, Tencent)",
    "bd09": "BD-09 (Baidu)",
}
FROM_WGS84 = {
    "wgs84": lambda lon, lat: (np.asarray(lon, float), np.asarray(lat, float)),
    "gcj02": wgs84_to_gcj02,
    "bd09": wgs84_to_bd09,
}
RATIO = 0.5  # another system must at least halve the median distance ...
NEAR_M = 15.0  # ... and put more of the points this close to a street (shop fronts snap within 8-12 m) ...
MIN_NEAR_GAIN = 0.15  # ... by at least this share of the points


def distances(
    points: gpd.GeoSeries, lines: gpd.GeoSeries, declared: str = "wgs84"
) -> dict[str, np.ndarray] | None:
    """Per point, the distance (m) to the nearest line were the raw coordinates in each system.
    ``points`` are as loaded (converted to WGS84 from ``declared``; polygons count by their
    centroid); None outside China or without points or lines."""
    pts = points[points.notna() & ~points.is_empty]
    if not len(pts) or not len(lines):
        return None
    first = pts.iloc[:1].to_crs(4326).representative_point().iloc[0]
    crs = utm_crs(float(first.x), float(first.y))
    c = pts.to_crs(crs).centroid.to_crs(4326)
    lon, lat = c.x.to_numpy(), c.y.to_numpy()
    if not in_china(lon, lat).mean() > 0.5:
        return None
    raw = FROM_WGS84[declared](lon, lat)  # the coordinates as the user wrote them
    tree = shapely.STRtree(lines.to_crs(crs).to_numpy())
    out = {}
    for system, to_wgs in TO_WGS84.items():
        x, y = to_wgs(*raw)
        xy = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=4326).to_crs(crs).to_numpy()
        _, out[system] = tree.query_nearest(xy, return_distance=True, all_matches=False)
    return out


def check_coordinates(
    points: gpd.GeoSeries, lines: gpd.GeoSeries, declared: str = "wgs84", what: str = "points"
) -> str | None:
    """A warning naming the likely coordinate system when the points fit the street network much
    better in another system than in the ``declared`` one (``inputs.coordinates``); None otherwise."""
    dist = distances(points, lines, declared)
    if dist is None:
        return None
    med = {s: float(np.median(d)) for s, d in dist.items()}
    near = {s: float((d <= NEAR_M).mean()) for s, d in dist.items()}
    best = min((s for s in med if s != declared), key=med.__getitem__)
    if med[best] > RATIO * med[declared] or near[best] - near[declared] < MIN_NEAR_GAIN:
        return None
    return (
        f"the {what} lie a median {med[declared]:.0f} m from the street network read as "
        f"{SYSTEMS[declared]} ({near[declared]:.0%} within {NEAR_M:.0f} m), but {med[best]:.0f} m read as "
        f"{SYSTEMS[best]} ({near[best]:.0%} within {NEAR_M:.0f} m): the coordinates are probably "
        f"{SYSTEMS[best]}; set inputs.coordinates: {best} in the scenario file"
    )
