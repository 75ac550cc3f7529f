"""How much of the time limit to spend improving the start before one MIP, by model size.

    python bench/improve_share.py [--cities 1000x150 2000x300 4000x500 8000x1000] [--large]
                                  [--sizes L] [--limit 60] [--shares 0 0.25 0.5]

Each city is the synthetic city of ``bench/solvers.py`` (n residences x m sites, 4 formats, 3 km square,
capital 2 M; seed 3), solved by HiGHS with each share of the limit given to 1-swaps and windows before
the MIP (``optimizer.solve.ONE_MIP_IMPROVE_SHARE`` and ``LARGE_MIP_IMPROVE_SHARE``, applied here at
every size: share 0 is the MIP from the greedy start). ``--large`` adds the connected 16,000 x 2,400
city (6 km, formats-per-site limits, capital 6 M, seed 0; 1.5 M nonzeros); ``--sizes`` adds cities of
``bench/generate.py`` (e.g. L, seed 0); ``--cities`` with no
value leaves the small ones out. Printed per city and share: nonzeros, status, plan, bound, gap and
seconds; walk times are computed once per city. One run, one solve after another.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from generate import instance  # noqa: E402

import optimizer as qh  # noqa: E402
from optimizer.model import build_model  # noqa: E402
from optimizer.reach import compute_reach  # noqa: E402
from optimizer.scenario import Scenario  # noqa: E402
from optimizer.synthetic import synthetic_city  # noqa: E402


def cities(names: list[str], large: bool, sizes: list[str]) -> list[tuple[str, Scenario]]:
    out = []
    for name in names:
        n, m = (int(v) for v in name.split("x"))
        out.append((name, synthetic_city(n, m, seed=3, budget={"capital_yuan": 2_000_000})))
    if large:
        city = synthetic_city(
            16000,
            2400,
            formats=("convenience_store", "breakfast", "pharmacy", "laundry"),
            size_km=6.0,
            seed=0,
            max_formats=(1, 2, float("nan")),
            budget={"capital_yuan": 6_000_000},
        )
        out.append(("16000x2400 (6 km, site limits)", city))
    out += [(size, instance(size, 0)) for size in sizes]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cities", nargs="*", default=["1000x150", "2000x300", "4000x500", "8000x1000"])
    ap.add_argument("--large", action="store_true")
    ap.add_argument("--sizes", nargs="*", default=[], help="cities of bench/generate.py, e.g. L")
    ap.add_argument("--limit", type=float, default=60.0)
    ap.add_argument("--shares", type=float, nargs="+", default=[0.0, 0.25, 0.5])
    args = ap.parse_args()
    solve_mod = importlib.import_module("optimizer.solve")
    solve_mod.LOCAL_SEARCH_MIN_NNZ = 0
    print(f"HiGHS, limit {args.limit:.0f} s\n")
    print("| city | nonzeros | share | status | plan | bound | gap | s |")
    print("|---|---|---|---|---|---|---|---|")
    for name, sc in cities(args.cities, args.large, args.sizes):
        reach = compute_reach(sc)
        nnz = build_model(sc, reach).lp.A.nnz
        for share in args.shares:
            solve_mod.ONE_MIP_IMPROVE_SHARE = solve_mod.LARGE_MIP_IMPROVE_SHARE = share
            t = time.perf_counter()
            s = qh.solve(sc, reach=reach, solver={"name": "highs", "time_limit_s": args.limit}).summary()
            gap = "-" if s["mip_gap"] is None else f"{s['mip_gap']:.3%}"
            bound = "-" if s["bound"] is None else f"{s['bound']:,.1f}"
            took = time.perf_counter() - t
            print(
                f"| {name} | {nnz:,} | {share} | {s['status']} | {s['objective']:,.1f} | {bound} | {gap} "
                f"| {took:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
