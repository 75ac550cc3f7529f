r"""The coverage model, built once as sparse arrays.

Sets and data
-------------
- demand units :math:`i` (residences, or their younger and elderly parts), population :math:`p_i`,
  priority :math:`w_i`; formats :math:`f` with weight :math:`\omega_f`, walk limit :math:`L_f`,
  floor area :math:`a_f`; candidate sites :math:`j` with floor area :math:`A_j` and rent :math:`r_j`
  (yuan/m²/month).
- :math:`b_{if}\in\{0, c, 1\}`: credit unit :math:`i` already has for :math:`f` from existing outlets
  (1 within :math:`L_f`, :math:`c` within the partial limit :math:`\lambda L_f`, else 0).
- :math:`N_{if}` (:math:`N^{\lambda}_{if}`): sites that :math:`i` reaches within :math:`L_f`
  (:math:`\lambda L_f`).
- yearly rent :math:`R_{jf} = 12\, r_j a_f`; fit-out :math:`K_{jf}` (the site's ``fitout_yuan`` or
  :math:`a_f \times` cost per m²); operating cost :math:`O_f`; margin per resident :math:`m_f`; catchment
  :math:`C_{jf} = \sum_{i: j\in N_{if}} p_i / (1 + n_{if})` where :math:`n_{if}` counts existing outlets
  of :math:`f` within :math:`L_f` of :math:`i` (residents share their custom equally).

Variables
---------
:math:`x_{jf}\in\{0,1\}` open :math:`f` at :math:`j`; :math:`y_{if}\in[0,1]` full coverage and
:math:`z_{if}\in[0,1]` partial coverage (only where not already covered); :math:`s_{jf}\ge 0` yearly rent
subsidy (only for subsidised formats).

Objective
---------
.. math:: \max \sum_{i,f} \omega_f w_i p_i \left[(1-b_{if})\, y_{if} + c\,[b_{if}=0]\, z_{if}\right]

Constraints
-----------
.. math::
   y_{if} \le \sum_{j\in N_{if}} x_{jf}, \quad z_{if} \le \sum_{j\in N^{\lambda}_{if}} x_{jf},
   \quad y_{if} + z_{if} \le 1                                              && \text{(cover)}\\
   \sum_f a_f x_{jf} \le A_j, \quad \sum_f x_{jf} \le M_j                   && \text{(space, 一点多用)}\\
   \sum_{j,f} K_{jf} x_{jf} \le B_{\text{capital}}                          && \text{(capital)}\\
   s_{jf} \le \sigma R_{jf} x_{jf}, \quad \sum_{j,f} s_{jf} \le B_{\text{subsidy}} && \text{(subsidy)}\\
   m_f C_{jf} + s_{jf} \ge (R_{jf} + O_f)\, x_{jf}                          && \text{(viability)}\\
   \sum_{i\in G} p_i (b^{1}_{if} + y_{if}) \ge \mu \sum_{i\in G} p_i         && \text{(mandates)}

where :math:`b^1_{if}=[b_{if}=1]`. Pairs :math:`(j,f)` that cannot be part of any feasible plan (format not
allowed, no room, fit-out over the whole budget, not viable even with the largest subsidy, nobody to gain)
get no variable; ``CoverageModel.excluded`` says why. Viability uses catchments fixed in advance, so
the model stays linear.

Tie-break (``objective.tie_break: least_public_money``): a second stage fixes the coverage at the first
stage's value and minimises :math:`\sum K_{jf} x_{jf} + \sum s_{jf}` (capital plus one year of subsidy).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .lp import INF, LinearProgram
from .reach import Reach
from .scenario import Scenario


@dataclass
class Rows:
    """One constraint family: COO entries over global column positions, and row bounds."""

    name: str
    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    lo: np.ndarray
    hi: np.ndarray


@dataclass
class CoverageModel:
    lp: LinearProgram
    x: pd.DataFrame  # one row per (site, format) variable, with its economics
    y: pd.DataFrame  # one row per (unit, format) full-coverage variable
    z: pd.DataFrame  # one row per (unit, format) partial-coverage variable
    s: pd.DataFrame  # one row per subsidy variable: its x position
    money: np.ndarray  # public money per column (fit-out on x, subsidy on s)
    mandates: pd.DataFrame  # one row per (mandate, format): group, share, needed, already, row position
    excluded: pd.DataFrame  # (site_id, format, reason) pairs that got no variable


# ---------------------------------------------------------------------------------------------------------
# variables
# ---------------------------------------------------------------------------------------------------------


def site_format_pairs(scenario: Scenario, reach: Reach) -> pd.DataFrame:
    """Every (site, format) pair with its economics and, where it cannot open, the reason."""
    sites, fmts = scenario.sites, scenario.formats
    cfg = scenario.config
    J, F = len(sites), len(fmts)
    jj = np.repeat(np.arange(J), F)
    ff = np.tile(np.arange(F), J)
    keys = fmts.index.to_numpy()[ff]
    area = fmts["area_m2"].to_numpy(float)[ff]
    fit_site = sites["fitout_yuan"].to_numpy(float)[jj]
    fit = np.where(np.isnan(fit_site), area * fmts["fitout_yuan_per_m2"].to_numpy(float)[ff], fit_site)
    rent = 12.0 * sites["rent_yuan_per_m2_month"].to_numpy(float)[jj] * area
    opex = fmts["opex_yuan_per_year"].to_numpy(float)[ff]
    margin = fmts["margin_yuan_per_resident_year"].to_numpy(float)[ff]
    pop = reach.demand["population"].to_numpy(float)
    catchment = np.zeros(J * F)
    gain = np.zeros(J * F, dtype=bool)
    for k, key in enumerate(fmts.index):
        fr = reach.formats[key]
        share = pop / (1.0 + fr.outlets_within)
        catchment[ff == k] = fr.full.T @ share
        need_full = (fr.base_credit < 1).astype(float)
        reach_gain = fr.full.T @ need_full
        if fr.partial is not None:
            reach_gain = reach_gain + fr.partial.T @ (fr.base_credit == 0).astype(float)
        gain[ff == k] = reach_gain > 0
    deficit = rent + opex - margin * catchment
    subsidised = np.isin(keys, list(cfg.subsidy.formats or ()))
    cap_sub = np.where(subsidised, cfg.subsidy.share_of_rent * rent, 0.0)
    allowed = (
        np.array(
            [(not a) or (k in a) for a, k in zip(sites["allowed_formats"].to_numpy()[jj], keys, strict=True)],
            dtype=bool,
        )
        if J * F
        else np.zeros(0, bool)
    )
    reason = np.full(J * F, "", dtype=object)
    viability = bool(cfg.viability.enabled)
    checks = [
        (~allowed, "format not allowed at this site"),
        (area > sites["floor_area_m2"].to_numpy(float)[jj] + 1e-9, "not enough floor area"),
        (fit > cfg.budget.capital_yuan + 1e-6, "fit-out exceeds the whole capital budget"),
        (
            viability & (deficit > cap_sub + 1e-6),
            "not viable: rent + operating cost exceed margin + largest subsidy",
        ),
        (
            viability & (deficit > 1e-6) & (deficit > cfg.budget.rent_subsidy_yuan_per_year + 1e-6),
            "not viable within the subsidy budget",
        ),
        (~gain, "no resident would gain coverage"),
    ]
    for mask, text in checks:
        reason = np.where((reason == "") & mask, text, reason)
    return pd.DataFrame(
        {
            "site_pos": jj,
            "site_id": sites.index.to_numpy()[jj],
            "format": keys,
            "format_pos": ff,
            "area_m2": area,
            "fitout_yuan": fit,
            "rent_yuan_per_year": rent,
            "opex_yuan_per_year": opex,
            "catchment": catchment,
            "margin_yuan_per_year": margin * catchment,
            "deficit_yuan_per_year": deficit,
            "max_subsidy_yuan_per_year": cap_sub,
            "needs_subsidy": viability & (deficit > 1e-6),
            "reason": reason,
        }
    )


def demand_pairs(scenario: Scenario, reach: Reach, x: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(unit, format) pairs that can gain full (y) or partial (z) coverage from an eligible site."""
    y_parts, z_parts = [], []
    weight = scenario.formats["weight"].to_numpy(float)
    base_w = reach.demand["priority"].to_numpy(float) * reach.demand["population"].to_numpy(float)
    for k, key in enumerate(scenario.formats.index):
        fr = reach.formats[key]
        open_sites = np.zeros(len(scenario.sites), dtype=bool)
        open_sites[x.loc[x["format"] == key, "site_pos"].to_numpy()] = True
        n_full = fr.full @ open_sites.astype(float)
        units = np.flatnonzero((fr.base_credit < 1) & (n_full > 0))
        y_parts.append(
            pd.DataFrame(
                {
                    "unit": units,
                    "format": key,
                    "format_pos": k,
                    "coef": weight[k] * base_w[units] * (1 - fr.base_credit[units]),
                }
            )
        )
        if fr.partial is not None:
            n_part = fr.partial @ open_sites.astype(float)
            units = np.flatnonzero((fr.base_credit == 0) & (n_part > 0))
            z_parts.append(
                pd.DataFrame(
                    {
                        "unit": units,
                        "format": key,
                        "format_pos": k,
                        "coef": weight[k] * base_w[units] * fr.credit_partial,
                    }
                )
            )
    cols = ["unit", "format", "format_pos", "coef"]
    y = pd.concat(y_parts, ignore_index=True) if y_parts else pd.DataFrame(columns=cols)
    z = pd.concat(z_parts, ignore_index=True) if z_parts else pd.DataFrame(columns=cols)
    return y, z


# ---------------------------------------------------------------------------------------------------------
# constraint families
# ---------------------------------------------------------------------------------------------------------


def cover_rows(
    name: str,
    pairs: pd.DataFrame,
    offset: int,
    x: pd.DataFrame,
    x_offset: int,
    reach: Reach,
    scenario: Scenario,
    partial: bool,
) -> Rows:
    """y_if - sum_{j in N_if} x_jf <= 0 (or the same for z with the partial limit)."""
    r_list, c_list, v_list = [np.arange(len(pairs))], [offset + np.arange(len(pairs))], [np.ones(len(pairs))]
    row0 = 0
    for key, grp in pairs.groupby("format", sort=False):
        fr = reach.formats[str(key)]
        m = fr.partial if partial else fr.full
        xs = x[x["format"] == key]
        col_of_site = np.full(len(scenario.sites), -1)
        col_of_site[xs["site_pos"].to_numpy()] = x_offset + xs.index.to_numpy()
        sub = m[grp["unit"].to_numpy()].tocoo()
        cols = col_of_site[sub.col]
        keep = cols >= 0
        r_list.append(grp.index.to_numpy()[sub.row[keep]])
        c_list.append(cols[keep])
        v_list.append(-np.ones(int(keep.sum())))
        row0 += len(grp)
    return Rows(
        name,
        np.concatenate(r_list),
        np.concatenate(c_list),
        np.concatenate(v_list),
        np.full(len(pairs), -INF),
        np.zeros(len(pairs)),
    )


def exclusive_rows(y: pd.DataFrame, y_off: int, z: pd.DataFrame, z_off: int) -> Rows:
    """y_if + z_if <= 1 where both exist."""
    both = y.reset_index().merge(z.reset_index(), on=["unit", "format"], suffixes=("_y", "_z"))
    n = len(both)
    rows = np.r_[np.arange(n), np.arange(n)]
    cols = np.r_[y_off + both["index_y"].to_numpy(), z_off + both["index_z"].to_numpy()]
    return Rows("exclusive", rows, cols, np.ones(2 * n), np.full(n, -INF), np.ones(n))


def area_rows(x: pd.DataFrame, x_off: int, scenario: Scenario) -> Rows:
    """sum_f a_f x_jf <= A_j, for sites where the eligible formats together would not fit."""
    total = x.groupby("site_pos")["area_m2"].sum()
    floor = scenario.sites["floor_area_m2"].to_numpy(float)
    tight = total.index[total.to_numpy() > floor[total.index] + 1e-9].to_numpy()
    row_of = {s: r for r, s in enumerate(tight)}
    sel = x[x["site_pos"].isin(tight)]
    rows = sel["site_pos"].map(row_of).to_numpy()
    return Rows(
        "area",
        rows,
        x_off + sel.index.to_numpy(),
        sel["area_m2"].to_numpy(float),
        np.full(len(tight), -INF),
        floor[tight],
    )


def max_formats_rows(x: pd.DataFrame, x_off: int, scenario: Scenario) -> Rows:
    """sum_f x_jf <= M_j where a site limits how many formats it hosts."""
    limit = scenario.sites["max_formats"].to_numpy(float)
    count = x.groupby("site_pos").size()
    binding = count.index[
        (~np.isnan(limit[count.index])) & (count.to_numpy() > limit[count.index])
    ].to_numpy()
    row_of = {s: r for r, s in enumerate(binding)}
    sel = x[x["site_pos"].isin(binding)]
    return Rows(
        "max_formats",
        sel["site_pos"].map(row_of).to_numpy(),
        x_off + sel.index.to_numpy(),
        np.ones(len(sel)),
        np.full(len(binding), -INF),
        limit[binding],
    )


def capital_rows(x: pd.DataFrame, x_off: int, scenario: Scenario) -> Rows:
    """sum K_jf x_jf <= capital budget."""
    return Rows(
        "capital",
        np.zeros(len(x), dtype=int),
        x_off + x.index.to_numpy(),
        x["fitout_yuan"].to_numpy(),
        np.array([-INF]),
        np.array([float(scenario.config.budget.capital_yuan)]),
    )


def subsidy_rows(x: pd.DataFrame, x_off: int, s: pd.DataFrame, s_off: int, scenario: Scenario) -> list[Rows]:
    """s_jf <= sigma R_jf x_jf;  deficit_jf x_jf - s_jf <= 0 (viability);  sum s_jf <= subsidy budget."""
    n = len(s)
    xpos = s["x"].to_numpy()
    idx = np.arange(n)
    cap = Rows(
        "subsidy_cap",
        np.r_[idx, idx],
        np.r_[s_off + idx, x_off + xpos],
        np.r_[np.ones(n), -x["max_subsidy_yuan_per_year"].to_numpy()[xpos]],
        np.full(n, -INF),
        np.zeros(n),
    )
    viable = Rows(
        "viability",
        np.r_[idx, idx],
        np.r_[x_off + xpos, s_off + idx],
        np.r_[x["deficit_yuan_per_year"].to_numpy()[xpos], -np.ones(n)],
        np.full(n, -INF),
        np.zeros(n),
    )
    budget = Rows(
        "subsidy_budget",
        np.zeros(n, dtype=int),
        s_off + idx,
        np.ones(n),
        np.array([-INF]),
        np.array([float(scenario.config.budget.rent_subsidy_yuan_per_year)]),
    )
    return [cap, viable, budget]


def group_mask(demand: pd.DataFrame, group: str) -> np.ndarray:
    if group == "old_neighbourhood":
        return demand["old_neighbourhood"].to_numpy(bool)
    if group == "affordable_housing":
        return demand["affordable_housing"].to_numpy(bool)
    if group == "priority":
        return demand["old_neighbourhood"].to_numpy(bool) | demand["affordable_housing"].to_numpy(bool)
    return np.ones(len(demand), dtype=bool)


def _cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def mandate_rows(y: pd.DataFrame, y_off: int, reach: Reach, scenario: Scenario) -> tuple[Rows, pd.DataFrame]:
    """sum_{i in G} p_i y_if >= mu P_G - sum_{i in G} p_i [b_if = 1], one row per mandate and format."""
    pop = reach.demand["population"].to_numpy(float)
    rows, cols, vals, lo, info = [], [], [], [], []
    for n, m in enumerate(scenario.config.mandates, start=1):
        g = group_mask(reach.demand, m.group)
        total = float(pop[g].sum())
        for key in m.formats:
            fr = reach.formats[key]
            already = float(pop[g & (fr.base_credit >= 1)].sum())
            need = m.min_share * total - already
            sel = y[(y["format"] == key) & g[y["unit"].to_numpy()]]
            r = len(lo)
            rows.append(np.full(len(sel), r))
            cols.append(y_off + sel.index.to_numpy())
            vals.append(pop[sel["unit"].to_numpy()])
            lo.append(need - 1e-6 * max(total, 1.0))
            reachable = float(pop[sel["unit"].to_numpy()].sum())
            info.append(
                {
                    "mandate": n,
                    "group": m.group,
                    "format": key,
                    "min_share": m.min_share,
                    "group_population": total,
                    "covered_before": already,
                    "needed_more": max(need, 0.0),
                    "reachable_more": reachable,
                    "row": r,
                }
            )
    frame = pd.DataFrame(
        info,
        columns=[
            "mandate",
            "group",
            "format",
            "min_share",
            "group_population",
            "covered_before",
            "needed_more",
            "reachable_more",
            "row",
        ],
    )
    return Rows(
        "mandate",
        _cat(rows, int),
        _cat(cols, int),
        _cat(vals, float),
        np.array(lo, dtype=float),
        np.full(len(lo), INF),
    ), frame


# ---------------------------------------------------------------------------------------------------------
# assembly
# ---------------------------------------------------------------------------------------------------------


def build_model(scenario: Scenario, reach: Reach) -> CoverageModel:
    """Variables and constraint families as one sparse LinearProgram (maximise weighted coverage)."""
    pairs = site_format_pairs(scenario, reach)
    excluded = pairs.loc[pairs["reason"] != "", ["site_id", "format", "reason"]].reset_index(drop=True)
    x = pairs[pairs["reason"] == ""].drop(columns="reason").reset_index(drop=True)
    y, z = demand_pairs(scenario, reach, x)
    s = pd.DataFrame({"x": np.flatnonzero(x["needs_subsidy"].to_numpy())})
    nx, ny, nz, ns = len(x), len(y), len(z), len(s)
    x_off, y_off, z_off, s_off = 0, nx, nx + ny, nx + ny + nz
    n = s_off + ns
    c = np.zeros(n)
    c[y_off:z_off] = y["coef"].to_numpy(float)
    c[z_off:s_off] = z["coef"].to_numpy(float)
    lb = np.zeros(n)
    ub = np.ones(n)
    ub[s_off:] = x["max_subsidy_yuan_per_year"].to_numpy()[s["x"].to_numpy()] if ns else ub[s_off:]
    integer = np.zeros(n, dtype=bool)
    integer[:nx] = True
    money = np.zeros(n)
    money[:nx] = x["fitout_yuan"].to_numpy()
    money[s_off:] = 1.0
    families = [
        cover_rows("cover", y, y_off, x, x_off, reach, scenario, partial=False),
        cover_rows("cover_partial", z, z_off, x, x_off, reach, scenario, partial=True),
        exclusive_rows(y, y_off, z, z_off),
        area_rows(x, x_off, scenario),
        max_formats_rows(x, x_off, scenario),
        capital_rows(x, x_off, scenario),
        *(subsidy_rows(x, x_off, s, s_off, scenario) if ns else []),
    ]
    mrows, mandates = mandate_rows(y, y_off, reach, scenario)
    families.append(mrows)
    r_all, c_all, v_all, lo_all, hi_all = [], [], [], [], []
    row_blocks: dict[str, slice] = {}
    start = 0
    for fam in families:
        m = len(fam.lo)
        row_blocks[fam.name] = slice(start, start + m)
        r_all.append(start + fam.rows)
        c_all.append(fam.cols)
        v_all.append(fam.vals)
        lo_all.append(fam.lo)
        hi_all.append(fam.hi)
        start += m
    A = sp.csr_array(
        (
            np.concatenate(v_all),
            (np.concatenate(r_all).astype(np.int64), np.concatenate(c_all).astype(np.int64)),
        ),
        shape=(start, n),
    )
    A.sum_duplicates()
    lp = LinearProgram(
        "max",
        c,
        lb,
        ub,
        integer,
        A,
        np.concatenate(lo_all),
        np.concatenate(hi_all),
        {"x": slice(0, nx), "y": slice(y_off, z_off), "z": slice(z_off, s_off), "s": slice(s_off, n)},
        row_blocks,
    )
    mandates["row"] = mandates["row"] + row_blocks["mandate"].start
    return CoverageModel(lp, x, y, z, s, money, mandates, excluded)
