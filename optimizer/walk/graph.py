"""The street graph walks run on: straight segments between merged vertices, and snapping points to it.

1. The walkable lines (:mod:`optimizer.walk.osm`) are projected to the caller's metric CRS and
   split into straight segments at every vertex; vertices closer than ``merge_tolerance_m``
   (1 cm) become one node. Each segment's length is the distance between its two nodes. Only
   the largest connected component is kept (:attr:`WalkGraph.stats` says how much was left).
2. Every point is snapped to its nearest segment (shapely ``STRtree.query_nearest``): its walk
   is the straight off-network leg to its projection on the segment, then along the segment
   to either end node. Two points on the same segment may also walk directly along it
   (:func:`optimizer.walk.distances.point_distances`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import scipy.sparse as sp
import shapely
from pyproj import CRS
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from . import _dijkstra

#: Vertices closer than this (metres) are merged into one node.
DEFAULT_MERGE_TOLERANCE_M = 0.01


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
