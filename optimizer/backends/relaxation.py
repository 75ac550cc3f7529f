"""The LP relaxation's bound at any size, and that bound computed beside a MIP on a spare core.

A branch-and-bound solver's first bound is its root LP. On a district-sized covering model that LP is
where the time goes (on the L benchmark city, 7.5 million nonzeros, HiGHS's interior point needs about
517 s for the root, each site column touching ~235 cover rows, and its dual simplex does not finish in
300 s), so within a planner's time limit the MIP reports no bound but a trivial one. A first-order LP
method (HiGHS's PDLP) gets within 0.02% of that LP's optimum in about 100 s on one core. Its answer is
never trusted as a value: the bound is what its row prices prove by weak duality
(:meth:`~optimizer.lp.LinearProgram.dual_bound`), valid however inexact the prices are.

Beyond :data:`SMOOTHED_DUAL_MIN_NNZ` nonzeros PDLP neither converges within a planner's limit nor fits
beside the model (on the XL city, 135 million nonzeros: no answer in 850 s, a 12.8 GB copy); there the
dual function itself is minimised, smoothed, over the caller's own matrix
(:mod:`~optimizer.backends.smoothed_dual`), which proves a bound whenever it is stopped.

:func:`relaxation_bound` solves the relaxation (simplex for small models, PDLP from
:data:`FIRST_ORDER_MIN_NNZ` nonzeros, the smoothed dual from :data:`SMOOTHED_DUAL_MIN_NNZ`);
:class:`SideBound` runs it in a process of its own while the MIP
runs (stopped as soon as the MIP is done) and :func:`tighter` merges the two bounds into one honest
solution.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from ..deadline import GRACE_S, Deadline
from ..lp import LinearProgram
from ..outcome import proves
from .base import FEASIBLE, OPTIMAL, Solution, relative_gap
from .smoothed_dual import smoothed_dual_bound

FIRST_ORDER_MIN_NNZ = 1_000_000
# PDLP stops once primal and dual residuals and the duality gap are within this (relative); a looser
# tolerance only weakens the bound its prices prove, never makes it wrong. Measured on the L city:
# 1e-4 ends in 99 s with a bound 0.02% above the LP optimum, while HiGHS's default 1e-7 had not ended
# after 400 s.
FIRST_ORDER_TOLERANCE = 1e-4
# From here the smoothed dual instead of PDLP. Measured (bench/RESULTS.md): on 7.5 M nonzeros PDLP's
# bound was 0.02% above the LP optimum after 99 s and the smoothed dual's 0.2% after 100 s; on 135 M
# PDLP gave nothing in 850 s while holding a 12.8 GB copy of the model.
SMOOTHED_DUAL_MIN_NNZ = 20_000_000


@dataclass(frozen=True)
class RelaxationBound:
    """A bound on the LP relaxation (hence on every plan), how it was obtained, and how long it took."""

    bound: float | None
    method: str
    seconds: float
    message: str = ""
    # the relaxation's column values where the method gives them (simplex, PDLP; not the smoothed
    # dual): never a bound, only a guide for the search (:mod:`optimizer.decompose.windows`)
    values: np.ndarray | None = field(default=None, repr=False, compare=False)


def _method(lp: LinearProgram) -> str:
    if lp.A.nnz >= SMOOTHED_DUAL_MIN_NNZ:
        return "smoothed dual"
    return "pdlp" if lp.A.nnz >= FIRST_ORDER_MIN_NNZ else "simplex"


class SideBound:
    """The relaxation's bound computed in a process of its own (one solver thread) while the caller
    solves the MIP: a process, because PDLP does not heed HiGHS's interrupt (a thread could not be
    stopped once the MIP is done), and a fresh interpreter (``python -m``), so that a caller's script
    is never re-run as multiprocessing's spawn would. :meth:`result` waits for it, :meth:`cancel`
    stops it; the arrays go through a temporary folder that is removed with it. Made before it is
    needed, it may be started late (:meth:`start` once, when wanted); until then it answers None."""

    def __init__(self, lp: LinearProgram, deadline: Deadline) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="quarterhour-bound-")
        folder = Path(self._dir.name)
        relaxed = replace(lp, integer=np.zeros_like(lp.integer))
        # the deadline as a wall-clock time: the process ends with the caller's deadline, however long
        # writing and reading the model took (seconds on the largest models)
        relaxed.save(folder / "lp.npz", end=np.array(time.time() + deadline.left()))
        self._proc: subprocess.Popen[bytes] | None = None
        self._out: RelaxationBound | None = None
        self._values: np.ndarray | None = None

    def start(self) -> SideBound:
        """Start the process (once: later calls change nothing)."""
        if self._proc is None:
            cmd = [sys.executable, "-m", __name__, self._dir.name]
            self._proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    def cancel(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._dir.cleanup()

    def peek(self) -> RelaxationBound | None:
        """The bound if it is already computed, without waiting."""
        answer = Path(self._dir.name) / "bound.json"
        if self._out is None and answer.exists():
            self._out = RelaxationBound(**json.loads(answer.read_text()))
        return self._out

    def values(self, wait: float = 0.0) -> np.ndarray | None:
        """The relaxation's column values once computed (waiting at most ``wait`` seconds for the
        process to end, without stopping it); None before it starts, while it runs, after it failed or
        was stopped, or where its method gives none."""
        if self._values is None and self._proc is not None:
            try:
                self._proc.wait(max(0.0, wait))
            except subprocess.TimeoutExpired:
                return None
            path = Path(self._dir.name) / "values.npy"
            if self._proc.returncode == 0 and path.exists():
                self._values = np.load(path)
        return self._values

    def result(self, timeout: float | None = None) -> RelaxationBound | None:
        """The bound once computed (waiting at most ``timeout`` seconds); None while it is still
        running (it is then stopped), never started, or when it failed."""
        if self._proc is None:
            self.cancel()
            return self._out
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        if self._proc.poll() == 0:
            self.peek()
        self.cancel()
        return self._out


def _main(folder: str) -> None:
    """The side process: read the LP, bound its relaxation, write the answer (atomically)."""
    lp, extra = LinearProgram.load(Path(folder) / "lp.npz")
    out = relaxation_bound(lp, Deadline(float(extra["end"]) - time.time()), threads=1)
    if out.values is not None:  # before the bound: a reader that sees the bound finds the values
        with open(Path(folder) / "values.tmp.npy", "wb") as f:
            np.save(f, out.values)
        (Path(folder) / "values.tmp.npy").replace(Path(folder) / "values.npy")
    tmp = Path(folder) / "bound.json.tmp"
    tmp.write_text(json.dumps({k: v for k, v in asdict(out).items() if k != "values"}))
    tmp.replace(Path(folder) / "bound.json")


def _solve(h: object, lp: LinearProgram, deadline: Deadline, threads: int | None = None) -> RelaxationBound:
    import highspy

    from .highs import _lp_bound, _to_highs_lp, run_watched

    assert isinstance(h, highspy.Highs)
    method = _method(lp)
    t0 = time.perf_counter()
    h.setOptionValue("time_limit", max(0.0, float(deadline.left())))
    if threads is not None:  # HiGHS's thread pool is per process: set only in a process of its own
        h.setOptionValue("threads", threads)
    h.setOptionValue("random_seed", 0)
    if method == "pdlp":
        h.setOptionValue("solver", "pdlp")
        h.setOptionValue("kkt_tolerance", FIRST_ORDER_TOLERANCE)
        h.setOptionValue("pdlp_optimality_tolerance", FIRST_ORDER_TOLERANCE)
    h.passModel(_to_highs_lp(lp))
    run_watched(h, deadline.left())  # PDLP ends at its own time limit: it ignores the interrupt
    ms = h.getModelStatus()
    info = h.getInfo()
    optimal = ms == highspy.HighsModelStatus.kOptimal and method == "simplex"
    obj = float(info.objective_function_value) if optimal else None
    bound = _lp_bound(h, lp, obj, optimal)  # PDLP's value is never taken: its prices' bound is
    if bound is not None and not np.isfinite(bound):
        bound = None
    solution = h.getSolution()
    values = np.asarray(solution.col_value, dtype=float) if solution.value_valid else None
    return RelaxationBound(bound, method, time.perf_counter() - t0, h.modelStatusToString(ms), values)


def relaxation_bound(lp: LinearProgram, deadline: Deadline, threads: int | None = None) -> RelaxationBound:
    """The LP relaxation's bound, computed here by the deadline (its ``bound`` None when none is known).
    ``threads`` only in a process of its own: HiGHS refuses a thread count that differs from the one
    its scheduler started with in this process."""
    if _method(lp) == "smoothed dual":
        t0 = time.perf_counter()
        bound, how = smoothed_dual_bound(lp, deadline, threads)
        return RelaxationBound(bound, "smoothed dual", time.perf_counter() - t0, how)
    from .highs import new_highs

    return _solve(new_highs(), replace(lp, integer=np.zeros_like(lp.integer)), deadline, threads)


def bound_by_deadline(
    lp: LinearProgram, deadline: Deadline, side: SideBound | None = None, threads: int | None = None
) -> RelaxationBound:
    """The relaxation's bound for a caller that waits for it and must end by ``deadline``: simplex and
    the smoothed dual here (they heed the deadline; the smoothed dual makes no copy of the model, and
    runs on ``threads`` threads); PDLP, which does not, in a process of its own, stopped at the deadline
    plus the grace (bound None then), so the solve keeps its time limit and this process never holds
    HiGHS's copy of a large model. ``side``: that process already started (beside a search), waited
    for the same way."""
    if side is None and _method(lp) == "smoothed dual":
        return relaxation_bound(lp, deadline, threads)  # its own threads, not HiGHS's
    if side is None and _method(lp) != "pdlp":
        return relaxation_bound(lp, deadline)
    t0 = time.perf_counter()
    out = (side or SideBound(lp, deadline).start()).result(timeout=deadline.left() + GRACE_S)
    if out is not None:
        return out
    why = "stopped at the time limit" if deadline.expired else "its process ended without an answer"
    return RelaxationBound(None, _method(lp), time.perf_counter() - t0, why)


def tighter_bound(sense: str, a: float | None, b: float) -> float:
    """The tighter of two bounds of a ``sense`` ("max" or "min") problem; ``a`` may be unknown."""
    if a is None:
        return b
    return min(a, b) if sense == "max" else max(a, b)


def tighter(
    sol: Solution, side: RelaxationBound | None, lp: LinearProgram, mip_gap: float, abs_gap: float | None
) -> Solution:
    """``sol`` with the tighter of its bound and the relaxation's; a plan the merged bound proves within
    the solver's gap (``mip_gap`` relative, or ``abs_gap``) becomes optimal, as the solver itself would
    have reported it. A relaxation bound on the wrong side of the plan by more than a rounding says the
    computation went wrong: it is not used."""
    if side is None or side.bound is None or sol.objective is None or sol.status not in (OPTIMAL, FEASIBLE):
        return sol
    sign = 1.0 if lp.sense == "max" else -1.0
    if sign * (side.bound - sol.objective) < -1e-6 * max(1.0, abs(sol.objective)):
        return sol
    bound = tighter_bound(lp.sense, sol.bound, side.bound)
    if bound == sol.bound:
        return sol
    # a rounding on the wrong side of the plan is the plan's own value
    bound = sol.objective + sign * max(0.0, sign * (bound - sol.objective))
    gap = relative_gap(sol.objective, bound)
    status = sol.status
    if proves(sol.objective, bound, mip_gap, abs_gap):
        status = OPTIMAL
    note = f"; bound from the LP relaxation ({side.method}, {side.seconds:.0f} s)"
    return replace(sol, status=status, bound=bound, gap=gap, message=sol.message + note)


__all__ = [
    "FIRST_ORDER_MIN_NNZ",
    "SMOOTHED_DUAL_MIN_NNZ",
    "bound_by_deadline",
    "RelaxationBound",
    "SideBound",
    "relaxation_bound",
    "tighter",
    "tighter_bound",
]


if __name__ == "__main__":
    _main(sys.argv[1])
