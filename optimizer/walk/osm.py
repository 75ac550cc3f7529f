"""Read walkable street lines from an OpenStreetMap file or from any line layer.

OpenStreetMap files (``.osm`` XML, ``.osm.pbf``/``.pbf``) are read through GDAL's OSM driver
(pyogrio), layer ``lines``: one LineString per way, every OSM node kept as a vertex, so ways
that share a node share a vertex. Tags without a column of their own come in ``other_tags``,
an hstore-like string (``"foot"=>"yes","sidewalk"=>"both"``) that :func:`parse_other_tags`
reads. Closed pedestrian areas (``area=yes``) land in GDAL's ``multipolygons`` layer and are
not used; route relations (``multilinestrings``) repeat their member ways and are skipped.

Which ways are walkable (:func:`walkable_mask`):

- a ``highway`` value in ``exclude_highway`` is never walked (default
  :data:`DEFAULT_EXCLUDE_HIGHWAY`: unbuilt, abandoned and race/bus-only ways);
- a way tagged ``foot=yes|designated|permissive|official`` is walked, whatever its class
  (a motorway bridge with a footway, a shared cycleway);
- a ``highway`` value in ``include_highway`` (default :data:`DEFAULT_INCLUDE_HIGHWAY`) is
  walked unless ``foot=no|private|use_sidepath``, ``access=no|private``, ``motorroad=yes``,
  or, for the main roads in :data:`SIDEWALK_REQUIRED_HIGHWAY`, ``sidewalk=no|none``;
- anything else (motorway, motorway_link, trunk_link, cycleway, busway, platform...) is
  dropped unless tagged walkable as above.

Any other line layer (GeoPackage, Shapefile, GeoJSON...) is used whole, unless it has a
``highway`` column: then the same rules apply, with ``foot``/``sidewalk``/``access`` read
from columns of those names or from an ``other_tags`` column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

#: Highway classes walked by default (unless tagged ``foot=no`` and the like).
DEFAULT_INCLUDE_HIGHWAY: tuple[str, ...] = (
    "footway",
    "path",
    "pedestrian",
    "steps",
    "corridor",
    "elevator",
    "bridleway",
    "track",
    "trail",
    "living_street",
    "residential",
    "service",
    "unclassified",
    "road",
    "tertiary",
    "tertiary_link",
    "secondary",
    "secondary_link",
    "primary",
    "primary_link",
    "trunk",
)

#: Highway classes never walked, even when tagged ``foot=yes``.
DEFAULT_EXCLUDE_HIGHWAY: tuple[str, ...] = (
    "construction",
    "proposed",
    "planned",
    "abandoned",
    "disused",
    "razed",
    "raceway",
    "bus_guideway",
    "escape",
)

#: Main roads that are not walked when tagged ``sidewalk=no`` (smaller streets are walked on the carriageway).
SIDEWALK_REQUIRED_HIGHWAY: tuple[str, ...] = (
    "trunk",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
)

FOOT_ALLOWED: tuple[str, ...] = ("yes", "designated", "permissive", "official")
FOOT_FORBIDDEN: tuple[str, ...] = ("no", "private", "use_sidepath")
ACCESS_FORBIDDEN: tuple[str, ...] = ("no", "private")

OSM_SUFFIXES: tuple[str, ...] = (".osm", ".pbf")
_TAG_KEYS: tuple[str, ...] = ("foot", "sidewalk", "access", "area", "motorroad")
_HSTORE = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')


def is_osm_file(path: Path) -> bool:
    """True for ``.osm`` XML and ``.osm.pbf``/``.pbf`` files (read with GDAL's OSM driver)."""
    return Path(path).suffix.lower() in OSM_SUFFIXES


def parse_other_tags(text: str | None) -> dict[str, str]:
    """Parse GDAL's ``other_tags`` hstore string (``"foot"=>"yes","lit"=>"no"``) into a dict."""
    if text is None or (isinstance(text, float) and np.isnan(text)) or text == "":
        return {}
    return {k.replace('\\"', '"'): v.replace('\\"', '"') for k, v in _HSTORE.findall(str(text))}


def extract_tag(other_tags: pd.Series, key: str) -> pd.Series:
    """The value of one tag for every row of an ``other_tags`` column (NaN where absent), vectorised."""
    pattern = r'(?:^|,)"' + re.escape(key) + r'"=>"((?:[^"\\]|\\.)*)"'
    return other_tags.astype("string").str.extract(pattern, expand=False)


def _tag_column(frame: pd.DataFrame, key: str) -> pd.Series:
    """Tag ``key`` from its own column if present, else from ``other_tags``; lower-case strings or NA."""
    if key in frame.columns:
        values = frame[key].astype("string")
    elif "other_tags" in frame.columns:
        values = extract_tag(frame["other_tags"], key)
    else:
        values = pd.Series(pd.NA, index=frame.index, dtype="string")
    return values.str.strip().str.lower()


def walkable_mask(
    frame: pd.DataFrame,
    include_highway: Iterable[str] | None = None,
    exclude_highway: Iterable[str] | None = None,
) -> np.ndarray:
    """Boolean mask of the rows of an OSM-like table (``highway`` + tags) that pedestrians may use.

    See the module docstring for the rules. ``include_highway``/``exclude_highway`` replace
    :data:`DEFAULT_INCLUDE_HIGHWAY`/:data:`DEFAULT_EXCLUDE_HIGHWAY` when given; exclusion wins.
    """
    include = set(DEFAULT_INCLUDE_HIGHWAY if include_highway is None else include_highway)
    exclude = set(DEFAULT_EXCLUDE_HIGHWAY if exclude_highway is None else exclude_highway)
    highway = frame["highway"].astype("string").str.strip().str.lower()
    tags = {key: _tag_column(frame, key) for key in _TAG_KEYS}

    def isin(values: pd.Series, allowed: Iterable[str]) -> np.ndarray:
        return values.isin(list(allowed)).fillna(False).to_numpy(dtype=bool)

    has_highway = highway.notna().to_numpy()
    excluded = isin(highway, exclude)
    included = isin(highway, include)
    area = isin(tags["area"], ["yes"])
    foot_yes = isin(tags["foot"], FOOT_ALLOWED)
    foot_no = isin(tags["foot"], FOOT_FORBIDDEN)
    access_no = isin(tags["access"], ACCESS_FORBIDDEN)
    motorroad = isin(tags["motorroad"], ["yes"])
    no_sidewalk = isin(tags["sidewalk"], ["no", "none"]) & isin(highway, SIDEWALK_REQUIRED_HIGHWAY)
    by_class = included & ~foot_no & ~access_no & ~motorroad & ~no_sidewalk
    return has_highway & ~excluded & ~area & (foot_yes | by_class)


def read_street_lines(
    path: str | Path,
    layer: str | None = None,
    include_highway: Iterable[str] | None = None,
    exclude_highway: Iterable[str] | None = None,
) -> gpd.GeoSeries:
    """Walkable street centre lines from ``path`` as a LineString GeoSeries in the file's CRS.

    OSM files are read from GDAL's ``lines`` layer (or ``layer``) and filtered with
    :func:`walkable_mask`; other layers are filtered only when they have a ``highway`` column.
    MultiLineStrings are split into their parts; empty geometries are dropped.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"street network file not found: {path}")
    if is_osm_file(path):
        frame = pyogrio.read_dataframe(
            path,
            layer=layer or "lines",
            columns=["osm_id", "highway", "other_tags"],
            where="highway IS NOT NULL",
        )
    else:
        frame = pyogrio.read_dataframe(path, layer=layer)
    if "highway" in frame.columns:
        frame = frame[walkable_mask(frame, include_highway, exclude_highway)]
    geoms = frame.geometry
    geoms = geoms[~(geoms.isna() | geoms.is_empty)]
    kinds = shapely.get_type_id(geoms.to_numpy())
    # LineString (1), MultiLineString (5); polygons' rings and points are not streets.
    geoms = geoms[np.isin(kinds, [1, 2, 5])]
    parts = geoms.explode(index_parts=False)
    parts = parts[shapely.get_type_id(parts.to_numpy()) != 0]
    parts = parts[shapely.get_num_coordinates(parts.to_numpy()) >= 2]
    return gpd.GeoSeries(parts.to_numpy(), crs=frame.crs, name="geometry")
