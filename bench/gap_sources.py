"""Where a large city's gap lives: the relaxation or the plan? Cities of L's density on a fraction of
its area, solved three ways in one run.

    python bench/gap_sources.py [--fraction 0.0625] [--seeds 0 1] [--mip-limit 600] [--quick-limit 60]

Per seed: the LP relaxation's optimum (HiGHS simplex), the quick answer (``solver.name: heuristic``:
greedy, 1-swaps, windows) and HiGHS's MIP with a time limit (its plan and bound). Printed: how far the
LP lies above the MIP's bound (at least that much of any gap is the relaxation's) and how far the quick
plan lies below the MIP's plan (at least that much is the plan's).
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from generate import instance  # noqa: E402

import optimizer as qh  # noqa: E402
from optimizer.backends.relaxation import relaxation_bound  # noqa: E402
from optimizer.deadline import Deadline  # noqa: E402
from optimizer.reach import compute_reach  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="L")
    ap.add_argument("--fraction", type=float, default=0.0625)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--mip-limit", type=float, default=600.0)
    ap.add_argument("--quick-limit", type=float, default=60.0)
    args = ap.parse_args()
    print(f"{platform.node()} · {args.size} at {args.fraction:g} of its area")
    print("\n| seed | nonzeros | LP | quick plan (s) | MIP plan | MIP bound (status, s) ", end="")
    print("| LP above bound | quick below MIP |")
    print("|---|---|---|---|---|---|---|---|")
    for seed in args.seeds:
        sc = instance(args.size, seed, fraction=args.fraction)
        reach = compute_reach(sc)
        t = time.perf_counter()
        quick = qh.solve(sc, solver={"name": "heuristic", "time_limit_s": args.quick_limit}, reach=reach)
        t_quick = time.perf_counter() - t
        lp = quick.model.lp  # the model both solves build
        lp_opt = relaxation_bound(lp, Deadline(args.mip_limit)).bound
        t = time.perf_counter()
        mip = qh.solve(sc, solver={"name": "highs", "time_limit_s": args.mip_limit}, reach=reach)
        t_mip = time.perf_counter() - t
        bound = mip.first.bound
        above = lp_opt / bound - 1 if lp_opt and bound else float("nan")
        below = 1 - quick.objective / mip.objective
        print(
            f"| {seed} | {lp.A.nnz:,} | {lp_opt:,.1f} | {quick.objective:,.1f} ({t_quick:.0f}) "
            f"| {mip.objective:,.1f} | {bound:,.1f} ({mip.status}, {t_mip:.0f}) "
            f"| {above:.3%} | {below:.3%} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
