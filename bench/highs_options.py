"""Which HiGHS options solve the reduced M model fastest? One model, several option sets, one run.

    python bench/highs_options.py [M] [--time-limit 600]

The model is built once (reductions on) and solved from the same greedy start, as ``solve`` does;
only stage 1 (maximum coverage) is timed. The backend's defaults (interior point for the MIP's LPs) are
the baseline; each option set is applied on top of them.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from generate import SIZES, instance  # noqa: E402

from optimizer.backends import backend_for  # noqa: E402
from optimizer.config import SolverConfig  # noqa: E402
from optimizer.heuristic import greedy_start, is_feasible  # noqa: E402
from optimizer.model import build_model  # noqa: E402
from optimizer.reach import compute_reach  # noqa: E402

OPTION_SETS: dict[str, dict[str, object]] = {
    "defaults (ipm)": {},
    "presolve off": {"presolve": "off"},
    "no probing (presolve_rule_off=32768)": {"presolve_rule_off": 32768},
    "simplex": {"mip_lp_solver": "simplex"},
    "simplex, no probing": {"mip_lp_solver": "simplex", "presolve_rule_off": 32768},
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("size", nargs="?", default="M", choices=list(SIZES))
    ap.add_argument("--time-limit", type=float, default=600.0)
    ap.add_argument("--only", nargs="*", help="names of option sets to run")
    ap.add_argument("--no-reduce", action="store_true", help="solve the model without the reductions")
    ap.add_argument("--size-km", type=float, default=None, help="another side for the city's square")
    args = ap.parse_args()
    sc = instance(args.size, size_km=args.size_km)
    reach = compute_reach(sc)
    model = build_model(sc, reach, reduce=not args.no_reduce)
    start = greedy_start(sc, reach, model)
    start = start if is_feasible(model, start) else None
    print(f"{args.size}: {model.model_size['after']} (without reductions {model.model_size['before']})")
    for name, opts in OPTION_SETS.items():
        if args.only and name not in args.only:
            continue
        cfg = SolverConfig(name="highs", time_limit_s=args.time_limit, options=opts)
        t0 = time.perf_counter()
        sol = backend_for("highs").solve(model.lp, cfg, start=start)
        dt = time.perf_counter() - t0
        gap = f"{sol.gap:.2e}" if sol.gap is not None else "-"
        print(f"  {name:<40} {sol.status:<10} obj {sol.objective:>12.1f} gap {gap:>8} {dt:8.2f}s", flush=True)


if __name__ == "__main__":
    main()
