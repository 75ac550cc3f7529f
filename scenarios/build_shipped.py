"""Regenerate the two shipped scenarios from the real data in ../shared/data.

    python scenarios/build_shipped.py [--data DIR] [--only helsinki_centre|shanghai_huangpu]

* ``helsinki_centre``: built by :func:`optimizer.scenario_builder.build_scenario` from the OSM extract of
  central Helsinki and the HSY 2020 population grid (both real); rents and budgets are stated assumptions.
* ``shanghai_huangpu``: the People's Square area of Huangpu. Real: the drivable streets (OSM) and the
  district's 2020 census density. Assumed, by the written rules below: which blocks are old
  neighbourhoods, where the candidate sites and the surveyed outlets are, their floor areas. Rents are
  the 2017 Shanghai asking-rent quartiles. Nothing is taken point by point from the 2017 Baidu CSVs.

Everything is deterministic (fixed seeds), so running the script twice gives the same tables.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from optimizer.config import BudgetConfig  # noqa: E402
from optimizer.coords import utm_crs  # noqa: E402
from optimizer.scenario_builder import build_scenario  # noqa: E402
from optimizer.scenario_builder.blocks import (  # noqa: E402
    MAX_BLOCK_M2,
    MIN_BLOCK_M2,
    MIN_COMPACTNESS,
    frontage_points,
    read_streets,
    street_blocks,
)
from optimizer.scenario_builder.write import md_table, write_scenario  # noqa: E402

DEFAULT_DATA = HERE.parent.parent / "shared" / "data"
STREET_BLOCKS = "optimizer.scenario_builder.street_blocks"
"""The block builder's public name, as the README cites it."""

ODBL = (
    "© OpenStreetMap contributors. OpenStreetMap data is available under the Open Database License (ODbL) "
    "1.0: https://opendatacommons.org/licenses/odbl/1-0/ (summary: "
    "https://www.openstreetmap.org/copyright)."
)

# --------------------------------------------------------------------------------------------------
# Helsinki

EUR_TO_YUAN = 7.8
"""Assumption: about the 2024 average EUR/CNY rate."""
HELSINKI_RENT_EUR = 20.0
"""Assumption: asking rent of a community-sized ground-floor unit in central Helsinki, EUR/m2/month."""
HELSINKI_FORMATS = (
    "convenience_store",
    "supermarket",
    "fresh_food_store",
    "breakfast",
    "pharmacy",
    "laundry",
    "repair",
    "post_express",
)
HELSINKI_BUDGET = {"capital_yuan": 1_000_000.0, "rent_subsidy_yuan_per_year": 0.0}


def build_helsinki(data: Path, out: Path) -> Path:
    """The Helsinki centre scenario, fully from real inputs plus the stated rent and budget assumptions."""
    rent = HELSINKI_RENT_EUR * EUR_TO_YUAN
    rows = [
        [
            "streets and footpaths",
            "real: OSM extract `streets.osm.pbf` (walkable network incl. footways and steps)",
        ],
        ["residences", "real buildings (OSM); which are residential follows the tags (see below)"],
        ["population", "real: HSY 250 m grid 2020 (CC BY 4.0), shared to buildings by floor area (below)"],
        [
            "existing outlets",
            "real: OSM shops and amenities, mapped to formats by `optimizer.scenario_builder.OUTLET_TAGS`",
        ],
        [
            "candidate sites",
            "tagged vacant/disused units and retail/commercial/kiosk buildings (real), plus a seeded draw "
            "of ground floors of buildings up to 800 m2 in `landuse=retail/commercial` (assumption: such "
            "ground floors could be let)",
        ],
        [
            "rent",
            f"**assumption**: {HELSINKI_RENT_EUR:g} EUR/m2/month for a community-sized ground-floor unit, "
            f"converted at {EUR_TO_YUAN} yuan/EUR = {rent:g} yuan/m2/month at every site (the engine counts "
            "in yuan)",
        ],
        [
            "formats in play",
            f"{', '.join(HELSINKI_FORMATS)}: the everyday formats with outlets in the extract plus the "
            "fresh-food store (none mapped: a real gap). Hair salons (65 in the extract) are left out: "
            "with that many there is little to plan",
        ],
        [
            "budgets",
            f"**assumption**: capital {HELSINKI_BUDGET['capital_yuan']:,.0f} yuan, no rent subsidy (it "
            "would have no effect while the viability check is off): enough fit-out for a handful of small "
            "formats, not for every gap (a supermarket's fit-out alone is 1.8 million in the catalog)",
        ],
        [
            "viability check",
            "**switched off** (`viability.enabled: false`): the catalog's margins per resident are "
            "Shanghai planning assumptions, and central Helsinki's few residents (about 4,300 in the "
            "overlap) could not carry any shop by their own spending (shops there live off commuters and "
            "visitors), so with it on nothing could open. The scenario tests coverage under the capital "
            "budget",
        ],
        ["old neighbourhood / affordable housing", "none flagged (not applicable to Helsinki)"],
    ]
    notes = f"""
Central Helsinki around the Esplanadi (lon 24.935-24.953, lat 60.164-60.179): real buildings, shops, vacant
units and footpaths from OpenStreetMap, and real residents from the HSY 2020 population grid. It is a test bed
for the engine on fully real inputs, not a Shanghai plan.

## What is real and what is assumed

{md_table(["item", "real or assumed"], rows)}

Known limits: 11 OSM ways cut open by the extract's edge (among them 5 buildings) have no geometry and are
left out; HSY cells cut by the extract's edge keep the share of their population equal to the share of their
area inside, so residents in the cut-off part are not counted.

Regenerate with `python scenarios/build_shipped.py --only helsinki_centre` (reads ../shared/data).
"""
    attribution = (
        "Population: Helsinki Region Environmental Services (HSY), population grid 250 m, 2020, licensed "
        "under Creative Commons Attribution 4.0 (CC BY 4.0, https://creativecommons.org/licenses/by/4.0/); "
        "taken from the r5py sample data. The residents per building in residences.gpkg are derived from "
        "it (shared by floor area)."
    )
    path = build_scenario(
        data / "helsinki_centre.osm.pbf",
        out,
        population=data / "helsinki_population_grid_2020.gpkg",
        population_layer="population_grid_2020",
        population_column="population",
        rent_yuan_per_m2_month=rent,
        name="Helsinki centre",
        description="Central Helsinki from OpenStreetMap and the HSY 2020 population grid: real buildings, "
        "shops, vacant units and footpaths; rents and budgets are stated assumptions.",
        formats=HELSINKI_FORMATS,
        budget=BudgetConfig(**HELSINKI_BUDGET),
        viability=False,
        site_landuse=("retail", "commercial"),
        max_site_footprint_m2=800.0,
        max_sites=40,
        seed=20240,
        readme_notes=notes,
        attribution=attribution,
        extra_texts={"LICENSE": _license(hsy=True)},
        overwrite=True,
    )
    return path


# --------------------------------------------------------------------------------------------------
# Shanghai

HUANGPU_RESIDENTS = 662_030
HUANGPU_AREA_KM2 = 20.46
DENSITY = HUANGPU_RESIDENTS / HUANGPU_AREA_KM2
"""Huangpu district, 2020 census: residents per km2 (about 32,357)."""
ELDERLY_SHARE = 0.234
"""Shanghai 2020 census: share of residents aged 60 or over (city-wide; applied to every block)."""
RENT_MAIN_STREET = 198.0
"""2017 Shanghai street-front asking rents, median (yuan/m2/month)."""
RENT_SIDE_STREET = 127.0
"""2017 Shanghai asking rents, lower quartile: community shops on side streets (yuan/m2/month)."""
MAIN_STREETS = ("trunk", "trunk_link", "primary", "primary_link", "secondary", "secondary_link")
YANAN_ROAD = ("延安东路", "延安中路", "延安高架路")
SITE_SEED = 2024
N_SITES = 40
LARGE_EVERY = 8
"""Every 8th drawn site is a large unit (800-2,000 m2: a vacant market hall or store floor)."""
SMALL_AREA_M2 = (50, 200)
LARGE_AREA_M2 = (800, 2000)
SURVEYED_OUTLETS = {
    "convenience_store": 8,
    "supermarket": 2,
    "wet_market": 1,
    "fresh_food_store": 2,
    "pharmacy": 3,
    "breakfast": 3,
    "laundry": 1,
}
"""Assumed survey: outlets per format, placed on blocks drawn after the sites (same seeded order)."""
SHANGHAI_FORMATS = (
    "convenience_store",
    "breakfast",
    "supermarket",
    "wet_market",
    "fresh_food_store",
    "pharmacy",
    "laundry",
    "repair",
)
SHANGHAI_BUDGET = {"capital_yuan": 1_500_000.0, "rent_subsidy_yuan_per_year": 400_000.0}


def _south_of(points: gpd.GeoSeries, road: shapely.Geometry) -> np.ndarray:
    """True where a point lies south of the nearest point of ``road`` (same metric CRS)."""
    out = []
    for p in points:
        q = shapely.shortest_line(p, road).coords[-1]
        out.append(p.y < q[1])
    return np.array(out, dtype=bool)


def build_shanghai(data: Path, out: Path) -> Path:
    """The Huangpu People's Square scenario: real streets and density, rule-based assumptions for the rest."""
    osm = data / "shanghai_huangpu_streets.osm"
    streets = read_streets(osm)
    blocks = street_blocks(streets)
    lon0, lat0, lon1, lat1 = streets.total_bounds
    metric = utm_crs((lon0 + lon1) / 2, (lat0 + lat1) / 2)
    n = len(blocks)
    ids = [f"b{i + 1:03d}" for i in range(n)]

    # Residences: blocks, census density x block area.
    pop = DENSITY * blocks["area_m2"].values / 1e6
    road = shapely.union_all(streets[streets["name"].isin(YANAN_ROAD)].to_crs(metric).geometry.values)
    rep_m = blocks.to_crs(metric).geometry.representative_point()
    old = _south_of(rep_m, road)
    residences = gpd.GeoDataFrame(
        {
            "id": ids,
            "population": pop.round(1),
            "elderly_share": ELDERLY_SHARE,
            "old_neighbourhood": old,
            "affordable_housing": False,
            "block_area_m2": blocks["area_m2"].values,
            "source": [
                f"street block {a:.0f} m2 (polygonised drivable OSM streets); population: Huangpu 2020 "
                f"census density {DENSITY:.0f}/km2 x block area; elderly_share: Shanghai 2020 census 60+ "
                f"share; old_neighbourhood: assumption, {'south' if o else 'north'} of Yan'an Road"
                for a, o in zip(blocks["area_m2"], old, strict=True)
            ],
        },
        geometry=blocks.geometry.values,
        crs=4326,
    )

    # Sites and surveyed outlets: one seeded order of the blocks; the first N_SITES get a site at their
    # street front, the next ones the surveyed outlets.
    rng = np.random.default_rng(SITE_SEED)
    order = rng.permutation(n)
    front, highway, street_name = frontage_points(blocks, streets)
    site_rows = []
    for k, b in enumerate(order[:N_SITES]):
        large = (k + 1) % LARGE_EVERY == 0
        lo, hi = LARGE_AREA_M2 if large else SMALL_AREA_M2
        area = float(round(rng.uniform(lo, hi), -1))
        main = highway[b] in MAIN_STREETS
        rent = RENT_MAIN_STREET if main else RENT_SIDE_STREET
        max_formats = 3 if area >= 800 else (2 if area >= 100 else 1)
        large_note = " (every 8th draw is a large unit)" if large else ""
        rent_note = "median street-front" if main else "lower quartile (side street)"
        site_rows.append(
            {
                "id": f"s{k + 1:02d}",
                "floor_area_m2": area,
                "rent_yuan_per_m2_month": rent,
                "max_formats": max_formats,
                "block": ids[b],
                "street": street_name[b],
                "highway": highway[b],
                "source": (
                    f"assumption: site drawn with seed {SITE_SEED} (draw {k + 1}) at the street front of "
                    f"block {ids[b]}; floor area drawn uniformly in {lo}-{hi} m2{large_note}; rent: 2017 "
                    f"Shanghai asking rents, {rent_note} {rent:g} yuan/m2/month as the nearest street is "
                    f"{highway[b]}; max_formats by floor area"
                ),
                "geometry": front.iloc[b],
            }
        )
    sites = gpd.GeoDataFrame(pd.DataFrame(site_rows), geometry="geometry", crs=4326)

    outlet_rows = []
    rest = list(order[N_SITES:])
    k = 0
    for fmt, count in SURVEYED_OUTLETS.items():
        for _ in range(count):
            b = rest[k % len(rest)]
            k += 1
            outlet_rows.append(
                {
                    "id": f"o{k:02d}",
                    "format": fmt,
                    "block": ids[b],
                    "source": (
                        f"assumption: surveyed {fmt} placed at the street front of block {ids[b]} (draw "
                        f"{N_SITES + k} of the seed-{SITE_SEED} block order); not a real shop"
                    ),
                    "geometry": front.iloc[b],
                }
            )
    outlets = gpd.GeoDataFrame(pd.DataFrame(outlet_rows), geometry="geometry", crs=4326)

    config = {
        "name": "Shanghai Huangpu, People's Square",
        "description": (
            "The People's Square area of Huangpu: real drivable streets (OSM) and the district's 2020 "
            "census density; old neighbourhoods, candidate sites and surveyed outlets are rule-based "
            "assumptions (see README.md)."
        ),
        "inputs": {"residences": "residences.gpkg", "sites": "sites.gpkg", "outlets": "outlets.gpkg"},
        "walk": {"network": "streets.osm", "speed_m_per_s": 1.2, "elderly_speed_m_per_s": 0.9},
        "formats": {f: {} for f in SHANGHAI_FORMATS},
        "priority": {"old_neighbourhood": 1.5, "affordable_housing": 1.5},
        "budget": dict(SHANGHAI_BUDGET),
        "subsidy": {"share_of_rent": 0.5},
        "mandates": [{"group": "old_neighbourhood", "formats": ["convenience_store"], "min_share": 0.5}],
        "solver": {"name": "highs", "time_limit_s": 120.0},
    }
    facts = {
        "blocks": n,
        "pop": float(residences["population"].sum()),
        "old": int(old.sum()),
        "old_pop": float(residences.loc[old, "population"].sum()),
        "sites": len(sites),
        "large": int((sites["floor_area_m2"] >= 800).sum()),
        "main": int((sites["rent_yuan_per_m2_month"] == RENT_MAIN_STREET).sum()),
        "outlets": len(outlets),
        "area_km2": float(blocks["area_m2"].sum() / 1e6),
    }
    texts = {
        "README.md": _shanghai_readme(config, facts),
        "ATTRIBUTION.md": _shanghai_attribution(),
        "LICENSE": _license(hsy=False),
    }
    header = "# Built by scenarios/build_shipped.py; see README.md for how every number was derived.\n"
    return write_scenario(
        out,
        config,
        {"residences": residences, "sites": sites, "outlets": outlets},
        copy_files={"streets.osm": osm},
        texts=texts,
        overwrite=True,
        header=header,
    )


def _shanghai_readme(config: dict, f: dict) -> str:
    real = md_table(
        ["item", "source"],
        [
            [
                "streets (`streets.osm`)",
                "OpenStreetMap, © OpenStreetMap contributors, ODbL 1.0. **Drivable streets only** "
                "(exported with OSMnx `network_type='drive'`): no footways, no lilong lanes, so walk times "
                "along them are longer than on foot through lanes. The network is fragmented (many short "
                "disconnected pieces, mainly south of Yan'an Road).",
            ],
            [
                "population density",
                f"Huangpu district, 2020 census: {HUANGPU_RESIDENTS:,} residents on {HUANGPU_AREA_KM2} km2 "
                f"= {DENSITY:,.0f} per km2",
            ],
            [
                "elderly share",
                f"Shanghai, 2020 census: {ELDERLY_SHARE:.1%} of residents aged 60 or over (city-wide "
                "figure, used for every block; the district's own share is not in the shared data)",
            ],
            [
                "rents",
                "2017 Shanghai shop asking rents (334 listings): p25 127, median 198 yuan/m2/month; only "
                "these two quartiles are used, no listing",
            ],
        ],
    )
    outlets = ", ".join(f"{v} {k}" for k, v in SURVEYED_OUTLETS.items())
    return f"""# {config["name"]}

{config["description"]}

The People's Square area of Huangpu district, Shanghai (lon 121.461-121.486, lat 31.220-31.241, about
2.4 x 2.4 km). **Only the streets and the population density are real; the rest is a worked example of what a
planner would enter after a survey.** Do not read the results as a plan for the real district.

## What is real

{real}

## How every number was derived

* **Residences ({f["blocks"]} street blocks, {f["pop"]:,.0f} residents on {f["area_km2"]:.2f} km2).**
  The street lines (tunnels left out: they pass under blocks) are noded and polygonised
  (`{STREET_BLOCKS}`). Faces under {MIN_BLOCK_M2:,.0f} m2 (junction islands), with
  compactness 4 pi A / P^2 under {MIN_COMPACTNESS} (strips between dual carriageways) or over
  {MAX_BLOCK_M2:,.0f} m2 (gaps of the drivable network, such as the faces around People's Park and south of
  Yan'an Road) are dropped. Population = census density x block area. Blocks
  reach the street centrelines, as the district area includes its streets, so no discount is applied. Parks,
  offices and malls inside blocks are not known from this file: every block is counted as residential at the
  district's average density (an assumption; the commercial core north of Yan'an Road has fewer residents in
  reality).
* **Old neighbourhoods (assumption, {f["old"]} blocks, {f["old_pop"]:,.0f} residents).** Rule: a block
  is an old neighbourhood (老旧小区) when its representative point lies south of Yan'an
  Road (延安东路/延安中路/延安高架路, the nearest point of the road), standing for the older
  lilong fabric there. Not from a survey.
* **Affordable housing:** none (the programme's large affordable-housing areas are in the outer districts).
* **Candidate sites (assumption, {f["sites"]} sites).** The blocks are put in a random order with seed
  {SITE_SEED}; the first {N_SITES} get one site each at their street front (the block-boundary point
  nearest the block's centre, 8 m inside). Floor area is drawn uniformly in
  {SMALL_AREA_M2[0]}-{SMALL_AREA_M2[1]} m2 (the Shanghai 2024 draft
  standard's size of a community service point), every {LARGE_EVERY}th draw in
  {LARGE_AREA_M2[0]}-{LARGE_AREA_M2[1]} m2 (a vacant market hall or store floor; {f["large"]} sites).
  Rent: the 2017 median street-front asking rent {RENT_MAIN_STREET:g} yuan/m2/month when the nearest
  street is trunk, primary or secondary ({f["main"]} sites), else the lower quartile
  {RENT_SIDE_STREET:g} (community shops on
  side streets). `max_formats`: 1 under 100 m2, 2 under 800 m2, else 3 (一点多用).
* **Existing outlets (assumption, {f["outlets"]}).** What a planner's survey might find: {outlets}. They are
  placed at the street fronts of the next blocks in the same seeded order. They are not real shops.
* **Formats in play:** {", ".join(SHANGHAI_FORMATS)}.
* **Budgets (assumption):** capital {SHANGHAI_BUDGET["capital_yuan"]:,.0f} yuan, rent subsidy
  {SHANGHAI_BUDGET["rent_subsidy_yuan_per_year"]:,.0f} yuan/year, subsidy up to 50% of rent; elderly residents
  walk at 0.9 m/s; at least half of old-neighbourhood residents must reach a convenience store (mandate).

Every row of every table has a `source` column repeating its derivation.

The 2017 Baidu chain-store and shop-for-rent files (BD-09, unclear rights) are **not** used for any row here:
the project's tests use them only to check the BD-09 conversion and the rent quartiles.

## Regenerate

`python scenarios/build_shipped.py --only shanghai_huangpu` (reads ../shared/data; deterministic).
"""


def _shanghai_attribution() -> str:
    return (
        "# Attribution\n\nStreets (`streets.osm`): " + ODBL + " Exported with OSMnx; found in the public "
        "repository lllllf-hhhhhq/le-degn-system (shanghai.osm).\n\nThe street blocks in residences.gpkg "
        "are derived from these streets and are likewise under the ODbL. Population density: Huangpu "
        "district, Seventh National Population Census (2020). Everything else in this folder is an "
        "assumption written by this project (see README.md).\n"
    )


def _license(hsy: bool) -> str:
    text = (
        "Data in this folder\n===================\n\nOpenStreetMap data and the tables derived from it "
        "(streets, residences, sites, outlets): " + ODBL + "\n"
    )
    if hsy:
        text += (
            "\nPopulation figures derived from the HSY population grid 2020: Helsinki Region Environmental "
            "Services HSY, Creative Commons Attribution 4.0 International (CC BY 4.0), "
            "https://creativecommons.org/licenses/by/4.0/.\n"
        )
    text += "\nThe scenario settings (scenario.yaml) and README.md: same licence as the project's code.\n"
    return text


def main(argv: list[str] | None = None) -> int:
    """Command line: rebuild both scenarios (or one) into this folder."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with the shared real data")
    ap.add_argument("--out", type=Path, default=HERE, help="folder to write the scenarios into")
    ap.add_argument("--only", choices=("helsinki_centre", "shanghai_huangpu"))
    args = ap.parse_args(argv)
    if args.only in (None, "helsinki_centre"):
        print(build_helsinki(args.data, args.out / "helsinki_centre"))
    if args.only in (None, "shanghai_huangpu"):
        print(build_shanghai(args.data, args.out / "shanghai_huangpu"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
