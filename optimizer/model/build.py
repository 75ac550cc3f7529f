"""Assemble the coverage model: variable tables, then every registered constraint family, as one
:class:`~optimizer.lp.LinearProgram` (the formulation is in :mod:`optimizer.model`'s docstring)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..lp import LinearProgram, LPBuilder
from ..reach import Reach
from ..scenario import Scenario
from .budgets import BUDGETS
from .families import FAMILIES, FAMILY_BY_NAME, ModelData, mandate_targets
from .pairs import EXCLUSION_RULES, demand_pairs, site_format_pairs


@dataclass(frozen=True)
class CoverageModel:
    lp: LinearProgram
    x: pd.DataFrame  # one row per (site, format) variable, with its economics
    y: pd.DataFrame  # one row per (unit, format) full-coverage variable
    z: pd.DataFrame  # one row per (unit, format) partial-coverage variable
    s: pd.DataFrame  # one row per subsidy variable: its x position
    money: np.ndarray  # public money per column: what the budgets spend (fit-out on x, subsidy on s)
    mandates: pd.DataFrame  # one row per (mandate, format): group, share, needed, already, row position
    excluded: pd.DataFrame  # (site_id, format, reason) pairs that got no variable
    relaxed: frozenset[str] = frozenset()  # constraint families left out (diagnosis)


def _check_relax(relax: frozenset[str]) -> None:
    known = set(FAMILY_BY_NAME) | {r.family for r in EXCLUSION_RULES}
    unknown = sorted(relax - known)
    if unknown:
        raise ValueError(f"unknown constraint families to relax: {', '.join(unknown)}")


def _money(lp: LinearProgram, data: ModelData) -> np.ndarray:
    """Per column, the public money it spends: the sum of every budget's coefficient on it."""
    money = np.zeros(lp.n_cols)
    for b in BUDGETS:
        table = data.x if b.var == "x" else data.s
        money[lp.cols(b.var)] += table[b.coef].to_numpy(float) if b.coef else np.ones(len(table))
    return money


def build_model(scenario: Scenario, reach: Reach, relax: Iterable[str] = ()) -> CoverageModel:
    """Variables and constraint families as one sparse LinearProgram (maximise weighted coverage).

    ``relax`` names constraint families to leave out, together with the exclusion rules that belong to
    them (e.g. ``{"capital", "subsidy_budget"}``: what plans would be possible with unlimited money).
    """
    relaxed = frozenset(relax)
    _check_relax(relaxed)
    pairs = site_format_pairs(scenario, reach, relaxed)
    excluded = pairs.loc[pairs["reason"] != "", ["site_id", "format", "reason"]].reset_index(drop=True)
    x = pairs[pairs["reason"] == ""].drop(columns="reason").reset_index(drop=True)
    y, z = demand_pairs(scenario, reach, x)
    s = pd.DataFrame({"x": np.flatnonzero(x["needs_subsidy"].to_numpy())})
    b = LPBuilder()
    b.add_variables("x", len(x), integer=True)
    b.add_variables("y", len(y), cost=y["coef"].to_numpy(float))
    b.add_variables("z", len(z), cost=z["coef"].to_numpy(float))
    b.add_variables("s", len(s), ub=x["max_subsidy_yuan_per_year"].to_numpy()[s["x"].to_numpy()])
    data = ModelData(scenario, reach, x, y, z, s)
    for family in FAMILIES:
        if family.name in relaxed:
            continue
        block = family.rows(data)
        if block is not None:
            b.add_constraints(block)
    lp = b.build("max")
    mandates = mandate_targets(data)
    mandates["row"] = mandates["row"] + lp.rows("mandate").start
    return CoverageModel(lp, x, y, z, s, _money(lp, data), mandates, excluded, relaxed)
