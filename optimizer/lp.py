"""A mixed-integer linear program in array form, with named variable and row blocks.

:class:`LPBuilder` takes variable blocks and constraint blocks by name and computes every offset
(constraints name their terms by variable block and position inside it); :class:`LinearProgram` is
the frozen result the backends solve: ``row_lb <= A v <= row_ub``, ``lb <= v <= ub``, objective ``c``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np
import scipy.sparse as sp

INF = np.inf


@dataclass(frozen=True)
class LinearProgram:
    """A MILP in array form: ``row_lb <= A v <= row_ub``, ``lb <= v <= ub``, objective ``c`` (``sense``)."""

    sense: str  # "max" or "min"
    c: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    integer: np.ndarray
    A: sp.csr_array
    row_lb: np.ndarray
    row_ub: np.ndarray
    col_blocks: Mapping[str, slice] = field(default_factory=dict)
    row_blocks: Mapping[str, slice] = field(default_factory=dict)

    @property
    def n_cols(self) -> int:
        return len(self.c)

    @property
    def n_rows(self) -> int:
        return len(self.row_lb)

    def cols(self, block: str) -> slice:
        """Column positions of a variable block (an empty slice when the block does not exist)."""
        return self.col_blocks.get(block, slice(0, 0))

    def rows(self, block: str) -> slice:
        """Row positions of a constraint block (an empty slice when the block does not exist)."""
        return self.row_blocks.get(block, slice(0, 0))

    def row_mask(self, blocks: Iterable[str]) -> np.ndarray:
        """True on the rows of the named constraint blocks (blocks that do not exist mark nothing)."""
        mask = np.zeros(self.n_rows, dtype=bool)
        for block in blocks:
            mask[self.rows(block)] = True
        return mask

    def with_objective(self, c: np.ndarray, sense: str) -> LinearProgram:
        return replace(self, c=np.asarray(c, dtype=float), sense=sense)

    def with_rows(self, name: str, A: sp.csr_array, lo: np.ndarray, hi: np.ndarray) -> LinearProgram:
        """A copy with a block of rows appended."""
        n = self.n_rows
        blocks = dict(self.row_blocks)
        blocks[name] = slice(n, n + A.shape[0])
        return replace(
            self,
            A=sp.csr_array(sp.vstack([self.A, A])),
            row_lb=np.r_[self.row_lb, lo],
            row_ub=np.r_[self.row_ub, hi],
            row_blocks=MappingProxyType(blocks),
        )

    def relaxed(self, blocks: Iterable[str]) -> LinearProgram:
        """A copy where the named row blocks constrain nothing (bounds -inf..inf)."""
        lo, hi = self.row_lb.copy(), self.row_ub.copy()
        for b in blocks:
            s = self.rows(b)
            lo[s], hi[s] = -INF, INF
        return replace(self, row_lb=lo, row_ub=hi)

    def save(self, path: str | os.PathLike[str], **extra: np.ndarray) -> None:
        """The arrays to ``path`` (.npz; block names are not kept), with ``extra`` arrays beside them,
        for a solver in a process of its own (:meth:`load`)."""
        arrays: dict[str, Any] = {
            "sense": np.array(self.sense),
            "c": self.c,
            "lb": self.lb,
            "ub": self.ub,
            "integer": self.integer,
            "row_lb": self.row_lb,
            "row_ub": self.row_ub,
            "indptr": self.A.indptr,
            "indices": self.A.indices,
            "data": self.A.data,
            "shape": np.array(self.A.shape),
        }
        arrays.update(extra)
        np.savez(path, **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> tuple[LinearProgram, dict[str, np.ndarray]]:
        """A program written by :meth:`save`, and the extra arrays saved with it."""
        with np.load(path) as f:
            A = sp.csr_array((f["data"], f["indices"], f["indptr"]), shape=tuple(f["shape"]))
            lp = cls(str(f["sense"]), f["c"], f["lb"], f["ub"], f["integer"], A, f["row_lb"], f["row_ub"])
            own = {"sense", "c", "lb", "ub", "integer", "row_lb", "row_ub", "indptr", "indices", "data"}
            return lp, {k: f[k] for k in f.files if k not in own | {"shape"}}

    def dual_bound(self, prices: np.ndarray) -> float:
        """A bound on the LP relaxation's optimum, valid for *any* row prices (weak duality): for a
        maximisation, with each price first moved to the sign its row allows (>= 0 on a row with only
        an upper limit, <= 0 with only a lower one),

            max_v c v  <=  sum_r (p_r hi_r if p_r > 0 else p_r lo_r)
                           + sum_j max_{lb_j <= v_j <= ub_j} (c - A^T p)_j v_j

        (for a minimisation the same with signs reversed: a lower bound). Prices from an inexact or
        interrupted LP solve give a weaker bound, never a wrong one; +-inf when a price meets an
        infinite limit or a reduced cost an infinite variable bound."""
        sign = 1.0 if self.sense == "max" else -1.0
        p = np.asarray(prices, dtype=float) * sign
        p = np.where(np.isfinite(self.row_ub), p, np.minimum(p, 0.0))
        p = np.where(np.isfinite(self.row_lb), p, np.maximum(p, 0.0))
        return sign * self.max_form_dual(p, sign * self.c - self.A.T @ p)

    def max_form_dual(self, p: np.ndarray, red: np.ndarray) -> float:
        """The right-hand side of :meth:`dual_bound`'s inequality for the maximisation form: row prices
        ``p`` already of their rows' signs and their reduced costs ``red`` (a caller that has ``red``
        at hand spares the product with the matrix)."""
        with np.errstate(invalid="ignore"):
            rows = np.where(p > 0, p * self.row_ub, np.where(p < 0, p * self.row_lb, 0.0))
            cols = np.where(red > 0, red * self.ub, np.where(red < 0, red * self.lb, 0.0))
        return float(rows.sum() + cols.sum())

    def activity(self, values: np.ndarray) -> np.ndarray:
        """Row activities ``A v``."""
        return np.asarray(self.A @ values, dtype=float)

    def is_feasible(self, values: np.ndarray, tol: float = 1e-6) -> bool:
        """Whether column values satisfy every row and bound (tolerance relative to each bound)."""
        act = self.activity(values)

        def scale(b: np.ndarray) -> np.ndarray:
            return tol * np.maximum(1.0, np.abs(np.where(np.isfinite(b), b, 0)))

        return bool(
            np.all(act <= self.row_ub + scale(self.row_ub))
            and np.all(act >= self.row_lb - scale(self.row_lb))
            and np.all(values >= self.lb - tol)
            and np.all(values <= self.ub + tol)
        )


def segment_positions(ptr: np.ndarray, which: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For a compressed sparse matrix's pointer array ``ptr`` (CSR rows or CSC columns): the positions of
    the entries of segments ``which``, in order, and the pointers of those segments within them (so
    ``indices[pos]`` are their entries without slicing the matrix)."""
    which = np.asarray(which, dtype=np.int64)
    lo, hi = ptr[which], ptr[which + 1]
    lens = (hi - lo).astype(np.int64)
    new_ptr = np.zeros(len(which) + 1, dtype=np.int64)
    np.cumsum(lens, out=new_ptr[1:])
    pos = np.repeat(lo.astype(np.int64) - new_ptr[:-1], lens) + np.arange(new_ptr[-1], dtype=np.int64)
    return pos, new_ptr


def row_ranges(ptr: np.ndarray, entries: int) -> list[tuple[int, int]]:
    """Consecutive ranges ``(r0, r1)`` of a compressed sparse matrix's segments (``ptr``: CSR rows or
    CSC columns) covering all of them, a new range starting at the segment that holds every
    ``entries``-th entry: beyond its first segment a range holds at most ``entries`` entries, and there
    are at most ``ceil(nnz / entries)`` ranges (one for segments without entries). For reading a large
    matrix a slice at a time, or in about even parts on several threads."""
    n, nnz = len(ptr) - 1, int(ptr[-1])
    inner = np.searchsorted(ptr, np.arange(max(entries, 1), nnz, max(entries, 1)), "right") - 1
    cuts = np.unique(np.r_[0, inner, n]) if n else np.zeros(1, dtype=np.int64)
    return [(int(a), int(b)) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]


@dataclass(frozen=True)
class Term:
    """Coefficients of one variable block in a constraint block: entry k is ``vals[k]`` at row
    ``rows[k]`` (position inside the block) and column ``cols[k]`` (position inside ``var``)."""

    var: str
    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray


@dataclass(frozen=True)
class Constraints:
    """A named block of rows ``lo <= sum of terms <= hi``."""

    name: str
    terms: tuple[Term, ...]
    lo: np.ndarray
    hi: np.ndarray

    @property
    def n(self) -> int:
        return len(self.lo)


@dataclass
class _Vars:
    name: str
    lb: np.ndarray
    ub: np.ndarray
    integer: bool
    cost: np.ndarray


class LPBuilder:
    """Collects named variable and constraint blocks; :meth:`build` lays them out (offsets computed)
    once: it lets go of the constraint blocks as it makes the matrix, to keep the peak memory low."""

    def __init__(self) -> None:
        self._vars: dict[str, _Vars] = {}
        self._cons: dict[str, Constraints] = {}

    def add_variables(
        self,
        name: str,
        n: int,
        lb: float | np.ndarray = 0.0,
        ub: float | np.ndarray = 1.0,
        integer: bool = False,
        cost: float | np.ndarray = 0.0,
    ) -> None:
        if name in self._vars:
            raise ValueError(f"variable block '{name}' added twice")
        self._vars[name] = _Vars(
            name,
            np.broadcast_to(np.asarray(lb, dtype=float), (n,)).copy(),
            np.broadcast_to(np.asarray(ub, dtype=float), (n,)).copy(),
            integer,
            np.broadcast_to(np.asarray(cost, dtype=float), (n,)).copy(),
        )

    def add_constraints(self, block: Constraints) -> None:
        if block.name in self._cons:
            raise ValueError(f"constraint block '{block.name}' added twice")
        for t in block.terms:
            if t.var not in self._vars:
                raise ValueError(f"constraint block '{block.name}' uses unknown variables '{t.var}'")
        self._cons[block.name] = block

    def col_blocks(self) -> dict[str, slice]:
        out, start = {}, 0
        for v in self._vars.values():
            out[v.name] = slice(start, start + len(v.lb))
            start += len(v.lb)
        return out

    def build(self, sense: str = "max") -> LinearProgram:
        cols = self.col_blocks()
        n = sum(len(v.lb) for v in self._vars.values())
        # Entries are gathered one array at a time, each freed once joined, in 32-bit indices when they
        # fit: a district's model has over 100 million nonzeros, and every extra copy costs gigabytes.
        n_rows = sum(con.n for con in self._cons.values())
        index = np.int32 if max(n_rows, n) < 2**31 - 1 else np.int64
        starts, row_blocks, start = [], {}, 0
        for con in self._cons.values():
            row_blocks[con.name] = slice(start, start + con.n)
            starts.append(start)
            start += con.n

        def gather(part: Callable[[int, Term], np.ndarray], dtype: type) -> np.ndarray:
            blocks = zip(starts, self._cons.values(), strict=True)
            parts = [part(s0, t) for s0, con in blocks for t in con.terms]
            return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype=dtype)

        rows = gather(lambda s0, t: (s0 + np.asarray(t.rows, dtype=np.int64)).astype(index), index)
        at = gather(lambda _, t: (cols[t.var].start + np.asarray(t.cols, np.int64)).astype(index), index)
        vals = gather(lambda _, t: np.asarray(t.vals, dtype=float), float)
        lo = np.concatenate([np.asarray(c.lo, dtype=float) for c in self._cons.values()] or [np.zeros(0)])
        hi = np.concatenate([np.asarray(c.hi, dtype=float) for c in self._cons.values()] or [np.zeros(0)])
        self._cons = {}  # a builder builds once: its blocks are freed before the matrix is made

        def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
            return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype=dtype)

        A = sp.csr_array((vals, (rows, at)), shape=(start, n))
        del rows, at, vals
        A.sum_duplicates()
        vs = list(self._vars.values())
        return LinearProgram(
            sense,
            cat([v.cost for v in vs], float),
            cat([v.lb for v in vs], float),
            cat([v.ub for v in vs], float),
            cat([np.full(len(v.lb), v.integer) for v in vs], bool),
            A,
            lo,
            hi,
            MappingProxyType(cols),
            MappingProxyType(row_blocks),
        )
