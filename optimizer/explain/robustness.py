r"""Robustness: the plan under seeded random errors in population and rent.

Draw :math:`d = 1..N` multiplies each residence's population by :math:`1 + u_{d,r}` and each site's rent
by :math:`1 + v_{d,j}`, with :math:`u, v \sim U(-e, e)` independent (seeded). Walk times do not change, so
the reach is reused with the drawn populations. Per draw:

- the chosen plan, as placed, is re-evaluated: its priority-weighted coverage gain, the gain of only
  those of its placements still viable (rent + operating cost within margin + the largest subsidy; the
  share of the re-optimised coverage uses this one), and whether their subsidies still fit the budget;
- the scenario is re-optimised (an independent job for the executor): its coverage, and which of the
  chosen placements it keeps.

A placement is *fragile* when the re-optimised plan keeps it in fewer than half of the draws or it is not
viable in at least a quarter of them.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..executor import make_executor
from ..model import site_format_pairs

if TYPE_CHECKING:
    from ..config import SolverConfig
    from ..reach import Reach
    from ..result import Result
    from ..scenario import Scenario

FRAGILE_KEPT = 0.5
FRAGILE_NOT_VIABLE = 0.25


def perturbed(sc: Scenario, reach: Reach, rng: np.random.Generator, error: float) -> tuple[Scenario, Reach]:
    """A copy of the scenario and reach with population and rent multiplied by seeded U(1-e, 1+e)."""
    u = pd.Series(1.0 + rng.uniform(-error, error, len(sc.residences)), index=sc.residences.index)
    v = 1.0 + rng.uniform(-error, error, len(sc.sites))
    residences = sc.residences.copy()
    residences["population"] = residences["population"].to_numpy(float) * u.to_numpy()
    sites = sc.sites.copy()
    sites["rent_yuan_per_m2_month"] = sites["rent_yuan_per_m2_month"].to_numpy(float) * v
    demand = reach.demand.copy()
    demand["population"] = demand["population"].to_numpy(float) * u.reindex(demand["residence_id"]).to_numpy()
    return dataclasses.replace(sc, residences=residences, sites=sites), dataclasses.replace(
        reach, demand=demand
    )


def plan_coverage(sc: Scenario, reach: Reach, placements: pd.DataFrame) -> float:
    """Priority-weighted coverage gained by ``placements`` (site_id, format) as placed."""
    demand = reach.demand
    wp = demand["priority"].to_numpy(float) * demand["population"].to_numpy(float)
    total = 0.0
    for key, fr in reach.formats.items():
        open_sites = np.zeros(len(sc.sites))
        ids = placements.loc[placements["format"] == key, "site_id"]
        open_sites[sc.sites.index.get_indexer(ids)] = 1.0
        credit = np.maximum(fr.base_credit, np.where(fr.full @ open_sites > 0, 1.0, 0.0))
        if fr.partial is not None:
            credit = np.maximum(credit, np.where(fr.partial @ open_sites > 0, fr.credit_partial, 0.0))
        total += float(sc.formats.at[key, "weight"]) * float(wp @ (credit - fr.base_credit))
    return total


def _plan_viability(sc: Scenario, reach: Reach, placements: pd.DataFrame) -> tuple[np.ndarray, bool]:
    """Per placement whether it is still viable in this draw, and whether their subsidies fit the budget."""
    pairs = site_format_pairs(sc, reach).set_index(["site_id", "format"])
    p = pairs.loc[list(zip(placements["site_id"], placements["format"], strict=True))]
    viable = ~(
        sc.config.viability.enabled
        & (p["deficit_yuan_per_year"].to_numpy() > p["max_subsidy_yuan_per_year"].to_numpy() + 1e-6)
    )
    need = np.where(p["needs_subsidy"].to_numpy(bool), p["deficit_yuan_per_year"].to_numpy(float), 0.0)
    return viable, bool(need.sum() <= sc.config.budget.rent_subsidy_yuan_per_year + 1e-6)


def _reoptimise(job: tuple[Scenario, Reach, SolverConfig]) -> tuple[str, float | None, list[tuple[str, str]]]:
    """Solve one draw (a job for the executor): status, objective, placements."""
    from ..solve import solve

    sc, reach, config = job
    res = solve(sc, solver=config, reach=reach)
    if not res.has_solution:
        return str(res.status), None, []
    p = res.placements
    return str(res.status), res.first.objective, list(zip(p["site_id"], p["format"], strict=True))


def _spread(values: pd.Series) -> dict[str, float | None]:
    """Min, 10th percentile, median, 90th percentile and max of a per-draw column."""
    v = values.astype(float).dropna()
    qs = {"min": 0.0, "p10": 0.1, "median": 0.5, "p90": 0.9, "max": 1.0}
    return {k: (float(v.quantile(q)) if len(v) else None) for k, q in qs.items()}


def robustness(
    r: Result, draws: int = 5, seed: int = 0, error: float = 0.2, executor: str = "inprocess"
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Per draw (coverage of the chosen plan and of the re-optimised one), per placement (how often it
    is kept and how often not viable) and a summary with the fragile placements."""
    rng = np.random.default_rng(seed)
    placed = r.placements[["site_id", "format"]]
    variants = [perturbed(r.scenario, r.reach, rng, error) for _ in range(draws)]
    with make_executor(executor) as ex:
        solved = ex.map(_reoptimise, [(sc, reach, r.solver_config) for sc, reach in variants])
    keys = list(zip(placed["site_id"], placed["format"], strict=True))
    kept = np.zeros(len(keys))
    not_viable = np.zeros(len(keys))
    rows = []
    for d, ((sc, reach), (status, obj, plan)) in enumerate(zip(variants, solved, strict=True)):
        viable, fits = _plan_viability(sc, reach, placed) if len(placed) else (np.zeros(0, bool), True)
        not_viable += ~viable
        kept += np.array([k in set(plan) for k in keys], dtype=float)
        chosen = plan_coverage(sc, reach, placed)
        still = plan_coverage(sc, reach, placed.loc[viable]) if len(placed) else 0.0
        rows.append(
            {
                "draw": d,
                "status": status,
                "chosen_plan_objective": chosen,
                "chosen_plan_viable_objective": still,
                "reoptimised_objective": obj,
                "chosen_share_of_reoptimised": still / obj if obj else None,
                "chosen_placements_not_viable": int((~viable).sum()),
                "chosen_subsidy_fits_budget": fits,
            }
        )
    per_draw = pd.DataFrame(rows)
    per_placement = placed.assign(
        kept_share=kept / max(draws, 1), not_viable_share=not_viable / max(draws, 1)
    ).reset_index(drop=True)
    per_placement["fragile"] = (per_placement["kept_share"] < FRAGILE_KEPT) | (
        per_placement["not_viable_share"] >= FRAGILE_NOT_VIABLE
    )
    share = per_draw["chosen_share_of_reoptimised"].astype(float)
    summary = {
        "draws": draws,
        "seed": seed,
        "error": error,
        "chosen_plan_objective": _spread(per_draw["chosen_plan_viable_objective"]),
        "reoptimised_objective": _spread(per_draw["reoptimised_objective"]),
        "chosen_share_of_reoptimised_min": float(share.min()) if len(share) else None,
        "chosen_share_of_reoptimised_median": float(share.median()) if len(share) else None,
        "fragile": [
            f"{s}:{f}"
            for s, f in per_placement.loc[per_placement["fragile"], ["site_id", "format"]].to_numpy()
        ],
    }
    return per_draw, per_placement, summary
