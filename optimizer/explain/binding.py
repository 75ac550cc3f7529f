"""What binds: budgets used against their limits, floor areas, formats-per-site caps, viability and the
subsidy share, mandates with the share they reach, and the formats that cannot open anywhere, each with
the smallest change that would let it (extra subsidy per year, floor area, capital, walk limit).

Everything here reads the solved plan and the pair economics; nothing re-solves, so it runs on every run.
A budget or a site's floor area is reported as ``binding`` when what is left could not pay for (or
hold) any candidate the plan does not already open, or (budgets) when pairs that would add coverage were
left out because each alone needs more than the whole budget: it would have to grow before anything more
could open. A mandate binds when the plan meets it with less than half a percentage point to spare.
Pairs counted as blocked never include those where nobody would gain coverage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..catalog import BY_KEY
from ..exclusions import Exclusion
from ..groups import GROUP_BY_KEY, group_mask
from ..model import BUDGETS, site_format_pairs

if TYPE_CHECKING:
    from ..result import Result

TOL = 1e-6


def pair_table(r: Result) -> pd.DataFrame:
    """Every (site, format) pair with its economics, its reason (first rule) and, per exclusion rule,
    whether that rule holds (columns ``holds:<reason>``)."""
    return site_format_pairs(r.scenario, r.reach, r.model.relaxed, every_rule=True)


def _unopened(r: Result) -> pd.DataFrame:
    """Candidate pairs (with a variable) the plan does not open."""
    x = r.model.x
    if r.values is None:
        return x
    return x.loc[r.values[r.model.lp.cols("x")] <= 0.5]


BUDGET_EXCLUSION = {"capital": Exclusion.CAPITAL, "subsidy_budget": Exclusion.SUBSIDY_BUDGET}


def budget_entries(r: Result, pairs: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """Per budget: used, limit, left, the cheapest candidate not opened, the pairs left out because they
    alone need more than the whole budget (and would add coverage), and whether the budget binds."""
    pairs = pair_table(r) if pairs is None else pairs
    p, rest = r.placements, _unopened(r)
    need = np.where(rest["needs_subsidy"].to_numpy(bool), rest["deficit_yuan_per_year"].to_numpy(float), 0.0)
    cost = {"fitout_yuan": rest["fitout_yuan"].to_numpy(float), "subsidy_yuan_per_year": need}
    pair_cost = {"fitout_yuan": pairs["fitout_yuan"], "subsidy_yuan_per_year": pairs["deficit_yuan_per_year"]}
    gain = ~pairs[f"holds:{Exclusion.NO_GAIN}"]
    not_viable = int(
        (pairs["reason"].isin([str(Exclusion.NOT_VIABLE), str(Exclusion.SUBSIDY_BUDGET)]) & gain).sum()
    )
    out = []
    for b in BUDGETS:
        used = float(p[b.spends].sum()) if len(p) else 0.0
        limit = b.limit(r.scenario.config)
        left = max(limit - used, 0.0)
        c = cost[b.spends]
        c = c[c > TOL]
        cheapest = float(c.min()) if len(c) else None
        over = (pairs["reason"] == str(BUDGET_EXCLUSION[b.block])) & gain
        over_cost = pair_cost[b.spends][over]
        binding = (cheapest is not None and left < cheapest - TOL) or bool(over.any())
        out.append(
            {
                "constraint": b.block,
                "budget": b.key,
                "name_en": b.name_en,
                "name_zh": b.name_zh,
                "unit": b.unit,
                "used": used,
                "limit": limit,
                "left": left,
                "cheapest_candidate_not_opened": cheapest,
                "pairs_over_whole_budget": int(over.sum()),
                "smallest_need_over_budget": float(over_cost.min()) if len(over_cost) else None,
                "pairs_not_viable": not_viable,
                "binding": bool(binding and r.values is not None),
            }
        )
    return out


def subsidy_share_entry(r: Result, pairs: pd.DataFrame | None = None) -> dict[str, Any]:
    """How the share-of-rent cap limits the subsidy: placements paid the full share, and candidate pairs
    (allowed, fitting) left out because even the full share would not make them viable."""
    p = r.placements
    pairs = pair_table(r) if pairs is None else pairs
    at_cap = 0
    if len(p):
        x = r.model.x.set_index(["site_id", "format"])
        cap = x.loc[list(zip(p["site_id"], p["format"], strict=True)), "max_subsidy_yuan_per_year"].to_numpy()
        at_cap = int(((p["subsidy_yuan_per_year"].to_numpy() >= cap - 0.01) & (cap > 0)).sum())
    gain = ~pairs[f"holds:{Exclusion.NO_GAIN}"]
    blocked = int(((pairs["reason"] == str(Exclusion.NOT_VIABLE)) & gain).sum())
    return {
        "constraint": "subsidy_cap",
        "share_of_rent": float(r.scenario.config.subsidy.share_of_rent),
        "placements_subsidised": int((p["subsidy_yuan_per_year"] > 0).sum()) if len(p) else 0,
        "placements_at_cap": at_cap,
        "pairs_not_viable_even_at_cap": blocked,
        "binding": bool(blocked > 0 or at_cap > 0),
    }


def site_entries(r: Result) -> list[dict[str, Any]]:
    """Per site used by the plan: floor area and formats used against the site's limits, and whether
    either binds (what is left could hold no other format in play that is allowed there)."""
    p, sc = r.placements, r.scenario
    if not len(p):
        return []
    areas = sc.formats["area_m2"].astype(float)
    out = []
    for sid, grp in p.groupby("site_id", sort=True):
        site = sc.sites.loc[sid]
        allowed = site["allowed_formats"] or list(sc.formats.index)
        others = [k for k in allowed if k in areas.index and k not in set(grp["format"])]
        used, floor = float(grp["area_m2"].sum()), float(site["floor_area_m2"])
        smallest = float(areas[others].min()) if others else None
        cap = site["max_formats"]
        out.append(
            {
                "site_id": str(sid),
                "formats": list(grp["format"]),
                "area_used_m2": used,
                "floor_area_m2": floor,
                "area_binding": bool(smallest is not None and floor - used < smallest - TOL),
                "max_formats": None if pd.isna(cap) else int(cap),
                "max_formats_binding": bool(not pd.isna(cap) and len(grp) >= int(cap)),
            }
        )
    return out


def mandate_entries(r: Result) -> list[dict[str, Any]]:
    """Per mandate and format: the group's covered share before and after against the floor."""
    out = []
    demand, cov = r.reach.demand, (r.coverage if r.values is not None else None)
    pop = demand["population"].to_numpy(float)
    for t in r.model.mandates.itertuples():
        total = float(t.group_population)
        after = None
        if cov is not None and len(cov):
            c = cov[cov["format"] == t.format]
            g = group_mask(demand, str(t.group))
            after = float(pop[g & c["covered_after"].to_numpy(bool)].sum()) / total if total else None
        before = float(t.covered_before) / total if total else None
        out.append(
            {
                "mandate": int(t.mandate),
                "group": str(t.group),
                "group_en": GROUP_BY_KEY[str(t.group)].name_en,
                "group_zh": GROUP_BY_KEY[str(t.group)].name_zh,
                "format": str(t.format),
                "name_zh": BY_KEY[str(t.format)].name_zh,
                "share_before": before,
                "share_after": after,
                "min_share": float(t.min_share),
                "met": None if after is None else bool(after >= float(t.min_share) - 1e-9),
                "binding": None if after is None else bool(after <= float(t.min_share) + 0.005),
            }
        )
    return out
