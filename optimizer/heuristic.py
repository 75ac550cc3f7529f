"""A greedy plan used as the solvers' starting incumbent.

Repeatedly open the (site, format) pair with the largest weighted coverage gain per yuan of public money
that keeps every ``resource`` row of the model satisfied (whatever resource families are registered:
floor area, formats per site, the budgets, subsidy caps, viability), each pair taking the subsidy it
needs to be viable. Mandates are not targeted: when the greedy plan misses one, the solver simply
ignores the start. A good start matters on large instances, where a solver may otherwise spend its
whole time limit without a useful incumbent.
"""

from __future__ import annotations

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


def greedy_start(
    scenario: Scenario, reach: Reach, model: CoverageModel, max_steps: int = 10_000
) -> np.ndarray:
    """Column values of a feasible greedy plan (ignoring mandates) for ``model.lp``."""
    x, lp = model.x, model.lp
    values = np.zeros(lp.n_cols)
    if len(x) == 0:
        return values
    cur = {k: reach.formats[k].base_credit.copy() for k in scenario.formats.index}
    need = _needed_subsidy(model)
    effect, ub = _resource_effect(model, need)
    used = np.zeros(len(ub))
    money = x["fitout_yuan"].to_numpy(float) + need
    chosen = np.zeros(len(x), dtype=bool)
    for _ in range(max_steps):
        gain = _gains(scenario, reach, model, cur)
        ok = ~chosen & (gain > 1e-9) & _fits(effect, ub - used)
        if not ok.any():
            break
        best = int(np.argmax(np.where(ok, gain / (money + 1.0), -np.inf)))
        chosen[best] = True
        used += effect[:, [best]].toarray().ravel()
        key = str(x.at[best, "format"])
        cur[key] = _credit_after(reach, key, cur[key], int(x.at[best, "site_pos"]), len(scenario.sites))
    return _plan_values(model, chosen, need, cur)


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
    not a candidate of this model (excluded here, or an unknown site or format)."""
    key = model.x["site_id"].astype(str) + "\x00" + model.x["format"].astype(str)
    want = placements["site_id"].astype(str) + "\x00" + placements["format"].astype(str)
    chosen = key.isin(set(want)).to_numpy()
    return chosen if int(chosen.sum()) == len(set(want)) else None


def is_feasible(model: CoverageModel, values: np.ndarray, tol: float = 1e-6) -> bool:
    """Whether column values satisfy every row and bound of the model (used to check starts)."""
    return model.lp.is_feasible(values, tol)
