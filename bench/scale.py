"""District scale (issue 9): the L and XL cities end to end, each in a child process of its own.

    python bench/scale.py [L] [XL] [--seed 0] [--time-limit 300] [--solver highs] [--option key=value ...]
                          [--reach-only] [--trace trace.csv]

Per size: walk times, build, time to the first plan, time at which the gap first fell to 1% and 0.5%,
the final status, objective, bound and gap, the total time, the peak memory and the model size before
and after the reductions. Times are seconds since the solve started (walk times and build included).
The first plan is the greedy start when the solver is handed one (timed where the solve hands it over),
otherwise the first progress report with an incumbent. The gap times come from the progress reports
(at most one a second) and, when the solve ends before the next report, from its end. Peak memory is
the child's own peak resident set (``getrusage(RUSAGE_SELF).ru_maxrss`` read in the child as it ends),
and beside it the largest process the solve ran (the relaxation's bound, a large model's MIP:
``RUSAGE_CHILDREN`` of the child);
for a child that dies first, ``RUSAGE_CHILDREN`` of this process (the largest child so far) is shown.
Default time limit: 300 s for L, 1800 s for XL. ``--reach-only``: walk times and the model, no solve.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing as mp
import os
import platform
import resource
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from generate import SIZES, instance  # noqa: E402

from optimizer.backends.registry import SOLVER_NAMES  # noqa: E402

DEFAULT_LIMIT_S = {"L": 300.0, "XL": 1800.0}
GAPS = (0.01, 0.005)
PACKAGES = ("highspy", "numpy", "scipy", "pandas")
TRACE_FIELDS = ("size", "stage", "elapsed_s", "solver_s", "incumbent", "bound", "gap")


def _size_text(size: dict[str, int]) -> str:
    return f"{size['rows']:,} / {size['cols']:,} / {size['nnz']:,}"


def _reach_only(size: str, seed: int) -> dict[str, Any]:
    """Walk times and the model (reductions on), no solve."""
    from optimizer.model import build_model
    from optimizer.reach import compute_reach

    sc = instance(size, seed)
    t0 = time.perf_counter()
    reach = compute_reach(sc)
    t_reach = time.perf_counter() - t0
    pairs = sum(fr.full.nnz for fr in reach.formats.values())
    model = build_model(sc, reach)
    total = time.perf_counter() - t0
    return {"walk_s": t_reach, "build_s": total - t_reach, "total_s": total, "pairs": pairs, **_sizes(model)}


def _sizes(model: Any) -> dict[str, str]:
    return {"before": _size_text(model.model_size["before"]), "after": _size_text(model.model_size["after"])}


def _solve(size: str, seed: int, solver: dict[str, Any]) -> dict[str, Any]:
    """One solve, with the progress trace, the times of its milestones and the final figures."""
    import optimizer as qh
    from optimizer.result.tables import optimality

    solve_module = sys.modules["optimizer.solve"]
    inner = solve_module.run_backend
    sc = instance(size, seed)
    trace: list[dict[str, Any]] = []
    stage1: dict[str, float] = {}
    t0 = time.perf_counter()

    def run_backend(lp: Any, config: Any, start: Any = None, **kw: Any) -> Any:
        # The first call is the coverage stage: the start plan is ready when it is handed over.
        first = not stage1
        if first:
            stage1["start_s"] = time.perf_counter() - t0
            if start is not None:
                row = {"stage": "start", "elapsed_s": stage1["start_s"], "incumbent": float(lp.c @ start)}
                trace.append(row)
        sol = inner(lp, config, start, **kw)
        if first:
            stage1["end_s"] = time.perf_counter() - t0
        return sol

    def on_progress(p: Any) -> None:
        now = time.perf_counter() - t0
        trace.append({"stage": p.stage, "elapsed_s": now, "solver_s": p.seconds} | _figures(p))
        if len(trace) % 30 == 1:
            print(f"  {size} {now:.0f} s: {p}", file=sys.stderr, flush=True)

    solve_module.run_backend = run_backend
    try:
        res = qh.solve(sc, solver=solver, on_progress=on_progress)
    finally:
        solve_module.run_backend = inner
    total = time.perf_counter() - t0
    opt = optimality(res)  # what res.summary()["optimality"] holds, without the coverage tables
    gap = opt["within"]
    out = {"walk_s": res.timings["walk_times_s"], "build_s": res.timings["build_s"], "total_s": total}
    status = opt["text"] + (f" ({res.first.message})" if res.status == "error" else "")
    out |= {"status": status, "objective": res.objective, "bound": res.first.bound, "gap": gap}
    plans = [r["elapsed_s"] for r in trace if r.get("incumbent") is not None]
    out["first_plan_s"] = plans[0] if plans else None
    for g in GAPS:
        hit = [r["elapsed_s"] for r in trace if r.get("gap") is not None and r["gap"] <= g]
        end = stage1.get("end_s") if gap is not None and gap <= g else None
        out[f"gap_{g}_s"] = hit[0] if hit else end
    return out | _sizes(res.model) | {"trace": trace}


def _figures(p: Any) -> dict[str, Any]:
    return {"incumbent": p.incumbent, "bound": p.bound, "gap": p.gap}


def _child(conn: Any, size: str, seed: int, solver: dict[str, Any], reach_only: bool) -> None:
    try:
        out = _reach_only(size, seed) if reach_only else _solve(size, seed, solver)
    except Exception as e:  # reported in the table, not lost with the child
        out = {"error": f"{type(e).__name__}: {e}"}
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    helper = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    out["peak"] = f"{own:.2f} GB" + (f" (+ {helper:.2f} GB process beside)" if helper > 0.05 else "")
    conn.send(out)
    conn.close()


def run_in_child(size: str, seed: int, solver: dict[str, Any], reach_only: bool) -> dict[str, Any]:
    """One size in a fresh spawned process, so its peak memory is its own."""
    ctx = mp.get_context("spawn")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, size, seed, solver, reach_only))
    proc.start()
    send.close()
    try:
        out = recv.recv()
    except EOFError:
        out = {}
    proc.join()
    if not out:
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
        out = {"error": f"child ended with exit code {proc.exitcode}", "peak": f"<= {peak:.2f} GB (children)"}
    return out


def _num(v: Any, fmt: str = ",.1f") -> str:
    return "-" if v is None else format(v, fmt)


def header() -> str:
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = []
    for pkg in PACKAGES:
        try:
            versions.append(f"{pkg} {version(pkg)}")
        except PackageNotFoundError:
            versions.append(f"{pkg} -")
    return (
        f"{platform.node()} · {platform.machine()} · {os.cpu_count()} cores · {ram:.1f} GB RAM · "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · Python {platform.python_version()}, "
        + ", ".join(versions)
    )


def instance_text(size: str) -> str:
    spec = SIZES[size]
    return f"{spec['n_residences']:,} x {spec['n_sites']:,}"


SOLVE_COLS = (
    "size | instance | solver, limit s | walk times s | build s | first plan s | gap <= 1% s"
    " | gap <= 0.5% s | status | objective | bound | gap | total s | peak RSS"
    " | before rows / cols / nnz | after rows / cols / nnz"
)
REACH_COLS = (
    "size | instance | walk times s | build s | total s | unit-site pairs | peak RSS"
    " | before rows / cols / nnz | after rows / cols / nnz"
)


def row(size: str, out: dict[str, Any], solver: dict[str, Any], reach_only: bool) -> str:
    if "error" in out:
        cells = [size, instance_text(size), f"error: {out['error']}", out["peak"]]
    elif reach_only:
        cells = [size, instance_text(size), _num(out["walk_s"]), _num(out["build_s"]), _num(out["total_s"])]
        cells += [_num(out["pairs"], ","), out["peak"], out["before"], out["after"]]
    else:
        cells = [size, instance_text(size), f"{solver['name']}, {solver['time_limit_s']:g}"]
        cells += [_num(out[k]) for k in ("walk_s", "build_s", "first_plan_s", "gap_0.01_s", "gap_0.005_s")]
        cells += [out["status"], _num(out["objective"]), _num(out["bound"]), _num(out["gap"], ".3%")]
        cells += [_num(out["total_s"]), out["peak"], out["before"], out["after"]]
    return "| " + " | ".join(cells) + " |"


def _value(text: str) -> Any:
    """An option's value: int, float, true/false, or the text itself."""
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sizes", nargs="*", metavar="SIZE", help="any of " + ", ".join(SIZES) + " (default: L)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--time-limit", type=float, help="seconds (default: 300 for L, 1800 for XL)")
    ap.add_argument("--solver", default="highs", choices=SOLVER_NAMES)
    ap.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="a solver option")
    ap.add_argument("--reach-only", action="store_true", help="walk times and the model only, no solve")
    ap.add_argument("--trace", type=Path, help="CSV file for the progress trace of every run")
    args = ap.parse_args()
    if bad := [x for x in args.sizes if x not in list(SIZES)]:
        ap.error(f"unknown sizes {bad}: choose from {', '.join(SIZES)}")
    options = {k: _value(v) for k, v in (o.split("=", 1) for o in args.option)}
    print(header(), flush=True)
    cols = REACH_COLS if args.reach_only else SOLVE_COLS
    print(f"\n| {cols} |\n|" + "---|" * (cols.count("|") + 1), flush=True)
    traces: list[dict[str, Any]] = []
    for size in args.sizes or ["L"]:
        limit = args.time_limit or DEFAULT_LIMIT_S.get(size, 300.0)
        solver = {"name": args.solver, "time_limit_s": limit, "options": options}
        out = run_in_child(size, args.seed, solver, args.reach_only)
        print(row(size, out, solver, args.reach_only), flush=True)
        traces += [{"size": size} | r for r in out.get("trace", [])]
    if args.trace:
        with args.trace.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=TRACE_FIELDS)
            writer.writeheader()
            writer.writerows(traces)


if __name__ == "__main__":
    main()
