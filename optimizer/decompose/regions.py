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

from ..lp import INF, LinearProgram, row_ranges

CHUNK_NNZ = 1 << 22  # entries of the matrix read at a time by column_roots (about 50 MB of temporaries)


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


def find_regions(lp: LinearProgram, shared_blocks: Iterable[str], chunk: int = CHUNK_NNZ) -> Regions:
    """The regions of ``lp`` once the rows of ``shared_blocks`` are set aside: the connected parts of
    the graph whose nodes are the rows and the columns and whose edges are the local rows' entries,
    found by :func:`column_roots` on the matrix's own arrays, ``chunk`` entries at a time, with no graph
    of the whole matrix (which took 32 bytes per nonzero at its peak: about 4 GB on XL; bench/RESULTS.md).
    Regions come largest first, ties in the order of their first row (of their first column when they
    have no local row); a local row without entries belongs to none."""
    blocks = tuple(shared_blocks)
    shared = shared_rows(lp, blocks)
    A = lp.A
    m, n = A.shape
    is_local = ~lp.row_mask(blocks)
    local = np.flatnonzero(is_local & (np.diff(A.indptr) > 0))
    _, col_label = np.unique(column_roots(A, is_local, chunk), return_inverse=True)
    col_label = col_label.ravel()
    n_labels = int(col_label.max()) + 1 if n else 0
    row_label = col_label[A.indices[A.indptr[local]]]  # a row is in the region of its first column
    first = np.full(n_labels, m + n, dtype=np.int64)  # each region's first node, rows before columns
    np.minimum.at(first, col_label, m + np.arange(n))
    np.minimum.at(first, row_label, local)
    col_groups = _groups(col_label, n_labels)
    row_groups = _groups(row_label, n_labels)
    sizes = np.array([len(g) for g in col_groups], dtype=np.int64)
    order = np.lexsort((first, -sizes))
    return Regions(tuple(col_groups[r] for r in order), tuple(local[row_groups[r]] for r in order), shared)


def column_roots(A: sp.csr_array, rows: np.ndarray, chunk: int = CHUNK_NNZ) -> np.ndarray:
    """Per column of ``A``, the least column joined to it by a chain of the rows where ``rows`` is
    True: a union-find over those rows' entries, vectorised. Each pass hooks the roots met in every row
    onto that row's least root (``parent[root] = min(parent[root], least)``, which only ever lowers a
    parent, so no cycle forms) and then follows every column's pointers to its root; passes repeat
    until one hooks nothing, when every row's columns share one root. Rows are read ``chunk`` entries
    at a time, so memory is the columns' parents and one chunk."""
    n = A.shape[1]
    parent = np.arange(n, dtype=np.int64)
    indptr = A.indptr
    ranges = row_ranges(indptr, chunk)
    hooked = True
    while hooked:
        hooked = False
        for r0, r1 in ranges:
            lengths = np.diff(indptr[r0 : r1 + 1])
            keep = rows[r0:r1] & (lengths > 1)  # a row with one entry joins nothing
            if not keep.any():
                continue
            roots = parent[A.indices[indptr[r0] : indptr[r1]][np.repeat(keep, lengths)]]
            kept = lengths[keep]
            least = np.repeat(np.minimum.reduceat(roots, np.r_[0, np.cumsum(kept)[:-1]]), kept)
            above = roots > least
            if above.any():
                hooked = True
                np.minimum.at(parent, roots[above], least[above])
        while True:  # every column straight to its root
            up = parent[parent]
            if np.array_equal(up, parent):
                break
            parent = up
    return parent


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
