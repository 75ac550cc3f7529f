"""How much of the time limit to spend improving the start before one large MIP.

    python bench/improve_share.py [--residences 16000] [--sites 2400] [--limit 180] [--shares 0.1 0.5]

A connected synthetic city (4 formats, 6 km square, formats-per-site limits, a binding capital budget;
walk times computed once) is solved by HiGHS with each share of the limit given to 1-swaps and windows
before the MIP (``optimizer.solve.ONE_MIP_IMPROVE_SHARE``). Printed per share: status, plan, bound, gap
and seconds. One run, shares one after another on the same machine.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import optimizer as qh  # noqa: E402
from optimizer.model import build_model  # noqa: E402
from optimizer.reach import compute_reach  # noqa: E402
from optimizer.synthetic import synthetic_city  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--residences", type=int, default=16000)
    ap.add_argument("--sites", type=int, default=2400)
    ap.add_argument("--limit", type=float, default=180.0)
    ap.add_argument("--shares", type=float, nargs="+", default=[0.1, 0.5])
    args = ap.parse_args()
    solve_mod = importlib.import_module("optimizer.solve")
    sc = synthetic_city(
        args.residences,
        args.sites,
        formats=("convenience_store", "breakfast", "pharmacy", "laundry"),
        size_km=6.0,
        seed=0,
        max_formats=(1, 2, float("nan")),
        budget={"capital_yuan": 6_000_000},
    )
    reach = compute_reach(sc)
    nnz = build_model(sc, reach).lp.A.nnz
    print(f"{args.residences:,} x {args.sites:,} x 4 formats, {nnz:,} nonzeros, limit {args.limit:.0f} s\n")
    print("| share | status | plan | bound | gap | s |")
    print("|---|---|---|---|---|---|")
    for share in args.shares:
        solve_mod.ONE_MIP_IMPROVE_SHARE = share
        t = time.perf_counter()
        s = qh.solve(sc, reach=reach, solver={"name": "highs", "time_limit_s": args.limit}).summary()
        gap = "-" if s["mip_gap"] is None else f"{s['mip_gap']:.3%}"
        bound = "-" if s["bound"] is None else f"{s['bound']:,.1f}"
        took = time.perf_counter() - t
        print(f"| {share} | {s['status']} | {s['objective']:,.1f} | {bound} | {gap} | {took:.0f} |")


if __name__ == "__main__":
    main()
