"""Exact shortest walks within a limit, from many sources at once, over a street graph.

The graph is a :class:`~optimizer.walk.graph.WalkGraph`. From the side with fewer points, a
Dijkstra bounded by the longest walk allowed (metres) runs from every source. Two engines give
bit-for-bit the same metres (:data:`ENGINE`):

- ``"numba"``: a compiled bounded Dijkstra per source (:mod:`optimizer.walk._dijkstra`) over
  the whole graph, its work proportional to what each source reaches, the sources split over
  the CPUs. The default when numba is installed.
- ``"scipy"``: ``scipy.sparse.csgraph.dijkstra`` with ``limit``. Sources whose reach cannot
  overlap (more than two limits apart as the crow flies, since no walk is shorter than the
  straight line) share one multi-source run (``min_only=True``: each reached node belongs to
  one source), on the sub-graph around a tile of sources.

No origins x destinations or sources x nodes dense array is ever built: memory stays
proportional to the pairs within reach. :func:`node_distances` answers between graph nodes,
:func:`point_distances` between snapped points (adding the walks to and along the street).
The module-level constants tune the engines (tests and benchmarks set them); they never
change the metres.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from . import _dijkstra
from .graph import DEFAULT_MERGE_TOLERANCE_M, Snap, WalkGraph

#: A tile's sub-graph aims at about this many nodes (bigger networks are cut into tiles).
TILE_TARGET_NODES = 64_000
#: Batches of at least this many far-apart sources share one Dijkstra run; smaller ones are pooled.
MIN_SHARED_BATCH = 2
#: Above this many close pairs of sources, batches come from grid cells instead of a greedy colouring.
MAX_COLOUR_PAIRS = 3_000_000
#: ...or when sources have more close neighbours than this on average (batches would be tiny anyway).
MAX_COLOUR_DEGREE = 32
#: Pooled runs keep sources x sub-graph nodes under this many values (8 bytes each).
DENSE_CHUNK_CELLS = 4_000_000
#: Slack (metres) added to the Dijkstra limit so that float sums equal to the limit are kept.
_LIMIT_SLACK = 1e-6
#: The Dijkstra engine: "numba" (compiled, one run per source), "scipy" (tiled multi-source
#: ``scipy.sparse.csgraph.dijkstra`` runs) or "auto" (numba when it is installed, else scipy).
ENGINE = "auto"
#: The numba engine hands its pairs over in blocks of this many sources (spatially sorted).
KERNEL_BLOCK_SOURCES = 4096
#: Threads for the numba engine (None: the CPUs this process may use).
KERNEL_THREADS: int | None = None


def resolve_engine(engine: str | None = None) -> str:
    """The engine that will run: ``engine`` (default :data:`ENGINE`) with "auto" resolved."""
    name = ENGINE if engine is None else engine
    if name == "auto":
        return "numba" if _dijkstra.AVAILABLE else "scipy"
    if name not in ("numba", "scipy"):
        raise ValueError(f"unknown walk engine {name!r}: use 'numba', 'scipy' or 'auto'")
    if name == "numba" and not _dijkstra.AVAILABLE:
        raise ImportError("the 'numba' walk engine needs numba (pip install numba)")
    return name


@dataclass(frozen=True)
class _Tile:
    """Sources near each other: their sub-graph ``region`` (graph node ids, sorted; None = whole
    graph), the ``box`` (xmin, ymin, xmax, ymax) their walks stay in, the ``shared`` batches
    of sources whose reaches cannot overlap (one ``min_only`` run each) and the ``pooled``
    sources (run a few at a time, one row each)."""

    region: np.ndarray | None
    box: tuple[float, float, float, float]
    shared: list[np.ndarray]
    pooled: np.ndarray

    @property
    def sources(self) -> np.ndarray:
        return np.concatenate([*self.shared, self.pooled]).astype(np.int64)


@dataclass(frozen=True)
class _Reached:
    """What one Dijkstra run reached: ``source[k]`` walks ``metres[k]`` to the tile's region node
    ``node[k]`` (a position in ``tile.region``, or a graph node id when the region is None)."""

    tile: _Tile
    source: np.ndarray
    node: np.ndarray
    metres: np.ndarray


def _plan(graph: WalkGraph, src_xy: np.ndarray, radius: float) -> list[_Tile]:
    """Group sources into tiles (sub-graphs) and, per tile, batches whose reaches cannot overlap.

    Two sources more than ``2 * radius`` apart cannot reach one node within ``radius`` (no walk
    is shorter than the straight line), so a greedy colouring of the "closer than two radii"
    graph gives batches that share one Dijkstra run. Batches too small to pay for a run over
    the whole tile are pooled instead, on the small sub-graph around their own cell.
    """
    cell = 2.0 * radius * (1.0 + 1e-9) + 1e-6
    x0, y0 = src_xy.min(axis=0)
    ci = np.floor((src_xy[:, 0] - x0) / cell).astype(np.int64)
    cj = np.floor((src_xy[:, 1] - y0) / cell).astype(np.int64)
    # Tile size: about TILE_TARGET_NODES nodes in a tile's region (tile + radius all round).
    gx0, gy0 = graph.xy.min(axis=0)
    gx1, gy1 = graph.xy.max(axis=0)
    density = graph.n_nodes / max((gx1 - gx0 + 1.0) * (gy1 - gy0 + 1.0), 1.0)
    side = math.sqrt(TILE_TARGET_NODES / max(density, 1e-12)) - 2.0 * radius
    tile_cells = max(1, int(side // cell))
    frame = pd.DataFrame({"ci": ci, "cj": cj, "ti": ci // tile_cells, "tj": cj // tile_cells})
    tiles: list[_Tile] = []
    leftovers: list[np.ndarray] = []
    for _, tile in frame.groupby(["ti", "tj"], sort=True):
        members = tile.index.to_numpy()
        region, box = _region(graph, src_xy[members], radius)
        n_region = graph.n_nodes if region is None else len(region)
        # Nodes around a lone source's cell, at this tile's node density.
        area = max((box[2] - box[0]) * (box[3] - box[1]), 1.0)
        cell_nodes = n_region / area * (cell + 2.0 * radius) ** 2
        min_batch = max(MIN_SHARED_BATCH, math.ceil(n_region / max(2.0 * cell_nodes, 1.0)))
        batches = [members[b] for b in _colour(src_xy[members], cell, ci[members], cj[members])]
        shared = [b for b in batches if len(b) >= min_batch]
        rest = [b for b in batches if len(b) < min_batch]
        if shared:
            tiles.append(_Tile(region, box, shared, np.zeros(0, dtype=np.int64)))
        leftovers.extend(rest)
    if leftovers:
        left = np.concatenate(leftovers)
        cells = pd.DataFrame({"ci": ci[left], "cj": cj[left]}, index=left)
        for _, group in cells.groupby(["ci", "cj"], sort=True):
            members = group.index.to_numpy()
            region, box = _region(graph, src_xy[members], radius)
            tiles.append(_Tile(region, box, [], members))
    return tiles


def _region(
    graph: WalkGraph, pts: np.ndarray, radius: float
) -> tuple[np.ndarray | None, tuple[float, float, float, float]]:
    """The nodes (None: most of the graph, so all of it) and box within ``radius`` of the points' bbox."""
    (xmin, ymin), (xmax, ymax) = pts.min(axis=0), pts.max(axis=0)
    box = (xmin - radius, ymin - radius, xmax + radius, ymax + radius)
    region = graph.nodes_in_box(box[0], box[2], box[1], box[3])
    return (None if len(region) > 0.6 * graph.n_nodes else region), box


def _colour(pts: np.ndarray, distance: float, ci: np.ndarray, cj: np.ndarray) -> list[np.ndarray]:
    """Partition points into groups whose members are all more than ``distance`` apart.

    Greedy colouring (most crowded first) of the graph of pairs within ``distance``; when that
    graph is too big (:data:`MAX_COLOUR_PAIRS`), cells ``distance`` wide: the four cell
    parities x rank within the cell.
    """
    tree = cKDTree(pts)
    n_pairs = (int(tree.query_ball_point(pts, distance, return_length=True).sum()) - len(pts)) // 2
    if n_pairs > MAX_COLOUR_PAIRS or n_pairs > MAX_COLOUR_DEGREE * len(pts):
        frame = pd.DataFrame({"ci": ci, "cj": cj})
        rank = frame.groupby(["ci", "cj"]).cumcount().to_numpy()
        key = (ci % 2) * 2 + (cj % 2) + 4 * rank
    else:
        pairs = tree.query_pairs(distance, output_type="ndarray")
        a, b = np.r_[pairs[:, 0], pairs[:, 1]], np.r_[pairs[:, 1], pairs[:, 0]]
        order = np.argsort(a, kind="stable")
        nbr = b[order].tolist()
        ptr = np.r_[0, np.cumsum(np.bincount(a, minlength=len(pts)))].tolist()
        colour = [-1] * len(pts)
        for v in np.argsort(-np.diff(ptr), kind="stable").tolist():
            used = {colour[w] for w in nbr[ptr[v] : ptr[v + 1]]}
            c = 0
            while c in used:
                c += 1
            colour[v] = c
        key = np.asarray(colour, dtype=np.int64)
    order = np.argsort(key, kind="stable")
    cuts = np.flatnonzero(np.diff(key[order])) + 1
    return np.split(order, cuts)


@contextmanager
def _progress(enabled: bool, total: int, label: str) -> Iterator[Callable[[int], None]]:
    """A rich progress bar (when ``enabled``) yielding an ``advance(n)`` callable."""
    if not enabled:
        yield lambda n: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def _reach(
    graph: WalkGraph,
    src_xy: np.ndarray,
    start_node: np.ndarray,
    start_cost: np.ndarray,
    radius: float,
    progress: bool = False,
    label: str = "walk network",
    engine: str | None = None,
) -> Iterator[_Reached]:
    """Run the limited Dijkstra for all sources and yield what each run reached.

    Source ``k`` sits at ``src_xy[k]`` and enters the graph at nodes ``start_node[k, j]`` (``-1``
    for none) after ``start_cost[k, j]`` metres; no walk from it may be shorter than the
    straight line from ``src_xy[k]`` (that is what lets far-apart sources share a run).

    With the scipy engine, batches of several far-apart sources share one ``min_only`` run
    (each reached node has one owner); lone sources are pooled into ``min_only=False`` runs
    of a few at a time, whose rows are bounded to :data:`DENSE_CHUNK_CELLS` values. With the
    numba engine, see :func:`_reach_compiled`. Both reach the same nodes at the same metres.
    """
    if resolve_engine(engine) == "numba":
        yield from _reach_compiled(graph, src_xy, start_node, start_cost, radius, progress, label)
        return
    plans = _plan(graph, src_xy, radius)
    limit = radius + _LIMIT_SLACK
    local = np.full(graph.n_nodes, -1, dtype=np.int64)
    total = len(src_xy)
    with _progress(progress, total, label) as advance:
        for plan in plans:
            if plan.region is None:
                region = np.arange(graph.n_nodes)
                sub = graph.csr
            else:
                region = plan.region
            n_sub = len(region)
            local[region] = np.arange(n_sub)
            if plan.region is not None:
                sub = _subgraph(graph.csr, region, local)
            # One virtual root per source of the tile, with edges root -> its entry nodes only.
            members = plan.sources
            position = np.full(len(src_xy), -1, dtype=np.int64)
            position[members] = np.arange(len(members))
            entry = start_node[members]
            targets = np.where(entry >= 0, local[np.maximum(entry, 0)], -1)
            ok = targets >= 0
            indptr = np.r_[sub.indptr, sub.indptr[-1] + np.cumsum(ok.sum(axis=1))].astype(np.int32)
            indices = np.r_[sub.indices, targets[ok]].astype(np.int32)
            data = np.r_[sub.data, start_cost[members][ok]].astype(np.float64)
            size = n_sub + len(members)
            aug = sp.csr_array((data, indices, indptr), shape=(size, size))
            local[region] = -1
            for batch in plan.shared:
                dist, _, owner = dijkstra(
                    aug,
                    directed=True,
                    indices=n_sub + position[batch],
                    min_only=True,
                    limit=limit,
                    return_predecessors=True,
                )
                hit = np.flatnonzero(dist[:n_sub] <= limit)
                yield _Reached(plan, members[owner[hit] - n_sub], hit, dist[hit])
                advance(len(batch))
            pool = plan.pooled
            step = max(1, DENSE_CHUNK_CELLS // max(size, 1))
            for start in range(0, len(pool), step):
                chunk = pool[start : start + step]
                dist = dijkstra(aug, directed=True, indices=n_sub + position[chunk], limit=limit)
                rows, hit = np.nonzero(dist[:, :n_sub] <= limit)
                yield _Reached(plan, chunk[rows], hit, dist[rows, hit])
                advance(len(chunk))


def _reach_compiled(
    graph: WalkGraph,
    src_xy: np.ndarray,
    start_node: np.ndarray,
    start_cost: np.ndarray,
    radius: float,
    progress: bool = False,
    label: str = "walk network",
) -> Iterator[_Reached]:
    """:func:`_reach` with the compiled kernel: one bounded Dijkstra per source on the whole graph.

    Sources are sorted by their first entry node (node ids are spatially coherent) and handed
    over in blocks of :data:`KERNEL_BLOCK_SOURCES`, each as one run on a region-less tile
    whose box is the block's bounding box grown by ``radius`` (one run per kernel thread).
    """
    limit = radius + _LIMIT_SLACK
    indptr, indices, data = graph.kernel_csr
    start_node = np.asarray(start_node, dtype=np.int64)
    start_cost = np.asarray(start_cost, dtype=np.float64)
    key = np.where(start_node[:, 0] >= 0, start_node[:, 0], start_node.max(axis=1))
    order = np.argsort(key, kind="stable")
    with _progress(progress, len(src_xy), label) as advance:
        for start in range(0, len(order), KERNEL_BLOCK_SOURCES):
            block = order[start : start + KERNEL_BLOCK_SOURCES]
            parts = _dijkstra.bounded_dijkstra_parts(
                indptr,
                indices,
                data,
                start_node[block],
                start_cost[block],
                limit,
                source_id=block,
                threads=KERNEL_THREADS,
            )
            (xmin, ymin), (xmax, ymax) = src_xy[block].min(axis=0), src_xy[block].max(axis=0)
            box = (xmin - radius, ymin - radius, xmax + radius, ymax + radius)
            tile = _Tile(None, box, [], block)
            for source, node, metres in parts:  # one part per thread, all on the same tile
                yield _Reached(tile, source, node, metres)
            advance(len(block))


def _subgraph(csr: sp.csr_array, region: np.ndarray, local: np.ndarray) -> sp.csr_array:
    """The sub-graph induced by ``region`` (``local`` maps graph ids to region positions, -1 outside)."""
    start = csr.indptr[region].astype(np.int64)
    degree = csr.indptr[region + 1] - start
    row = np.repeat(np.arange(len(region)), degree)
    first = np.repeat(start - (np.cumsum(degree) - degree), degree) + np.arange(len(row))
    col = local[csr.indices[first]]
    keep = col >= 0
    indptr = np.r_[0, np.cumsum(np.bincount(row[keep], minlength=len(region)))]
    shape = (len(region), len(region))
    return sp.csr_array(
        (csr.data[first][keep], col[keep].astype(np.int32), indptr.astype(np.int32)), shape=shape
    )


def node_distances(
    graph: WalkGraph,
    sources: np.ndarray,
    max_metres: float,
    progress: bool = False,
    engine: str | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Network metres from graph nodes ``sources`` to every node within ``max_metres``.

    Returns COO triplets ``(source position, node id, metres)`` in no particular order, the
    sources' own nodes included (at 0 m). Exact shortest paths; memory proportional to the pairs
    within reach. ``engine``: see :data:`ENGINE` (both give the same triplets, bit for bit).
    """
    sources = np.asarray(sources, dtype=np.int64)
    if len(sources) == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z.copy(), np.zeros(0)
    start_node = np.column_stack([sources, np.full(len(sources), -1)])
    start_cost = np.zeros((len(sources), 2))
    rows, nodes, metres = [], [], []
    for run in _reach(graph, graph.xy[sources], start_node, start_cost, max_metres, progress, engine=engine):
        keep = run.metres <= max_metres
        if keep.all():  # the usual case: no copies before the final concatenation
            source, node, m = run.source, run.node, run.metres
        else:
            source, node, m = run.source[keep], run.node[keep], run.metres[keep]
        rows.append(source)
        nodes.append(node if run.tile.region is None else run.tile.region[node])
        metres.append(m)
    return np.concatenate(rows), np.concatenate(nodes), np.concatenate(metres)


def point_distances(
    graph: WalkGraph,
    origins: Snap,
    origin_xy: np.ndarray,
    destinations: Snap,
    destination_xy: np.ndarray,
    max_metres: float,
    progress: bool = False,
    coincident_m: float = DEFAULT_MERGE_TOLERANCE_M,
    engine: str | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Network metres between snapped points within ``max_metres``: ``(origin pos, destination pos, metres)``.

    A walk is the off-network leg, along the segment to one of its ends, the shortest path,
    and the same at the other end; or, for two points on one segment, directly along it.
    Points closer than ``coincident_m`` (one building) walk the straight line between them.
    Dijkstra runs from the side with fewer points, on ``engine`` (see :data:`ENGINE`).
    """
    swap = len(destination_xy) < len(origin_xy)
    s_snap, s_xy, t_snap, t_xy = (
        (destinations, destination_xy, origins, origin_xy)
        if swap
        else (origins, origin_xy, destinations, destination_xy)
    )
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    if len(s_xy) and len(t_xy):
        through = _network_walks(graph, s_snap, s_xy, t_snap, t_xy, max_metres, progress, engine)
        for s, t, m in chain(through, _direct_walks(s_snap, s_xy, t_snap, t_xy, coincident_m)):
            keep = (s >= 0) & (m <= max_metres)
            parts.append((s[keep], t[keep], m[keep]))
    if not parts:
        z = np.zeros(0, dtype=np.int64)
        return z, z.copy(), np.zeros(0)
    s, t, m = (np.concatenate(column) for column in zip(*parts, strict=True))
    if swap:
        s, t = t, s
    # Keep the shortest candidate per pair.
    order = np.lexsort((m, t, s))
    s, t, m = s[order], t[order], m[order]
    first = np.r_[True, (s[1:] != s[:-1]) | (t[1:] != t[:-1])]
    return s[first], t[first], m[first]


def _network_walks(
    graph: WalkGraph,
    s_snap: Snap,
    s_xy: np.ndarray,
    t_snap: Snap,
    t_xy: np.ndarray,
    max_metres: float,
    progress: bool,
    engine: str | None,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Candidate walks through the graph, in parts: ``(source pos, target pos, metres)``.

    Each bounded Dijkstra run from the sources (entering at both ends of their segments) is
    joined, node by node, to the targets that enter the graph at the nodes it reached.
    """
    start_node = np.column_stack([s_snap.u, s_snap.v])
    start_cost = np.column_stack([s_snap.to_u, s_snap.to_v])
    ends = ((t_snap.u, t_snap.to_u), (t_snap.v, t_snap.to_v))
    t_order = np.argsort(t_xy[:, 0], kind="stable")
    tx = t_xy[t_order, 0]
    current: _Tile | None = None
    index: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for run in _reach(graph, s_xy, start_node, start_cost, max_metres, progress, "walk minutes", engine):
        if run.tile is not current:
            current = run.tile
            index = _targets_by_entry(graph, current, t_xy, t_order, tx, ends)
        for ptr, target, cost in index:
            count = ptr[run.node + 1] - ptr[run.node]
            if not count.any():
                continue
            k = np.repeat(np.arange(len(run.node)), count)
            first = np.repeat(ptr[run.node] - np.cumsum(count) + count, count) + np.arange(len(k))
            yield run.source[k], target[first], run.metres[k] + cost[first]


def _targets_by_entry(
    graph: WalkGraph,
    tile: _Tile,
    t_xy: np.ndarray,
    t_order: np.ndarray,
    tx: np.ndarray,
    ends: tuple[tuple[np.ndarray, np.ndarray], ...],
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The targets inside the box a tile's walks stay in, indexed by the region node they enter at:
    one :func:`_entry_index` per end of their segments (``ends``: node ids and metres to them).
    ``t_order`` sorts the targets by x, ``tx`` holds their sorted x."""
    xmin, ymin, xmax, ymax = tile.box
    lo, hi = np.searchsorted(tx, xmin, "left"), np.searchsorted(tx, xmax, "right")
    cand = t_order[lo:hi]
    near = cand[(t_xy[cand, 1] >= ymin) & (t_xy[cand, 1] <= ymax)]
    n_sub = graph.n_nodes if tile.region is None else len(tile.region)
    return [_entry_index(near, nodes, cost, tile.region, n_sub) for nodes, cost in ends]


def _direct_walks(
    s_snap: Snap, s_xy: np.ndarray, t_snap: Snap, t_xy: np.ndarray, coincident_m: float
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Candidate walks that leave the graph aside, in parts: ``(source pos, target pos, metres)``."""
    # Points in the same spot (the same building): no walk to the street and back.
    near_pairs = cKDTree(t_xy).query_ball_point(s_xy, r=coincident_m)
    counts = np.fromiter(map(len, near_pairs), dtype=np.int64, count=len(near_pairs))
    if counts.any():
        s = np.repeat(np.arange(len(s_xy)), counts)
        t = np.fromiter((j for js in near_pairs for j in js), dtype=np.int64, count=int(counts.sum()))
        yield s, t, np.hypot(*(s_xy[s] - t_xy[t]).T)
    # Two points on the same segment: directly along it.
    same = pd.merge(
        pd.DataFrame({"edge": s_snap.edge, "s": np.arange(len(s_xy))}),
        pd.DataFrame({"edge": t_snap.edge, "t": np.arange(len(t_xy))}),
        on="edge",
    )
    if len(same):
        s, t = same["s"].to_numpy(), same["t"].to_numpy()
        yield s, t, s_snap.offset[s] + np.abs(s_snap.along[s] - t_snap.along[t]) + t_snap.offset[t]


def _entry_index(
    targets: np.ndarray, ends: np.ndarray, cost: np.ndarray, region: np.ndarray | None, n_sub: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR-like index from region node to the targets entering there: ``(ptr, target, cost)``."""
    node = ends[targets]
    if region is not None:
        pos = np.searchsorted(region, node)
        pos = np.minimum(pos, len(region) - 1)
        inside = region[pos] == node
        targets, node = targets[inside], pos[inside]
    order = np.argsort(node, kind="stable")
    targets, node = targets[order], node[order]
    ptr = np.r_[0, np.cumsum(np.bincount(node, minlength=n_sub))]
    return ptr, targets, cost[targets]
