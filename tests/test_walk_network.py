"""Tests of the street-network walk source (optimizer.walk.network, .osm, .cache)."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.sparse.csgraph import dijkstra

from optimizer.walk import _dijkstra
from optimizer.walk import distances as walk_network
from optimizer.walk.base import WalkMatrix
from optimizer.walk.network import NetworkWalkSource, WalkGraph, node_distances, point_distances
from optimizer.walk.osm import parse_other_tags, read_street_lines, walkable_mask
from optimizer.walk.straight import StraightLineSource

needs_numba = pytest.mark.skipif(not _dijkstra.AVAILABLE, reason="numba is not installed")
ENGINES = ["scipy", pytest.param("numba", marks=needs_numba)]

SPEED = 1.2  # m/s
METRIC = "EPSG:3067"  # ETRS-TM35FIN, metres
X0, Y0 = 385_000.0, 6_672_000.0  # somewhere in Helsinki, so the synthetic layers are realistic


# --------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def data_dir() -> Path:
    """The shared real-data folder beside the repository (skip when it is not there)."""
    path = Path(__file__).resolve().parents[2] / "shared" / "data"
    if not path.is_dir():
        pytest.skip(f"shared data folder not found: {path}")
    return path


@pytest.fixture(scope="module")
def helsinki_path(data_dir: Path) -> Path:
    path = data_dir / "helsinki_centre.osm.pbf"
    if not path.is_file():
        pytest.skip(f"missing {path}")
    return path


@pytest.fixture(scope="module")
def huangpu_path(data_dir: Path) -> Path:
    path = data_dir / "shanghai_huangpu_streets.osm"
    if not path.is_file():
        pytest.skip(f"missing {path}")
    return path


@pytest.fixture(scope="module")
def helsinki(helsinki_path: Path) -> NetworkWalkSource:
    source = NetworkWalkSource(helsinki_path)
    source.graph(METRIC)
    return source


def random_points(graph: WalkGraph, n: int, seed: int, prefix: str) -> gpd.GeoSeries:
    """Seeded uniform points over the graph's bounding box, indexed ``prefix0..``."""
    rng = np.random.default_rng(seed)
    (x0, y0), (x1, y1) = graph.xy.min(axis=0), graph.xy.max(axis=0)
    xs, ys = rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)
    return gpd.GeoSeries(gpd.points_from_xy(xs, ys), index=[f"{prefix}{i}" for i in range(n)], crs=graph.crs)


def write_layer(path: Path, lines: list[list[tuple[float, float]]], extra: dict | None = None) -> Path:
    """A GeoPackage line layer in metres, coordinates relative to (X0, Y0)."""
    geoms = [shapely.LineString([(X0 + x, Y0 + y) for x, y in line]) for line in lines]
    frame = gpd.GeoDataFrame(extra or {}, geometry=geoms, crs=METRIC)
    frame.to_file(path, layer="streets", driver="GPKG")
    return path


def points(coords: dict[str, tuple[float, float]]) -> gpd.GeoSeries:
    return gpd.GeoSeries(
        [shapely.Point(X0 + x, Y0 + y) for x, y in coords.values()], index=list(coords), crs=METRIC
    )


def as_dict(matrix: WalkMatrix) -> dict[tuple[str, str], float]:
    frame = matrix.to_frame()
    return {(o, d): m for o, d, m in zip(frame.origin, frame.destination, frame.minutes, strict=True)}


def reference_minutes(
    graph: WalkGraph, origins: gpd.GeoSeries, destinations: gpd.GeoSeries, max_minutes: float, speed: float
) -> dict[tuple[str, str], float]:
    """Independent answer: insert every point into a networkx graph on its snapped segment."""
    g = nx.Graph()
    for u, v, w in zip(graph.edge_u, graph.edge_v, graph.edge_length, strict=True):
        g.add_edge(int(u), int(v), weight=float(w))
    snaps = {}
    for side, pts in (("o", origins), ("d", destinations)):
        snap = graph.snap(shapely.get_coordinates(pts.to_numpy()))
        for k, pid in enumerate(pts.index):
            snaps[(side, pid)] = (int(snap.edge[k]), float(snap.along[k]), float(snap.offset[k]))
    by_edge: dict[int, list[tuple[float, tuple[str, str]]]] = {}
    for key, (edge, along, _) in snaps.items():
        by_edge.setdefault(edge, []).append((along, key))
    for edge, items in by_edge.items():
        u, v, length = int(graph.edge_u[edge]), int(graph.edge_v[edge]), float(graph.edge_length[edge])
        g.remove_edge(u, v)
        chain = [(0.0, u)] + [(along, ("proj", key)) for along, key in sorted(items)] + [(length, v)]
        for (a0, n0), (a1, n1) in zip(chain[:-1], chain[1:], strict=True):
            g.add_edge(n0, n1, weight=a1 - a0)
        for _, key in items:
            g.add_edge(key, ("proj", key), weight=snaps[key][2])
    limit = max_minutes * 60 * speed
    out = {}
    for o in origins.index:
        reach = nx.single_source_dijkstra_path_length(g, ("o", o), cutoff=limit, weight="weight")
        for d in destinations.index:
            if ("d", d) in reach:
                out[(o, d)] = reach[("d", d)] / speed / 60
    return out


# --------------------------------------------------------------------------------------------
# Reading and filtering
# --------------------------------------------------------------------------------------------


def test_parse_other_tags() -> None:
    assert parse_other_tags('"foot"=>"yes","sidewalk"=>"both"') == {"foot": "yes", "sidewalk": "both"}
    assert parse_other_tags('"name"=>"a \\"quoted\\" street"') == {"name": 'a "quoted" street'}
    assert parse_other_tags(None) == {}


def test_walkable_filter_rules() -> None:
    frame = pd.DataFrame(
        {
            "highway": [
                "footway", "motorway", "motorway", "trunk_link", "primary", "residential",
                "cycleway", "cycleway", "service", "steps", None, "construction",
            ],
            "other_tags": [
                None, None, '"foot"=>"yes"', None, '"sidewalk"=>"no"', '"sidewalk"=>"no"',
                None, '"foot"=>"designated"', '"access"=>"private"', '"foot"=>"no"', None, '"foot"=>"yes"',
            ],
        }
    )  # fmt: skip
    expected = [True, False, True, False, False, True, False, True, False, False, False, False]
    assert walkable_mask(frame).tolist() == expected
    # A scenario's override: no steps (wheelchair), but cycleways are fine.
    mask = walkable_mask(frame, include_highway=["footway", "cycleway"], exclude_highway=["steps"])
    assert mask.tolist() == [True, False, True, False, False, False, True, True, False, False, False, True]


def test_huangpu_osm_xml_loads(huangpu_path: Path) -> None:
    source = NetworkWalkSource(huangpu_path)
    graph = source.graph()
    assert graph.crs is not None and graph.crs.to_epsg() == 32651  # UTM 51N picked from the data
    stats = graph.stats
    # 796 drivable ways; elevated expressway ramps (trunk_link) are not walked.
    assert 600 <= stats["lines"] < 796
    assert 1_200 <= graph.n_nodes <= 2_500
    assert graph.n_edges >= graph.n_nodes - 1
    assert stats["components"] > 1 and stats["dropped_nodes"] > 0
    assert graph.n_nodes >= 0.6 * stats["input_nodes"]
    assert 40 <= stats["length_km"] <= 100  # 2.4 x 2.4 km of streets, both carriageways
    # The kept graph is one connected component.
    n_comp = nx.number_connected_components(
        nx.Graph(zip(graph.edge_u.tolist(), graph.edge_v.tolist(), strict=True))
    )
    assert n_comp == 1


def test_helsinki_pbf_loads(helsinki: NetworkWalkSource, helsinki_path: Path) -> None:
    graph = helsinki.graph(METRIC)
    assert graph.crs.to_epsg() == 3067
    assert 4_000 <= graph.n_nodes <= 8_000
    assert 5_000 <= graph.n_edges <= 10_000
    assert graph.n_nodes >= 0.9 * graph.stats["input_nodes"]
    assert 60 <= graph.stats["length_km"] <= 130
    # Segments are straight: lengths equal the node distances.
    d = np.hypot(*(graph.xy[graph.edge_u] - graph.xy[graph.edge_v]).T)
    np.testing.assert_allclose(graph.edge_length, d, rtol=0, atol=1e-9)
    # Without footways and steps the network shrinks a lot.
    lines_all = read_street_lines(helsinki_path)
    no_paths = read_street_lines(helsinki_path, exclude_highway=["footway", "steps", "path", "pedestrian"])
    assert len(no_paths) < len(lines_all) - 1_000


# --------------------------------------------------------------------------------------------
# Exact walks on a tiny synthetic network
# --------------------------------------------------------------------------------------------


def test_l_shaped_street_exact_minutes(tmp_path: Path) -> None:
    # An L: (0,0) -> (100,0) -> (100,100), drawn as two lines meeting at the corner, plus a
    # short isolated street far away (not in the largest component: never snapped to).
    layer = write_layer(
        tmp_path / "l.gpkg",
        [[(0, 0), (100, 0)], [(100, 0), (100, 100)], [(500, 500), (510, 500)]],
    )
    source = NetworkWalkSource(layer)
    origins = points({"A": (30, -5)})
    dests = points({"B": (104, 60), "C": (80, 3), "D": (130, 100), "E": (505, 501), "F": (30, -5)})
    speed = 1.0
    result = as_dict(source.compute(origins, dests, max_minutes=15.0, speed_m_per_s=speed))
    graph = source.graph(METRIC)
    assert graph.n_nodes == 3 and graph.n_edges == 2
    assert graph.stats["dropped_nodes"] == 2
    # A: 5 m to the street at x=30, 70 m to the corner; B: 60 m up, 4 m off -> 139 m.
    assert result[("A", "B")] == pytest.approx(139 / 60, abs=1e-12)
    # C on A's segment: directly along it, 5 + 50 + 3 = 58 m (not via the corner: 98 m).
    assert result[("A", "C")] == pytest.approx(58 / 60, abs=1e-12)
    # D beyond the end of the L: snaps to (100,100), 30 m off -> 5 + 70 + 100 + 30 = 205 m.
    assert result[("A", "D")] == pytest.approx(205 / 60, abs=1e-12)
    # E next to the isolated street snaps to the L's end (100,100): 5 + 170 + hypot(405, 401).
    assert result[("A", "E")] == pytest.approx((175 + np.hypot(405, 401)) / 60, abs=1e-9)
    # F in the same spot as A (the same building): a real zero, not 5 m to the street and back.
    assert result[("A", "F")] == 0.0
    # Pairs beyond the limit are absent: 3 minutes = 180 m keeps B and C only (and F).
    short = as_dict(source.compute(origins, dests, max_minutes=3.0, speed_m_per_s=speed))
    assert set(short) == {("A", "B"), ("A", "C"), ("A", "F")}
    report = source.snap_report
    assert list(report.side) == ["origins", "destinations"] * 2
    first = report.iloc[1]
    assert first.points == 5 and first.max_m == pytest.approx(np.hypot(405, 401))
    # Swapping the roles (more origins than destinations) gives the same minutes.
    swapped = as_dict(source.compute(dests, origins, max_minutes=15.0, speed_m_per_s=speed))
    assert swapped == {(d, o): m for (o, d), m in result.items()}


def test_points_on_a_detour_network(tmp_path: Path) -> None:
    # A U-shaped street: the straight line across the gap is 20 m, the walk 20 + 200 + 20 m.
    layer = write_layer(tmp_path / "u.gpkg", [[(0, 100), (0, 0), (20, 0), (20, 100)]])
    source = NetworkWalkSource(layer)
    matrix = source.compute(points({"a": (0, 100)}), points({"b": (20, 100)}), 10.0, 1.0)
    assert matrix.nnz == 1
    assert matrix.minutes[0] == pytest.approx(220 / 60, abs=1e-12)
    assert matrix.rows.tolist() == [0] and matrix.cols.tolist() == [0]


# --------------------------------------------------------------------------------------------
# Real network: against an independent computation and the straight line
# --------------------------------------------------------------------------------------------


def test_helsinki_matches_networkx_with_inserted_points(helsinki: NetworkWalkSource) -> None:
    graph = helsinki.graph(METRIC)
    origins = random_points(graph, 25, seed=11, prefix="r")
    dests = random_points(graph, 60, seed=12, prefix="s")
    got = as_dict(helsinki.compute(origins, dests, 10.0, SPEED))
    want = reference_minutes(graph, origins, dests, 10.0, SPEED)
    assert len(want) > 300  # a good share of the 1,500 pairs are within 10 minutes
    assert set(got) == set(want)
    assert max(abs(got[k] - want[k]) for k in want) < 1e-9
    # The other way round (Dijkstra then runs from the other side): the same walks.
    back = as_dict(helsinki.compute(dests, origins, 10.0, SPEED))
    assert set(back) == {(d, o) for o, d in want}
    assert max(abs(back[(d, o)] - m) for (o, d), m in want.items()) < 1e-9


def test_network_never_shorter_than_straight_line(helsinki: NetworkWalkSource) -> None:
    graph = helsinki.graph(METRIC)
    origins = random_points(graph, 400, seed=1, prefix="o")
    dests = random_points(graph, 150, seed=2, prefix="d")
    net = helsinki.compute(origins, dests, 15.0, SPEED)
    straight = StraightLineSource(detour_factor=1.0).compute(origins, dests, 15.0, SPEED)
    joined = net.to_frame().merge(straight.to_frame(), on=["origin", "destination"], how="left")
    assert len(joined) == net.nnz > 10_000
    # Every network pair is within reach in a straight line, and never faster.
    assert joined.minutes_y.notna().all()
    assert (joined.minutes_x >= joined.minutes_y - 1e-9).all()
    # ...and the network really is longer on average (streets are not straight lines).
    assert (joined.minutes_x / joined.minutes_y.clip(lower=0.5)).median() > 1.1
    assert net.minutes.max() <= 15.0


def test_limit_drops_exactly_the_slower_pairs(helsinki: NetworkWalkSource) -> None:
    graph = helsinki.graph(METRIC)
    origins = random_points(graph, 120, seed=5, prefix="o")
    dests = random_points(graph, 80, seed=6, prefix="d")
    wide = as_dict(helsinki.compute(origins, dests, 15.0, SPEED))
    narrow = as_dict(helsinki.compute(origins, dests, 5.0, SPEED))
    assert max(narrow.values()) <= 5.0
    assert set(narrow) == {k for k, m in wide.items() if m <= 5.0}
    assert 0 < len(narrow) < len(wide)
    assert all(narrow[k] == pytest.approx(wide[k], abs=1e-12) for k in narrow)


def test_node_distances_match_networkx(helsinki: NetworkWalkSource) -> None:
    graph = helsinki.graph(METRIC)
    g = nx.Graph()
    g.add_weighted_edges_from(
        zip(graph.edge_u.tolist(), graph.edge_v.tolist(), graph.edge_length.tolist(), strict=True)
    )
    sources = np.random.default_rng(3).choice(graph.n_nodes, 12, replace=False)
    rows, nodes, metres = node_distances(graph, sources, 600.0)
    got = {(int(sources[r]), int(n)): m for r, n, m in zip(rows, nodes, metres, strict=True)}
    want = {}
    for s in sources:
        for n, m in nx.single_source_dijkstra_path_length(g, int(s), cutoff=600.0).items():
            want[(int(s), n)] = m
    assert set(got) == set(want)
    assert max(abs(got[k] - want[k]) for k in want) < 1e-9


@pytest.mark.parametrize("engine", ENGINES)
def test_tiled_batches_equal_plain_dijkstra(monkeypatch: pytest.MonkeyPatch, engine: str) -> None:
    # A 120 x 120 grid, 80 m apart, 8 % of the streets removed; tiny tiles force the tiling,
    # the shared multi-source runs and the pooled runs all to be used.
    n, h = 120, 80.0
    rng = np.random.default_rng(7)
    ids = np.arange(n * n).reshape(n, n)
    u = np.r_[ids[:, :-1].ravel(), ids[:-1, :].ravel()]
    v = np.r_[ids[:, 1:].ravel(), ids[1:, :].ravel()]
    keep = rng.random(len(u)) >= 0.08
    xy = np.column_stack([(ids % n).ravel() * h, (ids // n).ravel() * h]).astype(float)
    graph = WalkGraph.from_edges(xy, u[keep], v[keep])
    monkeypatch.setattr(walk_network, "TILE_TARGET_NODES", 3_000)
    sources = np.r_[rng.choice(graph.n_nodes, 300, replace=False), np.arange(40)]  # sparse + a cluster
    rows, nodes, metres = node_distances(graph, sources, 700.0, engine=engine)
    full = dijkstra(graph.csr, indices=sources, limit=700.0)
    r, c = np.nonzero(np.isfinite(full))
    want = pd.Series(full[r, c], index=pd.MultiIndex.from_arrays([r, c])).sort_index()
    got = pd.Series(metres, index=pd.MultiIndex.from_arrays([rows, nodes])).sort_index()
    assert got.index.equals(want.index)
    np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())


# --------------------------------------------------------------------------------------------
# The compiled (numba) engine against the scipy engine and networkx
# --------------------------------------------------------------------------------------------


def random_grid(n: int, seed: int, jitter: float = 20.0, drop: float = 0.1) -> WalkGraph:
    """An ``n`` x ``n`` grid of streets ~80 m apart, nodes moved up to ``jitter`` m, some dropped (seeded)."""
    rng = np.random.default_rng(seed)
    ids = np.arange(n * n).reshape(n, n)
    u = np.r_[ids[:, :-1].ravel(), ids[:-1, :].ravel()]
    v = np.r_[ids[:, 1:].ravel(), ids[1:, :].ravel()]
    keep = rng.random(len(u)) >= drop
    xy = np.column_stack([(ids % n).ravel() * 80.0, (ids // n).ravel() * 80.0])
    xy = xy + rng.uniform(-jitter, jitter, xy.shape)
    return WalkGraph.from_edges(xy, u[keep], v[keep], crs=METRIC)


def sorted_triplets(rows: np.ndarray, nodes: np.ndarray, metres: np.ndarray) -> np.ndarray:
    """COO triplets as one structured array sorted by (row, node), for bit-for-bit comparison."""
    out = np.empty(len(rows), dtype=[("r", np.int64), ("n", np.int64), ("m", np.float64)])
    out["r"], out["n"], out["m"] = rows, nodes, metres
    return np.sort(out, order=["r", "n"])


def assert_engines_identical(graph: WalkGraph, sources: np.ndarray, metres: float) -> int:
    """node_distances gives the same triplets, bit for bit, on both engines; returns how many."""
    a = sorted_triplets(*node_distances(graph, sources, metres, engine="numba"))
    b = sorted_triplets(*node_distances(graph, sources, metres, engine="scipy"))
    assert len(a) == len(b)
    np.testing.assert_array_equal(a["r"], b["r"])
    np.testing.assert_array_equal(a["n"], b["n"])
    assert a["m"].tobytes() == b["m"].tobytes()  # the same float64 bits
    return len(a)


def assert_points_identical(
    graph: WalkGraph, origins: gpd.GeoSeries, dests: gpd.GeoSeries, metres: float
) -> int:
    """point_distances gives the same arrays, bit for bit, on both engines; returns how many pairs."""
    o_xy, d_xy = shapely.get_coordinates(origins.to_numpy()), shapely.get_coordinates(dests.to_numpy())
    o_snap, d_snap = graph.snap(o_xy), graph.snap(d_xy)
    got = point_distances(graph, o_snap, o_xy, d_snap, d_xy, metres, engine="numba")
    want = point_distances(graph, o_snap, o_xy, d_snap, d_xy, metres, engine="scipy")
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype
        assert g.tobytes() == w.tobytes()
    return len(got[0])


@needs_numba
def test_engines_identical_on_helsinki(helsinki: NetworkWalkSource) -> None:
    graph = helsinki.graph(METRIC)
    sources = np.random.default_rng(31).choice(graph.n_nodes, 300, replace=False)
    assert assert_engines_identical(graph, sources, 15 * 60 * SPEED) > 300 * 1_000
    assert assert_engines_identical(graph, sources[:40], 200.0) > 40 * 10
    origins = random_points(graph, 300, seed=32, prefix="o")
    dests = random_points(graph, 700, seed=33, prefix="d")
    assert assert_points_identical(graph, origins, dests, 10 * 60 * SPEED) > 10_000
    assert (
        assert_points_identical(graph, dests, origins, 5 * 60 * SPEED) > 1_000
    )  # Dijkstra from the other side


@needs_numba
@pytest.mark.parametrize("seed", [0, 1])
def test_engines_identical_on_random_grid(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    graph = random_grid(150, seed=seed)
    rng = np.random.default_rng(100 + seed)
    sources = np.r_[rng.choice(graph.n_nodes, 2_500, replace=False), np.arange(60)]
    assert assert_engines_identical(graph, sources, 1_000.0) > 2_500 * 200
    # Small tiles: the scipy engine's tiled, shared and pooled runs against the kernel's.
    monkeypatch.setattr(walk_network, "TILE_TARGET_NODES", 3_000)
    monkeypatch.setattr(walk_network, "KERNEL_BLOCK_SOURCES", 500)  # several blocks, both threads
    assert assert_engines_identical(graph, sources[:800], 700.0) > 800 * 100
    origins = random_points(graph, 1_500, seed=seed + 7, prefix="o")
    dests = random_points(graph, 400, seed=seed + 8, prefix="d")
    assert assert_points_identical(graph, origins, dests, 900.0) > 3_000


@needs_numba
def test_kernel_matches_networkx_exactly() -> None:
    # A small irregular graph with a few long edges, entries with costs and an unreachable source.
    graph = random_grid(12, seed=5, jitter=30.0, drop=0.2)
    g = nx.Graph()
    g.add_nodes_from(range(graph.n_nodes))
    g.add_weighted_edges_from(
        zip(graph.edge_u.tolist(), graph.edge_v.tolist(), graph.edge_length.tolist(), strict=True)
    )
    rng = np.random.default_rng(6)
    sources = rng.choice(graph.n_nodes, 20, replace=False)
    rows, nodes, metres = node_distances(graph, sources, 400.0, engine="numba")
    got = {(int(r), int(n)): float(m) for r, n, m in zip(rows, nodes, metres, strict=True)}
    want = {
        (k, n): m
        for k, s in enumerate(sources.tolist())
        for n, m in nx.single_source_dijkstra_path_length(g, s, cutoff=400.0, weight="weight").items()
    }
    assert got == want  # the same pairs and the same float metres, not just close
    # The kernel itself: two entries per source with their costs (a virtual root), one without any.
    start_node = np.array([[sources[0], sources[1]], [sources[2], -1], [-1, -1]])
    start_cost = np.array([[15.5, 3.25], [900.0, 0.0], [0.0, 0.0]])
    src, node, m = _dijkstra.bounded_dijkstra(*graph.kernel_csr, start_node, start_cost, 350.0, threads=1)
    assert set(src.tolist()) == {0}  # 900 m > 350 m: source 1 reaches nothing; source 2 has no entry
    a = nx.single_source_dijkstra_path_length(g, int(sources[0]), cutoff=350.0 - 15.5, weight="weight")
    b = nx.single_source_dijkstra_path_length(g, int(sources[1]), cutoff=350.0 - 3.25, weight="weight")
    ref = {n: min(15.5 + a.get(n, np.inf), 3.25 + b.get(n, np.inf)) for n in set(a) | set(b)}
    ref = {n: x for n, x in ref.items() if x <= 350.0}
    assert dict(zip(node.tolist(), m.tolist(), strict=True)) == pytest.approx(ref, abs=1e-9)


@needs_numba
def test_kernel_output_growth_and_threads() -> None:
    # One source reaching the whole 120 x 120 grid outgrows the first output buffer (4,096 pairs).
    graph = random_grid(120, seed=9, jitter=0.0, drop=0.05)
    full = dijkstra(graph.csr, indices=[0, 7_000])
    sn, sc = np.array([[0, -1], [7_000, -1]]), np.zeros((2, 2))
    for threads in (1, 2):
        parts = _dijkstra.bounded_dijkstra_parts(*graph.kernel_csr, sn, sc, 1e9, threads=threads)
        assert len(parts) == 1  # two sources are too few to split
        src, node, m = parts[0]
        assert len(src) == 2 * graph.n_nodes
        for k in (0, 1):
            mine = src == k
            assert np.array_equal(np.sort(node[mine]), np.arange(graph.n_nodes))
            np.testing.assert_array_equal(m[mine][np.argsort(node[mine])], full[k])
    sources = np.arange(0, graph.n_nodes, 97)
    one = sorted_triplets(
        *_dijkstra.bounded_dijkstra(
            *graph.kernel_csr, sources[:, None], 0 * sources[:, None], 500.0, threads=1
        )
    )
    two = sorted_triplets(
        *_dijkstra.bounded_dijkstra(
            *graph.kernel_csr, sources[:, None], 0 * sources[:, None], 500.0, threads=2
        )
    )
    assert one.tobytes() == two.tobytes()


def test_engine_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    assert walk_network.resolve_engine("scipy") == "scipy"
    assert walk_network.resolve_engine("auto") == ("numba" if _dijkstra.AVAILABLE else "scipy")
    with pytest.raises(ValueError, match="unknown walk engine"):
        walk_network.resolve_engine("igraph")
    monkeypatch.setattr(walk_network, "ENGINE", "scipy")
    assert walk_network.resolve_engine() == "scipy"
    monkeypatch.setattr(_dijkstra, "AVAILABLE", False)  # as without numba
    with pytest.raises(ImportError, match="numba"):
        walk_network.resolve_engine("numba")
    monkeypatch.setattr(walk_network, "ENGINE", "auto")
    assert walk_network.resolve_engine() == "scipy"


def test_empty_inputs(helsinki: NetworkWalkSource) -> None:
    graph = helsinki.graph(METRIC)
    origins = random_points(graph, 3, seed=1, prefix="o")
    empty = gpd.GeoSeries([], crs=METRIC, dtype="geometry")
    assert helsinki.compute(origins, empty, 15.0, SPEED).nnz == 0
    assert helsinki.compute(empty, origins, 15.0, SPEED).shape == (0, 3)


# --------------------------------------------------------------------------------------------
# Cache
# --------------------------------------------------------------------------------------------


def test_cache_hit_and_invalidation(tmp_path: Path, helsinki_path: Path) -> None:
    net = tmp_path / "helsinki.osm.pbf"
    shutil.copyfile(helsinki_path, net)
    cache_dir = tmp_path / "cache"
    first = NetworkWalkSource(net, cache_dir=cache_dir)
    graph = first.graph(METRIC)
    origins = random_points(graph, 50, seed=21, prefix="o")
    dests = random_points(graph, 20, seed=22, prefix="d")
    a = first.compute(origins, dests, 10.0, SPEED)
    assert first.last_cache_hit is False
    assert first.last_cache_path is not None and first.last_cache_path.is_file()
    assert first.last_cache_path.name.startswith("walk-") and first.last_cache_path.suffix == ".npz"
    with np.load(first.last_cache_path, allow_pickle=False) as data:  # plain arrays, no pickles
        assert int(data["rows"].shape[0]) == a.nnz

    # A rerun (fresh source object) reuses the matrix without reading the network.
    again = NetworkWalkSource(net, cache_dir=cache_dir)
    b = again.compute(origins, dests, 10.0, SPEED)
    assert again.last_cache_hit is True and again._graph is None
    assert b.origins.equals(origins.index) and b.destinations.equals(dests.index)
    np.testing.assert_array_equal(a.rows, b.rows)
    np.testing.assert_array_equal(a.cols, b.cols)
    np.testing.assert_array_equal(a.minutes, b.minutes)
    assert len(list(cache_dir.glob("*.tmp"))) == 0

    def misses(
        source: NetworkWalkSource, o: gpd.GeoSeries, d: gpd.GeoSeries, minutes: float, speed: float
    ) -> bool:
        source.compute(o, d, minutes, speed)
        return source.last_cache_hit is False

    assert misses(again, origins, dests, 10.0, 1.0)  # speed
    assert misses(again, origins, dests, 12.0, SPEED)  # limit
    moved = dests.copy()
    moved.iloc[3] = shapely.Point(moved.iloc[3].x + 1.0, moved.iloc[3].y)
    assert misses(again, origins, moved, 10.0, SPEED)  # a destination moved
    renamed = origins.copy()
    renamed.index = [*origins.index[:-1], "other"]
    assert misses(again, renamed, dests, 10.0, SPEED)  # an id changed
    filtered = NetworkWalkSource(net, cache_dir=cache_dir, exclude_highway=["steps"])
    assert misses(filtered, origins, dests, 10.0, SPEED)  # the filters
    with net.open("ab") as handle:  # the network file's bytes
        handle.write(b"\0")
    assert misses(NetworkWalkSource(net, cache_dir=cache_dir), origins, dests, 10.0, SPEED)
    assert len(list(cache_dir.glob("walk-*.npz"))) == 7
