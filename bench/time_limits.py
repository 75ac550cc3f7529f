"""Does a solve keep its time limit? Whole solves (both stages) with short limits, each solver, printing how
far past the limit each run ended and the ratio of the run's time to the limit, measured in one run.

    python bench/time_limits.py [--limits 2 5 10] [--seeds 1 2]

The promise (README, "Time limit"): a solve ends within the limit plus GRACE_S, plus the time to build the
model (and, for CBC, PuLP's model and file round trip). Walk times are computed once, before timing.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import optimizer as qh  # noqa: E402
from optimizer.deadline import GRACE_S  # noqa: E402
from optimizer.reach import compute_reach  # noqa: E402
from optimizer.synthetic import synthetic_city  # noqa: E402

SIX = ("convenience_store", "breakfast", "pharmacy", "laundry", "hair_salon", "repair")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--limits", type=float, nargs="+", default=[2.0, 5.0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--solvers", nargs="+", default=["highs", "cbc"])
    args = ap.parse_args()
    print(f"{platform.node()} {platform.python_version()} {time.strftime('%Y-%m-%d')}, grace {GRACE_S} s")
    print(f"{'city':<22} {'solver':<7} {'limit s':>7} {'took s':>7} {'over s':>7} {'ratio':>6}  status")
    worst = 0.0
    for seed in args.seeds:
        sc = synthetic_city(3000, 400, formats=SIX, seed=seed)
        reach = compute_reach(sc)
        for solver in args.solvers:
            for limit in args.limits:
                t0 = time.perf_counter()
                res = qh.solve(sc, solver={"name": solver, "time_limit_s": limit}, reach=reach)
                took = time.perf_counter() - t0
                worst = max(worst, took - limit)
                print(
                    f"{'3000x400x6 seed ' + str(seed):<22} {solver:<7} {limit:>7.1f} {took:>7.1f} "
                    f"{took - limit:>7.1f} {took / limit:>6.2f}  {res.summary()['optimality']['text']}"
                )
    print(f"largest overrun: {worst:.1f} s (promise: {GRACE_S} s plus model building)")


if __name__ == "__main__":
    main()
