"""What does the tie-break (least public money among plans of maximum coverage) cost? Solve the same
cities with and without it and print stage one, stage two and the ratio, measured in one run.

    python bench/tie_break.py [--sizes 1000x150 2000x300] [--seeds 1 2] [--time-limit 120]

Stage two starts from stage one's plan and keeps coverage within half a quantum (exact) of it, so its
cost is the extra search for a cheaper plan of the same coverage.
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
from optimizer.reach import compute_reach  # noqa: E402
from optimizer.synthetic import synthetic_city  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", nargs="+", default=["1000x150", "2000x300"])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--time-limit", type=float, default=120.0)
    args = ap.parse_args()
    print(f"{platform.node()} {platform.python_version()} {time.strftime('%Y-%m-%d')}")
    print(f"{'city':<18} {'stage 1 s':>9} {'stage 2 s':>9} {'2 / 1':>6} {'money saved':>12}  status")
    for size in args.sizes:
        n_res, n_sites = (int(v) for v in size.split("x"))
        for seed in args.seeds:
            sc = synthetic_city(n_res, n_sites, seed=seed)
            reach = compute_reach(sc)
            cfg = {"name": "highs", "time_limit_s": args.time_limit}
            res = qh.solve(sc, solver=cfg, reach=reach)
            s1, s2 = res.timings["stage1_s"], res.timings.get("stage2_s", 0.0)
            first = res.first.values
            saved = (
                float(res.model.money @ first - res.model.money @ res.values) if first is not None else 0.0
            )
            s = res.summary()
            print(
                f"{size + ' seed ' + str(seed):<18} {s1:>9.2f} {s2:>9.2f} {s2 / max(s1, 1e-9):>6.2f} "
                f"{saved:>12,.0f}  {s['optimality']['text']}, tie-break {s['tie_break_status']}"
            )


if __name__ == "__main__":
    main()
