"""Benchmark: walk-network Dijkstra of optimizer.walk.distances against a networkx loop.

Usage::

    python bench/walk_matrix.py [DATA_DIR] [--sources 2000] [--nx-sources 50] [--minutes 15] [--speed 1.2]

On the Helsinki OSM extract (``DATA_DIR/helsinki_centre.osm.pbf``; default ``../shared/data``
beside the repository) and on a generated street grid (447 x 447 nodes, 80 m apart, 5 % of
the streets removed, seeded), it times :func:`optimizer.walk.distances.node_distances` for
``--sources`` random source nodes within a ``--minutes`` walk, times networkx
``single_source_dijkstra_path_length(G, s, cutoff=..., weight='length')`` on the same graph for
``--nx-sources`` of those sources, checks that both give the same node-to-node minutes, and
prints the per-source times and their ratio. One run, wall-clock times, nothing averaged away.

``--engine`` picks the Dijkstra engine (default: :data:`optimizer.walk.distances.ENGINE`, i.e. the
compiled numba kernel when numba is installed). The kernel's JIT compile (or its load from
numba's on-disk cache) is timed and printed before the runs, so it is not in the per-source
times. With ``--compare-scipy`` the scipy engine is timed too and its triplets are checked to
be bit-for-bit those of the chosen engine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimizer.walk import _dijkstra  # noqa: E402
from optimizer.walk import distances as walk_distances  # noqa: E402
from optimizer.walk.network import NetworkWalkSource, WalkGraph, node_distances  # noqa: E402


def street_grid(n: int = 447, spacing: float = 80.0, drop: float = 0.05, seed: int = 0) -> WalkGraph:
    """An ``n`` x ``n`` street grid, ``spacing`` metres apart, with a seeded share of streets removed."""
    rng = np.random.default_rng(seed)
    ids = np.arange(n * n).reshape(n, n)
    u = np.r_[ids[:, :-1].ravel(), ids[:-1, :].ravel()]
    v = np.r_[ids[:, 1:].ravel(), ids[1:, :].ravel()]
    keep = rng.random(len(u)) >= drop
    xy = np.column_stack([(ids % n).ravel() * spacing, (ids // n).ravel() * spacing]).astype(float)
    return WalkGraph.from_edges(xy, u[keep], v[keep], crs="EPSG:3067")


def to_networkx(graph: WalkGraph) -> nx.Graph:
    """The same graph for networkx, lengths in the ``length`` attribute."""
    g = nx.Graph()
    g.add_nodes_from(range(graph.n_nodes))
    g.add_weighted_edges_from(
        zip(graph.edge_u.tolist(), graph.edge_v.tolist(), graph.edge_length.tolist(), strict=True),
        weight="length",
    )
    return g


def to_osmnx_like(graph: WalkGraph) -> nx.MultiDiGraph:
    """The same graph as osmnx builds it: a MultiDiGraph with both directions and OSM-style attributes."""
    g = nx.MultiDiGraph(crs=str(graph.crs))
    g.add_nodes_from(
        (i, {"x": float(x), "y": float(y), "street_count": 4}) for i, (x, y) in enumerate(graph.xy)
    )
    for k, (u, v, length) in enumerate(
        zip(graph.edge_u.tolist(), graph.edge_v.tolist(), graph.edge_length.tolist(), strict=True)
    ):
        attrs = {"osmid": k, "highway": "residential", "oneway": False, "length": length}
        g.add_edge(u, v, reversed=False, **attrs)
        g.add_edge(v, u, reversed=True, **attrs)
    return g


def sorted_triplets(rows: np.ndarray, nodes: np.ndarray, metres: np.ndarray) -> np.ndarray:
    """The triplets as one structured array sorted by (row, node), for exact comparison."""
    out = np.empty(len(rows), dtype=[("r", np.int64), ("n", np.int64), ("m", np.float64)])
    out["r"], out["n"], out["m"] = rows, nodes, metres
    return np.sort(out, order=["r", "n"])


def run(
    name: str,
    graph: WalkGraph,
    n_sources: int,
    n_nx: int,
    minutes: float,
    speed: float,
    seed: int,
    compare_scipy: bool = False,
) -> dict:
    """Time both engines on ``graph`` and check their minutes agree; print and return the numbers."""
    limit = minutes * 60.0 * speed
    rng = np.random.default_rng(seed)
    sources = rng.choice(graph.n_nodes, min(n_sources, graph.n_nodes), replace=False)
    nx_sources = sources[:n_nx]
    print(
        f"\n== {name}: {graph.n_nodes:,} nodes, {graph.n_edges:,} edges; walk {minutes:g} min at "
        f"{speed:g} m/s = {limit:g} m"
    )

    t0 = time.perf_counter()
    rows, nodes, metres = node_distances(graph, sources, limit)
    t_all = time.perf_counter() - t0
    t0 = time.perf_counter()
    r50, n50, m50 = node_distances(graph, nx_sources, limit)
    t_same = time.perf_counter() - t0

    ms_scipy = None
    engine = walk_distances.resolve_engine()
    if compare_scipy and engine != "scipy":
        t0 = time.perf_counter()
        scipy_result = node_distances(graph, sources, limit, engine="scipy")
        ms_scipy = (time.perf_counter() - t0) / len(sources) * 1e3
        a, b = sorted_triplets(rows, nodes, metres), sorted_triplets(*scipy_result)
        if not np.array_equal(a, b):
            raise SystemExit(f"{name}: the scipy engine's triplets differ from the {engine} engine's")

    g = to_networkx(graph)
    t0 = time.perf_counter()
    reference = [
        nx.single_source_dijkstra_path_length(g, int(s), cutoff=limit, weight="length") for s in nx_sources
    ]
    t_nx = time.perf_counter() - t0
    gm = to_osmnx_like(graph)
    t0 = time.perf_counter()
    reference_ox = [
        nx.single_source_dijkstra_path_length(gm, int(s), cutoff=limit, weight="length") for s in nx_sources
    ]
    t_ox = time.perf_counter() - t0
    if any(a != b for a, b in zip(reference, reference_ox, strict=True)):
        raise SystemExit(f"{name}: networkx on the osmnx-style graph disagrees with networkx on nx.Graph")

    # Same node-to-node minutes? (from the big run, restricted to the networkx sources)
    got: dict[tuple[int, int], float] = {}
    keep = rows < n_nx
    for r, n, m in zip(rows[keep].tolist(), nodes[keep].tolist(), metres[keep].tolist(), strict=True):
        got[(r, n)] = m / speed / 60.0
    want = {(k, n): m / speed / 60.0 for k, lengths in enumerate(reference) for n, m in lengths.items()}
    same_pairs = set(got) == set(want)
    max_diff = max((abs(got[p] - want[p]) for p in want if p in got), default=0.0)
    got50 = {
        (r, n): m / speed / 60.0 for r, n, m in zip(r50.tolist(), n50.tolist(), m50.tolist(), strict=True)
    }
    same_50 = set(got50) == set(want) and all(abs(got50[p] - want[p]) <= 1e-9 for p in want)

    ms_nx = t_nx / len(nx_sources) * 1e3
    ms_ox = t_ox / len(nx_sources) * 1e3
    ms_all = t_all / len(sources) * 1e3
    ms_same = t_same / len(nx_sources) * 1e3
    print(
        f"  networkx loop      : {len(nx_sources):>6,} sources {t_nx:8.3f} s  {ms_nx:8.3f} ms/source"
        " (nx.Graph)"
    )
    print(
        f"  osmnx-style loop   : {len(nx_sources):>6,} sources {t_ox:8.3f} s  {ms_ox:8.3f} ms/source "
        "(MultiDiGraph, both directions, OSM attributes)"
    )
    print(
        f"  engine, same subset: {len(nx_sources):>6,} sources {t_same:8.3f} s  {ms_same:8.3f} ms/source"
        f"  ratio {ms_nx / ms_same:6.1f}x"
    )
    print(
        f"  engine, all sources: {len(sources):>6,} sources {t_all:8.3f} s  {ms_all:8.3f} ms/source"
        f"  ratio {ms_nx / ms_all:6.1f}x (nx.Graph), {ms_ox / ms_all:6.1f}x (osmnx-style)"
    )
    if ms_scipy is not None:
        print(
            f"  scipy engine       : {len(sources):>6,} sources {ms_scipy * len(sources) / 1e3:8.3f} s  "
            f"{ms_scipy:8.3f} ms/source  ratio {ms_nx / ms_scipy:6.1f}x; triplets bit-for-bit identical"
        )
    print(f"  pairs within reach : {len(metres):,} ({len(metres) / len(sources):.0f} nodes per source)")
    print(
        f"  minutes identical  : same pairs {same_pairs}, max |diff| {max_diff:.3g} min; "
        f"subset run identical {same_50}"
    )
    if not (same_pairs and max_diff <= 1e-9 and same_50):
        raise SystemExit(f"{name}: the engine disagrees with networkx")
    return {"ratio": ms_nx / ms_all, "ratio_ox": ms_ox / ms_all, "seconds": t_all, "sources": len(sources)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = Path(__file__).resolve().parents[2] / "shared" / "data"
    parser.add_argument("data_dir", nargs="?", type=Path, default=default, help=f"default {default}")
    parser.add_argument("--sources", type=int, default=2000)
    parser.add_argument("--nx-sources", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=15.0)
    parser.add_argument("--speed", type=float, default=1.2)
    parser.add_argument("--grid", type=int, default=447, help="grid side in nodes (447 -> 199,809 nodes)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--engine", choices=["auto", "numba", "scipy"], default=None)
    parser.add_argument("--compare-scipy", action="store_true", help="also time the scipy engine")
    args = parser.parse_args(argv)
    if args.engine is not None:
        walk_distances.ENGINE = args.engine
    engine = walk_distances.resolve_engine()
    threads = walk_distances.KERNEL_THREADS or _dijkstra.available_cpus()
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs visible; engine {engine}"
        + (f" (numba {_dijkstra.numba.__version__}, {threads} threads)" if engine == "numba" else "")
    )
    if engine == "numba":
        seconds = _dijkstra.compile_kernel()
        print(f"kernel JIT compile / on-disk cache load: {seconds:.2f} s (not in the per-source times)")

    pbf = args.data_dir / "helsinki_centre.osm.pbf"
    if pbf.is_file():
        t0 = time.perf_counter()
        graph = NetworkWalkSource(pbf).graph()
        print(f"Helsinki network read and built in {time.perf_counter() - t0:.2f} s ({graph.crs.name})")
        run(
            "Helsinki centre (OSM pbf)",
            graph,
            args.sources,
            args.nx_sources,
            args.minutes,
            args.speed,
            args.seed,
            args.compare_scipy,
        )
    else:
        print(f"(skipping Helsinki: {pbf} not found)")

    t0 = time.perf_counter()
    grid = street_grid(args.grid, seed=args.seed)
    print(f"\nGrid built in {time.perf_counter() - t0:.2f} s")
    result = run(
        f"street grid {args.grid} x {args.grid}, 80 m",
        grid,
        args.sources,
        args.nx_sources,
        args.minutes,
        args.speed,
        args.seed + 1,
        args.compare_scipy,
    )
    ok_ratio = "met" if result["ratio"] >= 30 else "NOT met"
    ok_ox = "met" if result["ratio_ox"] >= 30 else "NOT met"
    ok_time = "met" if result["seconds"] < 10 else "NOT met"
    print(
        f"\nTargets on the grid: >= 30x the networkx loop per source: on nx.Graph {ok_ratio} "
        f"({result['ratio']:.1f}x), on the osmnx-style graph {ok_ox} ({result['ratio_ox']:.1f}x); "
        f"{result['sources']:,} sources in < 10 s: {ok_time} ({result['seconds']:.2f} s)"
    )


if __name__ == "__main__":
    main()
