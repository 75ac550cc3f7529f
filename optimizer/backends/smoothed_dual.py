r"""A bound on an LP relaxation too large for any solver's copy: minimise the dual function, smoothed.

For a maximisation :math:`\max\{c^\top v : \ell^r \le Av \le u^r,\ \ell \le v \le u\}`, every row price
vector :math:`p` (non-negative on rows with only an upper limit, non-positive with only a lower one)
proves the bound

.. math::
   D(p) = \sum_r \max(p_r u^r_r,\ p_r \ell^r_r) + \sum_j \max(d_j u_j,\ d_j \ell_j),
   \qquad d = c - A^\top p

(:meth:`~optimizer.lp.LinearProgram.dual_bound`), and :math:`\min_p D(p)` is the LP's optimum. :math:`D`
is convex and piecewise linear; with each kink :math:`\max(0, t)` replaced by the softplus
:math:`\mu \log(1 + e^{t/\mu})` (an upper approximation within :math:`\mu \log 2`) it becomes smooth,
and L-BFGS-B minimises it under the sign bounds, for widths :math:`\mu` falling in stages (each from the
last stage's prices; a stage but the last ends early, leaving its time to the finer ones, once the exact
bound stops moving). Every evaluation costs two sparse products with :math:`A` (the caller's own
matrix: no copy is made) and also yields the exact :math:`D` at that point, so the bound reported is the
least exact :math:`D` met: valid whenever the method stops, however far from converged.

On the L benchmark city (7.5 million nonzeros) HiGHS's PDLP proves a tighter bound sooner (0.02% above
the LP optimum in 99 s; this method 0.7% in 50 s, 0.17% in 100 s), but on the XL city (135 million) PDLP
returned nothing in 850 s and its copy of the model took 12.8 GB; this method needs only a few vectors of
the model's size (``bench/RESULTS.md``).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, minimize

try:  # the kernels behind ``A @ v`` for CSR and CSC, called on ranges of rows (see _Products)
    from scipy.sparse._sparsetools import csc_matvec, csr_matvec

    _KERNELS = True
except ImportError:  # pragma: no cover - a scipy without them: one thread
    _KERNELS = False

from ..deadline import Deadline
from ..executor import available_cpus
from ..lp import LinearProgram, row_ranges

# Smoothing widths, relative to the objective's typical coefficient, and the share of the time for each.
STAGES: tuple[tuple[float, float], ...] = ((0.1, 0.4), (0.01, 0.35), (0.001, 0.25))
MIN_WIDTH = 1e-8
MEMORY_PAIRS = 10  # L-BFGS-B's history (each pair two vectors of the rows' size)
# A stage other than the last ends early, its time going to the finer ones, once its last
# STALL_EVALUATIONS evaluations tightened the bound by less than STALL_SHARE of it: near the smoothed
# function's minimum the exact bound stops moving, and only a finer width tightens it further.
STALL_EVALUATIONS = 50
STALL_SHARE = 1e-4
CHUNK = 1 << 22  # entries read at once when scanning the matrix
LOG_EVERY = 100  # evaluations between debug log lines (seconds, evaluations, width, best bound)

log = logging.getLogger(__name__)


class _Stop(Exception):
    """The deadline passed during an evaluation (an L-BFGS-B iteration may take several)."""


@dataclass
class _Best:
    bound: float = np.inf
    evaluations: int = 0

    def stalled(self, seen: deque[tuple[int, float]]) -> bool:
        """Whether the last :data:`STALL_EVALUATIONS` evaluations tightened the bound by less than
        :data:`STALL_SHARE` of it. ``seen``: (evaluations, bound) at the stage's iterations so far (this
        one is appended; those older than needed are dropped)."""
        seen.append((self.evaluations, self.bound))
        back = self.evaluations - STALL_EVALUATIONS
        while len(seen) > 1 and seen[1][0] <= back:
            seen.popleft()
        evaluations, old = seen[0]
        if evaluations > back or not np.isfinite(old) or not np.isfinite(self.bound):
            return False
        return old - self.bound < STALL_SHARE * abs(self.bound)


def _row_abs_max(lp: LinearProgram) -> np.ndarray:
    """Each row's largest absolute coefficient (0 for an empty row), read a slice of rows at a time."""
    ptr, data = lp.A.indptr, lp.A.data
    out = np.zeros(lp.n_rows)
    for r0, r1 in row_ranges(ptr, CHUNK):
        seg = ptr[r0 : r1 + 1] - ptr[r0]
        vals = np.abs(data[ptr[r0] : ptr[r1]])
        if len(vals):
            m = np.maximum.reduceat(vals, np.minimum(seg[:-1], len(vals) - 1))
            out[r0:r1] = np.where(seg[:-1] == seg[1:], 0.0, m)
    return out


class _Products:
    """``A v`` and ``A^T p`` over ranges of rows, one thread per range. The kernels are scipy's own
    (those behind ``A @ v``), called on each range of the matrix's own arrays: they release the GIL,
    and a range needs no copy (a ``csr_array`` built on a slice copies it). ``A^T p`` sums one column
    vector per range. Without the kernels (a scipy that moved them), one thread and ``A @ v``."""

    def __init__(self, A: sp.csr_array, threads: int, pool: ThreadPoolExecutor | None) -> None:
        self.A, self.pool = A, pool
        n_parts = max(1, threads) if pool is not None and _KERNELS else 1
        self.rows = row_ranges(A.indptr, -(-A.nnz // n_parts))
        col_cuts = np.unique(np.linspace(0, A.shape[1], len(self.rows) + 1).astype(np.int64))
        self.cols = [(int(c0), int(c1)) for c0, c1 in zip(col_cuts[:-1], col_cuts[1:], strict=True)]

    def each(self, fn: Callable[[int, int], float]) -> float:
        """The sum of ``fn(c0, c1)`` over the ranges of columns, one thread each (numpy's element-wise
        functions release the GIL too)."""
        if self.pool is None or len(self.cols) < 2:
            return sum(fn(c0, c1) for c0, c1 in self.cols)
        return sum(self.pool.map(lambda r: fn(*r), self.cols))

    def times(self, v: np.ndarray) -> np.ndarray:
        """``A v``."""
        if len(self.rows) < 2:
            return np.asarray(self.A @ v, dtype=float)
        A, out = self.A, np.zeros(self.A.shape[0])
        v = np.ascontiguousarray(v, dtype=float)

        def part(r: tuple[int, int]) -> None:
            csr_matvec(
                r[1] - r[0], A.shape[1], A.indptr[r[0] : r[1] + 1], A.indices, A.data, v, out[r[0] : r[1]]
            )

        list(self.pool.map(part, self.rows))  # type: ignore[union-attr]
        return out

    def transposed(self, p: np.ndarray) -> np.ndarray:
        """``A^T p``."""
        if len(self.rows) < 2:
            return np.asarray(self.A.T @ p, dtype=float)
        A = self.A
        p = np.ascontiguousarray(p, dtype=float)

        def part(r: tuple[int, int]) -> np.ndarray:
            out = np.zeros(A.shape[1])
            csc_matvec(
                A.shape[1], r[1] - r[0], A.indptr[r[0] : r[1] + 1], A.indices, A.data, p[r[0] : r[1]], out
            )
            return out

        return np.sum(list(self.pool.map(part, self.rows)), axis=0)  # type: ignore[union-attr]


def _softplus(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """softplus(t) = log(1 + e^t) and its derivative, without overflow."""
    return np.logaddexp(0.0, t), 0.5 * (1.0 + np.tanh(0.5 * t))


class _Dual:
    """The (smoothed) dual function of a maximisation in scaled prices ``theta`` (``p = theta * scale``)."""

    def __init__(self, lp: LinearProgram, deadline: Deadline | None, products: _Products) -> None:
        self.lp = lp
        self.deadline = deadline
        self.products = products  # the products with lp.A
        self.sign = 1.0 if lp.sense == "max" else -1.0
        self.c = self.sign * lp.c
        self.lb, self.ub = lp.lb, lp.ub
        self.rlo, self.rhi = lp.row_lb, lp.row_ub
        has_hi, has_lo = np.isfinite(self.rhi), np.isfinite(self.rlo)
        self.ranged = has_hi & has_lo
        # Price bounds in scaled units: >= 0 with only an upper limit, <= 0 with only a lower one.
        lo = np.where(has_lo, -np.inf, 0.0)
        hi = np.where(has_hi, np.inf, 0.0)
        self.bounds = Bounds(lo, hi)
        row_max = _row_abs_max(lp)
        self.scale = 1.0 / np.where(row_max > 0, row_max, 1.0)
        nonzero = np.abs(self.c[self.c != 0])
        self.typical = float(np.median(nonzero)) if len(nonzero) else 1.0
        self.col_width = np.maximum(np.abs(self.c), self.typical)
        self.row_width = self.typical * self.scale
        # a one-sided row's term is linear: its price has the limit's sign
        self.row_coef = np.where(has_hi & ~has_lo, self.rhi, np.where(has_lo & ~has_hi, self.rlo, 0.0))
        # Columns with an infinite bound: the smoothed term uses a large finite stand-in (the exact
        # bound is then infinite wherever such a column's reduced cost points that way).
        big = 1e6 * max(1.0, float(np.max(np.abs(np.where(np.isfinite(self.ub), self.ub, 0.0)), initial=1.0)))
        self.ub_s = np.where(np.isfinite(self.ub), self.ub, big)
        self.lb_s = np.where(np.isfinite(self.lb), self.lb, -big)
        self.best = _Best()
        self.t0 = time.perf_counter()

    def __call__(self, theta: np.ndarray, mu: float) -> tuple[float, np.ndarray]:
        if self.deadline is not None and self.deadline.expired and self.best.evaluations:
            raise _Stop
        p = theta * self.scale
        d = self.c - self.products.transposed(p)
        # rows: linear on one-sided rows (the price's sign is fixed), smoothed kink on ranged rows
        val_r = self.row_coef * p
        grad_r = self.row_coef.copy()
        if self.ranged.any():
            rg = self.ranged
            w = mu * self.row_width[rg]
            s, ds = _softplus(p[rg] / w)
            span = self.rhi[rg] - self.rlo[rg]
            val_r[rg] = self.rlo[rg] * p[rg] + span * w * s
            grad_r[rg] = self.rlo[rg] + span * ds
        dval_dd = np.empty_like(d)

        def columns(c0: int, c1: int) -> float:  # the columns' smoothed terms and their derivative in d
            w, lb, span = mu * self.col_width[c0:c1], self.lb_s[c0:c1], self.ub_s[c0:c1] - self.lb_s[c0:c1]
            s, ds = _softplus(d[c0:c1] / w)
            dval_dd[c0:c1] = lb + span * ds
            return float((lb * d[c0:c1] + span * w * s).sum())

        val_c = self.products.each(columns)
        exact = self.lp.max_form_dual(p, d)
        self.best.evaluations += 1
        if exact < self.best.bound:
            self.best.bound = exact
        if self.best.evaluations % LOG_EVERY == 0:
            took, bound = time.perf_counter() - self.t0, self.sign * self.best.bound
            log.debug(
                "smoothed dual: %.1f s, %d evaluations, width %g, bound %.1f",
                took,
                self.best.evaluations,
                mu,
                bound,
            )
        grad = (grad_r - self.products.times(dval_dd)) * self.scale
        return float(val_r.sum() + val_c), grad


def smoothed_dual_bound(
    lp: LinearProgram, deadline: Deadline, threads: int | None = None
) -> tuple[float | None, str]:
    """The least dual bound met by the deadline (see the module docstring) and a line saying how it
    went; the bound is None when none is finite (an unbounded column meets a price that needs it).
    The products with the matrix run on ``threads`` threads (default: every CPU this process may use)."""
    n = available_cpus() if threads is None else max(1, threads)
    with ThreadPoolExecutor(n) if n > 1 else nullcontext() as pool:
        return _minimise(_Dual(lp, deadline, _Products(lp.A, n, pool)), deadline)


def _minimise(f: _Dual, deadline: Deadline) -> tuple[float | None, str]:
    """L-BFGS-B on ``f`` for each smoothing width of :data:`STAGES` in turn, by the deadline."""
    lp = f.lp
    theta = np.zeros(lp.n_rows)
    if lp.n_rows == 0:  # no rows: every column at its best bound
        f(theta, 1.0)
        return f.sign * f.best.bound if np.isfinite(f.best.bound) else None, "no rows"

    t0 = time.perf_counter()
    total = max(deadline.left(), 0.0)
    stages = [(mu, t0 + total * sum(sh for _, sh in STAGES[: k + 1])) for k, (mu, _) in enumerate(STAGES)]
    k = 0
    while k < len(stages) and not deadline.expired:
        mu, end = stages[k]
        before = f.best.bound
        last = k == len(stages) - 1
        seen: deque[tuple[int, float]] = deque()

        def stop(
            _: object, end: float = end, last: bool = last, seen: deque[tuple[int, float]] = seen
        ) -> None:
            if time.perf_counter() >= end or deadline.expired or (not last and f.best.stalled(seen)):
                raise StopIteration

        options = {"maxiter": 1_000_000, "maxcor": MEMORY_PAIRS, "ftol": 0.0, "gtol": 0.0}
        try:
            res = minimize(f, theta, (mu,), "L-BFGS-B", True, bounds=f.bounds, callback=stop, options=options)
        except _Stop:
            break
        theta = res.x
        k += 1
        # Converged before its time: go on with a finer smoothing while that still tightens the bound.
        if k == len(stages) and f.best.bound < before - 1e-12 * abs(before) and mu > MIN_WIDTH:
            stages.append((mu / 10, t0 + total))
    bound = f.best.bound
    if not np.isfinite(bound):
        return None, f"no finite bound after {f.best.evaluations} evaluations"
    return f.sign * bound, f"{f.best.evaluations} evaluations of the dual function"


__all__ = ["STAGES", "smoothed_dual_bound"]
