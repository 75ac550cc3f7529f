"""A 20-point capital-budget frontier of the Huangpu scenario, four ways, measured in one run:

1. 20 separate `quarterhour run` commands, one per budget (what a consultant did before `sweep`);
2. `quarterhour sweep` in this process (--executor inprocess);
3. `quarterhour sweep` on a local process pool (--executor pool, 2 workers);
4. `quarterhour sweep` on a Dask LocalCluster (--executor dask, 2 workers).

Every way is a fresh command (start-up, reading, walk times, solving and writing all count). Network walk
times are cached in one temporary folder for all of them, as a consultant's repeated runs would be. The
sweeps' frontier tables are checked to agree (all but the seconds column), and the speed-ups are printed
as ratios to the 20 separate runs.

    python bench/sweep.py [--points 20] [--keep DIR]   (writes the frontier of the last sweep into DIR)
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "shanghai_huangpu" / "scenario.yaml"
KEY = "budget.capital_yuan"


def _scenario_with_budget(tmp: Path, budget: float) -> Path:
    """A copy of the scenario file with absolute input paths and another capital budget."""
    raw = yaml.safe_load(SCENARIO.read_text(encoding="utf-8"))
    for k in ("residences", "sites", "outlets"):
        raw["inputs"][k] = str(SCENARIO.parent / raw["inputs"][k])
    raw["walk"]["network"] = str(SCENARIO.parent / raw["walk"]["network"])
    raw["budget"]["capital_yuan"] = float(budget)
    p = tmp / f"scenario_{int(budget)}.yaml"
    p.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return p


def _cli(*args: str) -> float:
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True)
    if r.returncode not in (0, 3):
        raise SystemExit(f"quarterhour {' '.join(args)} failed ({r.returncode}):\n{r.stderr[-2000:]}")
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=20)
    ap.add_argument("--keep", type=Path, default=None)
    args = ap.parse_args()
    budgets = np.linspace(0, 500_000 * (args.points - 1), args.points)  # includes the scenario's 1.5M
    tmp = Path(tempfile.mkdtemp(prefix="qh-bench-sweep-"))
    os.environ["QUARTERHOUR_CACHE_DIR"] = str(tmp / "walk-cache")
    times: dict[str, float] = {}
    try:
        t = 0.0
        for b in budgets:
            t += _cli("run", str(_scenario_with_budget(tmp, b)), "--out", str(tmp / f"run_{int(b)}"), "-q")
        times["20 separate `run` commands"] = t
        spec = f"{KEY}=0:{budgets[-1]:.0f}:{args.points}"
        tables = {}
        for kind in ("inprocess", "pool", "dask"):
            out = tmp / f"sweep_{kind}"
            times[f"`sweep --executor {kind}`"] = _cli(
                "sweep",
                str(SCENARIO),
                "--vary",
                spec,
                "--out",
                str(out),
                "-q",
                "--executor",
                kind,
                "--workers",
                "2",
            )
            tables[kind] = pd.read_csv(out / "frontier.csv").drop(columns="seconds")
        for kind in ("pool", "dask"):
            pd.testing.assert_frame_equal(tables["inprocess"], tables[kind])
        if args.keep:
            shutil.copytree(tmp / "sweep_pool", args.keep, dirs_exist_ok=True)
        _report(times, len(budgets), tables["inprocess"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _report(times: dict[str, float], n: int, table: pd.DataFrame) -> None:
    from importlib.metadata import version

    base = next(iter(times.values()))
    print(f"## sweep: {n}-point capital frontier, Huangpu (`python bench/sweep.py`)\n")
    print(
        f"{platform.node()} · {platform.processor() or platform.machine()} · "
        f"{os.cpu_count()} cores (shared) · "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · Python {platform.python_version()}, "
        f"highspy {version('highspy')}, pandas {version('pandas')}, dask {version('dask')}, "
        f"distributed {version('distributed')}\n"
    )
    print("| way | seconds | speed-up vs separate runs |\n|---|---|---|")
    for k, v in times.items():
        print(f"| {k} | {v:.1f} | {base / v:.1f}x |")
    print(
        f"\nThe three sweeps wrote identical frontier tables (all columns but `seconds`); "
        f"statuses: {table['status'].value_counts().to_dict()}; knee at "
        f"{KEY}={table.loc[table['is_knee'], KEY].tolist()}."
    )


if __name__ == "__main__":
    main()
