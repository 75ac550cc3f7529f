"""Windows on a connected city: how much each window size adds to the start in the same time.

    python bench/windows.py [--size L] [--fraction 1] [--seconds 100] [--cols 150 300 600] [--seed 0]
                            [--narrow 0 0.5] [--paired 0 auto] [--presolve off choose] [--window-seconds 10 2]
                            [--workers 1 2] [--same-windows 40]

The city's start (greedy plan improved by 1-swaps to a local optimum) is computed once; then, per
window size, ``improve_by_windows`` runs for the same number of seconds from that start. Printed per
size: windows solved, windows that improved the plan, the median seconds per window, and the plan's
gain over the start (absolute and relative). One run, sizes one after another on the same machine.
``--narrow``: shares of narrow windows (one format's pairs over a wider area), each run per size.
``--paired``: shares of the narrow windows cut in two halves far apart, or ``auto`` (the engine's:
decided by the value each kind adds per second), each run per size and narrow share.
``--presolve``: HiGHS's presolve for each window, ``off`` (the engine's) or ``choose`` (the backend's
rule by the window's size), each run per size and share. ``--window-seconds``: time limits of one
window's MIP (the engine's is ``decompose.windows.WINDOW_SECONDS``), each run per size, share and
presolve choice. ``--workers``: windows solved at a time on threads (the engine solves
``solver.threads``), each run per everything above.
``--same-windows N``: instead, cut N windows from the start (every other one narrow, seeds drawn with
``--seed``) and solve the very same windows once per ``--presolve`` choice, printing per kind the
total seconds, the windows proved optimal and the value they add: options compared on identical MIPs.
``--fraction F``: the size's city at its density on F of its area (``generate.instance``), e.g. 0.0625
for L on 2 km x 2 km. ``--size large``: the 1.5 M-nonzero city of ``bench/improve_share.py --large``.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from generate import instance  # noqa: E402

from optimizer.decompose import Windows, improve_by_windows  # noqa: E402
from optimizer.heuristic import greedy_start, local_search  # noqa: E402
from optimizer.lp import LinearProgram  # noqa: E402
from optimizer.model import COVER, build_model, families_with_role, shared_blocks  # noqa: E402
from optimizer.reach import compute_reach  # noqa: E402
from optimizer.solve import window_solver  # noqa: E402


def _options(presolve: str) -> dict[str, str]:
    return {"presolve": "off"} if presolve == "off" else {}


def same_windows(lp: LinearProgram, start: np.ndarray, n: int, args: argparse.Namespace) -> None:
    """The same ``n`` windows of ``args.cols[0]`` pairs solved once per presolve choice."""
    win = Windows(lp, shared_blocks())
    through = lp.row_mask(families_with_role(COVER))
    rng = np.random.default_rng(args.seed)
    placed = np.flatnonzero(start[win.ints] > 0.5)
    windows = {"wide": [], "narrow": []}
    for k in range(n):
        narrow = k % 2 == 1
        seed = int(rng.choice(placed)) if narrow else int(rng.integers(len(win.ints)))
        free = win.free_columns(win.grow(seed, args.cols[0], through if narrow else None))
        windows["narrow" if narrow else "wide"].append((win.sub_lp(free, start)[0], start[free]))
    print("\n| kind | presolve | windows | proved optimal | seconds in all | value added |")
    print("|---|---|---|---|---|---|")
    for kind, subs in windows.items():
        for presolve in args.presolve:
            solve = window_solver(options=_options(presolve))
            took, proved, added = 0.0, 0, 0.0
            for sub, first in subs:
                t = time.perf_counter()
                sol = solve(sub, first, 10.0)
                took += time.perf_counter() - t
                proved += str(sol.status) == "optimal"
                if sol.values is not None:
                    added += float(sub.c @ sol.values) - float(sub.c @ first)
            print(f"| {kind} | {presolve} | {len(subs)} | {proved} | {took:.1f} | {added:,.1f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="L")
    ap.add_argument("--seconds", type=float, default=100.0)
    ap.add_argument("--cols", type=int, nargs="+", default=[150, 300, 600])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fraction", type=float, default=1.0)
    ap.add_argument(
        "--narrow",
        type=float,
        nargs="+",
        default=[0.0, 0.5],
        help="shares of narrow windows",
    )
    ap.add_argument("--presolve", nargs="+", choices=["off", "choose"], default=["off"])
    ap.add_argument("--workers", type=int, nargs="+", default=[1], help="windows solved at a time")
    ap.add_argument(
        "--window-seconds", type=float, nargs="+", default=[10.0], help="time limits of one window"
    )
    ap.add_argument("--paired", nargs="+", default=["auto"], help="paired shares, or auto")
    ap.add_argument("--same-windows", type=int, default=0, help="compare options on N fixed windows")
    args = ap.parse_args()
    if args.size == "large":  # the 1.5 M-nonzero city of bench/improve_share.py --large
        from improve_share import cities

        sc = cities([], True, [])[0][1]
    else:
        sc = instance(args.size, args.seed, fraction=args.fraction)
    reach = compute_reach(sc)
    model = build_model(sc, reach)
    lp = model.lp
    t0 = time.perf_counter()
    start = local_search(sc, reach, model, greedy_start(sc, reach, model), time_limit_s=60)
    base = float(lp.c @ start)
    took_start = time.perf_counter() - t0
    city = args.size if args.fraction == 1.0 else f"{args.size} at {args.fraction:g} (seed {args.seed})"
    print(f"{platform.node()} · {city} · start (greedy + 1-swaps) {base:,.1f} in {took_start:.1f} s")
    if args.same_windows:
        same_windows(lp, start, args.same_windows, args)
        return
    head = "| window pairs | narrow share | paired share | presolve | window limit s | at a time | windows "
    head += "| improved "
    head += "| median s each "
    head += f"| plan after {args.seconds:.0f} s | gain |"
    print("\n" + head)
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    runs = [
        (c, n, q, p, w, k)
        for c in args.cols
        for n in args.narrow
        for q in args.paired
        for p in args.presolve
        for w in args.window_seconds
        for k in args.workers
    ]
    for cols, share, paired, presolve, window_s, workers in runs:
        took: list[float] = []
        engine_window = window_solver(1 if workers > 1 else None, options=_options(presolve))

        def solve_window(sub, first, limit, took=took, engine_window=engine_window):  # type: ignore[no-untyped-def]
            t = time.perf_counter()
            sol = engine_window(sub, first, limit)
            took.append(time.perf_counter() - t)
            return sol

        plan, stats = improve_by_windows(
            lp,
            start,
            shared_blocks(),
            solve_window,
            args.seconds,
            size=cols,
            narrow_blocks=families_with_role(COVER),
            narrow_share=share,
            window_seconds=window_s,
            workers=workers,
            paired_share=None if paired == "auto" else float(paired),
        )
        value = float(lp.c @ plan)
        print(
            f"| {cols} | {share:g} | {paired} | {presolve} | {window_s:g} | {workers} | {stats.windows} "
            f"| {stats.improved} | {np.median(took):.2f} | {value:,.1f} | "
            f"+{value - base:,.1f} (+{(value - base) / base:.3%}) |",
            flush=True,
        )


if __name__ == "__main__":
    main()
