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
  worse; a better answer replaces the window's columns;
- a *narrow* window is grown from a pair of the plan through cover rows only (one format's pairs over
  a wider area); a *paired* narrow window is two narrow halves grown from two pairs of the plan, often
  of two formats far apart, so the money one part of the plan frees (the shared rows' room) can pay for
  what another part opens: a move no window around one place can make.

Every step keeps the whole plan feasible and never lowers its value; it proves nothing (the bound comes
from elsewhere). Like the rest of this package it sees only a :class:`~optimizer.lp.LinearProgram`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
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
# The share of narrow windows (below). Measured with two windows in flight (bench/RESULTS.md): on L in
# 300 s 0.75 gained +0.902% against 0.5's +0.808% and +0.879% (two runs); on the 1/8 and 1/16 cities
# both reach the same local optimum within 0.005 points.
NARROW_SHARE = 0.75
# Which narrow windows are paired (two halves far apart) is decided as the search goes, by the value
# each kind has added per second of window time (recent windows counting most: weights fall by
# RATE_DECAY per window answered); every EXPLORE_EVERY-th narrow window is of the other kind, and the
# first MIN_TRIES of each kind alternate. Measured (bench/RESULTS.md): paired windows lose on L, whose
# windows are far from converged in 300 s (+0.77% against +0.96%), and win on the smaller cities,
# where windows in one piece stall (+1.46% against +0.31% in 120 s).
RATE_DECAY = 0.98
EXPLORE_EVERY = 5
MIN_TRIES = 4
# Once a sweep of the city improves nothing, windows are grown only through the pairs the LP relaxation
# uses (above this value) and the plan's own: wider windows of the pairs that compete. Measured
# (bench/RESULTS.md, "Windows the relaxation guides"): on a city at an eighth of L's area windows
# stalled at 13,234,034.5 and the guided ones reached 13,275,101.5 in 120 s, past HiGHS's plan after
# 1,500 s; before the stall they add less per second (on L +0.17% against +0.25% in 150 s).
GUIDE_MIN = 1e-6

SolveWindow = Callable[[LinearProgram, np.ndarray, float], Solution]
# The LP relaxation's column values, waiting at most the given seconds for them (None: not known).
Guide = Callable[[float], np.ndarray | None]


@dataclass
class WindowStats:
    """What the search did: windows solved, how many improved the plan, and the value it went through."""

    windows: int = 0
    improved: int = 0
    guided: int = 0  # windows grown through the relaxation's pairs (after a sweep without gain)
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

    def grow(
        self, seed: int, size: int, through: np.ndarray | None = None, allowed: np.ndarray | None = None
    ) -> np.ndarray:
        """Integer column positions (into ``self.ints``) of a window of at most ``size``, breadth-first
        from ``seed`` along local rows (only the rows where ``through`` is True, when given) to the
        columns ``allowed`` (a mask over ``self.ints``, when given); the last ring is cut to the
        columns sharing most rows with it."""
        n = len(self.ints)
        inside = np.zeros(n, dtype=bool)
        inside[seed] = True
        frontier = np.array([seed])
        while inside.sum() < size and len(frontier):
            rows = self._rows_of(self.ints[frontier])
            at = self._entries_of(rows if through is None else rows[through[rows]], self.pos_int)
            links = np.bincount(at[at >= 0], minlength=n)  # rows each column shares with the frontier
            new = (links > 0) & ~inside
            if allowed is not None:
                new &= allowed
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


@dataclass
class _Window:
    """One window cut from the plan: its free LP columns, its sub-LP and the plan's values on it."""

    free: np.ndarray
    sub: LinearProgram
    start: np.ndarray
    kind: str = "wide"  # wide, narrow (in one piece) or paired
    guided: bool = False  # grown only through the relaxation's pairs and the plan's
    born: float = field(default_factory=time.perf_counter)


def _by_turns(k: int, share: float) -> bool:
    """Whether the ``k``-th of a series (from 0) is among a ``share`` of them spread evenly."""
    return int((k + 1) * share) > int(k * share)


class _Rates:
    """Value added per second of window time by narrow windows in one piece and paired, each weight
    falling by ``decay`` per window answered; decides the kind of the next narrow window (see
    :data:`RATE_DECAY`)."""

    def __init__(
        self, decay: float = RATE_DECAY, explore: int = EXPLORE_EVERY, tries: int = MIN_TRIES
    ) -> None:
        self.decay, self.explore, self.tries = decay, explore, tries
        self.gain = {"narrow": 0.0, "paired": 0.0}
        self.secs = {"narrow": 0.0, "paired": 0.0}
        self.count = {"narrow": 0, "paired": 0}
        self.turn = 0

    def add(self, kind: str, gain: float, secs: float) -> None:
        if kind not in self.gain:
            return
        for k in self.gain:
            self.gain[k] *= self.decay
            self.secs[k] *= self.decay
        self.gain[kind] += gain
        self.secs[kind] += secs
        self.count[kind] += 1

    def paired_next(self) -> bool:
        """Whether the next narrow window is paired."""
        self.turn += 1
        if min(self.count.values()) < self.tries:
            return self.turn % 2 == 0
        rate = {k: self.gain[k] / max(self.secs[k], 1e-9) for k in self.gain}
        paired_best = rate["paired"] > rate["narrow"]
        return paired_best != (self.turn % self.explore == 0)


class _Search:
    """The state of :func:`improve_by_windows`: the plan, the integer columns windows have held in this
    sweep, and which window is narrow."""

    def __init__(
        self,
        lp: LinearProgram,
        values: np.ndarray,
        shared_blocks: Iterable[str],
        size: int,
        seed: int,
        narrow_blocks: tuple[str, ...],
        narrow_share: float,
        paired_share: float | None = None,
        guide: Guide | None = None,
    ) -> None:
        self.lp, self.values, self.size, self.guide = lp, values, size, guide
        self.support: np.ndarray | None = None  # the relaxation's pairs, once windows follow them
        self.win = Windows(lp, shared_blocks)
        self.narrow_blocks, self.narrow_share, self.paired_share = narrow_blocks, narrow_share, paired_share
        self.through = lp.row_mask(narrow_blocks)
        self.rng = np.random.default_rng(seed)
        self.seen = np.zeros(len(self.win.ints), dtype=bool)
        self.sign = 1.0 if lp.sense == "max" else -1.0
        self.improved_in_sweep = False
        self.stats = WindowStats(values=[float(lp.c @ values)])
        self.cut = 0  # windows cut so far (decides which are narrow)
        self.narrow_cut = 0  # narrow windows cut so far (with a fixed paired share: which are paired)
        self.rates = _Rates()

    def sweep_is_over(self, wait: float = 0.0) -> bool:
        """True once a sweep over the whole city ended with no window improving the plan; a sweep that
        did improve it starts the next, and so does the first one without gain when the relaxation's
        values come (within ``wait`` seconds): windows then follow them."""
        if not self.seen.all():
            return False
        if not self.improved_in_sweep:
            return not self._follow_guide(wait)
        self.seen[:] = False
        self.improved_in_sweep = False
        return False

    def _follow_guide(self, wait: float) -> bool:
        """Whether windows start following the relaxation's values (once; False without them)."""
        if self.support is not None or self.guide is None:
            return False
        lp_values = self.guide(wait)
        if lp_values is None:
            return False
        self.support = np.asarray(lp_values)[self.win.ints] > GUIDE_MIN
        self.seen = ~(self.support | (self.values[self.win.ints] > 0.5))
        return True

    def next_window(self, taken: np.ndarray | None = None) -> _Window | None:
        """The next window (narrow by turns: seeded at a pair of the plan no window has held yet, while
        there is one, and grown through the narrow rows; some of those paired); None when it would
        share a free column with the LP columns ``taken`` (those of windows solved beside it)."""
        win, values = self.win, self.values
        placed = values[win.ints] > 0.5
        allowed = None if self.support is None else self.support | placed
        narrow = bool(self.narrow_blocks and _by_turns(self.cut, self.narrow_share) and placed.any())
        kind = "wide"
        if narrow:
            kind, window = self._narrow(placed, allowed)
        else:
            unseen = np.flatnonzero(~self.seen)  # empty only for a window beside the sweep's last one
            pool = unseen if len(unseen) else np.arange(len(self.seen))
            window = win.grow(int(self.rng.choice(pool)), self.size, allowed=allowed)
        free = win.free_columns(window)
        if taken is not None and np.intersect1d(free, taken, assume_unique=True).size:
            return None  # the next window is of the same kind
        self.cut += 1
        self.narrow_cut += narrow
        self.seen[window] = True
        sub, _ = win.sub_lp(free, values)
        return _Window(free, sub, values[free], kind, guided=allowed is not None)

    def _seed(self, among: np.ndarray) -> int:
        """A pair of ``among`` (a mask over the integer columns) no window has held in this sweep, while
        there is one."""
        fresh = among & ~self.seen
        return int(self.rng.choice(np.flatnonzero(fresh if fresh.any() else among)))

    def _paired_next(self) -> bool:
        if self.paired_share is None:
            return self.rates.paired_next()
        return _by_turns(self.narrow_cut, self.paired_share)

    def _narrow(self, placed: np.ndarray, allowed: np.ndarray | None) -> tuple[str, np.ndarray]:
        """A narrow window, or a paired one: two narrow halves, the second seeded at a pair of the plan
        outside the first (which, by :class:`_Rates` or a fixed ``paired_share`` spread evenly); grown
        only to the ``allowed`` pairs when given."""
        win, first = self.win, self._seed(placed)
        if self._paired_next():
            half = win.grow(first, self.size // 2, self.through, allowed)
            other = placed.copy()
            other[half] = False
            if other.any():
                second = win.grow(self._seed(other), self.size - len(half), self.through, allowed)
                return "paired", np.union1d(half, second)
        return "narrow", win.grow(first, self.size, self.through, allowed)

    def count(self, w: _Window) -> None:
        """One more window answered."""
        self.stats.windows += 1
        self.stats.guided += w.guided

    def gain(self, w: _Window, sol: Solution) -> float:
        """How much better the window's answer is than the plan on it (0 without an answer)."""
        if sol.values is None or sol.objective is None:
            return 0.0
        return self.sign * (float(w.sub.c @ sol.values) - float(w.sub.c @ w.start))

    def take(self, w: _Window, sol: Solution) -> bool:
        """Put a window's answer into the plan if it improves it and the plan with it meets every row
        (a window solved beside others was cut from an older plan: its own columns have not changed
        since, but the budgets' room may have). Whether the plan improved; what it added, and in how
        long, counts for the window's kind."""
        gain, secs = self.gain(w, sol), time.perf_counter() - w.born
        if gain <= 1e-9 * max(1.0, abs(self.stats.values[-1])):
            self.rates.add(w.kind, 0.0, secs)
            return False
        candidate = self.values.copy()
        candidate[w.free] = sol.values
        candidate[self.lp.integer] = np.round(candidate[self.lp.integer])
        if not self.lp.is_feasible(candidate):
            self.rates.add(w.kind, 0.0, secs)
            return False
        self.rates.add(w.kind, gain, secs)
        self.values = candidate
        self.stats.improved += 1
        self.improved_in_sweep = True
        self.stats.values.append(float(self.lp.c @ candidate))
        return True


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
    narrow_share: float = NARROW_SHARE,
    window_seconds: float = WINDOW_SECONDS,
    workers: int = 1,
    paired_share: float | None = None,
    guide: Guide | None = None,
    stop: Callable[[], bool] | None = None,
) -> tuple[np.ndarray, WindowStats]:
    """Improve a feasible plan ``values`` window by window for ``seconds``: seeds drawn (seeded) from
    the integer columns no window has held yet, so the search sweeps the whole city before it returns
    to a neighbourhood; it stops early after a sweep in which no window improved the plan.
    ``solve_window(sub_lp, start, seconds)`` solves one window's MIP, for at most ``window_seconds``.
    Returns the plan (never worse than ``values``) and what the search did.

    With ``narrow_blocks`` (the cover rows), a share ``narrow_share`` of the windows (spread evenly;
    three in four by default) is *narrow*: seeded at a column of the plan (one no window has held yet,
    while there is one) and grown only through those rows, so it holds one format's pairs over a
    wider area and can rearrange several of its placements (a window grown through every local row
    holds a few pairs of each format). Measured on the L city: narrow and wide windows by turns gain
    more than wide ones alone in the same time (bench/RESULTS.md). A narrow window may be *paired*:
    two narrow halves seeded at two pairs of the plan, so money moves between places and formats far
    apart. Which are paired is decided as the search goes, by the value each kind added per second
    (:class:`_Rates`), or, with ``paired_share``, that share of them spread evenly.

    With ``workers`` above one, that many windows are in flight at a time on threads (``solve_window``
    must allow it; HiGHS runs without Python's lock), no two with a free column in common; each answer
    goes into the plan as it comes if the plan with it still meets every row (the budgets are shared),
    and the next window is cut from the plan as it then is. Answers come in the order they finish, so
    the plan then depends on timing as well as on ``seed``; one worker repeats a run exactly.

    With a ``guide`` (the LP relaxation's column values, waited for at most the time left), the first
    sweep that improves nothing is followed by windows grown only through the pairs the relaxation
    uses (above :data:`GUIDE_MIN`) and the plan's own: the same number of pairs, spread over the
    placements that compete with the plan, where the windows of every pair had stalled.

    ``stop``: asked before each window; once it answers True no window starts (those in flight end
    within their seconds), e.g. when a MIP beside the search has proved its plan optimal."""
    t0 = time.perf_counter()
    values = np.asarray(values, dtype=float).copy()
    search = _Search(
        lp, values, shared_blocks, size, seed, tuple(narrow_blocks), narrow_share, paired_share, guide
    )
    if not lp.integer.any():
        return values, search.stats

    def report() -> None:
        if progress is not None:
            progress(Progress("windows", time.perf_counter() - t0, search.stats.values[-1], None, None))

    def left() -> float:
        return 0.0 if stop is not None and stop() else seconds - (time.perf_counter() - t0)

    if workers <= 1:
        while left() > 1.0 and not search.sweep_is_over(left() - 1.0):
            w = search.next_window()
            assert w is not None
            sol = solve_window(w.sub, w.start, min(window_seconds, left()))
            search.count(w)
            if search.take(w, sol):
                report()
    else:
        _in_flight(search, solve_window, workers, window_seconds, left, report)
    return search.values, search.stats


def _in_flight(
    search: _Search,
    solve_window: SolveWindow,
    workers: int,
    window_seconds: float,
    left: Callable[[], float],
    report: Callable[[], None],
    tries: int = 3,
) -> None:
    """The search with ``workers`` windows in flight on threads: whenever one is answered, its answer
    is taken (if it still fits) and a new window, disjoint from those in flight, is started."""
    running: dict[Future[Solution], _Window] = {}
    with ThreadPoolExecutor(workers) as pool:
        while True:
            while len(running) < workers and left() > 1.0 and not search.sweep_is_over(left() - 1.0):
                taken = np.concatenate([w.free for w in running.values()]) if running else None
                w = next((w for _ in range(tries) if (w := search.next_window(taken)) is not None), None)
                if w is None:
                    break
                running[pool.submit(solve_window, w.sub, w.start, min(window_seconds, left()))] = w
            if not running:
                return
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                w = running.pop(future)
                search.count(w)
                if search.take(w, future.result()):
                    report()


__all__ = ["WINDOW_COLS", "Guide", "SolveWindow", "Windows", "WindowStats", "improve_by_windows"]
