"""Constraint families, registered as data (:data:`FAMILIES`): one small vectorised builder each.

A family has a ``role``: ``cover`` rows tie coverage to placements, ``resource`` rows limit what the
placements may use together (floor area, formats per site, the budgets, subsidy caps, viability) and
``target`` rows are the equity mandates. The model builds every family in order; the greedy start keeps
every ``resource`` row; the infeasibility diagnosis relaxes families by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..groups import group_mask
from ..lp import INF, Constraints, Term
from ..reach import Reach
from ..scenario import Scenario
from .budgets import BUDGET_BY_BLOCK, budget_rows

COVER, RESOURCE, TARGET = "cover", "resource", "target"


@dataclass(frozen=True)
class ModelData:
    """What the builders read: the scenario, its reach and the variable tables (row k of a table is
    position k of its variable block)."""

    scenario: Scenario
    reach: Reach
    x: pd.DataFrame  # (site, format) pairs that may open, with their economics
    y: pd.DataFrame  # (unit, format) full coverage; ``unit`` is a class's first unit when merged
    z: pd.DataFrame  # (unit, format) partial coverage; columns population and n_units per row
    s: pd.DataFrame  # subsidy variables: column ``x`` is the pair's position in x


@dataclass(frozen=True)
class Family:
    name: str
    role: str
    maths: str
    rows: Callable[[ModelData], Constraints | None]


def _cover(d: ModelData, partial: bool) -> Constraints:
    """y_if - sum_{j in N_if} x_jf <= 0 (z with the partial limit)."""
    pairs, var = (d.z, "z") if partial else (d.y, "y")
    n = len(pairs)
    rows, cols = [], []
    for key, grp in pairs.groupby("format", sort=False):
        fr = d.reach.formats[str(key)]
        m = fr.partial if partial else fr.full
        assert m is not None  # z pairs exist only where partial credit is on
        xs = d.x[d.x["format"] == key]
        col_of_site = np.full(len(d.scenario.sites), -1)
        col_of_site[xs["site_pos"].to_numpy()] = xs.index.to_numpy()
        sub = m[grp["unit"].to_numpy()].tocoo()
        c = col_of_site[sub.col]
        keep = c >= 0
        # 32-bit positions: at district size this block has over 100 million entries
        rows.append(grp.index.to_numpy()[sub.row[keep]].astype(np.int32))
        cols.append(c[keep].astype(np.int32))
    r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int32)
    c = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int32)
    return Constraints(
        "cover_partial" if partial else "cover",
        (Term(var, np.arange(n), np.arange(n), np.ones(n)), Term("x", r, c, -np.ones(len(r)))),
        np.full(n, -INF),
        np.zeros(n),
    )


def _exclusive(d: ModelData) -> Constraints:
    """y_if + z_if <= 1 where both exist."""
    both = d.y.reset_index().merge(d.z.reset_index(), on=["unit", "format"], suffixes=("_y", "_z"))
    n, idx = len(both), np.arange(len(both))
    return Constraints(
        "exclusive",
        (
            Term("y", idx, both["index_y"].to_numpy(), np.ones(n)),
            Term("z", idx, both["index_z"].to_numpy(), np.ones(n)),
        ),
        np.full(n, -INF),
        np.ones(n),
    )


def _per_site(d: ModelData, name: str, sites: np.ndarray, coef: np.ndarray, limit: np.ndarray) -> Constraints:
    """One row per site in ``sites``: sum over its pairs of coef <= limit."""
    row_of = {s: r for r, s in enumerate(sites)}
    sel = d.x[d.x["site_pos"].isin(sites)]
    return Constraints(
        name,
        (
            Term(
                "x", sel["site_pos"].map(row_of).to_numpy(), sel.index.to_numpy(), coef[sel.index.to_numpy()]
            ),
        ),
        np.full(len(sites), -INF),
        limit[sites],
    )


def area_row_sites(x: pd.DataFrame, scenario: Scenario) -> np.ndarray:
    """Sites that get an ``area`` row: those where the eligible formats together would not fit."""
    total = x.groupby("site_pos")["area_m2"].sum()
    floor = scenario.sites["floor_area_m2"].to_numpy(float)
    return total.index[total.to_numpy() > floor[total.index] + 1e-9].to_numpy()


def max_formats_row_sites(x: pd.DataFrame, scenario: Scenario) -> np.ndarray:
    """Sites that get a ``max_formats`` row: those with more eligible formats than they may host."""
    limit = scenario.sites["max_formats"].to_numpy(float)
    count = x.groupby("site_pos").size()
    over = (~np.isnan(limit[count.index])) & (count.to_numpy() > limit[count.index])
    return count.index[over].to_numpy()


def _area(d: ModelData) -> Constraints:
    """sum_f a_f x_jf <= A_j, for sites where the eligible formats together would not fit."""
    floor = d.scenario.sites["floor_area_m2"].to_numpy(float)
    return _per_site(d, "area", area_row_sites(d.x, d.scenario), d.x["area_m2"].to_numpy(float), floor)


def _max_formats(d: ModelData) -> Constraints:
    """sum_f x_jf <= M_j where a site limits how many formats it hosts."""
    limit = d.scenario.sites["max_formats"].to_numpy(float)
    return _per_site(d, "max_formats", max_formats_row_sites(d.x, d.scenario), np.ones(len(d.x)), limit)


def _budget(block: str) -> Callable[[ModelData], Constraints | None]:
    b = BUDGET_BY_BLOCK[block]

    def rows(d: ModelData) -> Constraints | None:
        table = d.x if b.var == "x" else d.s
        if b.var == "s" and not len(d.s):
            return None
        coef = table[b.coef].to_numpy(float) if b.coef else None
        return budget_rows(b, len(table), coef, d.scenario.config)

    return rows


def _subsidy_cap(d: ModelData) -> Constraints | None:
    """s_jf - sigma R_jf x_jf <= 0."""
    if not len(d.s):
        return None
    n, xpos = len(d.s), d.s["x"].to_numpy()
    idx = np.arange(n)
    return Constraints(
        "subsidy_cap",
        (
            Term("s", idx, idx, np.ones(n)),
            Term("x", idx, xpos, -d.x["max_subsidy_yuan_per_year"].to_numpy()[xpos]),
        ),
        np.full(n, -INF),
        np.zeros(n),
    )


def _viability(d: ModelData) -> Constraints | None:
    """deficit_jf x_jf - s_jf <= 0: margin plus subsidy pay rent and operating cost."""
    if not len(d.s):
        return None
    n, xpos = len(d.s), d.s["x"].to_numpy()
    idx = np.arange(n)
    return Constraints(
        "viability",
        (
            Term("x", idx, xpos, d.x["deficit_yuan_per_year"].to_numpy()[xpos]),
            Term("s", idx, idx, -np.ones(n)),
        ),
        np.full(n, -INF),
        np.zeros(n),
    )


MANDATE_COLUMNS = [
    "mandate",
    "group",
    "format",
    "min_share",
    "group_population",
    "covered_before",
    "needed_more",
    "reachable_more",
    "row",
]


def mandate_targets(d: ModelData) -> pd.DataFrame:
    """One row per (mandate, format): the group, the share asked, the population needed beyond what
    existing outlets cover, what eligible sites could add, and the row inside the ``mandate`` block."""
    pop = d.reach.demand["population"].to_numpy(float)
    info: list[dict[str, object]] = []
    for n, m in enumerate(d.scenario.config.mandates, start=1):
        g = group_mask(d.reach.demand, m.group)
        total = float(pop[g].sum())
        for key in m.formats:
            already = float(pop[g & (d.reach.formats[key].base_credit >= 1)].sum())
            sel = d.y[(d.y["format"] == key) & g[d.y["unit"].to_numpy()]]
            info.append(
                {
                    "mandate": n,
                    "group": m.group,
                    "format": key,
                    "min_share": m.min_share,
                    "group_population": total,
                    "covered_before": already,
                    "needed_more": max(m.min_share * total - already, 0.0),
                    "reachable_more": float(sel["population"].sum()),
                    "row": len(info),
                }
            )
    return pd.DataFrame(info, columns=MANDATE_COLUMNS)


def _mandate(d: ModelData) -> Constraints:
    """sum_{i in G} p_i y_if >= mu P_G - sum_{i in G} p_i [b_if = 1], one row per mandate and format
    (a y row merged from several units weighs their summed population; its units share membership)."""
    targets = mandate_targets(d)
    rows, cols, vals, lo = [], [], [], []
    for t in targets.itertuples():
        g = group_mask(d.reach.demand, str(t.group))
        sel = d.y[(d.y["format"] == t.format) & g[d.y["unit"].to_numpy()]]
        rows.append(np.full(len(sel), int(t.row)))
        cols.append(sel.index.to_numpy())
        vals.append(sel["population"].to_numpy(float))  # a row may stand for several units
        need = float(t.min_share) * float(t.group_population) - float(t.covered_before)
        lo.append(need - 1e-6 * max(float(t.group_population), 1.0))

    def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

    return Constraints(
        "mandate",
        (Term("y", cat(rows, np.int64), cat(cols, np.int64), cat(vals, float)),),
        np.array(lo, dtype=float),
        np.full(len(lo), INF),
    )


FAMILIES: tuple[Family, ...] = (
    Family("cover", COVER, "y_if <= sum_{j in N_if} x_jf", lambda d: _cover(d, partial=False)),
    Family("cover_partial", COVER, "z_if <= sum_{j in N^lambda_if} x_jf", lambda d: _cover(d, partial=True)),
    Family("exclusive", COVER, "y_if + z_if <= 1", _exclusive),
    Family("area", RESOURCE, "sum_f a_f x_jf <= A_j", _area),
    Family("max_formats", RESOURCE, "sum_f x_jf <= M_j", _max_formats),
    Family("capital", RESOURCE, "sum_jf K_jf x_jf <= B_capital", _budget("capital")),
    Family("subsidy_cap", RESOURCE, "s_jf <= sigma R_jf x_jf", _subsidy_cap),
    Family("viability", RESOURCE, "m_f C_jf + s_jf >= (R_jf + O_f) x_jf", _viability),
    Family("subsidy_budget", RESOURCE, "sum_jf s_jf <= B_subsidy", _budget("subsidy_budget")),
    Family("mandate", TARGET, "sum_{i in G} p_i (b1_if + y_if) >= mu P_G", _mandate),
)
FAMILY_BY_NAME: dict[str, Family] = {f.name: f for f in FAMILIES}


def families_with_role(role: str) -> tuple[str, ...]:
    return tuple(f.name for f in FAMILIES if f.role == role)


def shared_blocks() -> tuple[str, ...]:
    """The row blocks that span the whole city: every budget and the equity mandates. Every other row
    joins only columns within walking distance of each other (what regions are cut along)."""
    return tuple(BUDGET_BY_BLOCK) + families_with_role(TARGET)
