"""optimizer.scenario_builder: building a scenario folder from OSM, checked against independent reads of
the same files, on a tiny hand-written extract, and on the shipped scenarios."""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
import yaml

from optimizer import catalog
from optimizer.errors import OutputExistsError
from optimizer.scenario_builder.build import build_scenario
from optimizer.scenario_builder.tags import OUTLET_TAGS, match_outlet, match_site, parse_other_tags
from optimizer.scenario_builder.write import write_scenario

REPO = Path(__file__).resolve().parents[1]
HELSINKI_OSM = "helsinki_centre.osm.pbf"
HELSINKI_GRID = "helsinki_population_grid_2020.gpkg"
TABLES = ("residences", "sites", "outlets")


@pytest.fixture(scope="module")
def shared_data() -> Path:
    """The shared real-data folder beside the repo checkout; skips when it is absent."""
    path = Path(__file__).resolve().parents[2] / "shared" / "data"
    if not (path / HELSINKI_OSM).exists():
        pytest.skip(f"shared data not found at {path}")
    return path


@pytest.fixture(scope="module")
def helsinki(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build") / "helsinki"
    build_scenario(shared_data / HELSINKI_OSM, out, population=shared_data / HELSINKI_GRID, max_sites=None)
    return out


def _read(folder: Path, table: str) -> gpd.GeoDataFrame:
    return pyogrio.read_dataframe(folder / f"{table}.gpkg")


def _count_sql(path: Path, layer: str, where: str) -> int:
    """Rows of an OSM layer matching an OGR SQL condition: an independent count, no tag parsing of ours."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = pyogrio.read_dataframe(
            path, sql=f"SELECT osm_id FROM {layer} WHERE {where}", read_geometry=False
        )
    return len(df)


def _hstore(key: str, value: str) -> str:
    return f'other_tags LIKE \'%"{key}"=>"{value}"%\''


@pytest.mark.parametrize(
    ("fmt", "conditions"),
    [
        (
            "convenience_store",
            [("points", _hstore("shop", "convenience")), ("multipolygons", "shop = 'convenience'")],
        ),
        (
            "supermarket",
            [("points", _hstore("shop", "supermarket")), ("multipolygons", "shop = 'supermarket'")],
        ),
        (
            "hair_salon",
            [
                ("points", f"{_hstore('shop', 'hairdresser')} OR {_hstore('shop', 'beauty')}"),
                ("multipolygons", "shop IN ('hairdresser', 'beauty')"),
            ],
        ),
        (
            "pharmacy",
            [
                (
                    "points",
                    f"{_hstore('amenity', 'pharmacy')} OR {_hstore('shop', 'chemist')} OR "
                    f"{_hstore('healthcare', 'pharmacy')}",
                ),
                ("multipolygons", "amenity = 'pharmacy' OR shop = 'chemist'"),
            ],
        ),
        (
            "wet_market",
            [("points", _hstore("amenity", "marketplace")), ("multipolygons", "amenity = 'marketplace'")],
        ),
    ],
)
def test_outlet_counts_match_an_independent_read(
    helsinki: Path, shared_data: Path, fmt: str, conditions: list[tuple[str, str]]
) -> None:
    expected = sum(_count_sql(shared_data / HELSINKI_OSM, layer, where) for layer, where in conditions)
    outlets = _read(helsinki, "outlets")
    assert expected > 0
    assert (outlets["format"] == fmt).sum() == expected


def test_population_equals_clipped_grid(helsinki: Path, shared_data: Path) -> None:
    """Total residents = sum over HSY cells of population x share of the cell's area inside the extract,
    recomputed here with an overlay in the Finnish national CRS (EPSG:3067)."""
    grid = pyogrio.read_dataframe(shared_data / HELSINKI_GRID, layer="population_grid_2020")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = np.array(
            [
                pyogrio.read_dataframe(
                    shared_data / HELSINKI_OSM, layer=lyr, on_invalid="ignore"
                ).total_bounds
                for lyr in ("points", "lines", "multipolygons")
            ]
        )
    extent = shapely.box(b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max())
    box = gpd.GeoDataFrame(geometry=[extent], crs=4326)
    full = grid.to_crs(3067).set_index("id").geometry.area
    cut = gpd.overlay(grid, box, how="intersection").to_crs(3067)
    expected = float((cut["population"] * cut.geometry.area / full.loc[cut["id"]].to_numpy()).sum())
    res = _read(helsinki, "residences")
    assert 1000 < expected < grid["population"].sum()
    assert res["population"].sum() == pytest.approx(expected, abs=0.5)
    assert res["population"].notna().all() and (res["population"] > 0).all()


def test_tables_are_well_formed(helsinki: Path) -> None:
    cfg = yaml.safe_load((helsinki / "scenario.yaml").read_text(encoding="utf-8"))
    assert (helsinki / cfg["walk"]["network"]).exists()
    for table in TABLES:
        df = _read(helsinki, table)
        assert len(df) > 0, table
        assert df.crs.to_epsg() == 4326, table
        assert "source" in df.columns, table
        assert df["source"].notna().all() and (df["source"].str.len() > 10).all(), table
        assert df["id"].is_unique, table
    sites = _read(helsinki, "sites")
    assert (sites["floor_area_m2"] > 0).all() and sites["rent_yuan_per_m2_month"].notna().all()
    outlets = _read(helsinki, "outlets")
    assert set(outlets["format"]) <= set(catalog.BY_KEY)
    assert set(outlets["format"]) == set(cfg["formats"])
    assert (helsinki / "ATTRIBUTION.md").read_text(encoding="utf-8").count("OpenStreetMap") >= 1


def test_residential_rule_uses_landuse(helsinki: Path) -> None:
    res = _read(helsinki, "residences")
    # Helsinki: 30 building=apartments and 3 residential, plus building=yes inside landuse=residential.
    assert 40 < len(res) < 400
    assert res["source"].str.contains("floor area").all()


# ------------------------------------------------------------------------------------------------
# A tiny hand-written extract: exact numbers

TINY_OSM = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6">
  <node id="1" lat="60.1000" lon="24.9000"/><node id="2" lat="60.1000" lon="24.9010"/>
  <node id="3" lat="60.1005" lon="24.9010"/><node id="4" lat="60.1005" lon="24.9000"/>
  <node id="5" lat="60.1010" lon="24.9020"/><node id="6" lat="60.1010" lon="24.9025"/>
  <node id="7" lat="60.1012" lon="24.9025"/><node id="8" lat="60.1012" lon="24.9020"/>
  <node id="9" lat="60.1001" lon="24.9005"><tag k="shop" v="convenience"/><tag k="name" v="K"/></node>
  <node id="10" lat="60.1002" lon="24.9006"><tag k="amenity" v="cafe"/></node>
  <node id="11" lat="60.1003" lon="24.9007"><tag k="amenity" v="cafe"/><tag k="breakfast" v="yes"/></node>
  <node id="12" lat="60.1004" lon="24.9008"><tag k="disused:shop" v="clothes"/></node>
  <node id="13" lat="60.1004" lon="24.9009"><tag k="vending" v="parcel_mail_in;parcel_pickup"/>
    <tag k="amenity" v="vending_machine"/></node>
  <node id="14" lat="60.0990" lon="24.8990"><tag k="highway" v="crossing"/></node>
  <way id="100"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/>
    <tag k="building" v="apartments"/><tag k="building:levels" v="4"/></way>
  <way id="101"><nd ref="5"/><nd ref="6"/><nd ref="7"/><nd ref="8"/><nd ref="5"/>
    <tag k="building" v="house"/></way>
  <way id="102"><nd ref="14"/><nd ref="2"/><tag k="highway" v="footway"/></way>
</osm>
"""


@pytest.fixture()
def tiny_osm(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.osm"
    path.write_text(TINY_OSM, encoding="utf-8")
    return path


def test_density_shared_by_floor_area(tiny_osm: Path, tmp_path: Path) -> None:
    out = tmp_path / "tiny_scenario"
    build_scenario(tiny_osm, out, density_per_km2=10_000.0, default_levels=2.0)
    res = _read(out, "residences").set_index("id")
    assert set(res.index) == {"way/100", "way/101"}
    extent = shapely.box(24.8990, 60.0990, 24.9025, 60.1012)  # the tiny file's bounding box
    area_km2 = float(gpd.GeoSeries([extent], crs=4326).to_crs(3067).area.iloc[0]) / 1e6
    assert res["population"].sum() == pytest.approx(10_000 * area_km2, rel=2e-3)
    foot = res.to_crs(32635).geometry.area
    ratio = res.loc["way/100", "population"] / res.loc["way/101", "population"]
    assert ratio == pytest.approx(foot["way/100"] * 4 / (foot["way/101"] * 2), rel=1e-3)
    assert "default" in res.loc["way/101", "source"] and "building:levels" in res.loc["way/100", "source"]
    outlets = _read(out, "outlets").set_index("id")
    assert outlets.loc["node/9", "format"] == "convenience_store"
    assert outlets.loc["node/11", "format"] == "breakfast"
    assert "node/10" not in outlets.index  # a cafe without a breakfast tag is not a breakfast shop
    assert outlets.loc["node/13", "format"] == "parcel_locker"
    sites = _read(out, "sites")
    assert list(sites["id"]) == ["node/12"] and sites["floor_area_m2"].iloc[0] == 80.0
    assert (out / "streets.osm").read_text(encoding="utf-8") == TINY_OSM


def test_rent_table_zones(tiny_osm: Path, tmp_path: Path) -> None:
    table = tmp_path / "rents.csv"
    pd.DataFrame(
        {
            "zone": ["A"],
            "rent_yuan_per_m2_month": [99.0],
            "min_lon": [24.90],
            "min_lat": [60.10],
            "max_lon": [24.91],
            "max_lat": [60.11],
        }
    ).to_csv(table, index=False)
    out = tmp_path / "with_rent"
    build_scenario(tiny_osm, out, density_per_km2=1000.0, rent_table=table, rent_yuan_per_m2_month=50.0)
    sites = _read(out, "sites")
    assert sites["rent_yuan_per_m2_month"].tolist() == [99.0]
    assert "zone A" in sites["source"].iloc[0]


def test_refuses_to_overwrite_and_writes_atomically(tiny_osm: Path, tmp_path: Path) -> None:
    out = tmp_path / "s"
    build_scenario(tiny_osm, out, density_per_km2=1000.0)
    with pytest.raises(OutputExistsError):
        build_scenario(tiny_osm, out, density_per_km2=1000.0)
    with pytest.raises(ValueError):
        build_scenario(tiny_osm, tmp_path / "t")  # neither grid nor density
    assert not (tmp_path / "t").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    bad = gpd.GeoDataFrame({"id": ["a"]}, geometry=gpd.GeoSeries.from_xy([0], [0]), crs=4326)
    with pytest.raises(FileNotFoundError):
        write_scenario(
            out, {"name": "x"}, {"residences": bad}, copy_files={"x": tmp_path / "missing"}, overwrite=True
        )
    assert (out / "scenario.yaml").exists()  # the old folder survives a failed rewrite
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


# ------------------------------------------------------------------------------------------------
# The tag tables


def test_tag_table_formats_are_catalog_keys() -> None:
    assert {row.format for row in OUTLET_TAGS} <= set(catalog.BY_KEY)
    assert all(row.note for row in OUTLET_TAGS)


def test_parse_other_tags_handles_escapes() -> None:
    text = '"name"=>"Caf\\"e, \\\\ x","opening_hours"=>"Mo-Fr 08:00-10:30","a=>b"=>"c"'
    assert parse_other_tags(text) == {
        "name": 'Caf"e, \\ x',
        "opening_hours": "Mo-Fr 08:00-10:30",
        "a=>b": "c",
    }
    assert parse_other_tags(None) == {}


@pytest.mark.parametrize(
    ("tags", "formats"),
    [
        ({"shop": "convenience"}, ["convenience_store"]),
        ({"amenity": "cafe"}, []),
        ({"amenity": "cafe", "cuisine": "coffee_shop;breakfast"}, ["breakfast"]),
        ({"shop": "hairdresser;beauty"}, ["hair_salon"]),
        ({"amenity": "pharmacy", "healthcare": "pharmacy"}, ["pharmacy"]),
        ({"amenity": "post_office", "amenity:parcel_locker": "yes"}, ["post_express"]),
        ({"craft": "shoemaker"}, ["repair"]),
        ({"shop": "bakery", "amenity": "recycling"}, ["breakfast", "recycling"]),
        ({"disused:shop": "convenience"}, []),
    ],
)
def test_match_outlet(tags: dict[str, str], formats: list[str]) -> None:
    assert sorted(f for f, _ in match_outlet(tags)) == sorted(formats)


def test_match_site() -> None:
    assert match_site({"shop": "vacant"}).kind == "vacant shop"  # type: ignore[union-attr]
    assert match_site({"disused:shop": "yes"}) is not None
    assert match_site({"disused:amenity": "parking"}) is None
    assert match_site({"building": "apartments"}) is None


# ------------------------------------------------------------------------------------------------
# The shipped scenarios


@pytest.mark.parametrize("name", ["helsinki_centre", "shanghai_huangpu"])
def test_shipped_scenarios_are_documented_and_small(name: str) -> None:
    folder = REPO / "scenarios" / name
    for f in ("scenario.yaml", "README.md", "ATTRIBUTION.md", "LICENSE"):
        assert (folder / f).exists(), f
    assert "ODbL" in (folder / "LICENSE").read_text(encoding="utf-8")
    cfg = yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8"))
    assert 5 <= len(cfg["formats"]) <= 8
    assert (folder / cfg["walk"]["network"]).exists()
    res, sites = _read(folder, "residences"), _read(folder, "sites")
    assert 50 <= len(res) <= 500 and 20 <= len(sites) <= 60
    for table in TABLES:
        df = _read(folder, table)
        assert df["source"].notna().all() and df["id"].is_unique
    assert res["population"].notna().all() and (res["population"] > 0).all()


def test_shipped_scenarios_regenerate_identically(shared_data: Path, tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("build_shipped", REPO / "scenarios" / "build_shipped.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.main(["--data", str(shared_data), "--out", str(tmp_path)])
    for name in ("helsinki_centre", "shanghai_huangpu"):
        shipped_cfg = (REPO / "scenarios" / name / "scenario.yaml").read_text(encoding="utf-8")
        assert (tmp_path / name / "scenario.yaml").read_text(encoding="utf-8") == shipped_cfg
        for table in TABLES:
            new = _read(tmp_path / name, table)
            old = _read(REPO / "scenarios" / name, table)
            pd.testing.assert_frame_equal(
                pd.DataFrame(new.drop(columns="geometry")), pd.DataFrame(old.drop(columns="geometry"))
            )
            assert new.geometry.geom_equals_exact(old.geometry, tolerance=1e-9).all()


def test_shanghai_uses_census_density() -> None:
    folder = REPO / "scenarios" / "shanghai_huangpu"
    res = _read(folder, "residences")
    density = 662_030 / 20.46
    assert res["population"].to_numpy() == pytest.approx(
        density * res["block_area_m2"].to_numpy() / 1e6, abs=0.06
    )
    assert 0 < res["old_neighbourhood"].sum() < len(res)
