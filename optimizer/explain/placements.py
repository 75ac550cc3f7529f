"""What each placement contributes (explain.csv, and the same columns in placements.csv).

Per placement of format :math:`f` at site :math:`j`, counting full coverage (within the walk limit):

- ``residents_newly_covered``: residents within :math:`L_f` of :math:`j` who had no outlet of :math:`f`
  within :math:`L_f` before;
- ``residents_only_here``: those of them no other placement of :math:`f` in the plan reaches (the
  coverage lost if this one placement were dropped and nothing else changed);
- ``priority_residents_covered``: newly covered residents of old neighbourhoods or affordable housing;
- ``public_money_yuan``: fit-out plus one year of subsidy (the money the tie-break minimises);
- ``residents_per_10k_yuan``: residents newly covered per 10,000 yuan of that money;
- ``weighted_loss_if_removed``: priority-weighted coverage lost when the placement is forbidden and the
  plan re-optimised (``explain.removal.removal_losses``, a re-solve per placement; empty unless asked
  for), with
  ``removal_note`` saying when the plan without it cannot meet a mandate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..groups import group_mask
from ..schema import OUTPUT_TABLES

if TYPE_CHECKING:
    from ..result import Result

# declared with the other output tables (schema.OUTPUT_TABLES["explain"])
EXPLAIN_COLUMNS = [c.name for c in OUTPUT_TABLES["explain"]]


def placement_table(r: Result, removal: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per placement with the columns of :data:`EXPLAIN_COLUMNS` (re-solve columns from
    ``removal`` when given, else ``r.analyses['removal']``, else empty)."""
    p = r.placements
    if not len(p):
        return pd.DataFrame(columns=EXPLAIN_COLUMNS)
    demand = r.reach.demand
    pop = demand["population"].to_numpy(float)
    prio = group_mask(demand, "priority")
    site_pos = r.scenario.sites.index.get_indexer(p["site_id"])
    new, only, prio_new = np.zeros(len(p)), np.zeros(len(p)), np.zeros(len(p))
    for key, rows in p.groupby("format").indices.items():
        fr = r.reach.formats[str(key)]
        reach = fr.full[:, site_pos[rows]].toarray().astype(bool) & (fr.base_credit < 1)[:, None]
        n_reaching = reach.sum(axis=1)
        new[rows] = pop @ reach
        only[rows] = pop @ (reach & (n_reaching == 1)[:, None])
        prio_new[rows] = (pop * prio) @ reach
    money = p["fitout_yuan"].to_numpy(float) + p["subsidy_yuan_per_year"].to_numpy(float)
    out = pd.DataFrame(
        {
            "site_id": p["site_id"].to_numpy(),
            "format": p["format"].to_numpy(),
            "residents_newly_covered": new,
            "residents_only_here": only,
            "priority_residents_covered": prio_new,
            "public_money_yuan": money,
            "residents_per_10k_yuan": np.where(money > 0, new / np.maximum(money, 1e-9) * 1e4, np.nan),
        }
    )
    removal = removal if removal is not None else r.analyses.get("removal")
    if removal is not None and len(removal):
        out = out.merge(removal, on=["site_id", "format"], how="left")
    for c in ("weighted_loss_if_removed", "removal_note"):
        if c not in out.columns:
            out[c] = np.nan if c.startswith("weighted") else ""
    return out[EXPLAIN_COLUMNS]
