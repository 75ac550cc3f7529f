"""Windows beside one MIP (optimizer.decompose.beside): the better plan with the MIP's bound, honest
status, and no window while the MIP is near its proof."""

from __future__ import annotations

import threading

import numpy as np
import scipy.sparse as sp

from optimizer.decompose import mip_with_windows
from optimizer.decompose.beside import NOTE
from optimizer.lp import LinearProgram
from optimizer.outcome import Progress, Solution, Status

# max 3 a + 2 b + 1 c, a + b + c <= 2, binaries: optimum 5 (a, b)
LP = LinearProgram(
    "max",
    np.array([3.0, 2.0, 1.0]),
    np.zeros(3),
    np.ones(3),
    np.ones(3, dtype=bool),
    sp.csr_array(np.ones((1, 3))),
    np.array([-np.inf]),
    np.array([2.0]),
)
START = np.array([0.0, 1.0, 1.0])  # 3


def mip_answer(status: Status, values: np.ndarray, bound: float, gap: float | None = None):
    """A stand-in MIP: reports (incumbent, bound, gap) once, waits a little, returns its answer."""
    objective = float(LP.c @ values)
    gap = abs(bound - objective) / objective if gap is None else gap

    def mip(report):
        report(Progress("solving", 0.1, objective, bound, gap))
        threading.Event().wait(0.3)
        return Solution(
            status, values, objective, bound, abs(bound - objective) / objective, 0.4, "highs", "mip"
        )

    return mip


def test_a_better_plan_from_the_windows_replaces_the_mips_with_its_bound_and_an_honest_gap() -> None:
    seen: list[Progress] = []

    def improve(values, stop, report):
        report(Progress("windows", 0.2, 4.0, None, None))
        return np.array([1.0, 0.0, 1.0])  # 4

    sol = mip_with_windows(LP, START, mip_answer(Status.FEASIBLE, START, 6.0), improve, seen.append, 1e-4)
    assert sol.status == Status.FEASIBLE
    assert sol.objective == 4.0 and sol.bound == 6.0 and sol.gap == 0.5
    assert list(sol.values) == [1.0, 0.0, 1.0]
    assert sol.message == "mip" + NOTE
    windows = [p for p in seen if p.stage == "windows beside the MIP"]
    assert [(p.incumbent, p.bound, p.gap) for p in windows] == [(4.0, 6.0, 0.5)]


def test_a_windows_plan_the_mips_bound_proves_is_optimal() -> None:
    sol = mip_with_windows(
        LP,
        START,
        mip_answer(Status.FEASIBLE, START, 5.0),
        lambda v, stop, report: np.array([1.0, 1.0, 0.0]),
        lambda p: None,
        1e-4,
    )
    assert sol.status == Status.OPTIMAL and sol.objective == 5.0 and sol.gap == 0.0


def test_no_window_runs_while_the_mip_is_near_its_proof_and_a_worse_plan_never_replaces_its() -> None:
    calls: list[int] = []

    def improve(values, stop, report):
        calls.append(1)
        return np.array([0.0, 0.0, 1.0])

    near = mip_answer(Status.FEASIBLE, START, 3.02)  # gap 0.67% < 1%
    sol = mip_with_windows(LP, START, near, improve, lambda p: None, 1e-4)
    assert calls == [] and sol.objective == 3.0 and sol.message == "mip"
    wide = mip_answer(Status.FEASIBLE, START, 6.0)
    sol = mip_with_windows(LP, START, wide, improve, lambda p: None, 1e-4)
    assert calls == [1] and sol.objective == 3.0 and list(sol.values) == list(START)


def test_the_windows_stop_once_the_mip_returns_and_its_proof_stands() -> None:
    stopped: list[bool] = []

    def improve(values, stop, report):
        for _ in range(100):  # at most 10 s
            if stop():
                stopped.append(True)
                break
            threading.Event().wait(0.1)
        return np.array([1.0, 1.0, 0.0])

    optimal = np.array([1.0, 1.0, 0.0])
    sol = mip_with_windows(
        LP, START, mip_answer(Status.OPTIMAL, optimal, 5.0, gap=0.5), improve, lambda p: None, 1e-4
    )
    assert stopped == [True]
    assert sol.status == Status.OPTIMAL and sol.message == "mip"
