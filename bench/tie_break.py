"""What does the tie-break (least public money among plans of maximum coverage) cost, and which method is
cheaper? Solve the same cities three ways in one run: (a) coverage only (``tie_break: none``), (b) two
stages (coverage, then money at that coverage), (c) one weighted solve (coverage minus a provably safe
multiple of money, :mod:`optimizer.tiebreak`), and print the time of each, its ratio to (a), coverage,
public money and whether the three agree on coverage.

    python bench/tie_break.py [--sizes 300x60 1000x150] [--seeds 1 2 3] [--time-limit 120]
        [--solver cbc] [--mip-gap 0] [--no-shipped]

The shipped scenarios (``scenarios/*/scenario.yaml``) run too unless ``--no-shipped``; their walk times
are cached in a temporary folder, never in the source tree.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import optimizer as qh  # noqa: E402
from optimizer.reach import compute_reach  # noqa: E402
from optimizer.synthetic import synthetic_city  # noqa: E402

WAYS = {
    "a": {"tie_break": "none"},
    "b": {"tie_break": "least_public_money", "tie_break_method": "two_stage"},
    "c": {"tie_break": "least_public_money", "tie_break_method": "weighted"},
}


def _run(sc: qh.Scenario, reach, way: str, solver: dict) -> tuple[float, qh.Result]:
    t0 = time.perf_counter()
    res = qh.solve(sc.with_config(objective=WAYS[way]), solver=solver, reach=reach)
    return time.perf_counter() - t0, res


def _money(res: qh.Result) -> float:
    return float(res.model.money @ res.values) if res.values is not None else float("nan")


def _city(label: str, sc: qh.Scenario, solver: dict) -> None:
    reach = compute_reach(sc)
    runs = {w: _run(sc, reach, w, solver) for w in WAYS}
    t_a = runs["a"][0]
    cov = {w: r.objective for w, (_, r) in runs.items()}
    agree = max(cov.values()) - min(cov.values()) <= 1e-6 * max(1.0, abs(max(cov.values())))
    for w, (t, r) in runs.items():
        s = r.summary()
        how = s["optimality"]["text"] + (f"; {s['tie_break_proof']}" if s["tie_break_proof"] else "")
        print(
            f"| {label} | {w} | {t:.2f} | {t / max(t_a, 1e-9):.2f} | {r.objective:,.2f} | {_money(r):,.0f} "
            f"| {'yes' if agree else 'NO'} | {how} |",
            flush=True,
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", nargs="+", default=["300x60", "1000x150"])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--solver", default="highs", help="solver.name (highs, cbc, ...)")
    ap.add_argument("--mip-gap", type=float, default=None, help="solver.mip_gap (default: the scenario's)")
    ap.add_argument("--no-shipped", action="store_true")
    args = ap.parse_args()
    solver = {"name": args.solver, "time_limit_s": args.time_limit}
    if args.mip_gap is not None:
        solver["mip_gap"] = args.mip_gap
    print(
        f"{platform.node()} {platform.processor() or platform.machine()} {os.cpu_count()} cpus, "
        f"Python {platform.python_version()}, highspy {version('highspy')}, {time.strftime('%Y-%m-%d')}"
    )
    print("a: coverage only; b: two stages; c: one weighted solve. Seconds are the whole solve (build,")
    print("start, stages); walk times are computed once per city beforehand.")
    print("| city | way | s | / a | coverage | public money | agree | result |")
    print("|---|---|---|---|---|---|---|---|")
    for size in args.sizes:
        n_res, n_sites = (int(v) for v in size.split("x"))
        for seed in args.seeds:
            formats = ("convenience_store", "breakfast", "pharmacy", "laundry")
            _city(
                f"{size} seed {seed}",
                synthetic_city(n_res, n_sites, formats=formats, seed=seed),
                solver,
            )
    if not args.no_shipped:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["QUARTERHOUR_CACHE_DIR"] = tmp
            for path in sorted((ROOT / "scenarios").glob("*/scenario.yaml")):
                _city(path.parent.name, qh.load_scenario(path), solver)


if __name__ == "__main__":
    main()
