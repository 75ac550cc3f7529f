"""PuLP: the only module that touches PuLP (4.0-style API). Runs CBC (from cbcbox) or HiGHS."""

from __future__ import annotations

import re
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pulp

from ..deadline import GRACE_S, Deadline
from ..errors import SolverUnavailableError
from ..lp import LinearProgram
from ..outcome import ProgressCallback
from .base import ERROR, FEASIBLE, INFEASIBLE, NO_SOLUTION, OPTIMAL, Solution, SolverConfig, relative_gap
from .highs import _quiet_stdout


def cbc_path() -> str | None:
    """The CBC executable shipped by the cbcbox package, else one on PATH."""
    try:
        import cbcbox

        return str(cbcbox.cbc_bin_path())
    except (ImportError, AttributeError, OSError):
        import shutil

        return shutil.which("cbc")


def to_pulp(lp: LinearProgram, name: str = "quarterhour") -> tuple[pulp.LpProblem, list[pulp.LpVariable]]:
    """Build the PuLP problem from the arrays: one variable per column, one constraint per row."""
    prob = pulp.LpProblem(name, pulp.LpMaximize if lp.sense == "max" else pulp.LpMinimize)
    cat = np.where(lp.integer, pulp.LpInteger, pulp.LpContinuous)
    xs = [
        prob.add_variable(
            f"v{k}",
            None if not np.isfinite(lo) else float(lo),
            None if not np.isfinite(hi) else float(hi),
            str(c),
        )
        for k, (lo, hi, c) in enumerate(zip(lp.lb, lp.ub, cat, strict=True))
    ]
    nz = np.flatnonzero(lp.c)
    prob.setObjective(pulp.LpAffineExpression([(xs[k], float(lp.c[k])) for k in nz]))
    A = lp.A.tocsr()
    for r in range(lp.n_rows):
        s, e = A.indptr[r], A.indptr[r + 1]
        expr = pulp.LpAffineExpression(
            [(xs[c], float(v)) for c, v in zip(A.indices[s:e], A.data[s:e], strict=True)]
        )
        lo, hi = lp.row_lb[r], lp.row_ub[r]
        if np.isfinite(lo) and np.isfinite(hi) and lo == hi:
            prob.addConstraint(expr == float(lo), f"r{r}")
            continue
        if np.isfinite(hi):
            prob.addConstraint(expr <= float(hi), f"r{r}u")
        if np.isfinite(lo):
            prob.addConstraint(expr >= float(lo), f"r{r}l")
    return prob, xs


_CBC_BOUND = re.compile(r"(?:Upper|Lower) bound:\s*(-?[\d.eE+-]+)")
# The root LP's value, printed before branching ("LP Optimal ... Obj: 2.22826e+06"): a valid bound when
# CBC stops before it prints a bound of its own.
_CBC_ROOT = re.compile(r"LP Optimal\b.*?Obj:\s*(-?[\d.eE+-]+)")
_CBC_CONTINUOUS = re.compile(r"Continuous objective value is\s*(-?[\d.eE+-]+)")
_CBC_OPTIMAL = "Result - Optimal solution found"


def _signed(b: float, sense: str, objective: float | None) -> float:
    """Builds differ in the bound's sign for maximisation: take the sign that makes it a valid bound
    (>= the incumbent when maximising, <= when minimising; as printed when there is no incumbent)."""
    if objective is None:
        return b
    # CBC prints about seven significant digits: a bound that close to the incumbent on the wrong side
    # is the incumbent rounded (159529 printed for 159529.49), so it is read as the incumbent.
    tol = 1e-5 * max(1.0, abs(objective))
    if sense == "max":
        v = b if b >= objective - tol else -b
        return max(v, objective) if v >= objective - tol else v
    v = b if b <= objective + tol else -b
    return min(v, objective) if v <= objective + tol else v


def _cbc_log_bound(log: str, sense: str, objective: float | None, proved: bool = False) -> float | None:
    """CBC prints its bound only in the log: its own bound line when it has one; else, when it stopped
    without a proof, the root LP's value (weaker, but a valid bound)."""
    for pattern in (_CBC_BOUND,) if proved else (_CBC_BOUND, _CBC_ROOT, _CBC_CONTINUOUS):
        found = pattern.findall(log)
        if found:
            return _signed(float(found[-1]), sense, objective)
    return None


@contextmanager
def _stop_cbc_at(seconds: float) -> Iterator[list[int]]:
    """A watchdog for the CBC process PuLP starts: CBC does not interrupt its root LP for a time limit,
    so half a grace period after ``seconds`` it is sent SIGINT, and it is killed GRACE_S after
    ``seconds`` if it is still running. Yields the list of signals sent."""
    started: list[subprocess.Popen[bytes]] = []
    real = subprocess.Popen

    def recording(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        proc = real(*args, **kwargs)
        started.append(proc)
        return proc

    sent: list[int] = []

    def stop(sig: int) -> None:
        for proc in started:
            if proc.poll() is None:
                proc.send_signal(sig)
                sent.append(sig)

    timers = [
        threading.Timer(seconds + GRACE_S / 2, stop, (signal.SIGINT,)),
        threading.Timer(seconds + GRACE_S, stop, (signal.SIGKILL,)),
    ]
    subprocess.Popen = recording  # type: ignore[misc, assignment]
    try:
        for t in timers:
            t.daemon = True
            t.start()
        yield sent
    finally:
        subprocess.Popen = real  # type: ignore[misc]
        for t in timers:
            t.cancel()


def _integral(lp: LinearProgram, values: np.ndarray) -> bool:
    v = values[lp.integer]
    return bool(np.all(np.abs(v - np.round(v)) <= 1e-6))


class PulpBackend:
    """CBC (``cbc``) or HiGHS (``highs-pulp``) through PuLP."""

    def __init__(self, name: str = "cbc") -> None:
        self.name = name

    def _solver(
        self,
        config: SolverConfig,
        log_path: Path,
        time_limit: float,
        abs_gap: float | None,
        warm: bool = False,
    ) -> pulp.LpSolver:
        if self.name == "cbc":
            path = cbc_path()
            if path is None:
                raise SolverUnavailableError(
                    "CBC is not installed: pip install cbcbox (a dependency of quarterhour)"
                )
            opts = [f"{k} {v}" for k, v in config.options.items()]
            return pulp.COIN_CMD(
                warmStart=warm,
                path=path,
                msg=False,
                timeLimit=time_limit,
                gapRel=config.mip_gap,
                gapAbs=abs_gap,
                threads=config.threads,
                logPath=str(log_path),
                options=opts,
            )
        return pulp.HiGHS(
            msg=False,
            timeLimit=time_limit,
            gapRel=config.mip_gap,
            gapAbs=abs_gap,
            threads=config.threads,
            **config.options,
        )

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
        prob, xs = to_pulp(lp)  # building the PuLP model counts against the deadline
        if start is not None:
            for v, val in zip(xs, start, strict=True):
                v.setInitialValue(float(val))
        with tempfile.TemporaryDirectory() as tmp:
            log_path = Path(tmp) / "cbc.log"
            limit = min(config.time_limit_s, deadline.limit())
            solver = self._solver(config, log_path, limit, abs_gap, warm=start is not None)
            stopped: list[int] = []
            try:
                with _quiet_stdout(), _stop_cbc_at(deadline.limit()) as stopped:
                    prob.solve(solver)
            except (pulp.PulpSolverError, IndexError, ValueError, OverflowError) as e:
                seconds = time.perf_counter() - t0
                if stopped:
                    # Stopped by the watchdog at the deadline: no solution file to read, but the log
                    # still holds the bound CBC had reached.
                    log = log_path.read_text(errors="replace") if log_path.exists() else ""
                    why = "CBC was stopped at the deadline before it wrote a solution"
                    reached = _cbc_log_bound(log, lp.sense, None)
                    return Solution(NO_SOLUTION, None, None, reached, None, seconds, self.name, why)
                # PuLP's solver bridges can fail inside (e.g. HiGHS on coefficients near 1e15)
                return Solution(ERROR, None, None, None, None, seconds, self.name, str(e))
            seconds = time.perf_counter() - t0
            log = log_path.read_text(errors="replace") if log_path.exists() else ""
        sol = prob.sol_status
        has = sol in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
        values = np.array([v.value() or 0.0 for v in xs], dtype=float) if has else None
        if values is not None and not _integral(lp, values):
            # A limit hit before any integer solution: PuLP hands back the LP relaxation as "optimal".
            values, has = None, False
        obj = float(lp.c @ values) if values is not None else None
        bound: float | None
        if self.name == "cbc":
            proved = _CBC_OPTIMAL in log
            bound = _cbc_log_bound(log, lp.sense, obj, proved)
            message = next((ln.strip() for ln in log.splitlines() if ln.startswith("Result - ")), "")
            if not message and not has:
                message = "stopped before an integer solution was found"
            if bound is None:
                message = (message + "; " if message else "") + "CBC reported no bound"
        else:
            model = prob.solverModel
            info = model.getInfo()
            proved = model.getModelStatus() == model.getModelStatus().__class__.kOptimal
            b = float(info.mip_dual_bound) if lp.integer.any() else obj
            bound = (-b if lp.sense == "max" else b) if b is not None and np.isfinite(b) else None
            message = model.modelStatusToString(model.getModelStatus())
        if has and proved:
            status = OPTIMAL
            if bound is None:
                bound = obj
        elif has:
            status = FEASIBLE
        elif sol == pulp.LpSolutionInfeasible or prob.status == pulp.LpStatusInfeasible:
            status = INFEASIBLE
        elif sol in (pulp.LpSolutionNoSolutionFound, pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
            status = NO_SOLUTION
        else:
            status = ERROR
        gap = relative_gap(obj, bound) if has else None
        return Solution(status, values, obj, bound, gap, seconds, self.name, message)
