"""A greedy plan used as the solvers' starting incumbent.

Repeatedly open the (site, format) pair with the largest weighted coverage gain per yuan of public money
that keeps every ``resource`` row of the model satisfied (whatever resource families are registered:
floor area, formats per site, the budgets, subsidy caps, viability), each pair taking the subsidy it
needs to be viable. Mandates are not targeted: when the greedy plan misses one, the solver simply
ignores the start. A good start matters on large instances, where a solver may otherwise spend its
whole time limit without a useful incumbent.
"""

from __future__ import annotations

import heapq
import time

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .lp import segment_positions
from .model import RESOURCE, CoverageModel, families_with_role
from .reach import FormatReach, Reach
from .scenario import Scenario


def _needed_subsidy(model: CoverageModel) -> np.ndarray:
    x = model.x
    return np.where(
        x["needs_subsidy"].to_numpy(bool), np.maximum(x["deficit_yuan_per_year"].to_numpy(float), 0), 0
    )


def _resource_effect(model: CoverageModel, need: np.ndarray) -> tuple[sp.csc_array, np.ndarray]:
    """What opening each pair (with the subsidy it needs) adds to every resource row, and the rows'
    upper bounds."""
    lp = model.lp
    rows = np.concatenate(
        [np.arange(lp.n_rows)[lp.rows(name)] for name in families_with_role(RESOURCE)] or [np.zeros(0, int)]
    ).astype(np.int64)
    A = lp.A[rows]
    ns, nx = len(model.s), len(model.x)
    xpos = model.s["x"].to_numpy()
    subsidy_of_pair = sp.csr_array((need[xpos], (np.arange(ns), xpos)), shape=(ns, nx))
    effect = A[:, lp.cols("x")] + A[:, lp.cols("s")] @ subsidy_of_pair
    return sp.csc_array(effect), lp.row_ub[rows]


def _fits(effect: sp.csc_array, slack: np.ndarray, tol: float = 1e-6) -> np.ndarray:
    """Per pair: whether its effect fits within the rows' slack."""
    over = (effect.data - slack[effect.indices] > tol).astype(np.int64)
    violations = sp.csc_array((over, effect.indices, effect.indptr), shape=effect.shape).sum(axis=0)
    return np.asarray(violations).ravel() == 0


class _Pattern:
    """A 0/1 matrix (demand units x sites) kept as index arrays in both orientations and no values: the
    greedy and the swaps only ever sum a vector over a column's units or spread values over a row's
    sites, so the reach is read without a floating-point copy (on a district, reach has over a hundred
    million entries)."""

    def __init__(self, m: sp.csr_array) -> None:
        m = sp.csr_array(m)
        self.shape = m.shape
        self.r_ptr, self.r_idx = m.indptr, m.indices
        t = sp.csr_array((np.ones(len(m.indices), dtype=bool), m.indices, m.indptr), shape=m.shape).tocsc()
        t.sort_indices()
        self.c_ptr, self.c_idx = t.indptr, t.indices

    def col_sums(self, v: np.ndarray, cols: np.ndarray | None = None) -> np.ndarray:
        """Per site (all, or ``cols``): the sum of ``v`` over the units of its column, in unit order;
        a site's sum is the same whichever other sites are asked for."""
        if cols is None:
            return _segment_sums(v[self.c_idx], self.c_ptr)
        pos, ptr = segment_positions(self.c_ptr, cols)
        return _segment_sums(v[self.c_idx[pos]], ptr)

    def row_sums(self, v: np.ndarray) -> np.ndarray:
        """Per unit: the sum of ``v`` (one value per site) over the sites it reaches."""
        return _segment_sums(v[self.r_idx], self.r_ptr)

    def col(self, site: int) -> np.ndarray:
        return self.c_idx[self.c_ptr[site] : self.c_ptr[site + 1]]

    def spread(self, units: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Per site: the sum of ``v`` (one value per unit of ``units``) over those units it reaches."""
        pos, ptr = segment_positions(self.r_ptr, units)
        return np.bincount(self.r_idx[pos], weights=np.repeat(v, np.diff(ptr)), minlength=self.shape[1])


def _segment_sums(values: np.ndarray, ptr: np.ndarray) -> np.ndarray:
    """The sum of each segment ``values[ptr[k]:ptr[k+1]]`` (0 for an empty one)."""
    starts = ptr[:-1]
    if len(values) == 0:
        return np.zeros(len(starts))
    out = np.add.reduceat(values, np.minimum(starts, len(values) - 1))
    out[starts == ptr[1:]] = 0.0
    return out


class _FormatReach:
    """One format's reach as patterns: within the limit (``full``), and within the partial limit but
    not the limit (``only``), with the partial credit."""

    def __init__(self, fr: FormatReach) -> None:
        self.full = _Pattern(fr.full)
        self.only: _Pattern | None = None
        if fr.partial is not None:
            only = sp.csr_array(fr.partial.astype(np.int8) - fr.full.astype(np.int8))
            only.eliminate_zeros()
            self.only = _Pattern(only)
        self.credit = fr.credit_partial

    def site_gains(self, w: np.ndarray, cur: np.ndarray, sites: np.ndarray | None = None) -> np.ndarray:
        """Weighted coverage that opening the format at each site (all, or ``sites``) would add."""
        g = self.full.col_sums(w * (1.0 - cur), sites)
        if self.only is not None:
            g = g + self.only.col_sums(w * np.maximum(self.credit - cur, 0.0), sites)
        return g


def _gains(scenario: Scenario, reach: Reach, model: CoverageModel, cur: dict[str, np.ndarray]) -> np.ndarray:
    """Weighted coverage each pair would add to the current plan (every pair re-computed)."""
    return _Gains(scenario, reach, model).all(cur)


class _Gains:
    """Coverage gains of chosen pairs, with the same arithmetic as :func:`_gains` (each site's sum runs
    over its units in order, whichever sites are asked for), so lazy and full evaluation agree."""

    def __init__(self, scenario: Scenario, reach: Reach, model: CoverageModel) -> None:
        x = model.x
        demand = reach.demand
        self.wp = demand["priority"].to_numpy(float) * demand["population"].to_numpy(float)
        self.weight = scenario.formats["weight"].astype(float)
        self.site = x["site_pos"].to_numpy()
        self.fmt = x["format"].astype(str).to_numpy()
        self.mats = {key: _FormatReach(reach.formats[key]) for key in np.unique(self.fmt)}

    def of(self, pairs: np.ndarray, cur: dict[str, np.ndarray]) -> np.ndarray:
        out = np.zeros(len(pairs))
        fmts = self.fmt[pairs]
        for key in np.unique(fmts):
            sel = np.flatnonzero(fmts == key)
            w = self.weight[key] * self.wp
            out[sel] = self.mats[key].site_gains(w, cur[key], self.site[pairs[sel]])
        return out

    def all(self, cur: dict[str, np.ndarray]) -> np.ndarray:
        """Every pair's gain (as :func:`_gains`)."""
        out = np.zeros(len(self.fmt))
        for key, fr in self.mats.items():
            sel = np.flatnonzero(self.fmt == key)
            out[sel] = fr.site_gains(self.weight[key] * self.wp, cur[key])[self.site[sel]]
        return out

    def opened(self, cur: np.ndarray, key: str, site: int) -> np.ndarray:
        """A format's credits once the pair at ``site`` opens: every unit it reaches gets its credit."""
        fr = self.mats[key]
        cur = cur.copy()
        cur[fr.full.col(site)] = 1.0
        if fr.only is not None:
            u = fr.only.col(site)
            cur[u] = np.maximum(cur[u], fr.credit)
        return cur


def _fits_one(effect: sp.csc_array, slack: np.ndarray, p: int, tol: float = 1e-6) -> bool:
    lo, hi = effect.indptr[p], effect.indptr[p + 1]
    return bool(np.all(effect.data[lo:hi] - slack[effect.indices[lo:hi]] <= tol))


def greedy_chosen(
    scenario: Scenario, reach: Reach, model: CoverageModel, max_steps: int = 10_000, batch: int = 32
) -> np.ndarray:
    """The greedy plan as a mask over ``model.x`` (see the module docstring).

    Lazy evaluation (CELF): a pair's gain only falls as coverage grows, and whether it fits only
    worsens as resources are used, so the gains last computed are upper bounds. Candidates sit in a heap
    by (bound on gain per yuan, position); the top one is re-evaluated (with up to ``batch`` others) until
    the top's gain is current, and that pair is the one a full re-evaluation would pick (ties to the
    lower position), so the plan is the same as re-computing every gain at every step."""
    x = model.x
    chosen = np.zeros(len(x), dtype=bool)
    if len(x) == 0:
        return chosen
    cur = {k: reach.formats[k].base_credit.copy() for k in scenario.formats.index}
    need = _needed_subsidy(model)
    effect, ub = _resource_effect(model, need)
    used = np.zeros(len(ub))
    money = x["fitout_yuan"].to_numpy(float) + need
    gains = _Gains(scenario, reach, model)
    g0 = gains.all(cur)
    ok = (g0 > 1e-9) & _fits(effect, ub)
    heap = [(-g0[p] / (money[p] + 1.0), int(p), 0) for p in np.flatnonzero(ok)]
    heapq.heapify(heap)
    step = 0
    while heap and step < max_steps:
        key, p, stamp = heap[0]
        if not _fits_one(effect, ub - used, p):
            heapq.heappop(heap)
            continue
        if stamp == step:
            heapq.heappop(heap)
            chosen[p] = True
            lo, hi = effect.indptr[p], effect.indptr[p + 1]
            used[effect.indices[lo:hi]] += effect.data[lo:hi]
            k = str(x.at[p, "format"])
            cur[k] = gains.opened(cur[k], k, int(x.at[p, "site_pos"]))
            step += 1
            continue
        stale: list[int] = []
        while heap and len(stale) < batch and heap[0][2] != step:
            stale.append(heapq.heappop(heap)[1])
        idx = np.array(stale, dtype=np.int64)
        g = gains.of(idx, cur)
        for q, gq in zip(idx.tolist(), g.tolist(), strict=True):
            if gq > 1e-9:
                heapq.heappush(heap, (-gq / (money[q] + 1.0), q, step))
    return chosen


def greedy_start(
    scenario: Scenario, reach: Reach, model: CoverageModel, max_steps: int = 10_000
) -> np.ndarray:
    """Column values of a feasible greedy plan (ignoring mandates) for ``model.lp``."""
    return plan_values(scenario, reach, model, greedy_chosen(scenario, reach, model, max_steps))


class _Fit:
    """Which pairs fit within the resource rows' slack, kept up to date as plans change. Rows that touch
    many pairs (the budgets) are checked as a small dense block; for every other row (per site, per
    pair) each pair keeps the count of rows it would overflow, patched only on the rows whose slack
    changes. The same test as :func:`_fits`: an entry overflows when it exceeds its row's slack by more
    than ``tol``."""

    DENSE_MIN_PAIRS = 64
    DENSE_MAX_ENTRIES = 20_000_000

    def __init__(self, effect: sp.csc_array, ub: np.ndarray, used: np.ndarray, tol: float = 1e-6) -> None:
        self.n_pairs, self.ub, self.tol = effect.shape[1], ub, tol
        by_row = sp.csr_array(effect)
        per_row = np.diff(by_row.indptr)
        order = np.argsort(-per_row, kind="stable")
        n_dense = int((per_row > self.DENSE_MIN_PAIRS).sum())
        n_dense = min(n_dense, self.DENSE_MAX_ENTRIES // max(effect.shape[1], 1))
        self.dense_rows = np.sort(order[:n_dense])
        is_local = np.ones(len(ub), dtype=bool)
        is_local[self.dense_rows] = False
        self.local_rows = np.flatnonzero(is_local)
        self.dense = by_row[self.dense_rows].toarray()
        self.local = sp.csr_array(by_row[self.local_rows])
        self.local_c = sp.csc_array(self.local)
        self.local_c.sort_indices()
        self.set_used(used)

    def set_used(self, used: np.ndarray) -> None:
        """Start again from the rows' use ``used`` (counts re-computed: no drift)."""
        self.used = np.asarray(used, dtype=float).copy()
        slack = self.ub[self.local_rows] - self.used[self.local_rows]
        rows = np.repeat(np.arange(len(self.local_rows)), np.diff(self.local.indptr))
        over = self.local.data - slack[rows] > self.tol
        self.over = np.bincount(self.local.indices[over], minlength=self.n_pairs)

    def _patched(self, p: int, step: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The local rows pair p touches, their use once p opens (+1) or closes (-1), and each pair's
        overflow counts then."""
        lo, hi = self.local_c.indptr[p], self.local_c.indptr[p + 1]
        rows, e = self.local_c.indices[lo:hi], self.local_c.data[lo:hi]
        lr = self.local_rows[rows]
        new_used = self.used[lr] + step * e
        over = self.over.copy()
        if len(rows):
            pos, ptr = segment_positions(self.local.indptr, rows)
            which = np.repeat(np.arange(len(rows)), np.diff(ptr))
            data, pairs = self.local.data[pos], self.local.indices[pos]
            before = data - (self.ub[lr] - self.used[lr])[which] > self.tol
            after = data - (self.ub[lr] - new_used)[which] > self.tol
            over += np.bincount(pairs, weights=after.astype(float) - before, minlength=len(over)).astype(
                over.dtype
            )
        return lr, new_used, over

    def _dense_ok(self, slack: np.ndarray) -> np.ndarray:
        d = self.dense
        return np.all((d - slack[:, None] <= self.tol) | (d == 0), axis=0)

    def after_drop(self, a: int) -> np.ndarray:
        """Per pair: whether it fits once pair a closes."""
        _, _, over = self._patched(a, -1.0)
        dr = self.dense_rows
        return (over == 0) & self._dense_ok(self.ub[dr] - self.used[dr] + self.dense[:, a])

    def apply(self, p: int, step: float) -> None:
        """Pair p opens (+1) or closes (-1)."""
        lr, new_used, self.over = self._patched(p, step)
        self.used[lr] = new_used
        self.used[self.dense_rows] += step * self.dense[:, p]


class _Swaps:
    """State of the 1-swap search, per format: how many open pairs reach each unit (within the limit,
    and within the partial limit only), each unit's credit, and every pair's gain. Opening or closing a
    pair changes only the units it reaches and the gains of the pairs that reach those units."""

    def __init__(self, scenario: Scenario, reach: Reach, model: CoverageModel, chosen: np.ndarray) -> None:
        self.gains = _Gains(scenario, reach, model)
        self.n_sites = len(scenario.sites)
        self.rows_of = {str(k): np.asarray(r) for k, r in model.x.groupby("format").indices.items()}
        self.base = {k: reach.formats[k].base_credit for k in self.rows_of}
        self.wp = {k: self.gains.weight[k] * self.gains.wp for k in self.rows_of}
        self.cnt: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
        self.cur: dict[str, np.ndarray] = {}
        self.gain = np.zeros(len(model.x))
        self.reset(chosen)

    def reset(self, chosen: np.ndarray) -> None:
        """Counts, credits and gains re-computed for the plan ``chosen`` (no drift from updates)."""
        for k, r in self.rows_of.items():
            fr = self.gains.mats[k]
            col = np.zeros(self.n_sites)
            col[self.gains.site[r[chosen[r]]]] = 1.0
            fc = fr.full.row_sums(col)
            oc = None if fr.only is None else fr.only.row_sums(col)
            self.cnt[k] = (fc, oc)
            self.cur[k] = self.credit(k, fc, oc, slice(None))
            self.gain[r] = fr.site_gains(self.wp[k], self.cur[k])[self.gains.site[r]]

    def credit(self, k: str, fc: np.ndarray, oc: np.ndarray | None, units: np.ndarray | slice) -> np.ndarray:
        c = np.maximum(self.base[k][units], np.where(fc > 0, 1.0, 0.0))
        if oc is not None:
            c = np.maximum(c, np.where(oc > 0, self.gains.mats[k].credit, 0.0))
        return c

    def _change(
        self, p: int, step: float
    ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray | None, np.ndarray], float, np.ndarray]:
        """What pair p opening (+1) or closing (-1) changes: the units it reaches, their counts and
        credits then, the coverage gained (negative: lost), and each site's gain change for p's format."""
        k, s = self.gains.fmt[p], self.gains.site[p]
        fr = self.gains.mats[k]
        fc, oc = self.cnt[k]
        u1 = fr.full.col(s)
        u2 = fr.only.col(s) if fr.only is not None else np.zeros(0, dtype=u1.dtype)
        units = np.union1d(u1, u2)
        fcu = fc[units].copy()
        fcu[np.searchsorted(units, u1)] += step
        ocu = None
        if oc is not None:
            ocu = oc[units].copy()
            ocu[np.searchsorted(units, u2)] += step
        old, new = self.cur[k][units], self.credit(k, fcu, ocu, units)
        ch = old != new
        uc, w, o, n = units[ch], self.wp[k][units[ch]], old[ch], new[ch]
        delta = fr.full.spread(uc, w * (o - n))
        if fr.only is not None:
            c = fr.credit
            delta += fr.only.spread(uc, w * (np.maximum(c - n, 0.0) - np.maximum(c - o, 0.0)))
        return units, (fcu, ocu, new), float(w @ (n - o)), delta

    def after_drop(self, a: int) -> tuple[float, np.ndarray]:
        """The coverage lost when pair a closes, and every pair's gain then."""
        _, _, change, delta = self._change(a, -1.0)
        r = self.rows_of[self.gains.fmt[a]]
        g = self.gain.copy()
        g[r] += delta[self.gains.site[r]]
        return -change, g

    def apply(self, p: int, step: float) -> None:
        """Pair p opens (+1) or closes (-1)."""
        k = self.gains.fmt[p]
        units, (fcu, ocu, new), _, delta = self._change(p, step)
        fc, oc = self.cnt[k]
        fc[units] = fcu
        if oc is not None and ocu is not None:
            oc[units] = ocu
        self.cur[k][units] = new
        r = self.rows_of[k]
        self.gain[r] += delta[self.gains.site[r]]


def local_search(
    scenario: Scenario,
    reach: Reach,
    model: CoverageModel,
    start: np.ndarray | None = None,
    time_limit_s: float | None = None,
    max_rounds: int = 10_000,
) -> np.ndarray:
    """Improve a plan by 1-swaps: drop one placement and open the pair that, in its place, adds the most
    coverage while every resource row still holds (each pair taking the subsidy it needs, as the greedy
    does); repeat while a swap improves the plan. Mandates are not targeted.

    ``start``: a mask over ``model.x`` or column values of ``model.lp`` (default: the greedy plan).
    Returns column values; the plan's value never falls below the start's. A drop is evaluated from
    the units the dropped pair reaches and the rows it uses; a swap updates only what the two pairs
    touch, and every sweep over the plan starts from state re-computed in full."""
    t0 = time.perf_counter()
    x = model.x
    if start is None:
        chosen = greedy_chosen(scenario, reach, model)
    elif start.dtype == bool and len(start) == len(x):
        chosen = start.copy()
    else:
        chosen = np.asarray(start)[model.lp.cols("x")] > 0.5
    if len(x) == 0:
        return plan_values(scenario, reach, model, chosen)
    need = _needed_subsidy(model)
    effect, ub = _resource_effect(model, need)
    money = x["fitout_yuan"].to_numpy(float) + need
    fit = _Fit(effect, ub, effect @ chosen.astype(float))
    st = _Swaps(scenario, reach, model, chosen)
    tol = 1e-9 * max(1.0, float(sum(st.wp[k] @ st.cur[k] for k in st.rows_of)))
    improved, rounds = True, 0
    while improved and rounds < max_rounds:
        if improved and rounds:
            st.reset(chosen)
            fit.set_used(effect @ chosen.astype(float))
        improved = False
        for a in np.flatnonzero(chosen):
            if time_limit_s is not None and time.perf_counter() - t0 > time_limit_s:
                return plan_values(scenario, reach, model, chosen)
            rounds += 1
            loss, g = st.after_drop(int(a))
            ok = ~chosen & fit.after_drop(int(a)) & (g > 1e-9)
            if not ok.any() or float(g[ok].max()) - loss <= tol:
                continue
            # The largest gain; among equal gains, the least money, then the lower position.
            cand = np.flatnonzero(ok & (g >= g[ok].max()))
            b = int(cand[np.lexsort((cand, money[cand]))[0]])
            chosen[a], chosen[b] = False, True
            for p, step in ((int(a), -1.0), (b, 1.0)):
                st.apply(p, step)
                fit.apply(p, step)
            improved = True
    return plan_values(scenario, reach, model, chosen)


def credits(
    scenario: Scenario, reach: Reach, model: CoverageModel, chosen: np.ndarray
) -> dict[str, np.ndarray]:
    """Per format, each demand unit's credit when the pairs ``chosen`` (a mask over ``model.x``) open."""
    x = model.x
    out = {}
    for key in scenario.formats.index:
        fr = reach.formats[key]
        open_sites = np.zeros(len(scenario.sites))
        open_sites[x.loc[chosen & (x["format"] == key).to_numpy(), "site_pos"].to_numpy()] = 1.0
        cur = np.maximum(fr.base_credit, np.where(fr.full @ open_sites > 0, 1.0, 0.0))
        if fr.partial is not None:
            cur = np.maximum(cur, np.where(fr.partial @ open_sites > 0, fr.credit_partial, 0.0))
        out[key] = cur
    return out


def plan_values(scenario: Scenario, reach: Reach, model: CoverageModel, chosen: np.ndarray) -> np.ndarray:
    """Every column's value for the pairs ``chosen`` (a mask over ``model.x``): coverage at what those
    placements earn and each one's subsidy at what it needs, so ``lp.c @ values`` is the plan's value."""
    return _plan_values(model, chosen, _needed_subsidy(model), credits(scenario, reach, model, chosen))


def _plan_values(
    model: CoverageModel, chosen: np.ndarray, need: np.ndarray, cur: dict[str, np.ndarray]
) -> np.ndarray:
    lp = model.lp
    values = np.zeros(lp.n_cols)
    values[lp.cols("x")] = chosen.astype(float)
    for table, block, full in ((model.y, "y", True), (model.z, "z", False)):
        if len(table) == 0:
            continue
        col = np.zeros(len(table))
        units = table["unit"].to_numpy()
        for k, idx in table.groupby("format").indices.items():
            c = cur[str(k)][units[idx]]
            col[idx] = (c >= 1.0) if full else ((c > 0.0) & (c < 1.0))
        values[lp.cols(block)] = col
    if len(model.s):
        xpos = model.s["x"].to_numpy()
        values[lp.cols("s")] = need[xpos] * chosen[xpos]
    return values


def chosen_from_placements(model: CoverageModel, placements: pd.DataFrame) -> np.ndarray | None:
    """The mask over ``model.x`` of a placements table (site_id, format), or None when a placement is
    not a candidate of this model (excluded here, or an unknown site or format). A placement the model
    left out as dominated becomes the pair that dominates it (no more money, at least the coverage,
    and its site has no per-site row), so the plan stays feasible and covers no less."""
    sites = placements["site_id"].astype(str).to_numpy()
    fmts = placements["format"].astype(str).to_numpy()
    dom = model.dominated
    if len(dom):
        by = dict(
            zip(
                zip(dom["site_id"].astype(str), dom["format"].astype(str), strict=True),
                dom["by_site_id"].astype(str),
                strict=True,
            )
        )
        sites = np.array([by.get((s, f), s) for s, f in zip(sites, fmts, strict=True)], dtype=object)
    want = set(zip(sites, fmts, strict=True))
    x = model.x
    chosen = np.array(
        [(s, f) in want for s, f in zip(x["site_id"].astype(str), x["format"].astype(str), strict=True)],
        dtype=bool,
    )
    return chosen if int(chosen.sum()) == len(want) else None


def is_feasible(model: CoverageModel, values: np.ndarray, tol: float = 1e-6) -> bool:
    """Whether column values satisfy every row and bound of the model (used to check starts)."""
    return model.lp.is_feasible(values, tol)
