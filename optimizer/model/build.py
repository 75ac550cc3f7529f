"""Assemble the coverage model: variable tables, reductions, then every registered constraint family, as
one :class:`~optimizer.lp.LinearProgram` (the formulation is in :mod:`optimizer.model`'s docstring)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..lp import Constraints, LinearProgram, LPBuilder
from ..reach import Reach
from ..scenario import Scenario
from .budgets import BUDGETS
from .families import FAMILIES, FAMILY_BY_NAME, ModelData, mandate_targets
from .pairs import EXCLUSION_RULES, demand_pairs, site_format_pairs
from .reduce import Members, Reduction, dominated_pairs, lp_size, merge_demand


@dataclass(frozen=True)
class CoverageModel:
    lp: LinearProgram
    x: pd.DataFrame  # one row per (site, format) variable, with its economics
    y: pd.DataFrame  # one row per full-coverage variable: (unit, format), or a class of units (y_members)
    z: pd.DataFrame  # one row per partial-coverage variable: (unit, format), or a class (z_members)
    s: pd.DataFrame  # one row per subsidy variable: its x position
    money: np.ndarray  # public money per column: what the budgets spend (fit-out on x, subsidy on s)
    mandates: pd.DataFrame  # one row per (mandate, format): group, share, needed, already, row position
    excluded: pd.DataFrame  # (site_id, format, reason) pairs that got no variable
    relaxed: frozenset[str] = frozenset()  # constraint families left out (diagnosis)
    y_members: Members | None = None  # demand units of each y row (None: one unit per row)
    z_members: Members | None = None
    model_size: dict[str, Any] = field(default_factory=dict)  # rows, cols, nnz before/after reductions
    # (site_id, format) pairs left out as dominated, and the site of the kept pair (same format) that
    # can take each one's place in any plan
    dominated: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["site_id", "format", "by_site_id"])
    )

    def members(self, block: str) -> Members:
        """The demand units each row of the y (or z) table stands for."""
        table, mem = (self.y, self.y_members) if block == "y" else (self.z, self.z_members)
        return mem if mem is not None else Members.identity(table["unit"].to_numpy())


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


def _blocks(data: ModelData, relaxed: frozenset[str]) -> list[Constraints]:
    blocks = []
    for family in FAMILIES:
        if family.name in relaxed:
            continue
        block = family.rows(data)
        if block is not None:
            blocks.append(block)
    return blocks


def _size(data: ModelData, blocks: list[Constraints]) -> dict[str, int]:
    cols = len(data.x) + len(data.y) + len(data.z) + len(data.s)
    nnz = sum(len(t.vals) for b in blocks for t in b.terms)
    return lp_size(sum(b.n for b in blocks), cols, nnz)


def _data(scenario: Scenario, reach: Reach, x: pd.DataFrame, y: pd.DataFrame, z: pd.DataFrame) -> ModelData:
    s = pd.DataFrame({"x": np.flatnonzero(x["needs_subsidy"].to_numpy())})
    return ModelData(scenario, reach, x, y, z, s)


def _step(name: str, before: dict[str, int], after: dict[str, int], seconds: float, note: str) -> Reduction:
    return Reduction(
        name,
        before["rows"] - after["rows"],
        before["cols"] - after["cols"],
        before["nnz"] - after["nnz"],
        seconds,
        note,
    )


# Every reduction, in the order applied, and those ``reduce=True`` applies. Dropping dominated pairs
# keeps the optimum of this model, but not of what-if re-solves that forbid some of its pairs (the
# removal losses and alternatives of optimizer.explain fix x columns of a solved model to 0: a pair
# dominated by a forbidden one may then be the best replacement); merging demand keeps both.
REDUCTIONS: tuple[str, ...] = ("dominated_pairs", "merge_demand")
DEFAULT_REDUCTIONS: tuple[str, ...] = ("merge_demand",)


def _reductions(reduce: bool | Iterable[str]) -> tuple[str, ...]:
    if reduce is True:
        return DEFAULT_REDUCTIONS
    if reduce is False:
        return ()
    names = tuple(reduce)
    unknown = sorted(set(names) - set(REDUCTIONS))
    if unknown:
        raise ValueError(f"unknown reductions: {', '.join(unknown)} (known: {', '.join(REDUCTIONS)})")
    return tuple(r for r in REDUCTIONS if r in names)


def build_model(
    scenario: Scenario, reach: Reach, relax: Iterable[str] = (), reduce: bool | Iterable[str] = True
) -> CoverageModel:
    """Variables and constraint families as one sparse LinearProgram (maximise weighted coverage).

    ``relax`` names constraint families to leave out, together with the exclusion rules that belong to
    them (e.g. ``{"capital", "subsidy_budget"}``: what plans would be possible with unlimited money).
    ``reduce`` names the reductions of :mod:`optimizer.model.reduce` to apply (:data:`REDUCTIONS`;
    True: :data:`DEFAULT_REDUCTIONS`, False: none); the optimum is the same, and ``model_size`` says
    what each removed.
    """
    relaxed = frozenset(relax)
    _check_relax(relaxed)
    steps_wanted = _reductions(reduce)
    pairs = site_format_pairs(scenario, reach, relaxed)
    excluded = pairs.loc[pairs["reason"] != "", ["site_id", "format", "reason"]].reset_index(drop=True)
    x = pairs[pairs["reason"] == ""].drop(columns="reason").reset_index(drop=True)
    y, z = demand_pairs(scenario, reach, x)
    data = _data(scenario, reach, x, y, z)
    blocks = _blocks(data, relaxed)
    y_members = z_members = None
    dominated = pd.DataFrame(columns=["site_id", "format", "by_site_id"])
    size: dict[str, Any] = {}
    if steps_wanted:
        size["before"] = now = _size(data, blocks)
        blocks = []  # only their size was needed: rebuilt after the reductions
        steps = []
        if "dominated_pairs" in steps_wanted:
            t0 = time.perf_counter()
            by, notes = dominated_pairs(scenario, reach, x, relaxed)
            drop = by >= 0
            if drop.any():
                dominated = pd.DataFrame(
                    {
                        "site_id": x.loc[drop, "site_id"].to_numpy(),
                        "format": x.loc[drop, "format"].to_numpy(),
                        "by_site_id": x["site_id"].to_numpy()[by[drop]],
                    }
                )
                x = x[~drop].reset_index(drop=True)
                y, z = demand_pairs(scenario, reach, x)
                data = _data(scenario, reach, x, y, z)
                blocks = _blocks(data, relaxed)
            after = _size(data, blocks) if drop.any() else now
            steps.append(_step("dominated_pairs", now, after, time.perf_counter() - t0, "; ".join(notes)))
            now = after
        if "merge_demand" in steps_wanted:
            t0 = time.perf_counter()
            y, z, y_members, z_members = merge_demand(scenario, reach, x, y, z)
            data = _data(scenario, reach, x, y, z)
            blocks = _blocks(data, relaxed)
            after = _size(data, blocks)
            steps.append(_step("merge_demand", now, after, time.perf_counter() - t0, ""))
            now = after
        size["after"] = now
        size["reductions"] = [r.as_dict() for r in steps]
        blocks = blocks or _blocks(data, relaxed)
    b = LPBuilder()
    b.add_variables("x", len(x), integer=True)
    b.add_variables("y", len(y), cost=y["coef"].to_numpy(float))
    b.add_variables("z", len(z), cost=z["coef"].to_numpy(float))
    b.add_variables("s", len(data.s), ub=x["max_subsidy_yuan_per_year"].to_numpy()[data.s["x"].to_numpy()])
    for block in blocks:
        b.add_constraints(block)
    del blocks  # the builder holds them until it has gathered their entries
    lp = b.build("max")
    if not steps_wanted:
        size["before"] = size["after"] = lp_size(lp.n_rows, lp.n_cols, lp.A.nnz)
        size["reductions"] = []
    mandates = mandate_targets(data)
    mandates["row"] = mandates["row"] + lp.rows("mandate").start
    return CoverageModel(
        lp,
        x,
        y,
        z,
        data.s,
        _money(lp, data),
        mandates,
        excluded,
        relaxed,
        y_members,
        z_members,
        size,
        dominated,
    )
