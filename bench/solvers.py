"""Which solver should be the default? Solve the same models with each and print times and ratios.

    python bench/solvers.py [--time-limit 60] [--quick]

Every model is built once; each solver then solves the identical LinearProgram (stage 1: maximum
coverage) from the same greedy starting plan, as `solve` does. Ratios are measured in this one run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimizer import load_scenario  # noqa: E402
from optimizer.backends import backend_for  # noqa: E402
from optimizer.config import SolverConfig  # noqa: E402
from optimizer.heuristic import greedy_start, is_feasible  # noqa: E402
from optimizer.model import build_model  # noqa: E402
from optimizer.reach import compute_reach  # noqa: E402
from optimizer.synthetic import synthetic_city  # noqa: E402

SOLVERS = {
    "highs (ipm)": ("highs", {}),
    "highs (simplex)": ("highs", {"mip_lp_solver": "simplex"}),
    "cbc": ("cbc", {}),
}


def instances(quick: bool):  # type: ignore[no-untyped-def]
    for name in ("shanghai_huangpu", "helsinki_centre"):
        path = ROOT / "scenarios" / name / "scenario.yaml"
        if path.exists():
            yield name, load_scenario(path)
    sizes = [(1000, 150)] if quick else [(1000, 150), (2000, 300), (4000, 500)]
    for n, m in sizes:
        yield f"synthetic {n}x{m}", synthetic_city(n, m, seed=3, budget={"capital_yuan": 2_000_000})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    print(f"{'instance':<22} {'cols':>7} {'rows':>7} " + " ".join(f"{s:>28}" for s in SOLVERS))
    totals = dict.fromkeys(SOLVERS, 0.0)
    for name, sc in instances(args.quick):
        reach = compute_reach(sc)
        model = build_model(sc, reach)
        start = greedy_start(sc, reach, model) if len(model.x) else None
        start = start if start is not None and is_feasible(model, start) else None
        cells = []
        for label, (solver, opts) in SOLVERS.items():
            cfg = SolverConfig(name=solver, time_limit_s=args.time_limit, threads=2, options=opts)
            t0 = time.perf_counter()
            sol = backend_for(solver).solve(model.lp, cfg, start=start)
            dt = time.perf_counter() - t0
            totals[label] += dt
            gap = f"{sol.gap:.2%}" if sol.gap is not None else "-"
            cells.append(f"{sol.status[:8]:>8} {dt:7.2f}s gap {gap:>7}")
        print(
            f"{name:<22} {model.lp.n_cols:>7} {model.lp.n_rows:>7} " + " ".join(f"{c:>28}" for c in cells),
            flush=True,
        )
    base = totals["cbc"]
    print("\ntotal seconds (time-limited runs count their limit):")
    for label, t in totals.items():
        print(f"  {label:<16} {t:8.2f}s   ratio to cbc {t / base:5.2f}")


if __name__ == "__main__":
    main()
