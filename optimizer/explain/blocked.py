"""Formats that cannot open anywhere, why, and the smallest single change that would let one open.

A format is blocked when every (site, format) pair is excluded (:data:`~optimizer.model.EXCLUSION_RULES`).
For each kind of change this module looks only at pairs where that one rule holds and no other, so the
change alone is enough: extra subsidy per year (and the share of rent and the subsidy budget it needs),
extra floor area, extra capital, a longer walk limit, or allowing the format at a site. The same amounts,
per pair, go into excluded.csv (``amount``, ``amount_unit``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..catalog import BY_KEY
from ..exclusions import Exclusion
from ..model import BUDGET_BY_BLOCK
from ..model.budgets import CAPITAL
from .binding import pair_table

if TYPE_CHECKING:
    from ..result import Result

HOLDS = [f"holds:{e}" for e in Exclusion]
SUBSIDY_RULES = {f"holds:{Exclusion.NOT_VIABLE}", f"holds:{Exclusion.SUBSIDY_BUDGET}"}


def _only(pairs: pd.DataFrame, rules: set[str]) -> np.ndarray:
    """Pairs where some of ``rules`` hold and no other rule does."""
    cols = [c for c in HOLDS if c in pairs.columns]
    inside = pairs[[c for c in cols if c in rules]].to_numpy(bool).any(axis=1)
    outside = pairs[[c for c in cols if c not in rules]].to_numpy(bool).any(axis=1)
    return inside & ~outside


def _ceil(v: float, step: float = 1.0) -> float:
    return round(math.ceil(v / step - 1e-9) * step, 9)


def pair_amounts(r: Result, pairs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per excluded pair: by how much its stated reason fails (``amount`` in ``amount_unit``): extra
    subsidy per year beyond the share cap, floor area missing, fit-out over the capital budget, deficit
    over the subsidy budget; empty for 'not allowed' and 'no gain'."""
    pairs = pair_table(r) if pairs is None else pairs
    cfg = r.scenario.config
    reason = pairs["reason"].to_numpy()
    amount = np.full(len(pairs), np.nan)
    unit = np.full(len(pairs), "", dtype=object)
    rules = {
        str(Exclusion.FLOOR_AREA): (pairs["area_m2"] - pairs["site_floor_area_m2"], "m2"),
        str(Exclusion.CAPITAL): (pairs["fitout_yuan"] - BUDGET_BY_BLOCK["capital"].limit(cfg), "yuan"),
        str(Exclusion.NOT_VIABLE): (
            pairs["deficit_yuan_per_year"] - pairs["max_subsidy_yuan_per_year"],
            "yuan/year",
        ),
        str(Exclusion.SUBSIDY_BUDGET): (
            pairs["deficit_yuan_per_year"] - BUDGET_BY_BLOCK["subsidy_budget"].limit(cfg),
            "yuan/year",
        ),
    }
    for text, (values, u) in rules.items():
        m = reason == text
        amount[m] = values.to_numpy(float)[m]
        unit[m] = u
    return pairs.assign(amount=np.round(amount, 2), amount_unit=unit)


def _subsidy_change(pairs: pd.DataFrame, r: Result) -> dict[str, Any] | None:
    m = _only(pairs, SUBSIDY_RULES)
    if not m.any():
        return None
    cand = pairs.loc[m]
    extra = (cand["deficit_yuan_per_year"] - cand["max_subsidy_yuan_per_year"]).clip(lower=0)
    best = cand.loc[extra.idxmin()]
    rent = float(best["rent_yuan_per_year"])
    deficit = float(best["deficit_yuan_per_year"])
    eligible = best["format"] in (r.scenario.config.subsidy.formats or ())
    return {
        "kind": "subsidy",
        "amount": _ceil(float(extra.min())),
        "unit": "yuan/year",
        "site_id": str(best["site_id"]),
        "deficit_yuan_per_year": _ceil(deficit),
        "share_of_rent_needed": _ceil(deficit / rent, 1e-4) if rent > 0 else None,
        "subsidy_budget_needed": _ceil(deficit),
        "eligible_for_subsidy": bool(eligible),
    }


def _combined_change(pairs: pd.DataFrame, r: Result) -> dict[str, Any] | None:
    """When no single change suffices: the floor area, capital and subsidy needed together, at the pair
    (allowed, with someone to gain) needing the least extra public money, then the least extra area."""
    m = ~pairs[f"holds:{Exclusion.NOT_ALLOWED}"].to_numpy(bool) & ~pairs[
        f"holds:{Exclusion.NO_GAIN}"
    ].to_numpy(bool)
    if not m.any():
        return None
    cfg = r.scenario.config
    viability = bool(cfg.viability.enabled)
    cand = pairs.loc[m]
    more_area = (cand["area_m2"] - cand["site_floor_area_m2"]).clip(lower=0)
    more_capital = (cand["fitout_yuan"] - BUDGET_BY_BLOCK["capital"].limit(cfg)).clip(lower=0)
    extra = (cand["deficit_yuan_per_year"] - cand["max_subsidy_yuan_per_year"]).clip(lower=0) * viability
    order = pd.DataFrame({"money": more_capital + extra, "area": more_area}).sort_values(["money", "area"])
    k = order.index[0]
    rent, deficit = float(cand.at[k, "rent_yuan_per_year"]), float(cand.at[k, "deficit_yuan_per_year"])
    return {
        "kind": "combined",
        "amount": _ceil(float(more_area[k]), 0.01),
        "unit": "m2",
        "site_id": str(cand.at[k, "site_id"]),
        CAPITAL.key: _ceil(float(more_capital[k])),
        "subsidy_yuan_per_year": _ceil(float(extra[k])),
        "share_of_rent_needed": _ceil(deficit / rent, 1e-4)
        if viability and rent > 0 and deficit > 0
        else None,
        "subsidy_budget_needed": _ceil(max(deficit, 0.0)) if viability else 0.0,
        "eligible_for_subsidy": bool(cand.at[k, "format"] in (cfg.subsidy.formats or ())),
    }


def _simple_change(pairs: pd.DataFrame, rule: Exclusion, kind: str, unit: str, values: pd.Series) -> Any:
    m = _only(pairs, {f"holds:{rule}"})
    if not m.any():
        return None
    v = values[m]
    best = v.idxmin()
    return {
        "kind": kind,
        "amount": _ceil(float(v.min()), 0.01),
        "unit": unit,
        "site_id": str(pairs.at[best, "site_id"]),
    }


def _walk_change(pairs: pd.DataFrame, r: Result, key: str) -> dict[str, Any] | None:
    """The shortest longer walk limit at which someone not yet covered reaches a site where only
    'no gain' holds (walk minutes are known up to the longest limit computed)."""
    m = _only(pairs, {f"holds:{Exclusion.NO_GAIN}"})
    if not m.any():
        return None
    fr = r.reach.formats[key]
    sm = r.reach.site_minutes
    sites = pairs.loc[m, "site_pos"].to_numpy()
    keep = np.isin(sm.cols, sites) & (fr.base_credit[sm.rows] < 1) & (sm.minutes > fr.limit)
    if not keep.any():
        return None
    k = int(np.argmin(np.where(keep, sm.minutes, np.inf)))
    return {
        "kind": "walk_limit",
        "amount": _ceil(float(sm.minutes[k]) - fr.limit, 0.1),
        "unit": "min",
        "site_id": str(r.scenario.sites.index[sm.cols[k]]),
        "walk_minutes_needed": _ceil(float(sm.minutes[k]), 0.1),
    }


def blocked_formats(r: Result, pairs: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """Formats in play with no candidate pair at all: reasons (pairs per reason) and the smallest single
    changes that would let the format open at one site."""
    pairs = pair_table(r) if pairs is None else pairs
    cfg = r.scenario.config
    open_formats = set(r.model.x["format"])
    out = []
    for key in r.scenario.formats.index:
        if key in open_formats:
            continue
        sub = pairs[pairs["format"] == key]
        changes = [
            _subsidy_change(sub, r),
            _simple_change(
                sub, Exclusion.FLOOR_AREA, "floor_area", "m2", sub["area_m2"] - sub["site_floor_area_m2"]
            ),
            _simple_change(
                sub,
                Exclusion.CAPITAL,
                "capital",
                "yuan",
                sub["fitout_yuan"] - BUDGET_BY_BLOCK["capital"].limit(cfg),
            ),
            _walk_change(sub, r, key),
            _simple_change(sub, Exclusion.NOT_ALLOWED, "allow", "", pd.Series(0.0, index=sub.index)),
        ]
        if not any(c is not None for c in changes):
            changes.append(_combined_change(sub, r))
        out.append(
            {
                "format": key,
                "name_zh": BY_KEY[key].name_zh,
                "name_en": BY_KEY[key].name_en,
                "sites": int(len(sub)),
                "reasons": {str(k): int(v) for k, v in sub["reason"].value_counts().items()},
                "changes": [c for c in changes if c is not None],
            }
        )
    return out


def nothing_reason(r: Result, pairs: pd.DataFrame) -> tuple[str, str]:
    """Why a plan opens nothing, in one clause (English, Chinese)."""
    from .words import REASON_ZH

    cfg = r.scenario.config
    if BUDGET_BY_BLOCK["capital"].limit(cfg) <= 0:
        return "the capital budget is 0 yuan", "建设资金预算为0元"
    if len(r.model.x) == 0:
        counts = pairs["reason"].value_counts()
        en = ", ".join(f"{int(v)} {k}" for k, v in counts.items())
        zh = "，".join(f"{int(v)}个{REASON_ZH.get(str(k), k)}" for k, v in counts.items())
        return f"every (site, format) pair is excluded ({en})", f"所有场地-业态组合均被排除（{zh}）"
    return "no candidate placement fits the budgets and adds coverage", "没有候选网点既在预算之内又能增加覆盖"
