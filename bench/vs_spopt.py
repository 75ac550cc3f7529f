"""This engine against spopt's maximal-covering model (MCLP) on the same instances, in one run.

    pip install -e .[bench]        # spopt
    python bench/vs_spopt.py [S M] [--time-limit 600]

Both solve bench/generate.py's S and M instances (at most p sites within 800 m, straight line) with
HiGHS: spopt builds its model in PuLP from the dense distance matrix and solves it with PuLP's HiGHS
interface; this engine runs ``optimizer.solve`` (walk times, model with reductions, greedy start,
HiGHS through highspy). Build = distances and model; solve = the rest. The objectives (residents
covered) must be equal; the ratios are this engine's times over spopt's, measured in this one run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from generate import RADIUS_M, SIZES, instance  # noqa: E402

import optimizer as qh  # noqa: E402
from optimizer.model import build_model  # noqa: E402
from optimizer.reach import compute_reach  # noqa: E402


def run_spopt(sc: qh.Scenario, p: int, time_limit: float) -> dict[str, float]:
    import pulp
    from scipy.spatial.distance import cdist
    from spopt.locate import MCLP

    t0 = time.perf_counter()
    crs = sc.metric_crs
    res = sc.residences.geometry.to_crs(crs).centroid
    sites = sc.sites.geometry.to_crs(crs).centroid
    cost = cdist(np.column_stack([res.x, res.y]), np.column_stack([sites.x, sites.y]))
    weights = sc.residences["population"].to_numpy(float)
    model = MCLP.from_cost_matrix(cost, weights, service_radius=RADIUS_M, p_facilities=p)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    model = model.solve(pulp.HiGHS(msg=False, timeLimit=time_limit), results=False)
    t_solve = time.perf_counter() - t0
    return {
        "objective": float(pulp.value(model.problem.objective)),
        "status": pulp.LpStatus[model.problem.status],
        "build_s": t_build,
        "solve_s": t_solve,
        "total_s": t_build + t_solve,
    }


def run_engine(sc: qh.Scenario, time_limit: float) -> dict[str, float]:
    t0 = time.perf_counter()
    reach = compute_reach(sc)
    res = qh.solve(sc, solver={"name": "highs", "time_limit_s": time_limit}, reach=reach)
    total = time.perf_counter() - t0
    build = reach.seconds + res.timings["build_s"]
    return {
        "objective": float(res.first.objective or 0.0),
        "status": str(res.status),
        "build_s": build,
        "solve_s": total - build,
        "total_s": total,
        "size": res.model.model_size,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sizes", nargs="*", metavar="SIZE", help="S and/or M (default: both)")
    ap.add_argument("--time-limit", type=float, default=600.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--size-km", type=float, default=None, help="another side for the city's square")
    args = ap.parse_args()
    if bad := [x for x in args.sizes if x not in ["S", "M"]]:
        ap.error(f"unknown sizes {bad}: choose from S, M")
    print(
        f"{'size':<5} {'who':<8} {'status':<10} {'objective':>12} "
        f"{'build s':>9} {'solve s':>9} {'total s':>9}"
    )
    for size in args.sizes or ["S", "M"]:
        sc = instance(size, args.seed, args.size_km)
        # Warm the shared caches (catalog, CRS) so neither side pays them.
        build_model(sc, compute_reach(sc))
        ours = run_engine(sc, args.time_limit)
        theirs = run_spopt(sc, SIZES[size]["p"], args.time_limit)
        for who, r in (("engine", ours), ("spopt", theirs)):
            print(
                f"{size:<5} {who:<8} {r['status']:<10} {r['objective']:>12.1f} "
                f"{r['build_s']:>9.2f} {r['solve_s']:>9.2f} {r['total_s']:>9.2f}"
            )
        same = abs(ours["objective"] - theirs["objective"]) <= 1e-6 * max(1.0, abs(theirs["objective"]))
        ratios = {k: ours[k] / theirs[k] for k in ("build_s", "solve_s", "total_s")}
        print(
            f"{size:<5} ratio engine/spopt: build {ratios['build_s']:.2f}, solve {ratios['solve_s']:.2f}, "
            f"total {ratios['total_s']:.2f}; objectives {'equal' if same else 'DIFFER'}"
        )
        print(f"      model size (engine): {ours['size']['before']} -> {ours['size']['after']}", flush=True)
        if not same:
            sys.exit(1)


if __name__ == "__main__":
    main()
