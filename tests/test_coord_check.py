"""Coordinates given in GCJ-02 or BD-09 but declared WGS84 are caught by their distance to the streets."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

import optimizer as qh
from optimizer.coord_check import check_coordinates
from optimizer.coords import wgs84_to_bd09, wgs84_to_gcj02
from optimizer.reach import compute_reach

ROOT = Path(__file__).resolve().parents[1]
HUANGPU = ROOT / "scenarios" / "shanghai_huangpu"


def shifted(g: gpd.GeoSeries, fn) -> gpd.GeoSeries:
    def move(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(fn(xy[:, 0], xy[:, 1]))

    g = g.to_crs(4326)
    return gpd.GeoSeries(shapely.transform(g.to_numpy(), move), index=g.index, crs=4326)


def huangpu_points() -> tuple[gpd.GeoSeries, gpd.GeoSeries]:
    sc = qh.load_scenario(HUANGPU / "scenario.yaml")
    pts = gpd.GeoSeries(
        list(sc.residences.geometry) + list(sc.sites.geometry) + list(sc.outlets.geometry), crs=4326
    )
    return pts, sc.walk_source().lines


def test_silent_on_the_shipped_points() -> None:
    pts, lines = huangpu_points()
    assert check_coordinates(pts, lines) is None


def test_names_gcj02_and_bd09_when_points_were_shifted() -> None:
    pts, lines = huangpu_points()
    w = check_coordinates(shifted(pts, wgs84_to_gcj02), lines)
    assert w is not None and "GCJ-02" in w and "inputs.coordinates: gcj02" in w
    w = check_coordinates(shifted(pts, wgs84_to_bd09), lines)
    assert w is not None and "inputs.coordinates: bd09" in w
    # Declared correctly, the converted points fit: no warning.
    assert check_coordinates(pts, lines, declared="wgs84") is None


def test_outside_china_or_without_lines_says_nothing() -> None:
    pts = gpd.GeoSeries(gpd.points_from_xy([24.94, 24.95], [60.17, 60.17]), crs=4326)
    lines = gpd.GeoSeries([shapely.LineString([(24.9, 60.1), (25.0, 60.2)])], crs=4326)
    assert check_coordinates(pts, lines) is None
    assert check_coordinates(pts, lines.iloc[:0]) is None


def test_warning_reaches_summary_json_from_a_gcj02_scenario(tmp_path: Path) -> None:
    folder = tmp_path / "sc"
    shutil.copytree(HUANGPU, folder, ignore=shutil.ignore_patterns(".quarterhour-cache"))
    for name in ("residences", "sites", "outlets"):
        g = gpd.read_file(folder / f"{name}.gpkg")
        g = g.set_geometry(shifted(g.geometry, wgs84_to_gcj02).to_numpy())
        g.to_file(folder / f"{name}.gpkg", driver="GPKG")
    sc = qh.load_scenario(folder / "scenario.yaml")
    reach = compute_reach(sc)
    assert len(reach.warnings) == 1 and "GCJ-02" in reach.warnings[0]
    res = qh.solve(sc, reach=reach)
    assert any("GCJ-02" in w for w in res.summary()["warnings"])
    assert any("GCJ-02" in w for w in res.warnings())
