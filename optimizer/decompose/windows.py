r"""Better plans for connected cities: re-optimise one neighbourhood of the plan at a time.

A district-sized covering model is one connected region, so :mod:`.regions` cannot split it, and its
MIP is too large for branch and bound within a planner's time limit. Large-neighbourhood search keeps
the plan everywhere but in a *window* and solves the window exactly as a small MIP:

- a window is a set :math:`W` of integer columns (site-format pairs) grown from a seed column
  breadth-first along the *local* rows (a unit's cover row joins the sites within its walk, a site's
  floor-area row joins that site's formats), so it is a neighbourhood on the map: every pair that can
  take over some demand from another pair in it;
- its continuous columns (the coverage of the units those rows reach) are freed with it, closed over
  the local rows;
- every other column :math:`v_k, k\notin F` keeps its value; rows touching the free columns :math:`F`
  keep their limits less what the fixed columns use,
  :math:`\ell_r - \sum_{k\notin F} a_{rk} v_k \le \sum_{k\in F} a_{rk} v_k \le u_r - \sum_{k\notin F}
  a_{rk} v_k`, so a shared row (the capital budget) gives the window exactly the room the rest of the
  plan leaves; rows without a free column hold already and are left out;
- the window's MIP starts from the current plan (feasible there), so a window never makes the plan
  worse; a better answer replaces the window's columns.

Every step keeps the whole plan feasible and never lowers its value; it proves nothing (the bound comes
from elsewhere). Like the rest of this package it sees only a :class:`~optimizer.lp.LinearProgram`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..lp import LinearProgram, segment_positions
from ..outcome import Progress, ProgressCallback, Solution
from .regions import local_rows

# Integer columns per window: large enough to move several placements and money between them, small
# enough that HiGHS solves the window in seconds (measured on the L benchmark city, bench/RESULTS.md).
WINDOW_COLS = 300
WINDOW_SECONDS = 10.0  # at most this long on one window

SolveWindow = Callable[[LinearProgram, np.ndarray, float], Solution]


@dataclass
class WindowStats:
    """What the search did: windows solved, how many improved the plan, and the value it went through."""

    windows: int = 0
    improved: int = 0
    values: list[float] = field(default_factory=list)


class Windows:
    """The local structure of an LP: which integer columns share a local row (for growing windows) and
    the matrix by columns (for cutting a window's sub-LP out). Rows and columns are read by gathering
    the entries of the few segments asked for, from the model's own CSR matrix and one CSC copy, so a
    district's model (135 million nonzeros) is not copied once per orientation and block."""

    def __init__(self, lp: LinearProgram, shared_blocks: Iterable[str]) -> None:
        self.lp = lp
        self.A_cols = sp.csc_array(lp.A)
        self.A_rows = sp.csr_array(lp.A)  # the model's own arrays when it is CSR already
        self.is_local = np.zeros(lp.n_rows, dtype=bool)
        self.is_local[local_rows(lp, shared_blocks)] = True
        self.ints = np.flatnonzero(lp.integer)
        self.conts = np.flatnonzero(~lp.integer)
        self.pos_int = np.full(lp.n_cols, -1, dtype=np.int64)
        self.pos_int[self.ints] = np.arange(len(self.ints))
        self.pos_cont = np.full(lp.n_cols, -1, dtype=np.int64)
        self.pos_cont[self.conts] = np.arange(len(self.conts))

    def _rows_of(self, cols: np.ndarray) -> np.ndarray:
        """The local rows in which any of the LP columns ``cols`` has an entry (sorted, once each)."""
        pos, _ = segment_positions(self.A_cols.indptr, cols)
        rows = self.A_cols.indices[pos]
        return np.unique(rows[self.is_local[rows]])

    def _entries_of(self, rows: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """For every entry of ``rows``: its column's position in ``positions`` (-1 for other columns)."""
        pos, _ = segment_positions(self.A_rows.indptr, rows)
        return positions[self.A_rows.indices[pos]]

    def grow(self, seed: int, size: int, through: np.ndarray | None = None) -> np.ndarray:
        """Integer column positions (into ``self.ints``) of a window of at most ``size``, breadth-first
        from ``seed`` along local rows (only the rows where ``through`` is True, when given); the last
        ring is cut to the columns sharing most rows with it."""
        n = len(self.ints)
        inside = np.zeros(n, dtype=bool)
        inside[seed] = True
        frontier = np.array([seed])
        while inside.sum() < size and len(frontier):
            rows = self._rows_of(self.ints[frontier])
            at = self._entries_of(rows if through is None else rows[through[rows]], self.pos_int)
            links = np.bincount(at[at >= 0], minlength=n)  # rows each column shares with the frontier
            new = (links > 0) & ~inside
            if inside.sum() + new.sum() > size:
                cand = np.flatnonzero(new)
                keep = cand[np.argsort(-links[cand], kind="stable")[: size - int(inside.sum())]]
                new = np.zeros(n, dtype=bool)
                new[keep] = True
            inside |= new
            frontier = np.flatnonzero(new)
        return np.flatnonzero(inside)

    def free_columns(self, window: np.ndarray) -> np.ndarray:
        """LP columns freed with a window: its integer columns and the continuous columns joined to them
        by local rows (closed over continuous columns: coverage, then partial coverage)."""
        rows = self._rows_of(self.ints[window])
        free_c = np.zeros(len(self.conts), dtype=bool)
        for _ in range(8):  # coverage model: cover rows -> y -> exclusive rows -> z -> partial cover rows
            at = self._entries_of(rows, self.pos_cont)
            grown = free_c.copy()
            grown[at[at >= 0]] = True
            if (grown == free_c).all():
                break
            free_c = grown
            rows = np.union1d(rows, self._rows_of(self.conts[free_c]))
        return np.sort(np.r_[self.ints[window], self.conts[free_c]])

    def sub_lp(self, free: np.ndarray, values: np.ndarray) -> tuple[LinearProgram, np.ndarray]:
        """The window's LP over the ``free`` columns (every other column fixed at ``values``) and the
        LP rows it keeps: those touching a free column, their limits less what the fixed columns use."""
        lp = self.lp
        cols = sp.csc_array(self.A_cols[:, free])
        rows = np.unique(cols.indices)
        fixed = values.copy()
        fixed[free] = 0.0
        used = np.asarray(lp.A[rows] @ fixed, dtype=float)
        sub = LinearProgram(
            lp.sense,
            lp.c[free],
            lp.lb[free],
            lp.ub[free],
            lp.integer[free],
            sp.csr_array(cols[rows]),
            lp.row_lb[rows] - used,
            lp.row_ub[rows] - used,
        )
        return sub, rows


def improve_by_windows(
    lp: LinearProgram,
    values: np.ndarray,
    shared_blocks: Iterable[str],
    solve_window: SolveWindow,
    seconds: float,
    size: int = WINDOW_COLS,
    seed: int = 0,
    progress: ProgressCallback | None = None,
    narrow_blocks: Iterable[str] = (),
    narrow_share: float = 0.5,
) -> tuple[np.ndarray, WindowStats]:
    """Improve a feasible plan ``values`` window by window for ``seconds``: seeds drawn (seeded) from
    the integer columns no window has held yet, so the search sweeps the whole city before it returns
    to a neighbourhood; it stops early after a sweep in which no window improved the plan.
    ``solve_window(sub_lp, start, seconds)`` solves one window's MIP. Returns the plan (never worse
    than ``values``) and what the search did.

    With ``narrow_blocks`` (the cover rows), a share ``narrow_share`` of the windows (spread evenly;
    every other one at 0.5) is *narrow*: seeded at a column of the plan (one no window has held yet,
    while there is one) and grown only through those rows, so it holds one format's pairs over a
    wider area and can rearrange several of its placements (a window grown through every local row
    holds a few pairs of each format). Measured on the L city: narrow and wide windows by turns gain
    more than wide ones alone in the same time (bench/RESULTS.md)."""
    t0 = time.perf_counter()
    values = np.asarray(values, dtype=float).copy()
    stats = WindowStats(values=[float(lp.c @ values)])
    if not lp.integer.any():
        return values, stats
    win = Windows(lp, shared_blocks)
    narrow_blocks = tuple(narrow_blocks)
    through = lp.row_mask(narrow_blocks)
    rng = np.random.default_rng(seed)
    seen = np.zeros(len(win.ints), dtype=bool)
    sign = 1.0 if lp.sense == "max" else -1.0
    improved_in_sweep = False
    while (left := seconds - (time.perf_counter() - t0)) > 1.0:
        if seen.all():  # a sweep over the whole city is done: stop if no window in it improved the plan
            if not improved_in_sweep:
                break
            seen[:] = False
            improved_in_sweep = False
        placed = values[win.ints] > 0.5
        turn = int((stats.windows + 1) * narrow_share) > int(stats.windows * narrow_share)
        if narrow_blocks and turn and placed.any():
            fresh = placed & ~seen
            window = win.grow(
                int(rng.choice(np.flatnonzero(fresh if fresh.any() else placed))), size, through
            )
        else:
            window = win.grow(int(rng.choice(np.flatnonzero(~seen))), size)
        seen[window] = True
        free = win.free_columns(window)
        sub, _ = win.sub_lp(free, values)
        start = values[free]
        sol = solve_window(sub, start, min(WINDOW_SECONDS, left))
        stats.windows += 1
        if sol.values is None or sol.objective is None:
            continue
        before = float(sub.c @ start)
        if sign * (float(sub.c @ sol.values) - before) > 1e-9 * max(1.0, abs(stats.values[-1])):
            candidate = values.copy()
            candidate[free] = sol.values
            candidate[lp.integer] = np.round(candidate[lp.integer])
            if lp.is_feasible(candidate):
                values = candidate
                stats.improved += 1
                improved_in_sweep = True
                stats.values.append(float(lp.c @ values))
                if progress is not None:
                    elapsed = time.perf_counter() - t0
                    progress(Progress("windows", elapsed, stats.values[-1], None, None))
    return values, stats


__all__ = ["WINDOW_COLS", "SolveWindow", "Windows", "WindowStats", "improve_by_windows"]
