"""A city of separate districts: one MIP against walkable regions solved apart, measured in one run.

    python bench/regions.py [--clusters 8] [--residences 8000] [--sites 1600] [--time-limit 120]
                            [--ways one regions pool]

The city is ``--clusters`` squares of 1.5 km, 3 km apart (no walk joins two), four formats, capital and
subsidy budgets shared by all of them and binding. Each way solves the coverage stage from the same
greedy start within the same time limit (walk times computed once, before timing): ``one`` is the whole
model as one HiGHS MIP (``solver.decompose: off``); ``regions`` solves the regions one after the other
in this process; ``pool`` solves them on a local process pool (one worker per core). Printed per way:
seconds, plan, bound, gap, and the ratio of its time to the one-MIP time.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import optimizer as qh  # noqa: E402
from optimizer.executor import make_executor  # noqa: E402
from optimizer.reach import compute_reach  # noqa: E402
from optimizer.synthetic import synthetic_city  # noqa: E402

WAYS = {"one": ("off", "inprocess"), "regions": ("regions", "inprocess"), "pool": ("regions", "pool")}


def city(clusters: int, residences: int, sites: int, seed: int) -> qh.Scenario:
    per = clusters / 8
    return synthetic_city(
        residences,
        sites,
        size_km=1.5,
        seed=seed,
        clusters=clusters,
        budget={"capital_yuan": 12_000_000 * per, "rent_subsidy_yuan_per_year": 800_000 * per},
        objective={"tie_break": "none"},  # the coverage stage alone: the same work in every way
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clusters", type=int, default=8)
    ap.add_argument("--residences", type=int, default=8000)
    ap.add_argument("--sites", type=int, default=1600)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--ways", nargs="+", default=list(WAYS), choices=list(WAYS))
    args = ap.parse_args()
    sc = city(args.clusters, args.residences, args.sites, args.seed)
    reach = compute_reach(sc)
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    version = importlib.metadata.version("highspy")
    print(
        f"{platform.node()} · {os.cpu_count()} cores · {when} · "
        f"Python {platform.python_version()}, highspy {version}"
    )
    print(
        f"city: {args.clusters} districts, {args.residences:,} residences x {args.sites:,} sites x 4 formats"
    )
    print("| way | seconds | plan | bound | gap | time / one MIP | solver |")
    print("|---|---|---|---|---|---|---|")
    base = None
    for way in args.ways:
        decompose, kind = WAYS[way]
        cfg = {"name": "highs", "time_limit_s": args.time_limit, "decompose": decompose}
        t0 = time.perf_counter()
        with make_executor(kind) as ex:
            res = qh.solve(sc, solver=cfg, reach=reach, executor=ex)
        took = time.perf_counter() - t0
        base = base or (took if way == "one" else None)
        ratio = f"{took / base:.2f}" if base else "-"
        gap = "-" if res.first.gap is None else f"{res.first.gap:.2%}"
        bound = "-" if res.first.bound is None else f"{res.first.bound:,.0f}"
        print(
            f"| {way} | {took:.1f} | {res.first.objective:,.0f} | {bound} | {gap} | {ratio} | "
            f"{res.first.solver}: {res.first.message} |"
        )


if __name__ == "__main__":
    main()
