"""HiGHS through highspy's array API: the whole model is passed as CSR arrays in one call."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import highspy
import numpy as np

from ..deadline import GRACE_S, Deadline
from ..errors import did_you_mean
from ..lp import LinearProgram
from ..outcome import Progress, ProgressCallback
from .base import ERROR, FEASIBLE, INFEASIBLE, NO_SOLUTION, OPTIMAL, Solution, SolverConfig, relative_gap
from .registry import OptionProblem

DEFAULT_OPTIONS: dict[str, object] = {"mip_lp_solver": "ipm"}
# Above this many nonzeros HiGHS's MIP presolve costs more than it saves on covering models, and it looks
# at the clock too rarely to keep a time limit (measured: 13 s of presolve under a 2 s limit on a
# 3,000 x 400 x 6-format city; with presolve off the same run stopped at 3.6 s with a bound). The model's
# own reductions do the presolving that pays. ``solver.options.presolve`` overrides this.
PRESOLVE_MAX_NNZ = 100_000


@contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence C-level stdout: highspy prints a banner when a Highs object is created."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def new_highs() -> highspy.Highs:
    """A silent Highs instance."""
    with _quiet_stdout():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h


_scheduler = threading.local()  # .threads: the count HiGHS's scheduler of this thread was started with


def _use_threads(n: int) -> None:
    """HiGHS keeps one thread scheduler per calling thread, started with that thread's first solve's
    thread count, and fails a later solve there asking for another count ("Not Set"): reset it when the
    count changes, so that runs with different ``solver.threads`` can follow each other in one session.
    Kept per thread (windows are solved on threads of their own, each with its own scheduler)."""
    if getattr(_scheduler, "threads", n) != n:
        highspy.Highs.resetGlobalScheduler(True)
    _scheduler.threads = n


def run_watched(h: highspy.Highs, seconds: float) -> None:
    """Run ``h``; a watchdog interrupts it :data:`~optimizer.deadline.GRACE_S` after ``seconds`` if it
    has not returned (some presolve steps look at the clock rarely)."""
    h.HandleUserInterrupt = True
    watchdog = threading.Timer(seconds + GRACE_S, h.cancelSolve)
    watchdog.daemon = True
    watchdog.start()
    try:
        h.solve()
    finally:
        watchdog.cancel()


def check_options(options: Mapping[str, Any]) -> list[OptionProblem]:
    """The options HiGHS would refuse: unknown names, and values of the wrong type or range (HiGHS
    itself is the judge: each value is set on a silent instance)."""
    h = new_highs()
    known = [n for n in dir(h.getOptions()) if not n.startswith("_")]
    found = []
    for k, v in options.items():
        if h.getOptionType(str(k))[0] != highspy.HighsStatus.kOk:
            found.append(
                OptionProblem(
                    str(k),
                    f"HiGHS has no option '{k}'{did_you_mean(str(k), known)}",
                    "use a HiGHS option name (https://ergo-code.github.io/HiGHS/stable/options/definitions/)",
                )
            )
        elif (
            isinstance(v, (dict, list)) or v is None or h.setOptionValue(str(k), v) != highspy.HighsStatus.kOk
        ):
            found.append(
                OptionProblem(
                    str(k),
                    f"HiGHS rejects the value {v!r}",
                    "give a value of the option's type and range (see the HiGHS option list)",
                )
            )
    return found


def _to_highs_lp(lp: LinearProgram) -> highspy.HighsLp:
    inf = highspy.kHighsInf
    h = highspy.HighsLp()
    h.num_col_ = lp.n_cols
    h.num_row_ = lp.n_rows
    h.col_cost_ = np.asarray(lp.c, dtype=np.float64)
    h.col_lower_ = np.where(np.isfinite(lp.lb), lp.lb, -inf)
    h.col_upper_ = np.where(np.isfinite(lp.ub), lp.ub, inf)
    h.row_lower_ = np.where(np.isfinite(lp.row_lb), lp.row_lb, -inf)
    h.row_upper_ = np.where(np.isfinite(lp.row_ub), lp.row_ub, inf)
    h.sense_ = highspy.ObjSense.kMaximize if lp.sense == "max" else highspy.ObjSense.kMinimize
    csc = lp.A.tocsc()
    csc.sort_indices()
    h.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    h.a_matrix_.start_ = csc.indptr.astype(np.int32)
    h.a_matrix_.index_ = csc.indices.astype(np.int32)
    h.a_matrix_.value_ = csc.data.astype(np.float64)
    h.a_matrix_.num_col_ = lp.n_cols
    h.a_matrix_.num_row_ = lp.n_rows
    if lp.integer.any():
        h.integrality_ = [
            highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous for i in lp.integer
        ]
    return h


def _reporter(progress: ProgressCallback, sense: str, every_s: float = 1.0) -> Any:
    """A HiGHS MIP callback that reports the incumbent, bound and gap at most every ``every_s``."""
    last = [-every_s]

    def report(e: Any) -> None:
        out = e.data_out
        if out.running_time - last[0] < every_s:
            return
        last[0] = out.running_time
        inc, bnd = float(out.mip_primal_bound), float(out.mip_dual_bound)
        inc_v = inc if np.isfinite(inc) else None
        bnd_v = bnd if np.isfinite(bnd) else None
        progress(Progress("solving", float(out.running_time), inc_v, bnd_v, relative_gap(inc_v, bnd_v)))

    return report


def _lp_bound(h: highspy.Highs, lp: LinearProgram, obj: float | None, optimal: bool) -> float | None:
    """An LP's bound: its value when solved, else what its row prices prove (a stopped dual simplex
    keeps dual-feasible prices), else none; never the value of a merely feasible point."""
    if optimal:
        return obj
    sol = h.getSolution()
    if not sol.dual_valid or len(sol.row_dual) != lp.n_rows:
        return None
    return lp.dual_bound(np.asarray(sol.row_dual, dtype=float))


class HighsBackend:
    """HiGHS via highspy. Defaults: interior point for the MIP's LPs (much faster on covering models).

    Time: HiGHS gets the time left before the deadline as its ``time_limit``; a watchdog interrupts it
    :data:`~optimizer.deadline.GRACE_S` later if it has not returned (some presolve steps look at the
    clock rarely)."""

    name = "highs"

    def _configure(
        self, h: highspy.Highs, config: SolverConfig, time_limit: float, abs_gap: float | None, nnz: int
    ) -> str:
        h.setOptionValue("time_limit", float(time_limit))
        h.setOptionValue("mip_rel_gap", float(config.mip_gap))
        if abs_gap is not None:
            h.setOptionValue("mip_abs_gap", float(abs_gap))
        _use_threads(int(config.threads))
        h.setOptionValue("threads", int(config.threads))
        h.setOptionValue("random_seed", 0)
        defaults = dict(DEFAULT_OPTIONS)
        if nnz > PRESOLVE_MAX_NNZ:
            defaults["presolve"] = "off"
        for k, v in {**defaults, **config.options}.items():
            if h.setOptionValue(k, v) != highspy.HighsStatus.kOk:
                return f"HiGHS rejected option {k}={v!r}"
        return ""

    def solve(
        self,
        lp: LinearProgram,
        config: SolverConfig,
        start: np.ndarray | None = None,
        deadline: Deadline | None = None,
        abs_gap: float | None = None,
        progress: ProgressCallback | None = None,
        on_incumbent: Callable[[np.ndarray], None] | None = None,
    ) -> Solution:
        """Solve ``lp`` by the deadline from ``start``; ``progress`` hears the incumbent and bound about
        once a second, ``on_incumbent`` every improving plan HiGHS finds (a MIP's)."""
        deadline = deadline or Deadline(config.time_limit_s)
        h = new_highs()
        error = self._configure(h, config, min(config.time_limit_s, deadline.limit()), abs_gap, lp.A.nnz)
        if error:
            return Solution(ERROR, None, None, None, None, 0.0, self.name, error)
        t0 = time.perf_counter()
        h.passModel(_to_highs_lp(lp))
        if start is not None:
            sol = highspy.HighsSolution()
            sol.col_value = np.asarray(start, dtype=float)
            sol.value_valid = True
            h.setSolution(sol)
        if progress is not None:
            h.cbMipInterrupt.subscribe(_reporter(progress, lp.sense))
        if on_incumbent is not None:
            h.cbMipImprovingSolution.subscribe(lambda e: on_incumbent(np.array(e.data_out.mip_solution)))
        run_watched(h, deadline.limit())
        return self._read(h, lp, time.perf_counter() - t0)

    def _read(self, h: highspy.Highs, lp: LinearProgram, seconds: float) -> Solution:
        ms = h.getModelStatus()
        info = h.getInfo()
        S = highspy.HighsModelStatus
        has = info.primal_solution_status == 2  # kSolutionStatusFeasible
        values = np.asarray(h.getSolution().col_value, dtype=float) if has else None
        obj = float(info.objective_function_value) if has else None
        is_mip = bool(lp.integer.any())
        bound = float(info.mip_dual_bound) if is_mip else _lp_bound(h, lp, obj, ms == S.kOptimal)
        if bound is not None and not np.isfinite(bound):
            bound = None
        if ms == S.kOptimal:
            status = OPTIMAL
        elif ms in (S.kInfeasible, S.kUnboundedOrInfeasible):
            status, values, obj = INFEASIBLE, None, None
        elif has:
            status = FEASIBLE
        elif ms in (S.kTimeLimit, S.kIterationLimit, S.kInterrupt, S.kSolutionLimit):
            status = NO_SOLUTION  # the bound, when HiGHS has one, is kept for the caller
        else:
            status = ERROR
        if status not in (OPTIMAL, FEASIBLE, NO_SOLUTION):
            bound = None
        gap = relative_gap(obj, bound) if status in (OPTIMAL, FEASIBLE) else None
        return Solution(status, values, obj, bound, gap, seconds, self.name, h.modelStatusToString(ms))
