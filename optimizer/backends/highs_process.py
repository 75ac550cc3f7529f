"""HiGHS's MIP in a process of its own, stopped at the deadline even where HiGHS does not stop itself.

HiGHS heeds its time limit and the watchdog's interrupt between most steps, but not inside every one:
on a 1.5 million-nonzero covering city its first round of cut separation after the root LP ran 40 s
past both (bench/RESULTS.md), so a run with 55 s left for the MIP ended 36 s late. A thread cannot be
stopped; a process can. :class:`HighsProcessBackend` runs :class:`~optimizer.backends.highs.HighsBackend`
in a fresh interpreter (``python -m``, so a caller's script is never re-run) and passes back, through a
temporary folder, every improving plan as HiGHS finds it and the latest progress report. When the
deadline plus :data:`~optimizer.deadline.GRACE_S` passes first, the process is killed and the answer is
the best plan known (HiGHS's last improving plan, else the start) with the last bound HiGHS reported:
``feasible``, never optimal.

Worth it only for large models, where writing the arrays (about a second per 10 million nonzeros) and
the new interpreter are small beside the solve: ``solve._one_mip`` uses it beside the relaxation's side
bound, from :data:`~optimizer.backends.relaxation.FIRST_ORDER_MIN_NNZ` nonzeros.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ..deadline import GRACE_S, Deadline
from ..lp import LinearProgram
from ..outcome import Progress, ProgressCallback, Status
from .base import ERROR, FEASIBLE, NO_SOLUTION, Solution, SolverConfig, relative_gap
from .highs import HighsBackend

POLL_S = 0.25


def _write_atomically(path: Path, write: object) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        if isinstance(write, bytes):
            f.write(write)
        else:
            np.save(f, np.asarray(write, dtype=float))
    tmp.replace(path)


class HighsProcessBackend:
    """:class:`~optimizer.backends.highs.HighsBackend` in a process of its own (same options and
    answer), killed at the deadline plus the grace if HiGHS has not returned by then."""

    name = "highs"
    command: tuple[str, ...] = (sys.executable, "-m", __name__)  # then the folder

    def solve(
        self,
        lp: LinearProgram,
        config: SolverConfig,
        start: np.ndarray | None = None,
        deadline: Deadline | None = None,
        abs_gap: float | None = None,
        progress: ProgressCallback | None = None,
    ) -> Solution:
        deadline = deadline or Deadline(config.time_limit_s)
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="quarterhour-mip-") as name:
            folder = Path(name)
            # the deadline as wall-clock time: the new interpreter's start-up counts against it
            extra = {"ends_at": np.array(time.time() + min(config.time_limit_s, deadline.left()))}
            if start is not None:
                extra["start"] = np.asarray(start, dtype=float)
            if abs_gap is not None:
                extra["abs_gap"] = np.array(abs_gap)
            lp.save(folder / "lp.npz", **extra)
            (folder / "config.json").write_text(json.dumps(config.to_dict()))
            quiet = subprocess.DEVNULL
            proc = subprocess.Popen([*self.command, name], stdout=quiet, stderr=quiet)
            killed, last = _follow(proc, folder, deadline, progress)
            seconds = time.perf_counter() - t0
            if killed:
                return _stopped(lp, folder, start, last, seconds)
            answer = folder / "solution.json"
            if proc.returncode != 0 or not answer.exists():
                why = f"HiGHS's process ended with exit code {proc.returncode}"
                return Solution(ERROR, None, None, None, None, seconds, self.name, why)
            out = json.loads(answer.read_text())
            out.update(status=Status(out["status"]), seconds=seconds)
            values = np.load(folder / "values.npy") if (folder / "values.npy").exists() else None
            return Solution(values=values, **out)


def _follow(
    proc: subprocess.Popen[bytes], folder: Path, deadline: Deadline, progress: ProgressCallback | None
) -> tuple[bool, Progress | None]:
    """Wait for the process, passing its progress reports on; kill it at the deadline plus the grace.
    Returns whether it was killed, and its last report."""
    last: Progress | None = None
    seen = 0.0
    report = folder / "progress.json"
    stop_at = time.monotonic() + deadline.left() + GRACE_S
    while proc.poll() is None:
        if time.monotonic() >= stop_at:
            proc.kill()
            proc.wait()
            return True, last
        time.sleep(POLL_S)
        try:
            if report.stat().st_mtime != seen:
                seen = report.stat().st_mtime
                last = Progress(**json.loads(report.read_text()))
                if progress is not None:
                    progress(last)
        except (OSError, ValueError):
            continue
    return False, last


def _stopped(
    lp: LinearProgram, folder: Path, start: np.ndarray | None, last: Progress | None, seconds: float
) -> Solution:
    """The answer of a MIP killed at the deadline: HiGHS's last improving plan (else the start) and the
    last bound it reported; no plan when it had none."""
    found = folder / "incumbent.npy"
    values = np.load(found) if found.exists() else start
    why = "HiGHS did not stop at the time limit: its process was stopped"
    if values is None:
        return Solution(NO_SOLUTION, None, None, None, None, seconds, "highs", why)
    values = np.asarray(values, dtype=float)
    obj = float(lp.c @ values)
    bound = last.bound if last is not None else None
    sign = 1.0 if lp.sense == "max" else -1.0
    if bound is not None and sign * (bound - obj) < 0:
        bound = None
    return Solution(FEASIBLE, values, obj, bound, relative_gap(obj, bound), seconds, "highs", why)


def _main(folder: str) -> None:
    """The MIP's process: read the program, solve it, write every improving plan, the progress and
    the answer (each atomically)."""
    where = Path(folder)
    lp, extra = LinearProgram.load(where / "lp.npz")
    config = SolverConfig.from_config(json.loads((where / "config.json").read_text()))
    start = extra.get("start")
    abs_gap = float(extra["abs_gap"]) if "abs_gap" in extra else None

    def report(p: Progress) -> None:
        _write_atomically(where / "progress.json", json.dumps(asdict(p)).encode())

    def improved(values: np.ndarray) -> None:
        _write_atomically(where / "incumbent.npy", values)

    left = float(extra["ends_at"]) - time.time()
    deadline = Deadline(max(0.0, left) if np.isfinite(left) else None)
    sol = HighsBackend().solve(lp, config, start, deadline, abs_gap, report, on_incumbent=improved)
    if sol.values is not None:
        _write_atomically(where / "values.npy", sol.values)
    out = {k: v for k, v in asdict(sol).items() if k != "values"}
    _write_atomically(where / "solution.json", json.dumps(out).encode())


__all__ = ["HighsProcessBackend"]


if __name__ == "__main__":
    _main(sys.argv[1])
