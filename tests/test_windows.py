"""Windows: a plan re-optimised one neighbourhood at a time stays feasible, never loses value, and a
window holding every pair is the whole MIP."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy.sparse.csgraph import connected_components

import optimizer as qh
from optimizer.backends.highs import HighsBackend
from optimizer.config import SolverConfig
from optimizer.deadline import Deadline
from optimizer.decompose import Windows, improve_by_windows
from optimizer.decompose.regions import local_rows
from optimizer.heuristic import greedy_start
from optimizer.model import COVER, build_model, families_with_role, shared_blocks
from optimizer.outcome import Solution, Status
from optimizer.reach import compute_reach
from optimizer.synthetic import synthetic_city


def _model(n_res: int, n_sites: int, seed: int, **cfg):
    sc = synthetic_city(
        n_res,
        n_sites,
        formats=("convenience_store", "pharmacy", "laundry"),
        seed=seed,
        max_formats=(1, 2, float("nan")),
        **cfg,
    )
    reach = compute_reach(sc)
    m = build_model(sc, reach)
    return sc, reach, m


def _solve_window(sub, start, limit):
    return HighsBackend().solve(
        sub, SolverConfig(time_limit_s=limit, mip_gap=0.0), start=start, deadline=Deadline(limit)
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_window_is_the_plan_with_its_neighbourhood_set_free(seed: int) -> None:
    sc, reach, m = _model(600, 120, seed, budget={"capital_yuan": 1_500_000})
    lp, plan = m.lp, greedy_start(sc, reach, m)
    win = Windows(lp, shared_blocks())
    rng = np.random.default_rng(seed)
    for _ in range(5):
        window = win.grow(int(rng.integers(len(win.ints))), 40)
        assert 1 <= len(window) <= 40
        free = win.free_columns(window)
        sub, rows = win.sub_lp(free, plan)
        fixed = np.ones(lp.n_cols, dtype=bool)
        fixed[free] = False
        # the plan restricted to the window meets the window's rows, with the same value split in two
        assert sub.is_feasible(plan[free])
        assert float(sub.c @ plan[free]) + float(lp.c[fixed] @ plan[fixed]) == pytest.approx(
            float(lp.c @ plan)
        )
        # no row left out touches a free column
        touching = np.unique(lp.A[:, free].tocoo().row)
        assert set(touching.tolist()) == set(rows.tolist())
        # the window's optimum, put back, is a feasible plan of exactly that value
        sol = _solve_window(sub, plan[free], 30)
        assert str(sol.status) == "optimal"
        spliced = plan.copy()
        spliced[free] = sol.values
        assert lp.is_feasible(spliced)
        assert float(lp.c @ spliced) == pytest.approx(float(lp.c[fixed] @ plan[fixed]) + sol.objective)
        assert sol.objective >= float(sub.c @ plan[free]) - 1e-6


def test_the_engines_windows_are_solved_without_presolve_to_the_same_optimum(monkeypatch) -> None:
    from optimizer.solve import window_solver

    sc, reach, m = _model(600, 120, 5, budget={"capital_yuan": 1_500_000})
    lp, plan = m.lp, greedy_start(sc, reach, m)
    win = Windows(lp, shared_blocks())
    through = lp.row_mask(families_with_role(COVER))
    options: list[dict] = []
    real = HighsBackend.solve

    def recording(self, sub, config, **kw):
        options.append(dict(config.options))
        return real(self, sub, config, **kw)

    engine = window_solver()
    rng = np.random.default_rng(5)
    for k in range(6):
        window = win.grow(int(rng.integers(len(win.ints))), 40, through if k % 2 else None)
        free = win.free_columns(window)
        sub, _ = win.sub_lp(free, plan)
        reference = _solve_window(sub, plan[free], 30)  # HiGHS's own presolve on (a small model)
        with monkeypatch.context() as mp:
            mp.setattr(HighsBackend, "solve", recording)
            sol = engine(sub, plan[free], 30)
        assert str(sol.status) == str(reference.status) == "optimal"
        assert sol.objective == pytest.approx(reference.objective, abs=1e-6)
    assert options == [{"presolve": "off"}] * 6


def test_a_window_holding_every_pair_finds_the_optimum() -> None:
    sc, reach, m = _model(300, 50, 4, budget={"capital_yuan": 800_000})
    exact = HighsBackend().solve(m.lp, SolverConfig(mip_gap=0.0))
    assert str(exact.status) == "optimal"
    plan = greedy_start(sc, reach, m)
    better, stats = improve_by_windows(m.lp, plan, shared_blocks(), _solve_window, 30.0, size=len(m.x))
    assert float(m.lp.c @ better) == pytest.approx(exact.objective)
    assert stats.values[0] == pytest.approx(float(m.lp.c @ plan))
    # a sweep that improves nothing ends the search before its time is up: one window per connected
    # part of the pairs (formats join only through rows per site), at most twice over
    B = abs(m.lp.A[local_rows(m.lp, shared_blocks())][:, m.lp.integer])  # local rows x pairs
    parts = connected_components(B.T @ B, directed=False)[0]
    assert stats.windows <= 2 * parts


def test_a_narrow_window_holds_one_formats_pairs_over_a_wider_area() -> None:
    sc, reach, m = _model(600, 120, 3, budget={"capital_yuan": 1_500_000})
    lp = m.lp
    win = Windows(lp, shared_blocks())
    through = lp.row_mask(families_with_role(COVER))
    fmt = m.x["format"].astype(str).to_numpy()[win.ints - lp.cols("x").start]
    sites = m.x["site_id"].astype(str).to_numpy()[win.ints - lp.cols("x").start]
    for seed in (0, 7, 50, 200):
        narrow, wide = win.grow(seed, 40, through), win.grow(seed, 40)
        assert set(fmt[narrow]) == {fmt[seed]} and len(set(fmt[wide])) > 1
        assert len(set(sites[narrow])) > len(set(sites[wide]))


class _Enough(Exception):
    pass


@pytest.mark.parametrize(
    ("share", "paired", "pattern"),
    [
        (0.0, 0.0, "wwwwww"),
        (0.5, 0.0, "wnwnwn"),
        (0.25, 0.0, "wwwnww"),
        (1.0, 0.0, "nnnnnn"),
        (1.0, 0.5, "nhhnhh"),  # h: one of a paired window's two halves
        (0.5, 1.0, "whhwhh"),
    ],
)
def test_the_narrow_and_paired_shares_decide_which_windows_are_narrow(
    share: float, paired: float, pattern: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sc, reach, m = _model(600, 120, 3, budget={"capital_yuan": 1_500_000})
    plan = greedy_start(sc, reach, m)
    kinds: list[str] = []
    grow = Windows.grow

    def recording(self, seed, size, through=None, allowed=None):  # type: ignore[no-untyped-def]
        kinds.append("w" if through is None else "n" if size == 30 else "h")
        if through is not None:  # seeded at a pair of the plan (both halves)
            assert plan[self.ints[seed]] > 0.5
        return grow(self, seed, size, through, allowed)

    def solve_window(sub, start, limit):  # type: ignore[no-untyped-def]
        if len(kinds) == len(pattern):
            raise _Enough
        return Solution(Status.NO_SOLUTION, None, None, None, None, 0.0, "highs")  # the plan stays

    monkeypatch.setattr(Windows, "grow", recording)
    with pytest.raises(_Enough):
        improve_by_windows(
            m.lp,
            plan,
            shared_blocks(),
            solve_window,
            60.0,
            size=30,
            narrow_blocks=families_with_role(COVER),
            narrow_share=share,
            paired_share=paired,
        )
    assert "".join(kinds) == pattern


@pytest.mark.parametrize("narrow", [(), families_with_role(COVER)])
def test_windows_never_lose_value_and_keep_every_row(narrow: tuple[str, ...]) -> None:
    sc, reach, m = _model(1500, 250, 5, budget={"capital_yuan": 2_000_000})
    plan = greedy_start(sc, reach, m)
    better, stats = improve_by_windows(
        m.lp, plan, shared_blocks(), _solve_window, 8.0, size=60, narrow_blocks=narrow
    )
    assert stats.windows >= 2
    assert all(b >= a - 1e-6 for a, b in zip(stats.values, stats.values[1:], strict=False))
    assert m.lp.is_feasible(better)
    assert float(m.lp.c @ better) == pytest.approx(stats.values[-1])
    assert stats.values[-1] >= stats.values[0]
    assert np.array_equal(better[m.lp.integer], np.round(better[m.lp.integer]))


def test_the_quick_answer_improves_its_plan_by_windows(monkeypatch) -> None:
    sc = synthetic_city(
        1500, 250, seed=5, budget={"capital_yuan": 2_000_000}, objective={"tie_break": "none"}
    )
    solve_mod = __import__("importlib").import_module("optimizer.solve")
    seen: list = []
    real = solve_mod.improve_by_windows

    def recording(*args, **kw):
        out = real(*args, **kw)
        seen.append(out[1])
        return out

    monkeypatch.setattr(solve_mod, "improve_by_windows", recording)
    res = qh.solve(sc, solver={"name": "heuristic", "time_limit_s": 10.0})
    assert len(seen) == 1 and seen[0].windows >= 1
    assert res.summary()["status"] == "feasible"
    assert res.objective == pytest.approx(seen[0].values[-1])


def test_windows_before_the_mip_use_the_runs_thread_count(monkeypatch) -> None:
    # HiGHS keeps one thread scheduler per process: windows solved with another thread count than the
    # MIP after them would make the MIP fail. A large-model run (forced here) with one thread, after a
    # run with two, stays exact.
    sc = synthetic_city(400, 80, seed=6, budget={"capital_yuan": 1_000_000}, objective={"tie_break": "none"})
    assert qh.solve(sc, solver={"name": "highs", "threads": 2}).summary()["status"] == "optimal"
    solve_mod = __import__("importlib").import_module("optimizer.solve")
    monkeypatch.setattr(solve_mod, "LOCAL_SEARCH_MIN_NNZ", 1)  # as if it were a district
    res = qh.solve(sc, solver={"name": "highs", "threads": 1, "time_limit_s": 60.0})
    assert res.summary()["status"] == "optimal"
    assert qh.solve(sc, solver={"name": "highs", "threads": 2}).summary()["status"] == "optimal"


def _two_pairs_one_budget():
    """Two sites, each with two pairs of which it takes one (a local row per site); the second pair of
    each is worth more and costs 1 of a capital budget of 1. The plan: the first pair at each site."""
    import scipy.sparse as sp

    from optimizer.lp import LinearProgram

    A = sp.csr_array(np.array([[1.0, 1.0, 0, 0], [0, 0, 1.0, 1.0], [0, 1.0, 0, 1.0]]))
    lp = LinearProgram(
        "max",
        np.array([1.0, 3.0, 1.0, 2.0]),
        np.zeros(4),
        np.ones(4),
        np.ones(4, dtype=bool),
        A,
        np.array([-np.inf, -np.inf, -np.inf]),
        np.array([1.0, 1.0, 1.0]),
        col_blocks={"x": slice(0, 4)},
        row_blocks={"site": slice(0, 2), "capital": slice(2, 3)},
    )
    return lp, np.array([1.0, 0.0, 1.0, 0.0])


def test_a_window_answered_after_another_that_spent_the_budget_is_refused() -> None:
    import threading

    lp, plan = _two_pairs_one_budget()
    first_taken = threading.Event()  # set once the plan has taken the first window's answer
    answered: list[float] = []  # each window's gain

    def solve_window(sub, start, limit):  # type: ignore[no-untyped-def]
        if 3.0 not in sub.c:  # the second site's window (gains 1) answers after the first is taken
            assert first_taken.wait(10)
        sol = _solve_window(sub, start, limit)
        answered.append(float(sub.c @ sol.values) - float(sub.c @ start))
        return sol

    better, stats = improve_by_windows(
        lp, plan, shared_blocks(), solve_window, 30.0, size=2, workers=2, progress=lambda p: first_taken.set()
    )
    # both windows were cut from the first plan and each spends the whole budget: the first answer
    # (gain 2) goes in, the second (gain 1) no longer fits and is refused
    assert answered.count(2.0) == 1 and answered.count(1.0) == 1  # (later windows find nothing)
    assert stats.values == [2.0, 4.0] and stats.improved == 1
    assert np.array_equal(better, [0.0, 1.0, 1.0, 0.0]) and lp.is_feasible(better)


def test_two_windows_that_fit_the_budget_together_both_go_in() -> None:
    lp, plan = _two_pairs_one_budget()
    lp = replace(lp, row_ub=np.array([1.0, 1.0, 2.0]))  # room for both dearer pairs
    better, stats = improve_by_windows(lp, plan, shared_blocks(), _solve_window, 30.0, size=2, workers=2)
    assert stats.values[0] == 2.0 and stats.values[-1] == 5.0 and stats.improved == 2
    assert np.array_equal(better, [0.0, 1.0, 0.0, 1.0])


@pytest.mark.parametrize("workers", [1, 2])
def test_windows_on_two_threads_never_lose_value_and_keep_every_row(workers: int) -> None:
    sc, reach, m = _model(1500, 250, 5, budget={"capital_yuan": 2_000_000})
    plan = greedy_start(sc, reach, m)
    lp_bound = HighsBackend().solve(replace(m.lp, integer=np.zeros(m.lp.n_cols, dtype=bool)), SolverConfig())
    better, stats = improve_by_windows(
        m.lp,
        plan,
        shared_blocks(),
        _solve_window,
        6.0,
        size=60,
        narrow_blocks=families_with_role(COVER),
        workers=workers,
    )
    assert stats.windows >= 4
    assert all(b >= a - 1e-6 for a, b in zip(stats.values, stats.values[1:], strict=False))
    assert m.lp.is_feasible(better) and float(m.lp.c @ better) == pytest.approx(stats.values[-1])
    assert stats.values[0] < stats.values[-1] <= lp_bound.objective + 1e-6


def _money_far_apart():
    """Pair a at one place covers a unit worth 1; pairs b and b2 of another format elsewhere cover units
    worth 5 each (and share one worth 0.1, which links them through a cover row). The capital budget
    pays for two pairs; the plan has a and b (6.1), the optimum b and b2 (10.1)."""
    import scipy.sparse as sp

    from optimizer.lp import LinearProgram

    # columns: x_a, x_b, x_b2, y_a, y_b, y_b2, y_shared
    A = sp.csr_array(
        np.array(
            [
                [-1.0, 0, 0, 1, 0, 0, 0],
                [0, -1.0, 0, 0, 1, 0, 0],
                [0, 0, -1.0, 0, 0, 1, 0],
                [0, -1.0, -1.0, 0, 0, 0, 1],
                [1.0, 1.0, 1.0, 0, 0, 0, 0],
            ]
        )
    )
    lp = LinearProgram(
        "max",
        np.array([0, 0, 0, 1.0, 5.0, 5.0, 0.1]),
        np.zeros(7),
        np.ones(7),
        np.array([True, True, True, False, False, False, False]),
        A,
        np.full(5, -np.inf),
        np.array([0, 0, 0, 0, 2.0]),
        col_blocks={"x": slice(0, 3), "y": slice(3, 7)},
        row_blocks={"cover": slice(0, 4), "capital": slice(4, 5)},
    )
    return lp, np.array([1.0, 1.0, 0, 1.0, 1.0, 0, 1.0])


@pytest.mark.parametrize(("paired", "value"), [(0.0, 6.1), (1.0, 10.1), (None, 10.1)])
def test_a_paired_window_moves_money_between_places_far_apart(paired: float | None, value: float) -> None:
    lp, plan = _money_far_apart()
    assert lp.is_feasible(plan)
    better, stats = improve_by_windows(
        lp,
        plan,
        ("capital",),
        _solve_window,
        30.0,
        size=4,
        narrow_blocks=("cover",),
        narrow_share=1.0,
        paired_share=paired,
    )
    # no window around one place can close a and open b2 (the budget leaves it no room); a window of
    # two halves, one around a and one around b, can
    assert float(lp.c @ better) == pytest.approx(value) and lp.is_feasible(better)
    assert stats.improved == (paired != 0.0)  # None: the search decides, and tries both kinds first
    if paired != 0.0:
        assert np.array_equal(better[:3], [0.0, 1.0, 1.0])


def test_the_kind_that_added_more_per_second_cuts_most_narrow_windows() -> None:
    from optimizer.decompose.windows import _Rates

    rates = _Rates(decay=1.0, explore=5, tries=2)
    first = [rates.paired_next() for _ in range(4)]
    assert first == [False, True, False, True]  # both kinds tried in turn
    for _ in range(2):
        rates.add("narrow", 10.0, 1.0)
        rates.add("paired", 30.0, 1.0)  # paired: 30 per second against 10
    rates.add("wide", 1e9, 1.0)  # wide windows do not count
    picks = [rates.paired_next() for _ in range(10)]
    assert picks.count(True) == 8 and picks.count(False) == 2  # every fifth: the other kind
    for _ in range(3):
        rates.add("narrow", 100.0, 1.0)  # now in one piece adds more per second
    assert [rates.paired_next() for _ in range(5)].count(False) == 4


def test_a_window_grows_only_to_the_allowed_pairs() -> None:
    sc, reach, m = _model(600, 120, 3, budget={"capital_yuan": 1_500_000})
    win = Windows(m.lp, shared_blocks())
    allowed = np.random.default_rng(0).random(len(win.ints)) < 0.3
    for seed in (0, 7, 50, 200):
        free, kept = win.grow(seed, 40), win.grow(seed, 40, allowed=allowed)
        assert set(kept) <= set(np.flatnonzero(allowed)) | {seed} and 1 < len(kept) <= 40
        assert not set(free) <= set(np.flatnonzero(allowed)) | {seed}  # the mask did the choosing


@pytest.mark.parametrize("known", [True, False])
def test_stalled_windows_follow_the_relaxation_when_its_values_come(known: bool, monkeypatch) -> None:
    from optimizer.backends.relaxation import relaxation_bound

    sc, reach, m = _model(300, 60, 2, budget={"capital_yuan": 600_000})
    lp_values = relaxation_bound(m.lp, Deadline(30)).values
    assert lp_values is not None
    waits: list[float] = []

    def guide(wait: float) -> np.ndarray | None:
        waits.append(wait)
        return lp_values if known else None

    grown: list[tuple[np.ndarray, np.ndarray | None]] = []
    real_grow = Windows.grow

    def recording(self, seed, size, through=None, allowed=None):  # type: ignore[no-untyped-def]
        out = real_grow(self, seed, size, through, allowed)
        grown.append((out, None if allowed is None else allowed | (np.arange(len(allowed)) == seed)))
        return out

    monkeypatch.setattr(Windows, "grow", recording)
    plan = greedy_start(sc, reach, m)
    better, stats = improve_by_windows(
        m.lp,
        plan,
        shared_blocks(),
        _solve_window,
        60.0,
        size=30,
        narrow_blocks=families_with_role(COVER),
        guide=guide,
    )
    # the guide is asked once, when a sweep improves nothing, with the time left to wait for it
    assert len(waits) == 1 and 0 < waits[0] < 60
    assert m.lp.is_feasible(better) and float(m.lp.c @ better) == pytest.approx(stats.values[-1])
    if not known:  # no values: the search ends there, as without a guide
        assert stats.guided == 0 and all(a is None for _, a in grown)
        return
    support = lp_values[Windows(m.lp, shared_blocks()).ints] > 1e-6
    guided = [(w, a) for w, a in grown if a is not None]
    assert stats.guided >= 1 and len(guided) >= stats.guided
    for w, a in guided:  # grown within the relaxation's pairs, the plan's and the seed: most others out
        assert a[w].all() and a[support].all() and (a & ~support).sum() < (~support).sum() / 2
