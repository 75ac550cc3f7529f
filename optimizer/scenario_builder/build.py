"""Build a scenario folder from an OpenStreetMap extract (.osm or .osm.pbf).

What comes from where (every derived row also says so in its ``source`` column):

* **Residences** are the residential buildings, sharing the people of a population grid (or of a
  density x the extract's area) by floor area, so their population equals the clipped grid's exactly:
  :mod:`optimizer.scenario_builder.population` says how.
* **Outlets** come from the tag table :data:`~optimizer.scenario_builder.tags.OUTLET_TAGS` (one
  documented row per OSM tag).
* **Candidate sites** come from :data:`~optimizer.scenario_builder.tags.SITE_TAGS`: vacant and disused
  shops, retail and commercial buildings' ground floors, and small buildings in retail (or other
  chosen) land use (:mod:`optimizer.scenario_builder.extract`).
* **Streets**: the extract itself is copied into the folder and named by ``walk.network``.

Features the GDAL OSM reader cannot build a geometry for (ways cut open by the extract's edge) are
left out (:mod:`optimizer.scenario_builder.osm`). Areas are measured in the UTM zone of the extract's
centre.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import shapely

from .. import catalog
from ..config import BudgetConfig
from ..coords import utm_crs
from ..model.budgets import BUDGETS
from .extract import DEFAULT_MAX_SITE_AREA_M2, DEFAULT_SITE_AREA_M2, extract_outlets, extract_sites
from .osm import OsmData, read_osm
from .population import population_zones, residential_buildings, share_population
from .write import md_table, write_scenario

BUILDER = "optimizer.scenario_builder.build_scenario"
"""How the written files name the function that wrote them: its public name, which stays put when the
package's modules are reorganised."""

# Budgets of a freshly built scenario: capital 2,000,000 yuan, rent subsidy 300,000 yuan/year.
DEFAULT_BUDGET = BudgetConfig(2_000_000.0, 300_000.0)


def build_scenario(
    osm: Path,
    out: Path,
    population: Path | None = None,
    population_layer: str | None = None,
    population_column: str | None = None,
    density_per_km2: float | None = None,
    rent_yuan_per_m2_month: float = 150.0,
    rent_table: Path | None = None,
    name: str | None = None,
    description: str = "",
    formats: Sequence[str] | None = None,
    budget: BudgetConfig = DEFAULT_BUDGET,
    subsidy_share_of_rent: float = 0.5,
    viability: bool = True,
    default_levels: float | None = None,
    site_landuse: Sequence[str] = ("retail",),
    max_site_footprint_m2: float = 1500.0,
    default_site_area_m2: float = DEFAULT_SITE_AREA_M2,
    max_site_area_m2: float = DEFAULT_MAX_SITE_AREA_M2,
    max_sites: int | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    copy_network: bool = True,
    walk_speed_m_per_s: float = 1.2,
    solver_time_limit_s: float = 120.0,
    seed: int = 0,
    readme_notes: str = "",
    attribution: str = "",
    extra_texts: dict[str, str] | None = None,
    overwrite: bool = False,
) -> Path:
    """Build a scenario folder from an OSM extract; returns the path of its ``scenario.yaml``.

    Parameters mirror the scenario keys: ``population`` is a population grid (polygons with a
    population column, any CRS) or ``density_per_km2`` is used instead; ``rent_table`` a CSV of rent
    zones (see :func:`.extract._rent_lookup`); ``formats`` the formats in play (default: the catalog formats
    with at least one outlet in the extract); ``bbox`` (lon/lat) limits the study area, by default the
    extract's bounding box. ``max_sites`` keeps the scenario small (seeded draw, see
    :func:`.extract.extract_sites`). ``extra_texts`` (file name -> text) are written into the folder too
    (e.g. a LICENSE). The OSM file is copied into the folder as the walk network unless
    ``copy_network`` is false (then it is referenced by a path relative to the folder).
    """
    osm, out = Path(osm), Path(out)
    if population is None and density_per_km2 is None:
        raise ValueError("give a population grid (population=...) or a density (density_per_km2=...)")
    data, region, metric, extract_facts = _read_extract(osm, bbox)
    residences, residence_facts = _residences(
        data, region, metric, population, population_layer, population_column, density_per_km2, default_levels
    )
    site_rules = {
        "rent_yuan_per_m2_month": rent_yuan_per_m2_month,
        "rent_table": rent_table,
        "site_landuse": site_landuse,
        "max_site_footprint_m2": max_site_footprint_m2,
        "default_site_area_m2": default_site_area_m2,
        "max_site_area_m2": max_site_area_m2,
        "max_sites": max_sites,
        "seed": seed,
    }
    outlets, sites, supply_facts = _outlets_and_sites(data, region, metric, site_rules, formats)
    network = f"streets{_osm_suffix(osm)}" if copy_network else Path(_relpath(osm.resolve(), out.resolve()))
    config = _config(
        name or osm.name.split(".")[0],
        description or f"Built from {osm.name} by {BUILDER}.",
        network,
        supply_facts["formats"],
        walk_speed_m_per_s,
        budget,
        subsidy_share_of_rent,
        viability,
        solver_time_limit_s,
    )
    facts = {**extract_facts, **residence_facts, **supply_facts}
    return write_scenario(
        out,
        config,
        {"residences": residences, "sites": sites, "outlets": outlets},
        copy_files={str(network): osm} if copy_network else None,
        texts=_texts(config, facts, readme_notes, attribution, extra_texts),
        overwrite=overwrite,
        header=f"# Built by {BUILDER} from {osm.name}; see README.md for how every number was derived.\n",
    )


def _read_extract(
    osm: Path, bbox: tuple[float, float, float, float] | None
) -> tuple[OsmData, shapely.Geometry, object, dict]:
    """The extract, the study area (``bbox``, by default the extract's bounding box), the metric CRS
    areas are measured in (the UTM zone of the area's centre), and the facts the README states about
    them."""
    data = read_osm(osm)
    lon0, lat0, lon1, lat1 = bbox if bbox is not None else data.bounds
    region = shapely.box(lon0, lat0, lon1, lat1)
    metric = utm_crs((lon0 + lon1) / 2, (lat0 + lat1) / 2)
    facts = {"osm": osm.name, "bounds": (lon0, lat0, lon1, lat1), "metric": metric.to_string()}
    return data, region, metric, facts


def _residences(
    data: OsmData,
    region: shapely.Geometry,
    metric: object,
    population: Path | None,
    population_layer: str | None,
    population_column: str | None,
    density_per_km2: float | None,
    default_levels: float | None,
) -> tuple[gpd.GeoDataFrame, dict]:
    """The residences table: the buildings of the extract sharing the people of the population zones
    they lie in (:func:`population_zones`), and the facts the README states about it."""
    buildings, levels_how = residential_buildings(data, default_levels)
    zones, overlap, pop_how, label = population_zones(
        region, metric, population, population_layer, population_column, density_per_km2
    )
    inside = buildings.geometry.intersects(overlap)
    residences = share_population(buildings[inside], zones, metric, label)
    facts = {
        "population": pop_how,
        "levels": levels_how,
        "residences": len(residences),
        "population_total": float(residences["population"].sum()),
        "n_buildings": len(buildings),
        "n_residential": int(buildings["residential"].sum()),
    }
    return residences, facts


def _in_region(points: gpd.GeoDataFrame, region: shapely.Geometry) -> gpd.GeoDataFrame:
    """The rows of a point table that lie in ``region``."""
    return points[shapely.intersects_xy(region, points.geometry.x.values, points.geometry.y.values)]


def _outlets_and_sites(
    data: OsmData, region: shapely.Geometry, metric: object, site_rules: dict, formats: Sequence[str] | None
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, dict]:
    """The existing outlets of the formats in play and the candidate sites (``site_rules`` are the
    keyword arguments of :func:`extract_sites`), both inside ``region``, and the facts the README
    states about them (the formats in play among them).

    ``formats`` are catalog keys or aliases; by default the catalog formats with at least one outlet.
    """
    outlets = _in_region(extract_outlets(data), region)
    sites = _in_region(extract_sites(data, metric, **site_rules), region)
    if formats is None:
        present = set(outlets["format"])
        formats = [f.key for f in catalog.FORMATS if f.key in present]
    unknown = [f for f in formats if catalog.resolve(f) is None]
    if unknown:
        raise ValueError(f"unknown formats {unknown}; see optimizer.catalog")
    formats = [catalog.resolve(f) for f in formats]  # type: ignore[misc]
    outlets = outlets[outlets["format"].isin(formats)].reset_index(drop=True)
    facts = {
        "sites": len(sites),
        "outlets": outlets["format"].value_counts().to_dict(),
        "formats": formats,
        **site_rules,
    }
    return outlets, sites, facts


def _osm_suffix(osm: Path) -> str:
    return ".osm.pbf" if osm.name.endswith(".pbf") else ".osm"


def _config(
    name: str,
    description: str,
    network: str | Path,
    formats: list[str],
    walk_speed_m_per_s: float,
    budget: BudgetConfig,
    subsidy_share_of_rent: float,
    viability: bool,
    solver_time_limit_s: float,
) -> dict:
    """The folder's ``scenario.yaml`` as a dict."""
    return {
        "name": name,
        "description": description,
        "inputs": {"residences": "residences.gpkg", "sites": "sites.gpkg", "outlets": "outlets.gpkg"},
        "walk": {"network": network, "speed_m_per_s": walk_speed_m_per_s},
        "formats": {f: {} for f in formats},
        "priority": {"old_neighbourhood": 1.5, "affordable_housing": 1.5},
        "budget": {b.key: b.limit_of(budget) for b in BUDGETS},
        "subsidy": {"share_of_rent": subsidy_share_of_rent},
        "viability": {"enabled": bool(viability)},
        "solver": {"name": "highs", "time_limit_s": solver_time_limit_s},
    }


def _texts(
    config: dict, facts: dict, readme_notes: str, attribution: str, extra_texts: dict[str, str] | None
) -> dict[str, str]:
    """The text files of the folder: README.md, ATTRIBUTION.md and the caller's ``extra_texts``."""
    return {
        "README.md": _readme(config, facts, readme_notes),
        "ATTRIBUTION.md": _attribution(facts["osm"], attribution),
        **(extra_texts or {}),
    }


def _relpath(target: Path, start: Path) -> str:
    import os

    return os.path.relpath(target, start)


def _attribution(osm_name: str, extra: str) -> str:
    text = (
        f"# Attribution\n\nStreets, buildings, land use, shops and amenities: {osm_name}, "
        "© OpenStreetMap contributors, available under the Open Database License (ODbL) 1.0 "
        "(https://opendatacommons.org/licenses/odbl/1-0/; https://www.openstreetmap.org/copyright). "
        "The tables in this folder are derived from it and are likewise under the ODbL.\n"
    )
    if extra:
        text += "\n" + extra.strip() + "\n"
    return text


def _derivation_table(config: dict, f: dict) -> str:
    """The README's table of the folder's tables: rows and how each was derived."""
    rent = (
        f"the zones of {Path(f['rent_table']).name}, else {f['rent_yuan_per_m2_month']:g} yuan/m2/month"
        if f["rent_table"]
        else f"{f['rent_yuan_per_m2_month']:g} yuan/m2/month everywhere (scenario default)"
    )
    return md_table(
        ["table", "rows", "derivation"],
        [
            [
                "residences.gpkg",
                f["residences"],
                f"residential buildings ({f['n_residential']} of {f['n_buildings']} buildings: `building` in "
                "apartments/residential/house/..., or `building=yes` inside `landuse=residential`) with "
                f"population from the {f['population']}; each cell's people shared by floor area = footprint "
                f"x levels ({f['levels']}); total {f['population_total']:.1f}",
            ],
            [
                "sites.gpkg",
                f["sites"],
                "vacant/disused shops, retail/commercial/kiosk buildings, and buildings in land use "
                f"{', '.join(f['site_landuse'])} with footprint <= {f['max_site_footprint_m2']:g} m2 "
                "(occupied "
                f"shops excluded); floor area = footprint capped at {f['max_site_area_m2']:g} m2, or "
                f"{f['default_site_area_m2']:g} m2 for points; rent {rent}; at most {f['max_sites']} sites "
                f"(tagged ones first, then a draw with seed {f['seed']})",
            ],
            [
                "outlets.gpkg",
                sum(f["outlets"].values()),
                "OSM shops and amenities mapped to formats by the table "
                "`optimizer.scenario_builder.OUTLET_TAGS`",
            ],
            [
                "streets",
                "-",
                f"`{config['walk']['network']}`: the OSM extract itself, read by the network walk source",
            ],
        ],
    )


def _wrap_after_name(text: str) -> str:
    """The budgets sentence as the README has always laid it out: a line break before the last amount."""
    head, _, last = text.rpartition(" ")
    head, _, amount = head.rpartition(" ")
    return f"{head}\n{amount} {last}"


def _readme(config: dict, f: dict, notes: str) -> str:
    outlet_rows = [[k, v] for k, v in sorted(f["outlets"].items())] or [["(none)", 0]]
    b = f["bounds"]
    tables = _derivation_table(config, f)
    money = [f"{b.name_en} {config['budget'][b.key]:,.0f} {b.unit}" for b in BUDGETS]
    return f"""# {config["name"]}

{config["description"]}

{notes.strip()}

## How this folder was built

Built by `{BUILDER}` from `{f["osm"]}` (© OpenStreetMap contributors, ODbL 1.0).
Study area: the bounding box lon {b[0]:.5f}-{b[2]:.5f}, lat {b[1]:.5f}-{b[3]:.5f}; areas measured in
{f["metric"]}. Every row of every table has a `source` column saying how its numbers were derived.

{tables}

Outlets by format:

{md_table(["format", "outlets"], outlet_rows)}

Formats in play: {", ".join(f["formats"])}. Budgets: {_wrap_after_name(", ".join(money))}.
"""
