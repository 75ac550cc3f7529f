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

from .model import RESOURCE, CoverageModel, families_with_role
from .reach import Reach
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


def _gains(scenario: Scenario, reach: Reach, model: CoverageModel, cur: dict[str, np.ndarray]) -> np.ndarray:
    """Weighted coverage each pair would add to the current plan."""
    x = model.x
    demand = reach.demand
    wp = demand["priority"].to_numpy(float) * demand["population"].to_numpy(float)
    weight = scenario.formats["weight"].astype(float)
    site = x["site_pos"].to_numpy()
    gain = np.zeros(len(x))
    for k, r in x.groupby("format").indices.items():
        fr = reach.formats[str(k)]
        w = weight[str(k)] * wp
        g = (fr.full.T @ (w * (1.0 - cur[str(k)])))[site[r]]
        if fr.partial is not None:
            only_partial = fr.partial.astype(float) - fr.full.astype(float)
            g = g + (only_partial.T @ (w * np.maximum(fr.credit_partial - cur[str(k)], 0.0)))[site[r]]
        gain[r] = g
    return gain


def _credit_after(reach: Reach, key: str, cur: np.ndarray, site: int, n_sites: int) -> np.ndarray:
    fr = reach.formats[key]
    col = np.zeros(n_sites)
    col[site] = 1.0
    cur = np.maximum(cur, np.where(fr.full @ col > 0, 1.0, 0.0))
    if fr.partial is not None:
        cur = np.maximum(cur, np.where(fr.partial @ col > 0, fr.credit_partial, 0.0))
    return cur


class _Gains:
    """Coverage gains of chosen pairs, computed column by column with the same arithmetic as
    :func:`_gains` (each site's sum runs over its units in order), so lazy and full evaluation agree."""

    def __init__(self, scenario: Scenario, reach: Reach, model: CoverageModel) -> None:
        x = model.x
        demand = reach.demand
        self.wp = demand["priority"].to_numpy(float) * demand["population"].to_numpy(float)
        self.weight = scenario.formats["weight"].astype(float)
        self.site = x["site_pos"].to_numpy()
        self.fmt = x["format"].astype(str).to_numpy()
        self.mats: dict[str, tuple[sp.csc_array, sp.csc_array | None, float]] = {}
        for key in np.unique(self.fmt):
            fr = reach.formats[key]
            full = sp.csc_array(fr.full.astype(float))
            only = None
            if fr.partial is not None:
                only = sp.csc_array(fr.partial.astype(float) - fr.full.astype(float))
            for m in (full, only):
                if m is not None:
                    m.sort_indices()
            self.mats[key] = (full, only, fr.credit_partial)
        self._cut: dict[str, tuple[sp.csr_array, sp.csr_array | None]] = {}
        self._cut_u: dict[str, tuple[sp.csr_array, sp.csr_array | None]] = {}

    def of(self, pairs: np.ndarray, cur: dict[str, np.ndarray]) -> np.ndarray:
        out = np.zeros(len(pairs))
        fmts = self.fmt[pairs]
        for key in np.unique(fmts):
            sel = np.flatnonzero(fmts == key)
            full, only, credit = self.mats[key]
            w = self.weight[key] * self.wp
            sites = self.site[pairs[sel]]
            g = full[:, sites].T @ (w * (1.0 - cur[key]))
            if only is not None:
                g = g + only[:, sites].T @ (w * np.maximum(credit - cur[key], 0.0))
            out[sel] = g
        return out

    def of_format(self, key: str, rows: np.ndarray, cur: dict[str, np.ndarray]) -> np.ndarray:
        """Gains of every pair ``rows`` of format ``key`` (the same pairs each call: their columns are
        cut out once)."""
        cached = self._cut.get(key)
        if cached is None:
            full, only, _ = self.mats[key]
            sites = self.site[rows]
            cached = (
                sp.csr_array(full[:, sites].T),
                None if only is None else sp.csr_array(only[:, sites].T),
            )
            self._cut[key] = cached
        full_t, only_t = cached
        w = self.weight[key] * self.wp
        g = full_t @ (w * (1.0 - cur[key]))
        if only_t is not None:
            g = g + only_t @ (w * np.maximum(self.mats[key][2] - cur[key], 0.0))
        return g

    def by_unit(self, key: str, rows: np.ndarray) -> tuple[sp.csr_array, sp.csr_array | None]:
        """Units x pairs ``rows`` of format ``key`` (full reach, and partial-only reach), cut once."""
        cached = self._cut_u.get(key)
        if cached is None:
            full, only, _ = self.mats[key]
            sites = self.site[rows]
            cached = (sp.csr_array(full[:, sites]), None if only is None else sp.csr_array(only[:, sites]))
            self._cut_u[key] = cached
        return cached

    def opened(self, cur: np.ndarray, key: str, site: int) -> np.ndarray:
        """A format's credits once the pair at ``site`` opens (as :func:`_credit_after`, by column)."""
        full, only, credit = self.mats[key]
        cur = cur.copy()
        cur[full.indices[full.indptr[site] : full.indptr[site + 1]]] = 1.0
        if only is not None:
            lo, hi = only.indptr[site], only.indptr[site + 1]
            u = only.indices[lo:hi][only.data[lo:hi] != 0]
            cur[u] = np.maximum(cur[u], credit)
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
    g0 = _gains(scenario, reach, model, cur)
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


class _Swaps:
    """State of the 1-swap search, per format: how many open pairs reach each unit (within the limit,
    and within the partial limit only), each unit's credit, and every pair's gain."""

    def __init__(self, scenario: Scenario, reach: Reach, model: CoverageModel, chosen: np.ndarray) -> None:
        self.gains = _Gains(scenario, reach, model)
        self.n_sites = len(scenario.sites)
        self.rows_of = {str(k): np.asarray(r) for k, r in model.x.groupby("format").indices.items()}
        self.base = {k: reach.formats[k].base_credit for k in self.rows_of}
        self.wp = {k: self.gains.weight[k] * self.gains.wp for k in self.rows_of}
        self.cnt: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
        self.cur: dict[str, np.ndarray] = {}
        self.gain = np.zeros(len(model.x))
        for k in self.rows_of:
            self.reset(k, chosen)

    def reset(self, k: str, chosen: np.ndarray) -> None:
        """Counts, credits and gains of format k for the plan ``chosen``."""
        full, only, _ = self.gains.mats[k]
        r = self.rows_of[k]
        col = np.zeros(self.n_sites)
        col[self.gains.site[r[chosen[r]]]] = 1.0
        self.cnt[k] = (full @ col, only @ col if only is not None else None)
        self.cur[k] = self.credit(k, *self.cnt[k], slice(None))
        self.gain[r] = self.gains.of_format(k, r, self.cur)

    def credit(self, k: str, fc: np.ndarray, oc: np.ndarray | None, units: np.ndarray | slice) -> np.ndarray:
        c = np.maximum(self.base[k][units], np.where(fc > 0, 1.0, 0.0))
        if oc is not None:
            c = np.maximum(c, np.where(oc > 0, self.gains.mats[k][2], 0.0))
        return c

    def after_drop(self, a: int) -> tuple[float, np.ndarray]:
        """The coverage lost when pair a closes, and every pair's gain then; only the units a reaches
        change credit, so only their rows are read."""
        k, s_a = self.gains.fmt[a], self.gains.site[a]
        full, only, c = self.gains.mats[k]
        fc, oc = self.cnt[k]
        u1 = full.indices[full.indptr[s_a] : full.indptr[s_a + 1]]
        u2 = np.zeros(0, dtype=u1.dtype)
        if only is not None:
            lo, hi = only.indptr[s_a], only.indptr[s_a + 1]
            u2 = only.indices[lo:hi][only.data[lo:hi] != 0]
        units = np.union1d(u1, u2)
        fcu = fc[units].copy()
        fcu[np.searchsorted(units, u1)] -= 1.0
        ocu = None
        if oc is not None:
            ocu = oc[units].copy()
            ocu[np.searchsorted(units, u2)] -= 1.0
        old, new = self.cur[k][units], self.credit(k, fcu, ocu, units)
        w = self.wp[k][units]
        rows = self.rows_of[k]
        by_full, by_only = self.gains.by_unit(k, rows)
        g = self.gain.copy()
        g[rows] += by_full[units].T @ (w * (old - new))
        if by_only is not None:
            g[rows] += by_only[units].T @ (w * (np.maximum(c - new, 0.0) - np.maximum(c - old, 0.0)))
        return float(w @ (old - new)), g


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
    the units the dropped pair reaches; state is re-computed only for the formats a swap touches."""
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
    used = effect @ chosen.astype(float)
    st = _Swaps(scenario, reach, model, chosen)
    tol = 1e-9 * max(1.0, float(sum(st.wp[k] @ st.cur[k] for k in st.rows_of)))
    improved, rounds = True, 0
    while improved and rounds < max_rounds:
        improved = False
        for a in np.flatnonzero(chosen):
            if time_limit_s is not None and time.perf_counter() - t0 > time_limit_s:
                return plan_values(scenario, reach, model, chosen)
            rounds += 1
            without = chosen.copy()
            without[a] = False
            loss, g = st.after_drop(int(a))
            ea = effect[:, [a]].toarray().ravel()
            ok = ~without & _fits(effect, ub - (used - ea)) & (g > 1e-9)
            ok[a] = False
            if not ok.any() or float(g[ok].max()) - loss <= tol:
                continue
            # The largest gain; among equal gains, the least money, then the lower position.
            cand = np.flatnonzero(ok & (g >= g[ok].max()))
            b = int(cand[np.lexsort((cand, money[cand]))[0]])
            chosen = without
            chosen[b] = True
            used = used - ea + effect[:, [b]].toarray().ravel()
            for k in {st.gains.fmt[a], st.gains.fmt[b]}:
                st.reset(k, chosen)
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
