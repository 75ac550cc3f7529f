"""Tests of making walk sources from the walk settings (optimizer.walk.make_source, the registry)
and of the walk block built from their reports (optimizer.walk.merge_reports)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_walk_network import METRIC, points, write_layer

from optimizer import load_scenario
from optimizer.config import WalkConfig
from optimizer.schema import KEY_BY_PATH
from optimizer.walk import (
    MatrixSource,
    SnapStats,
    StraightLineSettings,
    StraightLineSource,
    WalkMatrix,
    WalkReport,
    make_source,
    merge_reports,
)
from optimizer.walk.network import NetworkSettings, NetworkWalkSource
from optimizer.walk.registry import WALK_SOURCES

# An L of streets, (0,0) -> (100,0) -> (100,100), and a short street far away (not kept).
L_STREETS = [[(0, 0), (100, 0)], [(100, 0), (100, 100)], [(500, 500), (510, 500)]]


def test_the_registry_names_every_source_and_the_schema_offers_them() -> None:
    assert list(WALK_SOURCES) == ["straight_line", "network", "matrix"]
    assert KEY_BY_PATH["walk.source"].choices == tuple(WALK_SOURCES)
    assert all(kind.description for kind in WALK_SOURCES.values())


@pytest.mark.parametrize("name", list(WALK_SOURCES))
def test_every_registered_source_is_made_from_a_walk_config(tmp_path: Path, name: str) -> None:
    layer = write_layer(tmp_path / "l.gpkg", L_STREETS)
    table = pd.DataFrame({"origin": ["A"], "destination": ["B"], "minutes": [2.5]})
    walk = {
        "straight_line": WalkConfig(source="straight_line", detour_factor=1.4),
        "network": WalkConfig(source="network", network=str(layer), cache=False),
        "matrix": WalkConfig(source="matrix"),
    }[name]  # a newly registered source needs a config here
    source = make_source(walk, walk_minutes=table, folder=tmp_path)
    assert source.name == name
    matrix = source.compute(points({"A": (30, -5)}), points({"B": (80, 3)}), 10.0, 1.0)
    assert isinstance(matrix, WalkMatrix) and matrix.nnz == 1
    assert isinstance(matrix.report, WalkReport)


def test_make_source_straight_line(tmp_path: Path) -> None:
    source = make_source(
        WalkConfig(source="straight_line", detour_factor=1.4), walk_minutes=None, folder=tmp_path
    )
    assert isinstance(source, StraightLineSource)
    assert source.settings == StraightLineSettings(detour_factor=1.4)
    assert StraightLineSource.from_settings(StraightLineSettings(1.1)) == StraightLineSource(
        detour_factor=1.1
    )


def test_make_source_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    layer = write_layer(tmp_path / "l.gpkg", L_STREETS)
    monkeypatch.delenv("QUARTERHOUR_CACHE_DIR", raising=False)
    walk = WalkConfig(
        source="network",
        network=str(layer),
        include_highway=("footway", "residential"),
        exclude_highway=("steps",),
        cache=True,
    )
    source = make_source(walk, walk_minutes=None, folder=tmp_path, progress=True)
    assert isinstance(source, NetworkWalkSource)
    assert source.settings == NetworkSettings(
        network=layer,
        include_highway=("footway", "residential"),
        exclude_highway=("steps",),
        cache_dir=tmp_path / ".quarterhour-cache",
    )
    assert source.progress is True
    # $QUARTERHOUR_CACHE_DIR takes the cache elsewhere; walk.cache off means no cache at all.
    monkeypatch.setenv("QUARTERHOUR_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert make_source(walk, walk_minutes=None, folder=tmp_path).settings.cache_dir == tmp_path / "elsewhere"
    off = make_source(dataclasses.replace(walk, cache=False), walk_minutes=None, folder=tmp_path)
    assert off.settings.cache_dir is None
    # The settings make the same source as the keyword arguments.
    same = NetworkWalkSource(layer, include_highway=["footway", "residential"], exclude_highway=["steps"])
    assert same.settings == off.settings
    with pytest.raises(ValueError, match="walk.network is not given"):
        make_source(WalkConfig(source="network"), walk_minutes=None, folder=tmp_path)


def test_make_source_matrix(tmp_path: Path) -> None:
    table = pd.DataFrame({"origin": ["A"], "destination": ["B"], "minutes": [2.5]})
    source = make_source(WalkConfig(source="matrix"), walk_minutes=table, folder=tmp_path)
    assert isinstance(source, MatrixSource) and source.table is table
    with pytest.raises(ValueError, match="no walk-minutes table"):
        make_source(WalkConfig(source="matrix"), walk_minutes=None, folder=tmp_path)


@pytest.mark.parametrize("name", ["bicycle", "Network", None])
def test_make_source_refuses_an_unknown_source(tmp_path: Path, name: str | None) -> None:
    with pytest.raises(
        ValueError, match=r"unknown walk source .*: use one of straight_line, network, matrix"
    ):
        make_source(WalkConfig(source=name), walk_minutes=None, folder=tmp_path)


def test_source_for_a_scenario_is_make_source_of_its_walk_settings(tiny: Path) -> None:
    scenario = load_scenario(tiny)
    source = scenario.walk_source()
    assert isinstance(source, MatrixSource)
    assert source.table is scenario.walk_minutes


# --------------------------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------------------------


def residences_sites_outlets() -> tuple:
    residences = points({"A": (30, -5), "B": (100, 50)})  # 5 m and 0 m from the street
    sites = points({"s1": (104, 60), "s2": (80, 3), "s3": (130, 100)})  # 4, 3 and 30 m
    outlets = points({"o1": (505, 501)})  # by the far street, which is not kept: snapped to (100,100)
    return residences, sites, outlets


def walk_block(source: NetworkWalkSource, outlets: bool = True) -> dict:
    """What compute_reach does: residences -> sites, then residences -> outlets, then the merge."""
    residences, sites, shops = residences_sites_outlets()
    a = source.compute(residences, sites, 15.0, 1.0)
    b = source.compute(residences, shops, 15.0, 1.0) if outlets else None
    return merge_reports(source.name, a.report, b.report if b is not None else None)


def test_merged_report_on_a_small_network(tmp_path: Path) -> None:
    layer = write_layer(tmp_path / "l.gpkg", L_STREETS)
    cache = tmp_path / "cache"
    source = NetworkWalkSource(layer, cache_dir=cache)
    cold = walk_block(source)
    assert list(cold) == ["source", "snap", "network_stats", "last_cache_hit"]
    assert cold["source"] == "network"
    assert [r["points_of"] for r in cold["snap"]] == ["residences", "sites", "outlets"]
    assert all(
        list(r) == ["points_of", "points", "median_m", "p95_m", "max_m", "mean_m"] for r in cold["snap"]
    )
    res, sites, outlets = cold["snap"]
    assert (res["points"], res["median_m"], res["max_m"], res["mean_m"]) == (2, 2.5, 5.0, 2.5)
    assert res["p95_m"] == pytest.approx(4.75)
    assert (sites["points"], sites["max_m"]) == (3, 30.0)
    assert sites["median_m"] == pytest.approx(4.0) and sites["mean_m"] == pytest.approx(37 / 3)
    assert sites["p95_m"] == pytest.approx(float(np.percentile([4.0, 3.0, 30.0], 95)))
    assert outlets["points"] == 1 and outlets["max_m"] == pytest.approx(np.hypot(405, 401))
    assert cold["network_stats"] == source.graph(METRIC).stats
    assert cold["network_stats"]["nodes"] == 3 and cold["network_stats"]["dropped_nodes"] == 2
    assert cold["last_cache_hit"] is False
    assert json.dumps(cold)  # plain JSON values

    # A fresh source reads both matrices from the cache, and reports the same, byte for byte.
    warm_source = NetworkWalkSource(layer, cache_dir=cache)
    warm = walk_block(warm_source)
    assert warm_source._graph is None
    assert json.dumps(warm) == json.dumps({**cold, "last_cache_hit": True})
    # Without a cache there is no cache hit to report.
    plain = walk_block(NetworkWalkSource(layer))
    assert json.dumps(plain) == json.dumps({k: v for k, v in cold.items() if k != "last_cache_hit"})
    # No outlets: the residences -> sites call alone.
    alone = walk_block(NetworkWalkSource(layer, cache_dir=cache), outlets=False)
    assert [r["points_of"] for r in alone["snap"]] == ["residences", "sites"]
    assert alone["last_cache_hit"] is True


def test_merged_report_takes_the_latest_call(tmp_path: Path) -> None:
    layer = write_layer(tmp_path / "l.gpkg", L_STREETS)
    residences, sites, outlets = residences_sites_outlets()
    NetworkWalkSource(layer, cache_dir=tmp_path / "cache").compute(residences, sites, 15.0, 1.0)
    source = NetworkWalkSource(layer, cache_dir=tmp_path / "cache")
    a = source.compute(residences, sites, 15.0, 1.0)  # cached
    b = source.compute(residences, outlets, 15.0, 1.0)  # not yet
    assert (a.report.cache_hit, b.report.cache_hit) == (True, False)
    assert merge_reports("network", a.report, b.report)["last_cache_hit"] is False
    assert b.report.cache_path == source.last_cache_path and b.report.cache_path.is_file()
    # The source keeps its reports; snap_report is a view of them, one row per call and side.
    assert source.reports == [a.report, b.report]
    assert source.snap_report["call"].tolist() == [1, 1, 2, 2]
    # An empty call snaps nothing and reads no network; the other call's stats are kept.
    empty = source.compute(residences.iloc[:0], outlets, 15.0, 1.0)
    assert empty.report.snap == () and empty.report.network_stats == {}
    merged = merge_reports("network", b.report, empty.report)
    assert merged["network_stats"] == dict(b.report.network_stats)


def test_merged_report_of_the_other_sources() -> None:
    residences, sites, outlets = residences_sites_outlets()
    straight = StraightLineSource(detour_factor=1.25)
    a, b = straight.compute(residences, sites, 10.0, 1.0), straight.compute(residences, outlets, 10.0, 1.0)
    assert merge_reports("straight_line", a.report, b.report) == {
        "source": "straight_line",
        "detour_factor": 1.25,
    }
    table = pd.DataFrame({"origin": ["A"], "destination": ["s1"], "minutes": [2.5]})
    m = MatrixSource(table).compute(residences, sites, 10.0, 1.0)
    assert merge_reports("matrix", m.report, None) == {"source": "matrix"}
    assert merge_reports("mine", None, None) == {"source": "mine"}  # a source that reports nothing


def test_snap_stats_read_what_the_cache_saved() -> None:
    stats = SnapStats.of("origins", np.array([3.0, 4.0, 30.0]))
    assert SnapStats.from_dict(json.loads(json.dumps(stats.to_dict()))) == stats
    # Caches written before the reports were typed also carry a call number: it is not needed.
    assert SnapStats.from_dict({"call": 2, **stats.to_dict()}) == stats
    none = SnapStats.of("destinations", np.zeros(0))
    assert none.points == 0 and np.isnan(none.max_m)
