"""Where the LP relaxation's value sits: per format, how fractional its placements are, and its value and
spending beside the quick plan's.

    python bench/lp_shape.py [--size L] [--fraction 1.0] [--seed 0] [--lp-method ipm] [--quick-limit 300]

One city, solved twice in one run: the quick answer (``solver.name: heuristic``) and the LP relaxation of
the same model (HiGHS: ``ipm`` with crossover, or ``simplex``). Printed per format: the LP's
positive pairs, pairs at 1, placements' worth (the sum of x), capital spent and covered value, then the
quick plan's placements, spending and value; and the share of the LP's value that comes from cover rows
whose largest reaching x is below 0.5 (coverage the LP buys by spreading fractions thinly).
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from generate import instance  # noqa: E402

import optimizer as qh  # noqa: E402
from optimizer.backends.highs import _to_highs_lp, new_highs  # noqa: E402
from optimizer.lp import LinearProgram  # noqa: E402
from optimizer.model import CoverageModel  # noqa: E402
from optimizer.reach import compute_reach  # noqa: E402


def lp_solution(lp: LinearProgram, method: str, limit: float) -> np.ndarray:
    h = new_highs()
    h.setOptionValue("time_limit", limit)
    h.setOptionValue("solver", method)
    h.passModel(_to_highs_lp(replace(lp, integer=np.zeros_like(lp.integer))))
    h.run()
    print(f"LP: {h.modelStatusToString(h.getModelStatus())}, {h.getInfo().objective_function_value:,.1f}")
    return np.asarray(h.getSolution().col_value)


def thin_share(lp: LinearProgram, x: np.ndarray) -> float:
    """Share of the LP's value from cover rows whose largest reaching x is below 0.5."""
    rows = lp.rows("cover")
    A = sp.csr_array(lp.A[rows])
    X, Y = lp.cols("x"), lp.cols("y")
    ax = abs(A[:, X])
    ay = abs(A[:, Y]).tocsr()
    y_of_row = np.asarray(ay.argmax(axis=1)).ravel()
    largest = np.asarray(ax.multiply(x[X][None, :]).max(axis=1).todense()).ravel()
    value = lp.c[Y][y_of_row] * x[Y][y_of_row]
    return float(value[largest < 0.5].sum() / value.sum()) if value.sum() else 0.0


def per_format(model: CoverageModel, lp: LinearProgram, x: np.ndarray, plan: np.ndarray) -> pd.DataFrame:
    X, Y = lp.cols("x"), lp.cols("y")
    xf = model.x["format"].astype(str).to_numpy()
    yf = model.y["format"].astype(str).to_numpy()
    cost = model.x["fitout_yuan"].to_numpy(float)
    lx, px = x[X], plan[X]
    t = pd.DataFrame(
        {
            "LP pairs > 0": pd.Series(lx > 1e-6).groupby(xf).sum(),
            "LP pairs at 1": pd.Series(lx > 0.999).groupby(xf).sum(),
            "LP sum x": pd.Series(lx).groupby(xf).sum(),
            "LP capital": pd.Series(lx * cost).groupby(xf).sum(),
            "LP value": pd.Series(lp.c[Y] * x[Y]).groupby(yf).sum(),
            "plan placements": pd.Series(px).groupby(xf).sum(),
            "plan capital": pd.Series(px * cost).groupby(xf).sum(),
            "plan value": pd.Series(lp.c[Y] * plan[Y]).groupby(yf).sum(),
        }
    )
    return t.fillna(0.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="L")
    ap.add_argument("--fraction", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--lp-method", choices=["ipm", "simplex"], default="ipm")
    ap.add_argument("--lp-limit", type=float, default=3600.0)
    ap.add_argument("--quick-limit", type=float, default=300.0)
    args = ap.parse_args()
    print(f"{platform.node()} · {args.size} at {args.fraction:g} of its area, seed {args.seed}")
    sc = instance(args.size, args.seed, fraction=args.fraction)
    reach = compute_reach(sc)
    t = time.perf_counter()
    quick = qh.solve(sc, solver={"name": "heuristic", "time_limit_s": args.quick_limit}, reach=reach)
    print(f"quick plan: {quick.objective:,.1f} ({time.perf_counter() - t:.0f} s)")
    lp = quick.model.lp
    t = time.perf_counter()
    x = lp_solution(lp, args.lp_method, args.lp_limit)
    print(f"LP solved in {time.perf_counter() - t:.0f} s")
    table = per_format(quick.model, lp, x, quick.values)
    walk = sc.formats["walk_minutes"]
    table.insert(0, "walk min", walk.reindex(table.index))
    table = table.sort_values(["walk min", "LP value"])
    table.loc["all"] = table.sum(numeric_only=True)
    table.loc["all", "walk min"] = np.nan
    print("\n| format | " + " | ".join(table.columns) + " |")
    print("|---" * (len(table.columns) + 1) + "|")
    for name, row in table.iterrows():
        cells = ["" if pd.isna(v) else f"{v:,.2f}" if "sum x" in c else f"{v:,.0f}" for c, v in row.items()]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(f"\nLP value from cover rows whose largest x is below 0.5: {thin_share(lp, x):.1%}")
    print(f"quick plan below the LP: {1 - quick.objective / float(lp.c @ x):.3%}")


if __name__ == "__main__":
    main()
