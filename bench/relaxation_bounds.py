"""The LP relaxation's bound on a large city: PDLP against the smoothed dual, same limits, one run.

    python bench/relaxation_bounds.py [--size L] [--seconds 50 100 200] [--methods pdlp "smoothed dual"]
                                      [--threads 1 2] [--trace 25]

The city's model is built once; then, per method, thread count and time limit, ``relaxation_bound``
runs with that method forced (one after another on the same machine). Printed per run: the seconds it
took, the bound (None when the method returned no prices by its limit), the bound's excess over the
tightest bound of the whole run, how it went (the smoothed dual's evaluations) and the peak memory of
the process so far (PDLP works on HiGHS's copy of the model; the smoothed dual on the model's own
matrix, its products with it on ``--threads`` threads). ``--trace N``: the smoothed dual's seconds,
evaluations, width and best bound every N evaluations, on standard error (its debug log).
"""

from __future__ import annotations

import argparse
import logging
import platform
import resource
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from generate import instance  # noqa: E402

import optimizer.backends.relaxation as relax  # noqa: E402
import optimizer.backends.smoothed_dual as smoothed_dual  # noqa: E402
from optimizer.deadline import Deadline  # noqa: E402
from optimizer.model import build_model  # noqa: E402
from optimizer.reach import compute_reach  # noqa: E402

THRESHOLDS = {  # (FIRST_ORDER_MIN_NNZ, SMOOTHED_DUAL_MIN_NNZ) that force each method
    "pdlp": (0, 10**18),
    "smoothed dual": (0, 0),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="L")
    ap.add_argument("--seconds", type=float, nargs="+", default=[50.0, 100.0, 200.0])
    ap.add_argument("--methods", nargs="+", default=list(THRESHOLDS), choices=list(THRESHOLDS))
    ap.add_argument("--threads", type=int, nargs="+", default=[1])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--trace", type=int, default=0, metavar="N", help="log the smoothed dual every N evaluations"
    )
    args = ap.parse_args()
    if args.trace:
        logging.basicConfig(format="%(message)s")
        logging.getLogger(smoothed_dual.__name__).setLevel(logging.DEBUG)
        smoothed_dual.LOG_EVERY = args.trace
    sc = instance(args.size, args.seed)
    lp = build_model(sc, compute_reach(sc)).lp
    size = f"{lp.n_rows:,} rows x {lp.n_cols:,} columns x {lp.A.nnz:,} nonzeros"
    print(f"{platform.node()} · {args.size} · {size}")
    runs = []
    for method in args.methods:
        for threads in args.threads:
            for seconds in args.seconds:
                relax.FIRST_ORDER_MIN_NNZ, relax.SMOOTHED_DUAL_MIN_NNZ = THRESHOLDS[method]
                out = relax.relaxation_bound(lp, Deadline(seconds), threads=threads)
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
                runs.append((method, threads, seconds, out, peak))
                print(f"  {method}, {threads} threads, {seconds:.0f} s: {out}", file=sys.stderr, flush=True)
    known = [r[3].bound for r in runs if r[3].bound is not None]
    best = min(known) if known else None
    print("\n| method | threads | limit s | took s | bound | above the tightest | how | peak RSS so far |")
    print("|---|---|---|---|---|---|---|---|")
    for method, threads, seconds, out, peak in runs:
        b = out.bound
        above = "-" if b is None or best is None else f"{(b - best) / abs(best):.3%}"
        shown = "none" if b is None else f"{b:,.1f}"
        row = f"{method} | {threads} | {seconds:.0f} | {out.seconds:.1f} | {shown} | {above} | {out.message}"
        print(f"| {row} | {peak:.2f} GB |")


if __name__ == "__main__":
    main()
