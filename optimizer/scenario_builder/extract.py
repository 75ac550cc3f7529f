"""The existing outlets and the candidate sites of an OSM extract, each row with the OSM element it
comes from and a ``source`` column saying how its numbers were derived.

* **Outlets** come from the tag table :data:`~optimizer.scenario_builder.tags.OUTLET_TAGS` (one
  documented row per OSM tag).
* **Candidate sites** come from :data:`~optimizer.scenario_builder.tags.SITE_TAGS` (vacant and disused
  shops, retail and commercial buildings' ground floors) and small buildings in retail (or other
  chosen) land use; their rent from a rent table of zones or one figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .osm import OsmData
from .tags import SITE_TAGS, is_live, match_outlet, match_site, tag_text

DEFAULT_SITE_AREA_M2 = 80.0
"""Floor area given to a site mapped as a point: a typical small street-front unit (the Shanghai 2024
draft standard puts community service points at 50-200 m2)."""

DEFAULT_MAX_SITE_AREA_M2 = 2000.0
"""A building site's floor area is its footprint (the ground floor), capped here: the part of a large
building that a planner could let to community shops."""


def extract_outlets(osm: OsmData) -> gpd.GeoDataFrame:
    """Existing outlets: one row per (element, format) that :data:`OUTLET_TAGS` maps.

    Points keep their location; areas are represented by their representative point. The id is the
    OSM reference, with ``#format`` added when one element holds several formats.
    """
    rows = []
    for layer in (osm.points, osm.areas):
        for ref, tags, geom in zip(layer["ref"], layer["tags"], layer.geometry, strict=True):
            hits = match_outlet(tags)
            for fmt, row in hits:
                cond = f" with {row.requires}" if row.requires else ""
                rows.append(
                    {
                        "id": ref if len(hits) == 1 else f"{ref}#{fmt}",
                        "format": fmt,
                        "name": tags.get("name", ""),
                        "osm_tag": tag_text(row, tags),
                        "source": (
                            f"OSM {ref} tagged {row.key}={tags.get(row.key)}{cond} -> {fmt} (OUTLET_TAGS)"
                        ),
                        "geometry": geom if geom.geom_type == "Point" else geom.representative_point(),
                    }
                )
    cols = ["id", "format", "name", "osm_tag", "source", "geometry"]
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=cols), geometry="geometry", crs=4326)


def _rent_lookup(
    points: gpd.GeoSeries, default: float, rent_table: Path | None
) -> tuple[np.ndarray, list[str]]:
    """Rent and its source for each point: the first zone of ``rent_table`` holding it, else ``default``.

    The rent table is a CSV with columns ``zone``, ``rent_yuan_per_m2_month`` and either ``wkt`` (a
    polygon in lon/lat) or ``min_lon, min_lat, max_lon, max_lat`` (a box).
    """
    rent = np.full(len(points), float(default))
    src = [f"rent: scenario default {default:g} yuan/m2/month"] * len(points)
    if rent_table is None:
        return rent, src
    table = pd.read_csv(rent_table)
    done = np.zeros(len(points), dtype=bool)
    for rec in table.to_dict("records"):
        if "wkt" in table.columns and isinstance(rec.get("wkt"), str):
            zone = shapely.from_wkt(rec["wkt"])
        else:
            zone = shapely.box(rec["min_lon"], rec["min_lat"], rec["max_lon"], rec["max_lat"])
        inside = shapely.contains_xy(zone, points.x.values, points.y.values) & ~done
        rent[inside] = float(rec["rent_yuan_per_m2_month"])
        for i in np.flatnonzero(inside):
            src[i] = f"rent: zone {rec['zone']} of {Path(rent_table).name}"
        done |= inside
    return rent, src


def extract_sites(
    osm: OsmData,
    metric: object,
    rent_yuan_per_m2_month: float,
    rent_table: Path | None = None,
    site_landuse: Sequence[str] = ("retail",),
    max_site_footprint_m2: float = 1500.0,
    default_site_area_m2: float = DEFAULT_SITE_AREA_M2,
    max_site_area_m2: float = DEFAULT_MAX_SITE_AREA_M2,
    max_sites: int | None = None,
    seed: int = 0,
) -> gpd.GeoDataFrame:
    """Candidate sites from :data:`SITE_TAGS` and small buildings in ``site_landuse``.

    Floor area: the footprint (ground floor) capped at ``max_site_area_m2`` for areas,
    ``default_site_area_m2`` for points. When there are more than ``max_sites`` candidates, those
    matched by a tag row are kept first (in table order), the rest filled by a seeded random draw.
    """
    rows = _point_sites(osm, default_site_area_m2)
    rows += _area_sites(osm, metric, site_landuse, max_site_footprint_m2, max_site_area_m2)
    cols = ["id", "kind", "osm_tag", "rank", "name", "floor_area_m2", "area_source", "geometry"]
    sites = gpd.GeoDataFrame(pd.DataFrame(rows, columns=cols), geometry="geometry", crs=4326)
    sites = sites.drop_duplicates("id").reset_index(drop=True)
    sites = sites[sites["floor_area_m2"] > 0]
    sites = _at_most(sites, max_sites, seed)
    return _with_rent_and_source(sites, rent_yuan_per_m2_month, rent_table)


def _point_sites(osm: OsmData, default_site_area_m2: float) -> list[dict]:
    """Site rows of the tagged points that are not live shops; ``rank`` is the matched row's index."""
    rows = []
    for ref, tags, geom in zip(osm.points["ref"], osm.points["tags"], osm.points.geometry, strict=True):
        hit = match_site(tags)
        if hit is None or is_live(tags):
            continue
        rows.append(
            {
                "id": ref,
                "kind": hit.kind,
                "osm_tag": tag_text(hit, tags),
                "rank": SITE_TAGS.index(hit),
                "name": tags.get("name", ""),
                "floor_area_m2": float(default_site_area_m2),
                "area_source": f"floor area: default {default_site_area_m2:g} m2 for a site mapped "
                "as a point",
                "geometry": geom,
            }
        )
    return rows


def _area_sites(
    osm: OsmData,
    metric: object,
    site_landuse: Sequence[str],
    max_site_footprint_m2: float,
    max_site_area_m2: float,
) -> list[dict]:
    """Site rows of the areas that are not live shops: tagged by a :data:`SITE_TAGS` row, or buildings
    up to ``max_site_footprint_m2`` whose representative point lies in ``site_landuse`` (ranked after
    every tag row). Located at the representative point."""
    areas = osm.areas
    footprint = areas.geometry.to_crs(metric).area.values
    landuse = areas[[bool(t.get("landuse")) and t.get("landuse") in site_landuse for t in areas["tags"]]]
    rep = areas.geometry.representative_point()
    in_landuse = np.zeros(len(areas), dtype=bool)
    if len(landuse):
        zone = shapely.union_all(landuse.geometry.values)
        in_landuse = shapely.contains_xy(zone, rep.x.values, rep.y.values)
    rows = []
    for i, (ref, tags) in enumerate(zip(areas["ref"], areas["tags"], strict=True)):
        if is_live(tags):
            continue
        hit = match_site(tags)
        if hit is not None:
            kind, tag, rank = hit.kind, tag_text(hit, tags), SITE_TAGS.index(hit)
        elif (
            tags.get("building")
            and tags.get("building") != "no"
            and in_landuse[i]
            and footprint[i] <= max_site_footprint_m2
        ):
            kind, tag, rank = (
                "building in " + "/".join(site_landuse) + " land use",
                f"building={tags['building']}",
                len(SITE_TAGS),
            )
        else:
            continue
        area = min(float(footprint[i]), float(max_site_area_m2))
        cap = f", capped at {max_site_area_m2:g}" if footprint[i] > max_site_area_m2 else ""
        rows.append(
            {
                "id": ref,
                "kind": kind,
                "osm_tag": tag,
                "rank": rank,
                "name": tags.get("name", ""),
                "floor_area_m2": round(area, 1),
                "area_source": f"floor area: footprint {footprint[i]:.0f} m2 (ground floor){cap}",
                "geometry": rep.iloc[i],
            }
        )
    return rows


def _at_most(sites: gpd.GeoDataFrame, max_sites: int | None, seed: int) -> gpd.GeoDataFrame:
    """At most ``max_sites`` sites: the tagged ones first (in table order), the rest filled by a draw
    seeded with ``seed``; kept in their original order."""
    if max_sites is None or len(sites) <= max_sites:
        return sites
    tagged = sites[sites["rank"] < len(SITE_TAGS)].sort_values("rank", kind="stable")
    rest = sites[sites["rank"] >= len(SITE_TAGS)]
    keep = tagged.iloc[:max_sites]
    extra = max_sites - len(keep)
    if extra > 0:
        keep = pd.concat([keep, rest.sample(n=min(extra, len(rest)), random_state=seed)])
    return keep.sort_index()


def _with_rent_and_source(
    sites: gpd.GeoDataFrame, rent_yuan_per_m2_month: float, rent_table: Path | None
) -> gpd.GeoDataFrame:
    """The sites with their rent (:func:`_rent_lookup`) and a ``source`` column, in the table's order of
    columns."""
    rent, rent_src = _rent_lookup(sites.geometry, rent_yuan_per_m2_month, rent_table)
    sites = sites.assign(rent_yuan_per_m2_month=rent)
    sites["source"] = [
        f"OSM {i} {t} ({k}); {a}; {r}"
        for i, t, k, a, r in zip(
            sites["id"], sites["osm_tag"], sites["kind"], sites["area_source"], rent_src, strict=True
        )
    ]
    sites = sites.drop(columns=["rank", "area_source"])
    order = ["id", "floor_area_m2", "rent_yuan_per_m2_month", "kind", "osm_tag", "name", "source", "geometry"]
    return sites[order].reset_index(drop=True)
