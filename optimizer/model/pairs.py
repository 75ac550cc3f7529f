"""The model's variables as tables: candidate (site, format) pairs with their economics and, for the pairs
that cannot open, the reason (rules as data); and the (demand unit, format) pairs that can gain coverage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..exclusions import Exclusion
from ..reach import Reach
from ..scenario import Scenario
from .budgets import BUDGET_BY_BLOCK


@dataclass(frozen=True)
class ExclusionRule:
    """A pair gets no variable when ``holds`` is true; the rule belongs to constraint family ``family``
    (so relaxing that family, as the infeasibility diagnosis does, also drops the rule)."""

    reason: Exclusion
    family: str
    holds: Callable[[pd.DataFrame, Scenario], np.ndarray]


def _viability_on(sc: Scenario) -> bool:
    return bool(sc.config.viability.enabled)


EXCLUSION_RULES: tuple[ExclusionRule, ...] = (
    ExclusionRule(Exclusion.NOT_ALLOWED, "x", lambda p, sc: ~p["allowed"].to_numpy(bool)),
    ExclusionRule(
        Exclusion.FLOOR_AREA,
        "area",
        lambda p, sc: p["area_m2"].to_numpy() > p["site_floor_area_m2"].to_numpy() + 1e-9,
    ),
    ExclusionRule(
        Exclusion.CAPITAL,
        "capital",
        lambda p, sc: p["fitout_yuan"].to_numpy() > BUDGET_BY_BLOCK["capital"].limit(sc.config) + 1e-6,
    ),
    ExclusionRule(
        Exclusion.NOT_VIABLE,
        "viability",
        lambda p, sc: (
            _viability_on(sc)
            & (p["deficit_yuan_per_year"].to_numpy() > p["max_subsidy_yuan_per_year"].to_numpy() + 1e-6)
        ),
    ),
    ExclusionRule(
        Exclusion.SUBSIDY_BUDGET,
        "subsidy_budget",
        lambda p, sc: (
            _viability_on(sc)
            & (p["deficit_yuan_per_year"].to_numpy() > 1e-6)
            & (
                p["deficit_yuan_per_year"].to_numpy()
                > BUDGET_BY_BLOCK["subsidy_budget"].limit(sc.config) + 1e-6
            )
        ),
    ),
    ExclusionRule(Exclusion.NO_GAIN, "cover", lambda p, sc: ~p["gain"].to_numpy(bool)),
)


def _catchment_and_gain(scenario: Scenario, reach: Reach, ff: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per pair: the population sharing the site's custom (catchment) and whether anyone would gain."""
    n = len(ff)
    pop = reach.demand["population"].to_numpy(float)
    catchment = np.zeros(n)
    gain = np.zeros(n, dtype=bool)
    for k, key in enumerate(scenario.formats.index):
        fr = reach.formats[key]
        share = pop / (1.0 + fr.outlets_within)
        catchment[ff == k] = fr.full.T @ share
        reach_gain = fr.full.T @ (fr.base_credit < 1).astype(float)
        if fr.partial is not None:
            reach_gain = reach_gain + fr.partial.T @ (fr.base_credit == 0).astype(float)
        gain[ff == k] = reach_gain > 0
    return catchment, gain


def site_format_pairs(
    scenario: Scenario, reach: Reach, relax: frozenset[str] = frozenset(), every_rule: bool = False
) -> pd.DataFrame:
    """Every (site, format) pair with its economics and, where it cannot open, the reason (the first
    rule of :data:`EXCLUSION_RULES` that holds, skipping rules of relaxed families). ``every_rule`` adds,
    per rule, whether it holds (column ``holds:<reason>``) and the site's floor area, so a change to
    one rule can be judged alone."""
    sites, fmts, cfg = scenario.sites, scenario.formats, scenario.config
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
    catchment, gain = _catchment_and_gain(scenario, reach, ff)
    deficit = rent + opex - margin * catchment
    subsidised = np.isin(keys, list(cfg.subsidy.formats or ()))
    allowed = np.array(
        [(not a) or (k in a) for a, k in zip(sites["allowed_formats"].to_numpy()[jj], keys, strict=True)],
        dtype=bool,
    )
    pairs = pd.DataFrame(
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
            "max_subsidy_yuan_per_year": np.where(subsidised, cfg.subsidy.share_of_rent * rent, 0.0),
            "needs_subsidy": _viability_on(scenario) & (deficit > 1e-6),
        }
    )
    facts = pairs.assign(
        allowed=allowed, gain=gain, site_floor_area_m2=sites["floor_area_m2"].to_numpy(float)[jj]
    )
    reason = np.full(J * F, "", dtype=object)
    holds = {}
    for rule in EXCLUSION_RULES:
        h = rule.holds(facts, scenario) if rule.family not in relax else np.zeros(J * F, dtype=bool)
        reason = np.where((reason == "") & h, str(rule.reason), reason)
        holds[f"holds:{rule.reason}"] = h
    if every_rule:
        pairs = pairs.assign(site_floor_area_m2=facts["site_floor_area_m2"], **holds)
    return pairs.assign(reason=reason)


def _demand_table(units: np.ndarray, key: str, k: int, coef: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"unit": units, "format": key, "format_pos": k, "coef": coef})


def demand_pairs(scenario: Scenario, reach: Reach, x: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(unit, format) pairs that can gain full (y) or partial (z) coverage from an eligible site."""
    y_parts, z_parts = [], []
    weight = scenario.formats["weight"].to_numpy(float)
    base_w = reach.demand["priority"].to_numpy(float) * reach.demand["population"].to_numpy(float)
    for k, key in enumerate(scenario.formats.index):
        fr = reach.formats[key]
        open_sites = np.zeros(len(scenario.sites))
        open_sites[x.loc[x["format"] == key, "site_pos"].to_numpy()] = 1.0
        units = np.flatnonzero((fr.base_credit < 1) & (fr.full @ open_sites > 0))
        y_parts.append(_demand_table(units, key, k, weight[k] * base_w[units] * (1 - fr.base_credit[units])))
        if fr.partial is not None:
            units = np.flatnonzero((fr.base_credit == 0) & (fr.partial @ open_sites > 0))
            z_parts.append(_demand_table(units, key, k, weight[k] * base_w[units] * fr.credit_partial))
    cols = ["unit", "format", "format_pos", "coef"]
    y = pd.concat(y_parts, ignore_index=True) if y_parts else pd.DataFrame(columns=cols)
    z = pd.concat(z_parts, ignore_index=True) if z_parts else pd.DataFrame(columns=cols)
    return y, z
