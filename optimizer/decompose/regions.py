"""Walkable regions of a linear program: the connected parts left once the shared rows are set aside.

Coverage never reaches beyond the longest walk limit, so a demand unit's cover row joins it only to the
sites within reach, and a site's floor-area and formats-per-site rows join only that site's pairs. The
rows that span the whole city (the budgets and the equity mandates) are the *shared* rows; every other
row is *local*. Two columns are in the same region when a chain of local rows links them, so regions are
the connected components of the bipartite graph of columns and local rows: an array operation on the
sparse matrix, no geometry needed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ..lp import INF, LinearProgram


@dataclass(frozen=True)
class Shared:
    """The shared rows written as ``H v <= h`` (a row with both bounds finite gives two), each scaled
    by the larger of its limit and its largest coefficient so that prices on rows in yuan and in
    residents are comparable."""

    H: sp.csr_array
    h: np.ndarray
    rows: np.ndarray  # the LP row of each shared row
    sign: np.ndarray  # +1: row <= hi; -1: -row <= -lo
    least: np.ndarray  # per shared row, the least ``H v`` over the variables' bounds

    @property
    def n(self) -> int:
        return len(self.h)


@dataclass(frozen=True)
class Regions:
    """Column and local-row positions of each region (regions ordered by size, largest first)."""

    cols: tuple[np.ndarray, ...]
    rows: tuple[np.ndarray, ...]
    shared: Shared

    @property
    def n(self) -> int:
        return len(self.cols)


def shared_rows(lp: LinearProgram, blocks: Iterable[str]) -> Shared:
    """The rows of the named blocks as ``H v <= h``, one row per finite bound, each scaled by the
    larger of its limit and its largest coefficient."""
    idx = np.concatenate([np.arange(lp.n_rows)[lp.rows(b)] for b in blocks] or [np.zeros(0, dtype=np.int64)])
    idx = np.asarray(idx, dtype=np.int64)
    hi, lo = lp.row_ub[idx], lp.row_lb[idx]
    up, down = idx[np.isfinite(hi)], idx[np.isfinite(lo)]
    rows = np.r_[up, down].astype(np.int64)
    sign = np.r_[np.ones(len(up)), -np.ones(len(down))]
    H = sp.csr_array(sp.diags_array(sign) @ lp.A[rows]) if len(rows) else sp.csr_array((0, lp.n_cols))
    h = np.r_[lp.row_ub[up], -lp.row_lb[down]]
    scale = np.ones(len(rows))
    if len(rows):
        scale = np.maximum(np.asarray(abs(H).max(axis=1).todense()).ravel(), np.abs(h))
        scale = np.maximum(scale, 1e-12)
    H = sp.csr_array(sp.diags_array(1.0 / scale) @ H)
    return Shared(H, h / scale, rows, sign, _row_minimum(H, lp.lb, lp.ub))


def local_rows(lp: LinearProgram, shared_blocks: Iterable[str]) -> np.ndarray:
    """Positions of the rows outside the named shared blocks: those that join only nearby columns."""
    return np.flatnonzero(~lp.row_mask(shared_blocks))


def find_regions(lp: LinearProgram, shared_blocks: Iterable[str]) -> Regions:
    """The regions of ``lp`` once the rows of ``shared_blocks`` are set aside: the connected parts of
    the graph whose nodes are the rows and the columns and whose edges are the local rows' entries. The
    graph is the matrix's own index arrays, shifted, with no copy of its values and only one direction
    of each edge (the search walks both): on L 32 bytes per nonzero at its peak, against 68 for the
    symmetric graph built through coordinates (bench/RESULTS.md)."""
    blocks = tuple(shared_blocks)
    shared = shared_rows(lp, blocks)
    is_local = ~lp.row_mask(blocks)
    local = np.flatnonzero(is_local)
    m, n = lp.A.shape
    lengths = np.diff(lp.A.indptr)
    indptr = np.zeros(m + n + 1, dtype=np.int64)
    np.cumsum(np.where(is_local, lengths, 0), out=indptr[1 : m + 1])
    indptr[m + 1 :] = indptr[m]
    index = np.int32 if m + n < 2**31 else np.int64
    indices = (lp.A.indices[np.repeat(is_local, lengths)] + m).astype(index, copy=False)
    graph = sp.csr_array((np.ones(len(indices)), indices, indptr), shape=(m + n, m + n))
    _, label = connected_components(graph, directed=False)
    del graph, indices
    row_label, col_label = label[local], label[m:]
    n_labels = int(label.max()) + 1 if len(label) else 0
    col_groups = _groups(col_label, n_labels)
    row_groups = _groups(row_label, n_labels)
    sizes = np.array([len(g) for g in col_groups], dtype=np.int64)
    order = [int(r) for r in np.argsort(-sizes, kind="stable") if sizes[r]]
    return Regions(tuple(col_groups[r] for r in order), tuple(local[row_groups[r]] for r in order), shared)


def _groups(label: np.ndarray, n: int) -> list[np.ndarray]:
    """The positions holding each label 0..n-1, ascending (one sort, not a scan per label: a city can
    have thousands of regions)."""
    order = np.argsort(label, kind="stable")
    return np.split(order, np.cumsum(np.bincount(label, minlength=n))[:-1])


def region_lp(lp: LinearProgram, regions: Regions, k: int, caps: np.ndarray | None = None) -> LinearProgram:
    """Region k alone: its columns, its local rows, and each shared row cut to what region k may use
    whatever the other regions do (``H_k v_k <= h - sum over the others of min H v`` within the bounds),
    a valid row that keeps the region from planning beyond any shared limit on its own. ``caps`` (one
    per shared row, scaled) tightens those rows further: a share of the shared limits for this region."""
    cols, rows = regions.cols[k], regions.rows[k]
    sh = regions.shared
    own = _row_minimum(sh.H[:, cols], lp.lb[cols], lp.ub[cols])
    rest = sh.least - own
    cap = sh.h - rest if caps is None else np.minimum(sh.h - rest, caps)
    A = sp.csr_array(sp.vstack([lp.A[rows][:, cols], sh.H[:, cols]]))
    keep = np.isfinite(cap)
    A = sp.csr_array(A[np.r_[np.ones(len(rows), dtype=bool), keep]])
    return LinearProgram(
        lp.sense,
        lp.c[cols],
        lp.lb[cols],
        lp.ub[cols],
        lp.integer[cols],
        A,
        np.r_[lp.row_lb[rows], np.full(int(keep.sum()), -INF)],
        np.r_[lp.row_ub[rows], cap[keep]],
    )


def _row_minimum(H: sp.csr_array, lb: np.ndarray, ub: np.ndarray) -> np.ndarray:
    """Per row, the least value of ``H v`` over the box ``lb <= v <= ub`` (-inf when unbounded)."""
    if H.shape[0] == 0:
        return np.zeros(0)
    coo = sp.coo_array(H)
    at_lb = coo.data * lb[coo.col]
    at_ub = coo.data * ub[coo.col]
    with np.errstate(invalid="ignore"):
        least = np.where(coo.data >= 0, at_lb, at_ub)
    least = np.where(np.isnan(least), -INF, least)
    weights = np.where(np.isfinite(least), least, 0.0)
    # float even for rows without entries (bincount of nothing gives integers)
    out = np.bincount(coo.row, weights=weights, minlength=H.shape[0]).astype(float, copy=False)
    out[np.unique(coo.row[~np.isfinite(least)])] = -INF
    return out


def merged(regions: Regions, n_parts: int) -> Regions:
    """At most ``n_parts`` parts, each a union of whole regions, balanced by column count (largest
    region first into the smallest part). A part is solved as one MIP: merging never weakens the bound,
    since a part keeps its own copy of the shared rows."""
    if regions.n <= n_parts:
        return regions
    load = np.zeros(n_parts)
    members: list[list[int]] = [[] for _ in range(n_parts)]
    for k in np.argsort([-len(c) for c in regions.cols], kind="stable"):
        p = int(np.argmin(load))
        members[p].append(int(k))
        load[p] += len(regions.cols[k])
    parts = [m for m in members if m]
    return Regions(
        tuple(np.sort(np.concatenate([regions.cols[k] for k in m])) for m in parts),
        tuple(np.sort(np.concatenate([regions.rows[k] for k in m])) for m in parts),
        regions.shared,
    )
