"""Walk minutes along a street network read from OpenStreetMap or any line layer.

How the minutes are computed (exactly, not approximately):

1. The walkable lines (:mod:`optimizer.walk.osm`) are projected to the caller's metric CRS and
   split into straight segments at every vertex; vertices closer than ``merge_tolerance_m``
   (1 cm) become one node. Each segment's length is the distance between its two nodes. Only
   the largest connected component is kept (:attr:`WalkGraph.stats` says how much was left).
2. Every point is snapped to its nearest segment (shapely ``STRtree.query_nearest``): its walk
   is the straight off-network leg to its projection on the segment, then along the segment
   to either end node. Two points on the same segment may also walk directly along it.
3. From the side with fewer points, a Dijkstra bounded by the longest walk allowed (metres)
   runs from every source. Two engines give bit-for-bit the same metres (:data:`ENGINE`):

   - ``"numba"``: a compiled bounded Dijkstra per source (:mod:`optimizer.walk._dijkstra`)
     over the whole graph, its work proportional to what each source reaches, the sources
     split over the CPUs. The default when numba is installed.
   - ``"scipy"``: ``scipy.sparse.csgraph.dijkstra`` with ``limit``. Sources whose reach
     cannot overlap (more than two limits apart as the crow flies, since no walk is shorter
     than the straight line) share one multi-source run (``min_only=True``: each reached node
     belongs to one source), on the sub-graph around a tile of sources.

   No origins x destinations or sources x nodes dense array is ever built: memory stays
   proportional to the pairs within reach.

``NetworkWalkSource`` is the :class:`~optimizer.walk.base.WalkTimeSource` for scenarios; it
caches its matrices next to the scenario (:mod:`optimizer.walk.cache`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from pyproj import CRS
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from . import _dijkstra
from . import cache as walk_cache
from .base import WalkMatrix
from .osm import read_street_lines

#: Vertices closer than this (metres) are merged into one node.
DEFAULT_MERGE_TOLERANCE_M = 0.01
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


# --------------------------------------------------------------------------------------------
# The graph
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snap:
    """Where points join the network: nearest segment ``edge`` (``u`` -> ``v``), ``along`` metres
    from ``u``, at ``offset`` metres from the point (the off-network leg)."""

    edge: np.ndarray
    u: np.ndarray
    v: np.ndarray
    along: np.ndarray
    length: np.ndarray
    offset: np.ndarray

    @property
    def to_u(self) -> np.ndarray:
        """Metres from each point to its segment's ``u`` node (off-network leg + along the segment)."""
        return self.offset + self.along

    @property
    def to_v(self) -> np.ndarray:
        """Metres from each point to its segment's ``v`` node."""
        return self.offset + (self.length - self.along)


@dataclass
class WalkGraph:
    """An undirected street graph of straight segments in a metric CRS.

    ``xy`` holds node coordinates; ``edge_u``/``edge_v``/``edge_length`` the segments (each
    once, ``edge_length`` = the straight distance between its nodes); ``csr`` the symmetric
    adjacency matrix of lengths; ``stats`` what building it kept and dropped.
    """

    xy: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length: np.ndarray
    crs: CRS | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    input_node: np.ndarray | None = None
    csr: sp.csr_array = field(init=False, repr=False)
    _x_order: np.ndarray = field(init=False, repr=False)
    _x_sorted: np.ndarray = field(init=False, repr=False)
    _edge_tree: shapely.STRtree | None = field(default=None, init=False, repr=False)
    _kernel_csr: tuple[np.ndarray, ...] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        n = len(self.xy)
        rows = np.r_[self.edge_u, self.edge_v]
        cols = np.r_[self.edge_v, self.edge_u]
        data = np.r_[self.edge_length, self.edge_length].astype(np.float64)
        order = np.lexsort((cols, rows))
        indptr = np.r_[0, np.cumsum(np.bincount(rows, minlength=n))].astype(np.int64)
        self.csr = sp.csr_array((data[order], cols[order].astype(np.int32), indptr), shape=(n, n))
        self._x_order = np.argsort(self.xy[:, 0], kind="stable")
        self._x_sorted = self.xy[self._x_order, 0]

    @property
    def n_nodes(self) -> int:
        return len(self.xy)

    @property
    def n_edges(self) -> int:
        return len(self.edge_u)

    # ---- construction ---------------------------------------------------------------------

    @classmethod
    def from_edges(
        cls,
        xy: np.ndarray,
        u: np.ndarray,
        v: np.ndarray,
        crs: CRS | str | None = None,
        largest_component: bool = True,
        stats: dict[str, Any] | None = None,
    ) -> WalkGraph:
        """Graph of straight segments ``xy[u]``-``xy[v]``: self-loops and repeats dropped, lengths
        measured, and (by default) only the largest connected component kept.

        :attr:`input_node` maps the graph's nodes back to positions in ``xy``.
        """
        xy = np.asarray(xy, dtype=np.float64)
        u = np.asarray(u, dtype=np.int64)
        v = np.asarray(v, dtype=np.int64)
        a, b = np.minimum(u, v), np.maximum(u, v)
        keep = a != b
        pairs = np.unique(np.column_stack([a[keep], b[keep]]), axis=0)
        a, b = pairs[:, 0], pairs[:, 1]
        stats = dict(stats or {})
        stats.update(input_nodes=len(xy), input_edges=len(pairs))
        used = np.unique(np.r_[a, b])
        n_comp, labels = 0, np.zeros(0, dtype=np.int64)
        if len(used):
            adj = sp.coo_array((np.ones(len(a)), (a, b)), shape=(len(xy), len(xy)))
            n_comp_all, labels_all = connected_components(adj, directed=False)
            labels = labels_all[used]
            n_comp = len(np.unique(labels))
        stats["components"] = int(n_comp)
        if largest_component and len(used):
            sizes = np.bincount(labels)
            big = int(np.argmax(sizes))
            used = used[labels == big]
        # Renumber the kept nodes in a spatially coherent order (250 m rows, then x).
        pts = xy[used]
        if len(pts):
            row = np.floor((pts[:, 1] - pts[:, 1].min()) / 250.0)
            order = np.lexsort((pts[:, 0], row))
            used = used[order]
        new_id = np.full(len(xy), -1, dtype=np.int64)
        new_id[used] = np.arange(len(used))
        nu, nv = new_id[a], new_id[b]
        keep = (nu >= 0) & (nv >= 0)
        nu, nv = nu[keep], nv[keep]
        node_xy = xy[used]
        length = np.hypot(*(node_xy[nv] - node_xy[nu]).T)
        stats.update(
            nodes=len(used),
            edges=int(keep.sum()),
            dropped_nodes=int(len(np.unique(np.r_[a, b])) - len(used)),
            dropped_edges=int(len(a) - keep.sum()),
            length_km=float(length.sum() / 1000.0),
        )
        crs = CRS.from_user_input(crs) if crs is not None else None
        return cls(node_xy, nu, nv, length, crs, stats, input_node=used)

    @classmethod
    def from_lines(
        cls,
        lines: gpd.GeoSeries,
        merge_tolerance_m: float = DEFAULT_MERGE_TOLERANCE_M,
        largest_component: bool = True,
    ) -> WalkGraph:
        """Split lines (metric CRS) into segments at every vertex and merge vertices within the tolerance."""
        geoms = np.asarray(lines.to_numpy() if hasattr(lines, "to_numpy") else lines)
        coords, part = shapely.get_coordinates(geoms, return_index=True)
        if len(coords) == 0:
            raise ValueError("the street network has no lines")
        node = merge_vertices(coords, merge_tolerance_m)
        same_line = part[1:] == part[:-1]
        u, v = node[:-1][same_line], node[1:][same_line]
        # One representative coordinate per node: the first vertex merged into it.
        first = np.full(node.max() + 1, -1, dtype=np.int64)
        first[node[::-1]] = np.arange(len(node))[::-1]
        stats = {"lines": len(geoms), "vertices": len(coords)}
        crs = getattr(lines, "crs", None)
        return cls.from_edges(coords[first], u, v, crs=crs, largest_component=largest_component, stats=stats)

    # ---- queries --------------------------------------------------------------------------

    def nodes_in_box(self, xmin: float, xmax: float, ymin: float, ymax: float) -> np.ndarray:
        """Sorted ids of the nodes inside a bounding box."""
        xs = self._x_sorted
        lo, hi = np.searchsorted(xs, xmin, "left"), np.searchsorted(xs, xmax, "right")
        cand = self._x_order[lo:hi]
        y = self.xy[cand, 1]
        return np.sort(cand[(y >= ymin) & (y <= ymax)])

    @property
    def edge_tree(self) -> shapely.STRtree:
        """STRtree of the segments (built on first use)."""
        if self._edge_tree is None:
            seg = np.stack([self.xy[self.edge_u], self.xy[self.edge_v]], axis=1)
            self._edge_tree = shapely.STRtree(shapely.linestrings(seg))
        return self._edge_tree

    @property
    def kernel_csr(self) -> tuple[np.ndarray, ...]:
        """``(indptr, indices, data)`` of :attr:`csr` in the compiled kernel's types (made once)."""
        if self._kernel_csr is None:
            self._kernel_csr = _dijkstra.csr_arrays(self.csr.indptr, self.csr.indices, self.csr.data)
        return self._kernel_csr

    def snap(self, xy: np.ndarray) -> Snap:
        """Snap points (``(n, 2)`` metric coordinates) to their nearest segment."""
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        if self.n_edges == 0:
            raise ValueError("the street network has no edges to snap to")
        if len(xy) == 0:
            z = np.zeros(0)
            zi = np.zeros(0, dtype=np.int64)
            return Snap(zi, zi, zi, z, z, z)
        pts = shapely.points(xy)
        pairs = self.edge_tree.query_nearest(pts, all_matches=False)
        edge = np.empty(len(xy), dtype=np.int64)
        edge[pairs[0]] = pairs[1]
        u, v = self.edge_u[edge], self.edge_v[edge]
        a, b = self.xy[u], self.xy[v]
        d = b - a
        length = self.edge_length[edge]
        t = np.einsum("ij,ij->i", xy - a, d) / np.maximum(length * length, 1e-300)
        t = np.clip(t, 0.0, 1.0)
        proj = a + t[:, None] * d
        offset = np.hypot(*(xy - proj).T)
        return Snap(edge, u, v, t * length, length, offset)


def merge_vertices(coords: np.ndarray, tolerance: float) -> np.ndarray:
    """Node id of every vertex: identical after rounding to ``tolerance``, or closer than it, merge."""
    if tolerance > 0:
        keys = np.round(coords / tolerance).astype(np.int64)
    else:
        keys = coords
    _, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    if tolerance <= 0:
        return inverse
    # Vertices on either side of a rounding boundary: merge pairs within the tolerance.
    reps = np.full(inverse.max() + 1, -1, dtype=np.int64)
    reps[inverse[::-1]] = np.arange(len(inverse))[::-1]
    pts = coords[reps]
    close = cKDTree(pts).query_pairs(r=tolerance, output_type="ndarray")
    if len(close) == 0:
        return inverse
    n = len(pts)
    adj = sp.coo_array((np.ones(len(close)), (close[:, 0], close[:, 1])), shape=(n, n))
    _, label = connected_components(adj, directed=False)
    return label[inverse]


# --------------------------------------------------------------------------------------------
# The multi-source Dijkstra engine
# --------------------------------------------------------------------------------------------


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
    parts_s: list[np.ndarray] = []
    parts_t: list[np.ndarray] = []
    parts_m: list[np.ndarray] = []

    def add(s: np.ndarray, t: np.ndarray, m: np.ndarray) -> None:
        keep = (s >= 0) & (m <= max_metres)
        parts_s.append(s[keep])
        parts_t.append(t[keep])
        parts_m.append(m[keep])

    if len(s_xy) and len(t_xy):
        start_node = np.column_stack([s_snap.u, s_snap.v])
        start_cost = np.column_stack([s_snap.to_u, s_snap.to_v])
        # Per tile: the targets inside the box its walks stay in, indexed by their entry nodes.
        t_order = np.argsort(t_xy[:, 0], kind="stable")
        tx = t_xy[t_order, 0]
        current: _Tile | None = None
        index: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        runs = _reach(graph, s_xy, start_node, start_cost, max_metres, progress, "walk minutes", engine)
        for run in runs:
            if run.tile is not current:
                current = run.tile
                xmin, ymin, xmax, ymax = current.box
                lo, hi = np.searchsorted(tx, xmin, "left"), np.searchsorted(tx, xmax, "right")
                cand = t_order[lo:hi]
                near = cand[(t_xy[cand, 1] >= ymin) & (t_xy[cand, 1] <= ymax)]
                n_sub = graph.n_nodes if current.region is None else len(current.region)
                index = [
                    _entry_index(near, ends, cost, current.region, n_sub)
                    for ends, cost in ((t_snap.u, t_snap.to_u), (t_snap.v, t_snap.to_v))
                ]
            for ptr, target, cost in index:
                count = ptr[run.node + 1] - ptr[run.node]
                if not count.any():
                    continue
                k = np.repeat(np.arange(len(run.node)), count)
                first = np.repeat(ptr[run.node] - np.cumsum(count) + count, count) + np.arange(len(k))
                add(run.source[k], target[first], run.metres[k] + cost[first])
        # Points in the same spot (the same building): no walk to the street and back.
        near_pairs = cKDTree(t_xy).query_ball_point(s_xy, r=coincident_m)
        counts = np.fromiter(map(len, near_pairs), dtype=np.int64, count=len(near_pairs))
        if counts.any():
            s = np.repeat(np.arange(len(s_xy)), counts)
            t = np.fromiter((j for js in near_pairs for j in js), dtype=np.int64, count=int(counts.sum()))
            add(s, t, np.hypot(*(s_xy[s] - t_xy[t]).T))
        # Two points on the same segment: directly along it.
        same = pd.merge(
            pd.DataFrame({"edge": s_snap.edge, "s": np.arange(len(s_xy))}),
            pd.DataFrame({"edge": t_snap.edge, "t": np.arange(len(t_xy))}),
            on="edge",
        )
        if len(same):
            s, t = same["s"].to_numpy(), same["t"].to_numpy()
            direct = s_snap.offset[s] + np.abs(s_snap.along[s] - t_snap.along[t]) + t_snap.offset[t]
            add(s, t, direct)
    if not parts_s:
        z = np.zeros(0, dtype=np.int64)
        return z, z.copy(), np.zeros(0)
    s, t, m = np.concatenate(parts_s), np.concatenate(parts_t), np.concatenate(parts_m)
    if swap:
        s, t = t, s
    # Keep the shortest candidate per pair.
    order = np.lexsort((m, t, s))
    s, t, m = s[order], t[order], m[order]
    first = np.r_[True, (s[1:] != s[:-1]) | (t[1:] != t[:-1])]
    return s[first], t[first], m[first]


# --------------------------------------------------------------------------------------------
# The walk-time source
# --------------------------------------------------------------------------------------------


class NetworkWalkSource:
    """Walk minutes along a street network file (OSM ``.osm``/``.osm.pbf`` or any line layer).

    ``include_highway``/``exclude_highway`` override :data:`optimizer.walk.osm.DEFAULT_INCLUDE_HIGHWAY`
    and :data:`~optimizer.walk.osm.DEFAULT_EXCLUDE_HIGHWAY`. With ``cache_dir``, matrices are
    cached there as ``walk-<hash>.npz`` keyed by the network file's bytes, the filters, the
    points (ids, coordinates, CRS), the speed and the limit. ``progress`` shows rich progress bars.

    Attributes after :meth:`compute`: ``snap_report`` (one row per call and side: how many
    points were snapped and how far), ``network_stats`` (nodes, edges and components read and kept),
    ``last_cache_hit`` and ``last_cache_path``. A cache hit restores the report and stats saved with it.
    """

    name = "network"

    def __init__(
        self,
        path: str | Path,
        layer: str | None = None,
        include_highway: list[str] | None = None,
        exclude_highway: list[str] | None = None,
        cache_dir: Path | None = None,
        progress: bool = False,
        merge_tolerance_m: float = DEFAULT_MERGE_TOLERANCE_M,
    ) -> None:
        self.path = Path(path)
        self.layer = layer
        self.include_highway = None if include_highway is None else list(include_highway)
        self.exclude_highway = None if exclude_highway is None else list(exclude_highway)
        self.cache_dir = None if cache_dir is None else Path(cache_dir)
        self.progress = progress
        self.merge_tolerance_m = merge_tolerance_m
        self.snap_report = pd.DataFrame(
            columns=["call", "side", "points", "median_m", "p95_m", "max_m", "mean_m"]
        )
        self.network_stats: dict[str, Any] = {}
        self.last_cache_hit: bool | None = None
        self.last_cache_path: Path | None = None
        self._lines: gpd.GeoSeries | None = None
        self._graph: WalkGraph | None = None
        self._digest: str | None = None
        self._calls = 0

    def __repr__(self) -> str:
        return f"NetworkWalkSource({str(self.path)!r}, layer={self.layer!r})"

    # ---- network --------------------------------------------------------------------------

    @property
    def lines(self) -> gpd.GeoSeries:
        """The walkable lines in the file's CRS (read on first use)."""
        if self._lines is None:
            self._lines = read_street_lines(self.path, self.layer, self.include_highway, self.exclude_highway)
        return self._lines

    def graph(self, crs: CRS | str | None = None) -> WalkGraph:
        """The walk graph in ``crs`` (default: the file's CRS if metric, else its UTM zone), built once."""
        lines = self.lines
        if crs is None:
            if lines.crs is not None and lines.crs.is_geographic:
                crs = lines.estimate_utm_crs()
            else:
                crs = lines.crs
        target = CRS.from_user_input(crs) if crs is not None else None
        if self._graph is not None and self._graph.crs == target:
            return self._graph
        if target is not None and target.is_geographic:
            raise ValueError(f"walk networks need a metric CRS, got {target.name}")
        if target is not None and lines.crs is not None and lines.crs != target:
            projected = lines.to_crs(target)
        else:
            if target is None and lines.crs is not None and lines.crs.is_geographic:
                raise ValueError(f"{self.path}: the network is in degrees; give the points a metric CRS")
            projected = gpd.GeoSeries(lines.to_numpy(), crs=target)
        self._graph = WalkGraph.from_lines(projected, self.merge_tolerance_m)
        return self._graph

    def network_digest(self) -> str:
        """SHA-256 of the network file (and sidecars), computed once."""
        if self._digest is None:
            self._digest = walk_cache.file_digest(self.path)
        return self._digest

    # ---- walk minutes -----------------------------------------------------------------------

    def cache_key(
        self, origins: gpd.GeoSeries, destinations: gpd.GeoSeries, max_minutes: float, speed_m_per_s: float
    ) -> str:
        """The hash that names this computation's cache file."""
        return walk_cache.cache_key(
            {
                "network": self.network_digest(),
                "layer": self.layer,
                "include_highway": walk_cache.stable_list(self.include_highway),
                "exclude_highway": walk_cache.stable_list(self.exclude_highway),
                "merge_tolerance_m": float(self.merge_tolerance_m),
                "origins": walk_cache.points_digest(origins),
                "destinations": walk_cache.points_digest(destinations),
                "max_minutes": float(max_minutes),
                "speed_m_per_s": float(speed_m_per_s),
            }
        )

    def compute(
        self,
        origins: gpd.GeoSeries,
        destinations: gpd.GeoSeries,
        max_minutes: float,
        speed_m_per_s: float,
    ) -> WalkMatrix:
        """Walk minutes of every origin-destination pair within ``max_minutes`` along the network."""
        if speed_m_per_s <= 0 or not np.isfinite(speed_m_per_s):
            raise ValueError(f"walking speed must be positive, got {speed_m_per_s}")
        if max_minutes < 0 or not np.isfinite(max_minutes):
            raise ValueError(f"max_minutes must be a finite number >= 0, got {max_minutes}")
        crs = _common_crs(origins, destinations)
        self._calls += 1
        self.last_cache_hit, self.last_cache_path = None, None
        key = None
        if self.cache_dir is not None:
            key = self.cache_key(origins, destinations, max_minutes, speed_m_per_s)
            self.last_cache_path = walk_cache.cache_path(self.cache_dir, key)
            cached = walk_cache.load_matrix(self.last_cache_path, origins.index, destinations.index, key)
            self.last_cache_hit = cached is not None
            if cached is not None:
                meta = walk_cache.load_meta(self.last_cache_path)
                self.network_stats = meta.get("network_stats") or self.network_stats
                for row in meta.get("snap") or []:
                    self._append_report({**row, "call": self._calls})
                return cached
        if len(origins) == 0 or len(destinations) == 0:
            result = WalkMatrix.empty(origins.index, destinations.index)
        else:
            graph = self.graph(crs)
            o_xy, d_xy = _coords(origins, "origins"), _coords(destinations, "destinations")
            o_snap, d_snap = graph.snap(o_xy), graph.snap(d_xy)
            self._report(o_snap, "origins")
            self._report(d_snap, "destinations")
            self.network_stats = dict(graph.stats)
            max_metres = max_minutes * 60.0 * speed_m_per_s
            rows, cols, metres = point_distances(
                graph, o_snap, o_xy, d_snap, d_xy, max_metres, self.progress, self.merge_tolerance_m
            )
            minutes = metres / speed_m_per_s / 60.0
            keep = minutes <= max_minutes
            result = WalkMatrix(origins.index, destinations.index, rows[keep], cols[keep], minutes[keep])
        if self.cache_dir is not None and key is not None and self.last_cache_path is not None:
            snap_rows = self.snap_report[self.snap_report["call"] == self._calls].to_dict("records")
            meta = {
                "network": str(self.path),
                "max_minutes": max_minutes,
                "speed_m_per_s": speed_m_per_s,
                "network_stats": self.network_stats,
                "snap": snap_rows,
            }
            walk_cache.save_matrix(self.last_cache_path, result, key, meta)
        return result

    def snap_distances(self, points: gpd.GeoSeries) -> pd.Series:
        """Metres from each point to the network (its off-network leg), indexed like ``points``."""
        graph = self.graph(points.crs)
        return pd.Series(graph.snap(_coords(points, "points")).offset, index=points.index, name="snap_m")

    def _report(self, snap: Snap, side: str) -> None:
        off = snap.offset
        row = {
            "call": self._calls,
            "side": side,
            "points": len(off),
            "median_m": float(np.median(off)) if len(off) else np.nan,
            "p95_m": float(np.percentile(off, 95)) if len(off) else np.nan,
            "max_m": float(off.max()) if len(off) else np.nan,
            "mean_m": float(off.mean()) if len(off) else np.nan,
        }
        self._append_report(row)

    def _append_report(self, row: dict[str, Any]) -> None:
        frame = pd.DataFrame([row])
        self.snap_report = (
            frame if self.snap_report.empty else pd.concat([self.snap_report, frame], ignore_index=True)
        )


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


def _common_crs(origins: gpd.GeoSeries, destinations: gpd.GeoSeries) -> CRS | None:
    """The points' shared metric CRS (None when neither has one)."""
    a, b = origins.crs, destinations.crs
    if a is not None and b is not None and a != b:
        raise ValueError(f"origins ({a.name}) and destinations ({b.name}) must share one CRS")
    crs = a if a is not None else b
    if crs is not None and crs.is_geographic:
        raise ValueError(f"walk minutes need points in a metric CRS, got {crs.name}")
    return crs


def _coords(points: gpd.GeoSeries, what: str) -> np.ndarray:
    """``(n, 2)`` coordinates of a point GeoSeries; empty or non-point geometries are an error."""
    geoms = points.to_numpy()
    bad = shapely.is_empty(geoms) | (shapely.get_type_id(geoms) != 0) | pd.isna(geoms)
    if bad.any():
        first = points.index[np.flatnonzero(bad)[0]]
        raise ValueError(f"{what}: {int(bad.sum())} geometries are not points (first id: {first!r})")
    return shapely.get_coordinates(geoms)
