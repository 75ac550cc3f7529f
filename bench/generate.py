"""Seeded synthetic benchmark cities at five sizes, and what the model makes of them.

    python bench/generate.py S M W L [--model] [--seed 0]

S and M are maximal-covering (MCLP) instances in the shape of spopt's benchmark: one format, a service
radius of 800 m walked in a straight line (detour 1.0, so the walk limit is 800 m at the walking
speed), at most p sites (every site's fit-out is 1 yuan and the capital budget is p), every resident
weighing 1, viability off; W is the same with 100,000 demand points, 100 candidates and p = 15.
L and XL are whole cities: 12 formats with capital and subsidy budgets, viability, and co-location
limits that bind (per-site max_formats and floor areas too small for every format). ``--model``
computes reach, builds the model (reductions on) and runs the greedy start, printing sizes before and
after the reductions and the time of each step.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimizer.scenario import Scenario  # noqa: E402
from optimizer.synthetic import synthetic_city  # noqa: E402

RADIUS_M = 800.0
SPEED_M_PER_S = 1.2
MCLP_FORMAT = "pharmacy"

CITY_FORMATS = (
    "convenience_store",
    "breakfast",
    "breakfast_cart",
    "fresh_food_store",
    "hair_salon",
    "laundry",
    "pharmacy",
    "housekeeping",
    "repair",
    "recycling",
    "photo_print",
    "post_express",
)

SIZES: dict[str, dict[str, Any]] = {
    "S": {"kind": "mclp", "n_residences": 1_000, "n_sites": 200, "size_km": 5.0, "p": 5},
    "M": {"kind": "mclp", "n_residences": 5_000, "n_sites": 1_000, "size_km": 10.0, "p": 5},
    # Many demand points, few candidates: most points share their covering set with others.
    "W": {"kind": "mclp", "n_residences": 100_000, "n_sites": 100, "size_km": 10.0, "p": 15},
    "L": {"kind": "city", "n_residences": 20_000, "n_sites": 3_000, "size_km": 8.0, "capital": 20e6},
    "XL": {"kind": "city", "n_residences": 200_000, "n_sites": 50_000, "size_km": 25.0, "capital": 150e6},
}


def mclp_city(n_residences: int, n_sites: int, size_km: float, p: int, seed: int = 0) -> Scenario:
    """At most ``p`` sites, each covering the residents within ``RADIUS_M`` in a straight line."""
    return synthetic_city(
        n_residences,
        n_sites,
        formats={MCLP_FORMAT: {"walk_minutes": RADIUS_M / SPEED_M_PER_S / 60.0, "weight": 1.0}},
        size_km=size_km,
        seed=seed,
        floor_areas_m2=(400,),
        site_fitout_yuan=1.0,
        budget={"capital_yuan": float(p), "rent_subsidy_yuan_per_year": 0.0},
        walk={"source": "straight_line", "detour_factor": 1.0, "speed_m_per_s": SPEED_M_PER_S},
        viability={"enabled": False},
        priority={"old_neighbourhood": 1.0, "affordable_housing": 1.0, "elderly": 0.0},
        objective={"tie_break": "none"},
    )


def city(n_residences: int, n_sites: int, size_km: float, capital: float, seed: int = 0) -> Scenario:
    """Twelve formats with capital, subsidy, viability and co-location limits binding."""
    return synthetic_city(
        n_residences,
        n_sites,
        formats=CITY_FORMATS,
        size_km=size_km,
        seed=seed,
        max_formats=(1, 2, 3, float("nan")),
        budget={"capital_yuan": capital, "rent_subsidy_yuan_per_year": capital / 10},
        viability={"enabled": True},
        objective={"tie_break": "none"},
    )


def instance(size: str, seed: int = 0, size_km: float | None = None, fraction: float = 1.0) -> Scenario:
    """The benchmark city of that size (``size_km``: another side for its square). ``fraction``: the
    city at its density on that fraction of its area: residences, sites and (for whole cities) the
    capital budget scaled by it, the square's side by its square root (e.g. L at 0.0625: 1,250
    residences x 187 sites on 2 km x 2 km)."""
    spec = dict(SIZES[size])
    if size_km is not None:
        spec["size_km"] = size_km
    kind = spec.pop("kind")
    if fraction != 1.0:
        spec["n_residences"] = int(spec["n_residences"] * fraction)
        spec["n_sites"] = int(spec["n_sites"] * fraction)
        spec["size_km"] = spec["size_km"] * fraction**0.5
        if kind == "city":
            spec["capital"] = spec["capital"] * fraction
    return mclp_city(**spec, seed=seed) if kind == "mclp" else city(**spec, seed=seed)


def main() -> None:
    from optimizer.heuristic import greedy_chosen
    from optimizer.model import build_model
    from optimizer.reach import compute_reach

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sizes", nargs="*", metavar="SIZE", help="any of " + ", ".join(SIZES) + " (default: S M)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--model", action="store_true", help="compute reach, build the model, run the greedy")
    args = ap.parse_args()
    if bad := [x for x in args.sizes if x not in list(SIZES)]:
        ap.error(f"unknown sizes {bad}: choose from {', '.join(SIZES)}")
    for size in args.sizes or ["S", "M"]:
        t0 = time.perf_counter()
        sc = instance(size, args.seed)
        t_gen = time.perf_counter() - t0
        print(
            f"{size}: {len(sc.residences)} residences x {len(sc.sites)} sites x {len(sc.formats)} formats "
            f"(generated in {t_gen:.1f}s)",
            flush=True,
        )
        if not args.model:
            continue
        t0 = time.perf_counter()
        reach = compute_reach(sc)
        t_reach = time.perf_counter() - t0
        nnz = sum(fr.full.nnz for fr in reach.formats.values())
        print(f"  reach {t_reach:.1f}s: {len(reach.demand)} demand units, {nnz} unit-site pairs within reach")
        t0 = time.perf_counter()
        model = build_model(sc, reach)
        t_build = time.perf_counter() - t0
        size_info = model.model_size
        print(f"  build {t_build:.1f}s: before {size_info['before']}  after {size_info['after']}")
        for r in size_info["reductions"]:
            print(f"    {r}")
        t0 = time.perf_counter()
        chosen = greedy_chosen(sc, reach, model)
        print(f"  greedy {time.perf_counter() - t0:.1f}s: {int(chosen.sum())} placements", flush=True)


if __name__ == "__main__":
    main()
