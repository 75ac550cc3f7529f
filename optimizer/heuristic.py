"""A greedy plan used as the solvers' starting incumbent.

Repeatedly open the (site, format) pair with the largest weighted coverage gain per yuan of public money
that still fits every constraint (floor area, formats per site, capital, viability with subsidy, subsidy
budget). Mandates are not targeted: when the greedy plan misses one, the solver simply ignores the start.
A good start matters on large instances, where a solver may otherwise spend its whole time limit without
a useful incumbent.
"""

from __future__ import annotations

import numpy as np

from .model import CoverageModel
from .reach import Reach
from .scenario import Scenario


def greedy_start(
    scenario: Scenario, reach: Reach, model: CoverageModel, max_steps: int = 10_000
) -> np.ndarray:
    """Column values of a feasible greedy plan (ignoring mandates) for ``model.lp``."""
    x = model.x
    lp = model.lp
    values = np.zeros(lp.n_cols)
    if len(x) == 0:
        return values
    demand = reach.demand
    wp = demand["priority"].to_numpy(float) * demand["population"].to_numpy(float)
    weight = scenario.formats["weight"].astype(float)
    keys = list(scenario.formats.index)
    cur = {k: reach.formats[k].base_credit.copy() for k in keys}
    # per format: the x rows and their site positions
    rows_of = {k: np.flatnonzero(x["format"].to_numpy() == k) for k in keys}
    site_area = scenario.sites["floor_area_m2"].to_numpy(float).copy()
    site_count_left = np.where(
        np.isnan(scenario.sites["max_formats"].to_numpy(float)),
        np.inf,
        scenario.sites["max_formats"].to_numpy(float),
    )
    capital_left = float(scenario.config.budget.capital_yuan)
    subsidy_left = float(scenario.config.budget.rent_subsidy_yuan_per_year)
    need = np.where(
        x["needs_subsidy"].to_numpy(bool), np.maximum(x["deficit_yuan_per_year"].to_numpy(float), 0), 0
    )
    fit = x["fitout_yuan"].to_numpy(float)
    area = x["area_m2"].to_numpy(float)
    site = x["site_pos"].to_numpy()
    chosen = np.zeros(len(x), dtype=bool)
    for _ in range(max_steps):
        gain = np.zeros(len(x))
        for k in keys:
            fr = reach.formats[k]
            r = rows_of[k]
            if len(r) == 0:
                continue
            w = weight[k] * wp
            g_full = fr.full.T @ (w * (1.0 - cur[k]))
            g = g_full[site[r]]
            if fr.partial is not None:
                only_partial = fr.partial.astype(float) - fr.full.astype(float)
                g = g + (only_partial.T @ (w * np.maximum(fr.credit_partial - cur[k], 0.0)))[site[r]]
            gain[r] = g
        ok = (
            ~chosen
            & (gain > 1e-9)
            & (fit <= capital_left + 1e-6)
            & (need <= subsidy_left + 1e-6)
            & (area <= site_area[site] + 1e-9)
            & (site_count_left[site] >= 1)
        )
        if not ok.any():
            break
        score = np.where(ok, gain / (fit + need + 1.0), -np.inf)
        best = int(np.argmax(score))
        chosen[best] = True
        capital_left -= fit[best]
        subsidy_left -= need[best]
        site_area[site[best]] -= area[best]
        site_count_left[site[best]] -= 1
        k = x.at[best, "format"]
        fr = reach.formats[k]
        col = np.zeros(len(scenario.sites))
        col[site[best]] = 1.0
        cur[k] = np.maximum(cur[k], np.where(fr.full @ col > 0, 1.0, 0.0))
        if fr.partial is not None:
            cur[k] = np.maximum(cur[k], np.where(fr.partial @ col > 0, fr.credit_partial, 0.0))
    values[lp.col_blocks["x"]] = chosen.astype(float)
    for table, block, test in ((model.y, "y", "full"), (model.z, "z", "partial")):
        if len(table) == 0:
            continue
        col = np.zeros(len(table))
        units = table["unit"].to_numpy()
        for k, idx in table.groupby("format").indices.items():
            c = cur[str(k)][units[idx]]
            col[idx] = (c >= 1.0) if test == "full" else ((c > 0.0) & (c < 1.0))
        values[lp.col_blocks[block]] = col
    if len(model.s):
        values[lp.col_blocks["s"]] = need[model.s["x"].to_numpy()] * chosen[model.s["x"].to_numpy()]
    return values


def is_feasible(model: CoverageModel, values: np.ndarray, tol: float = 1e-6) -> bool:
    """Whether column values satisfy every row and bound of the model (used to check starts)."""
    lp = model.lp
    act = lp.A @ values
    scale = np.maximum(1.0, np.abs(np.where(np.isfinite(lp.row_ub), lp.row_ub, 0)))
    return bool(
        np.all(act <= lp.row_ub + tol * scale)
        and np.all(
            act >= lp.row_lb - tol * np.maximum(1.0, np.abs(np.where(np.isfinite(lp.row_lb), lp.row_lb, 0)))
        )
        and np.all(values >= lp.lb - tol)
        and np.all(values <= lp.ub + tol)
    )
