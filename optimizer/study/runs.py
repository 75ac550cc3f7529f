"""Run many scenarios through one executor: walk times computed once for the runs that share walk inputs
(cut to each run's horizon), each run caught so a failure is a row (never the end of the others), chains
of runs warm-started from their neighbour, and a progress bar that counts runs.

A job is a chain: a tuple of runs solved one after the other in one worker, each starting from the
previous plan when ``warm``. Chains are cut the same way whatever the executor, so every executor
solves the same problems from the same starts and gives the same table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from ..executor import make_executor
from ..outcome import Status
from ..reach import WalkKey, WalkTimes, compute_walk_times, derive_reach, walk_key, walk_times_for
from ..result.collection import empty_row, run_row
from ..scenario import Scenario


def worst_exit_code(statuses: Sequence[str] | pd.Series) -> int:
    """The exit code of many runs: the worst of each run's own (0 every run has a plan, 3 some run is
    infeasible, 4 some run had no plan or failed)."""
    return max((Status(str(s)).exit_code for s in statuses), default=0)


@dataclass(frozen=True)
class Run:
    name: str
    scenario: Scenario
    walk: WalkTimes | None = None  # shared walk minutes, or None to compute them in the job


@dataclass(frozen=True)
class Chain:
    runs: tuple[Run, ...]
    warm: bool = False


@dataclass(frozen=True)
class Outcome:
    """What a run gives back across processes: its comparison row and its plan (no model, no reach)."""

    name: str
    row: dict[str, Any]
    placements: pd.DataFrame | None


def solve_run(run: Run, start: pd.DataFrame | None = None) -> Outcome:
    """Solve one run; any exception becomes an ``error`` row naming it."""
    from ..solve import solve

    sc = run.scenario
    try:
        reach = derive_reach(sc, run.walk) if run.walk is not None else None
        res = solve(sc, reach=reach, start=start)
        return Outcome(run.name, run_row(res), res.placements if res.has_solution else None)
    except Exception as e:  # one variant's failure is its row, never the others' end
        row = empty_row(sc.formats.index, sc.config, "error", f"{type(e).__name__}: {e}")
        return Outcome(run.name, row, None)


def solve_chain(chain: Chain) -> list[Outcome]:
    """The runs of a chain in order; with ``warm``, each starts from the last plan found."""
    out: list[Outcome] = []
    start: pd.DataFrame | None = None
    for run in chain.runs:
        o = solve_run(run, start if chain.warm else None)
        if o.placements is not None:
            start = o.placements
        out.append(o)
    return out


def share_walk_times(named: Sequence[tuple[str, Scenario]], progress: bool = False) -> list[Run]:
    """Runs whose walk inputs another run shares get walk minutes computed once here, for the longest
    horizon among them and cut to each run's own; a run with walk inputs of its own computes them in its
    job (in parallel with the others)."""
    keys = [walk_key(sc) for _, sc in named]
    groups = [replace(k, horizon_min=0.0) for k in keys]
    counts = Counter(groups)
    longest: dict[WalkKey, int] = {}
    for i, g in enumerate(groups):
        if g not in longest or keys[i].horizon_min > keys[longest[g]].horizon_min:
            longest[g] = i
    cache: dict[WalkKey, WalkTimes | None] = {}
    runs = []
    for (name, sc), g in zip(named, groups, strict=True):
        walk = None
        if counts[g] > 1:
            if g not in cache:
                try:
                    cache[g] = compute_walk_times(named[longest[g]][1], progress=progress)
                except Exception:  # reported by each run's own attempt
                    cache[g] = None
            shared = cache[g]
            walk = walk_times_for(sc, shared) if shared is not None else None
        runs.append(Run(name, sc, walk))
    return runs


def chains(runs: Sequence[Run], size: int | None, warm: bool) -> list[Chain]:
    """Consecutive runs in chains of ``size`` (one run each when None)."""
    n = size or 1
    return [Chain(tuple(runs[i : i + n]), warm) for i in range(0, len(runs), n)]


def execute(
    jobs: Sequence[Chain],
    executor: str = "pool",
    address: str | None = None,
    workers: int | None = None,
    progress: bool = False,
) -> list[Outcome]:
    """Every chain through one executor; outcomes in the runs' order."""
    total = sum(len(c.runs) for c in jobs)
    with _Bar(progress, total) as advance, make_executor(executor, address, workers) as ex:
        done = ex.map(solve_chain, jobs, on_done=lambda k: advance(len(jobs[k].runs)))
    return [o for part in done for o in part]


class _Bar:
    """A rich progress bar counting runs (or nothing when not asked for)."""

    def __init__(self, show: bool, total: int) -> None:
        self.show, self.total = show, total
        self._p: Any = None

    def __enter__(self) -> Callable[[int], None]:
        if not self.show:
            return lambda n: None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        cols = ("solving runs", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        self._p = Progress(*cols, console=Console(stderr=True))
        self._p.start()
        task = self._p.add_task("runs", total=self.total)
        return lambda n: self._p.advance(task, n)

    def __exit__(self, *exc: object) -> None:
        if self._p is not None:
            self._p.stop()
