"""optimizer.coords on real data: Baidu BD-09 chain-store points must land on Huangpu's streets once
converted, the exact inverses must round-trip, and the forward formulas must agree with prcoords."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from optimizer.coords import bd09_to_gcj02, bd09_to_wgs84, gcj02_to_wgs84, wgs84_to_bd09, wgs84_to_gcj02

M_PER_DEG_LAT = 110_574.0


@pytest.fixture(scope="module")
def shared_data() -> Path:
    """The shared real-data folder beside the repo checkout; skips when it is absent."""
    path = Path(__file__).resolve().parents[2] / "shared" / "data"
    if not (path / "shanghai_huangpu_streets.osm").exists():
        pytest.skip(f"shared data not found at {path}")
    return path


def _metres(lon_a, lat_a, lon_b, lat_b) -> np.ndarray:
    lat = np.radians(lat_a)
    return np.hypot((lon_a - lon_b) * np.cos(lat) * 111_320.0, (lat_a - lat_b) * M_PER_DEG_LAT)


def _median_street_distance(shared_data: Path, convert: bool) -> tuple[float, int]:
    gpd = pytest.importorskip("geopandas")
    pyogrio = pytest.importorskip("pyogrio")
    shapely = pytest.importorskip("shapely")
    streets = pyogrio.read_dataframe(shared_data / "shanghai_huangpu_streets.osm", layer="lines").to_crs(
        32651
    )
    stores = pd.read_csv(shared_data / "shanghai_chain_stores_2017_bd09.csv").dropna(
        subset=["lng_bd09", "lat_bd09"]
    )
    lon, lat = bd09_to_wgs84(stores["lng_bd09"].to_numpy(), stores["lat_bd09"].to_numpy())
    true_pts = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326).to_crs(32651)
    # The stores whose converted position lies in the street extent (150 m inside its edge), the same set
    # for both measurements.
    x0, y0, x1, y1 = streets.total_bounds
    margin = 150.0
    inside = (
        (true_pts.x > x0 + margin)
        & (true_pts.x < x1 - margin)
        & (true_pts.y > y0 + margin)
        & (true_pts.y < y1 - margin)
    ).to_numpy()
    if convert:
        pts = true_pts[inside]
    else:
        raw = gpd.points_from_xy(stores["lng_bd09"].to_numpy()[inside], stores["lat_bd09"].to_numpy()[inside])
        pts = gpd.GeoSeries(raw, crs=4326).to_crs(32651)
    geoms = streets.geometry.to_numpy()
    nearest = shapely.STRtree(geoms).nearest(pts.to_numpy())
    return float(np.median(shapely.distance(pts.to_numpy(), geoms[nearest]))), int(inside.sum())


def test_bd09_chain_stores_land_on_huangpu_streets(shared_data: Path) -> None:
    median, n = _median_street_distance(shared_data, convert=True)
    assert n >= 50, f"only {n} chain stores in the Huangpu street extent"
    assert median < 40.0, f"converted stores are {median:.1f} m from the nearest street (median)"


def test_unconverted_bd09_misses_the_streets(shared_data: Path) -> None:
    median, _ = _median_street_distance(shared_data, convert=False)
    assert median > 45.0, f"BD-09 read as WGS84 is only {median:.1f} m off: the check has no power"


def test_rent_quartiles_used_by_the_shanghai_scenario(shared_data: Path) -> None:
    """The shipped Shanghai scenario's rents are the 2017 listings' lower quartile and median."""
    import importlib.util

    rents = pd.read_csv(shared_data / "shanghai_shops_for_rent_2017_bd09.csv")["rent_yuan_per_m2_month"]
    spec = importlib.util.spec_from_file_location(
        "build_shipped", Path(__file__).resolve().parents[1] / "scenarios" / "build_shipped.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert abs(rents.quantile(0.25) - mod.RENT_SIDE_STREET) <= 2
    assert abs(rents.median() - mod.RENT_MAIN_STREET) <= 2


def _china_points(n: int = 2000, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(73.0, 135.0, n), rng.uniform(18.0, 53.0, n)


def test_bd09_round_trip_is_exact() -> None:
    lon, lat = _china_points()
    blon, blat = wgs84_to_bd09(lon, lat)
    wlon, wlat = bd09_to_wgs84(blon, blat)
    assert _metres(wlon, wlat, lon, lat).max() < 1e-5
    glon, glat = wgs84_to_gcj02(lon, lat)
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    assert _metres(wlon, wlat, lon, lat).max() < 1e-5


def test_offsets_have_the_known_size() -> None:
    """GCJ-02 moves points by a few hundred metres; BD-09 adds roughly another 500-1,000 m."""
    lon, lat = np.array([121.4737]), np.array([31.2304])
    glon, glat = wgs84_to_gcj02(lon, lat)
    blon, blat = wgs84_to_bd09(lon, lat)
    assert 100 < _metres(glon, glat, lon, lat)[0] < 1000
    assert 500 < _metres(blon, blat, glon, glat)[0] < 1500
    back = bd09_to_gcj02(blon, blat)
    assert _metres(back[0], back[1], glon, glat)[0] < 1e-5


def test_agrees_with_prcoords() -> None:
    prcoords = pytest.importorskip("prcoords")
    lon, lat = _china_points(300, seed=11)
    glon, glat = wgs84_to_gcj02(lon, lat)
    blon, blat = wgs84_to_bd09(lon, lat)
    for i in range(len(lon)):
        g = prcoords.wgs_gcj(prcoords.Coords(lat[i], lon[i]))
        b = prcoords.wgs_bd(prcoords.Coords(lat[i], lon[i]))
        assert abs(g.lon - glon[i]) < 1e-9 and abs(g.lat - glat[i]) < 1e-9
        assert abs(b.lon - blon[i]) < 1e-9 and abs(b.lat - blat[i]) < 1e-9
        w = prcoords.bd_wgs_bored(prcoords.Coords(blat[i], blon[i]))
        wlon, wlat = bd09_to_wgs84(np.array([blon[i]]), np.array([blat[i]]))
        # prcoords' iterative inverse stops at about 1e-7 degrees; ours is tighter.
        assert _metres(np.array([w.lon]), np.array([w.lat]), wlon, wlat)[0] < 0.1
