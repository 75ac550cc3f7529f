"""The LinearProgram's own arithmetic: the layout of named blocks and the bound from any row prices."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp

from optimizer.backends.highs import _to_highs_lp, new_highs
from optimizer.lp import INF, Constraints, LPBuilder, Term
from optimizer.model import build_model
from optimizer.reach import compute_reach
from optimizer.synthetic import synthetic_city


def small_lp():
    """max 3a + 2b  s.t.  a + b <= 4,  a + 3b >= 2 (a lower limit),  a <= 3;  0 <= a, b <= 10.
    Optimum a = 3, b = 1: 11."""
    b = LPBuilder()
    b.add_variables("v", 2, cost=np.array([3.0, 2.0]), ub=np.array([10.0, 10.0]))
    b.add_constraints(
        Constraints(
            "sum", (Term("v", np.array([0, 0]), np.array([0, 1]), np.array([1.0, 1.0])),), [-INF], [4.0]
        )
    )
    b.add_constraints(
        Constraints(
            "low", (Term("v", np.array([0, 0]), np.array([0, 1]), np.array([1.0, 3.0])),), [2.0], [INF]
        )
    )
    b.add_constraints(
        Constraints("cap", (Term("v", np.array([0]), np.array([0]), np.array([1.0])),), [-INF], [3.0])
    )
    return b.build("max")


def test_blocks_are_laid_out_in_order() -> None:
    lp = small_lp()
    assert lp.rows("sum") == slice(0, 1) and lp.rows("low") == slice(1, 2) and lp.rows("cap") == slice(2, 3)
    assert lp.A.toarray().tolist() == [[1.0, 1.0], [1.0, 3.0], [1.0, 0.0]]
    assert lp.A.indices.dtype == np.int32  # 32-bit positions while they fit


def test_the_optimal_prices_give_the_optimum_and_any_prices_a_valid_bound() -> None:
    lp = small_lp()
    # optimal duals by hand: sum row 2, cap row 1 (3 = 2 + 1, 2 = 2): bound 2*4 + 1*3 = 11
    assert lp.dual_bound(np.array([2.0, 0.0, 1.0])) == pytest.approx(11.0)
    rng = np.random.default_rng(0)
    for _ in range(200):
        p = rng.normal(0, 3, 3)
        assert lp.dual_bound(p) >= 11.0 - 1e-9  # wrong-signed prices are moved, never trusted
    mini = replace(lp, sense="min", c=-lp.c)  # min -3a - 2b: optimum -11, bounds from below
    assert mini.dual_bound(np.array([-2.0, 0.0, -1.0])) == pytest.approx(-11.0)
    assert all(mini.dual_bound(rng.normal(0, 3, 3)) <= -11.0 + 1e-9 for _ in range(200))


def test_highs_duals_of_a_coverage_lp_give_its_optimum() -> None:
    sc = synthetic_city(300, 60, seed=1)
    m = build_model(sc, compute_reach(sc))
    lp = replace(m.lp, integer=np.zeros(m.lp.n_cols, dtype=bool))
    h = new_highs()
    h.passModel(_to_highs_lp(lp))
    h.run()
    opt = h.getInfo().objective_function_value
    y = np.asarray(h.getSolution().row_dual)
    assert lp.dual_bound(y) == pytest.approx(opt, rel=1e-7)
    assert lp.dual_bound(0.8 * y) >= opt - 1e-6


def test_a_stopped_lp_reports_only_a_bound_it_can_prove() -> None:
    from optimizer.backends.highs import HighsBackend
    from optimizer.config import SolverConfig

    sc = synthetic_city(600, 120, seed=2)
    m = build_model(sc, compute_reach(sc))
    lp = replace(m.lp, integer=np.zeros(m.lp.n_cols, dtype=bool))
    opt = HighsBackend().solve(lp, SolverConfig()).objective
    # primal simplex stopped early: a feasible point far below the optimum, which is no bound
    options = {"solver": "simplex", "simplex_strategy": 4, "simplex_iteration_limit": 50, "presolve": "off"}
    stopped = HighsBackend().solve(lp, SolverConfig(options=options))
    assert str(stopped.status) == "feasible" and stopped.objective < 0.5 * opt
    assert stopped.bound is not None and stopped.bound >= opt - 1e-6


def test_cbc_bound_lines_are_read_with_the_sign_and_rounding_of_its_log() -> None:
    from optimizer.backends.pulp_backend import _signed

    # builds print a maximisation's bound with either sign; about seven digits of it
    assert _signed(150.0, "max", 100.0) == 150.0 and _signed(-150.0, "max", 100.0) == 150.0
    assert _signed(159529.0, "max", 159529.49) == 159529.49  # the incumbent, rounded in the log
    assert _signed(-159529.0, "max", 159529.49) == 159529.49
    assert _signed(50.0, "min", 100.0) == 50.0 and _signed(-50.0, "min", -40.0) == -50.0
    assert _signed(100.0, "min", 99.9995) == 99.9995
    assert _signed(7.0, "max", None) == 7.0


def test_segment_positions_gathers_the_entries_of_the_rows_asked_for() -> None:
    from optimizer.lp import segment_positions

    A = sp.csr_array(np.array([[1.0, 0, 2], [0, 0, 0], [3, 4, 0], [0, 0, 5]]))
    pos, ptr = segment_positions(A.indptr, np.array([2, 1, 0, 3]))
    assert A.data[pos].tolist() == [3.0, 4.0, 1.0, 2.0, 5.0]
    assert A.indices[pos].tolist() == [0, 1, 0, 2, 2]
    assert ptr.tolist() == [0, 2, 2, 4, 5]  # row 1 is empty
    pos, ptr = segment_positions(A.indptr, np.array([], dtype=int))
    assert len(pos) == 0 and ptr.tolist() == [0]


@pytest.mark.parametrize("seed", range(10))
def test_row_ranges_cover_every_segment_in_slices_of_at_most_the_entries_asked(seed) -> None:
    from optimizer.lp import row_ranges

    rng = np.random.default_rng(seed)
    lengths = rng.choice([0, 0, 1, 2, 5, 40], size=int(rng.integers(0, 30)))
    ptr = np.r_[0, np.cumsum(lengths)].astype(np.int32)
    entries = int(rng.integers(1, 30))
    ranges = row_ranges(ptr, entries)
    cuts = [a for a, _ in ranges] + [len(lengths)] if ranges else [0]
    assert (
        cuts[0] == 0
        and cuts[-1] == len(lengths)
        and all(a < b for a, b in zip(cuts[:-1], cuts[1:], strict=True))
    )
    assert [b for _, b in ranges] == cuts[1:]
    nnz = int(ptr[-1])
    assert len(ranges) <= max(-(-nnz // entries), 1 if len(lengths) else 0)
    assert all(ptr[b] - ptr[a + 1] <= entries for a, b in ranges)  # beyond its first segment
