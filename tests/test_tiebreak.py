"""The tie-break (least public money among plans of maximum coverage): both methods pick the cheapest plan
of maximum coverage, the weighted method's weight never trades a person for money, a stopped weighted
solve is never called optimal, and without a quantum the two stages run."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from builders import make_scenario

import optimizer as qh
from optimizer.heuristic import is_feasible, plan_values
from optimizer.outcome import Solution, Status
from optimizer.reach import compute_reach
from optimizer.solve import as_placed, objective_quantum
from optimizer.synthetic import synthetic_city
from optimizer.tiebreak import Weighting, money_bound, weighted_outcome

CONV = "convenience_store"
METHODS = ("weighted", "two_stage")


def _site(sid: str, fitout: float) -> dict:
    return {"id": sid, "floor_area_m2": 200, "rent_yuan_per_m2_month": 100, "fitout_yuan": fitout}


def _solve(sc: qh.Scenario, method: str, **solver) -> qh.Result:
    return qh.solve(sc.with_config(objective={"tie_break_method": method}), solver=solver or None)


def _placed(res: qh.Result) -> set[str]:
    return set(res.placements["site_id"])


def _money(res: qh.Result) -> float:
    assert res.values is not None
    return float(res.model.money @ res.values)


@pytest.mark.parametrize("method", METHODS)
def test_equal_coverage_takes_the_cheaper_plan(method) -> None:
    # Three sites each cover A alone; one can open (capital): the cheapest is s2.
    sites = [_site("s1", 200_000), _site("s2", 100_000), _site("s3", 120_000)]
    m = {("A", "s1"): 1, ("A", "s2"): 1, ("A", "s3"): 1}
    sc = make_scenario(
        [{"id": "A", "population": 1000}], sites, m, formats=[CONV], budget={"capital_yuan": 1e6}
    )
    res = _solve(sc, method)
    assert _placed(res) == {"s2"}
    s = res.summary()
    assert s["tie_break_method"] == method
    assert s["tie_break_status"] == "optimal"
    assert s["budget"]["capital_yuan_used"] == pytest.approx(100_000)


@pytest.mark.parametrize("method", METHODS)
def test_two_plans_of_equal_coverage_and_different_money(method) -> None:
    # Either {s1} or {s2, s3} covers A and B (2,000 people); {s1} costs 150,000, the pair 2 x 60,000.
    sites = [_site("s1", 150_000), _site("s2", 60_000), _site("s3", 60_000)]
    m = {("A", "s1"): 1, ("B", "s1"): 1, ("A", "s2"): 1, ("B", "s3"): 1}
    res_ = [{"id": "A", "population": 1000}, {"id": "B", "population": 1000}]
    sc = make_scenario(res_, sites, m, formats=[CONV], budget={"capital_yuan": 300_000})
    res = _solve(sc, method)
    assert res.objective == pytest.approx(2000)
    assert _placed(res) == {"s2", "s3"} and _money(res) == pytest.approx(120_000)


def test_a_cheaper_plan_one_person_short_never_wins() -> None:
    # s1 covers A (1,000) and B (1 person) for the whole budget; s2 covers A alone for a tenth of it.
    # One site fits the budget. The safe weight keeps the plan of one more person, however much dearer.
    sites = [_site("s1", 1_000_000), _site("s2", 100_000)]
    m = {("A", "s1"): 1, ("B", "s1"): 1, ("A", "s2"): 1}
    res_ = [{"id": "A", "population": 1000}, {"id": "B", "population": 1}]
    sc = make_scenario(
        res_, sites, m, formats=[CONV], budget={"capital_yuan": 1_000_000, "rent_subsidy_yuan_per_year": 0}
    )
    res = _solve(sc, "weighted")
    assert res.quantum == 1.0 and res.tie_break is not None and res.tie_break.method == "weighted"
    assert res.objective == pytest.approx(1001)
    assert _placed(res) == {"s1"}
    assert res.tie_break.coverage_exact


def test_the_safe_weight_keeps_any_plan_money_under_a_quarter_quantum() -> None:
    sc = synthetic_city(200, 30, seed=4, size_km=1.0)
    res = qh.solve(sc.with_config(objective={"tie_break": "none"}))
    w = Weighting(1.0, money_bound(res.model))
    assert w.eps * w.money_bound == pytest.approx(0.25)
    assert w.money_bound >= _money(res) and np.isfinite(w.money_bound)


# ------------------------------------------------------------------ brute force over every plan
def _brute_force(sc: qh.Scenario) -> tuple[float, float, int]:
    """The lexicographic optimum over every subset of the model's (site, format) pairs: (coverage,
    money, number of feasible plans)."""
    reach = compute_reach(sc)
    model = qh.solve(sc.with_config(objective={"tie_break": "none"}), reach=reach).model
    n = len(model.x)
    best: tuple[float, float] | None = None
    feasible = 0
    for bits in itertools.product((False, True), repeat=n):
        v = plan_values(sc, reach, model, np.array(bits, dtype=bool))
        if not is_feasible(model, v):
            continue
        feasible += 1
        key = (float(model.lp.c @ v), -float(model.money @ v))
        if best is None or key[0] > best[0] + 1e-6 or (abs(key[0] - best[0]) <= 1e-6 and key[1] > best[1]):
            best = key
    assert best is not None
    return best[0], -best[1], feasible


def _small_city(seed: int) -> qh.Scenario:
    """Residences that several sites reach, sites of different fit-out: many plans of equal coverage."""
    rng = np.random.default_rng(seed)
    residences = [
        {"id": f"r{i}", "population": int(rng.integers(1, 40))} for i in range(int(rng.integers(3, 7)))
    ]
    sites = [_site(f"s{j}", 10_000 * int(rng.integers(5, 21))) for j in range(int(rng.integers(3, 6)))]
    minutes = {(r["id"], s["id"]): float(rng.choice([1, 30])) for r in residences for s in sites}
    return make_scenario(
        residences,
        sites,
        minutes,
        formats=[CONV, "pharmacy"],
        budget={"capital_yuan": 10_000 * int(rng.integers(10, 60)), "rent_subsidy_yuan_per_year": 0},
    )


@pytest.mark.parametrize("seed", range(10))
def test_both_methods_match_the_brute_force_lexicographic_optimum(seed) -> None:
    sc = _small_city(seed)
    reach = compute_reach(sc)
    n = len(qh.solve(sc.with_config(objective={"tie_break": "none"}), reach=reach).model.x)
    if n > 10:
        pytest.skip(f"{n} pairs: too many to enumerate")
    coverage, money, plans = _brute_force(sc)
    assert plans >= 1
    for method in METHODS:
        res = qh.solve(sc.with_config(objective={"tie_break_method": method}), reach=reach)
        assert res.objective == pytest.approx(coverage, abs=1e-6), method
        assert _money(res) == pytest.approx(money, abs=1.0), method
        if res.quantum is not None:
            assert res.summary()["tie_break_method"] == method


# ------------------------------------------------------------------ no quantum: the two stages run
def test_without_a_quantum_weighted_falls_back_to_two_stages() -> None:
    sites = [_site("s1", 200_000), _site("s2", 100_000)]
    m = {("A", "s1"): 1, ("A", "s2"): 1}
    res_ = [{"id": "A", "population": 1000.123456789, "old_neighbourhood": True}]
    sc = make_scenario(
        res_, sites, m, formats=[CONV], budget={"capital_yuan": 1e6}, priority={"old_neighbourhood": np.pi}
    )
    res = _solve(sc, "weighted")
    assert objective_quantum(res.model.lp.c) is None and res.quantum is None
    s = res.summary()
    assert s["tie_break_method"] == "two_stage"
    assert "no quantum" in s["tie_break_proof"]
    assert _placed(res) == {"s2"}


# ------------------------------------------------------------------ what a stopped solve proves
@pytest.fixture(scope="module")
def solved() -> qh.Result:
    return qh.solve(synthetic_city(200, 30, seed=4, size_km=1.0))


def _read(res: qh.Result, status: Status, slack: float) -> tuple[Solution, Solution | None, object]:
    """weighted_outcome on the result's own plan, as if the solver had stopped ``slack`` below its bound."""
    model, q = res.model, res.quantum
    assert q is not None and res.values is not None
    w = Weighting(q, money_bound(model))
    f = float(model.lp.c @ res.values - w.eps * model.money @ res.values)
    raw = Solution(status, res.values, f, f + slack, None, 1.0, "highs", "Time limit reached")

    def place(sol: Solution, money: bool) -> Solution:
        return as_placed(res.scenario, res.reach, model, sol, money)

    return weighted_outcome(w, model, raw, place)


def test_a_time_limited_weighted_solve_is_never_optimal(solved) -> None:
    first, second, tie = _read(solved, Status.FEASIBLE, 0.0)
    assert second is not None and second.status == Status.FEASIBLE
    assert tie.status == "feasible" and "solver stopped" in tie.text
    assert first.status == Status.FEASIBLE


def test_a_gap_under_three_quarters_of_a_quantum_proves_coverage(solved) -> None:
    q = solved.quantum
    first, second, tie = _read(solved, Status.OPTIMAL, 0.5 * q)
    assert tie.coverage_exact and tie.status == "optimal"
    assert first.bound == pytest.approx(first.objective)
    within = tie.money_within
    assert within == pytest.approx(0.5 * q * 4 * money_bound(solved.model) / q)
    assert tie.text.startswith("weighted: coverage exact, money within")
    assert second is not None and second.bound == pytest.approx(max(0.0, second.objective - within))


def test_a_gap_of_a_quantum_proves_nothing_and_bounds_coverage(solved) -> None:
    q = solved.quantum
    first, _, tie = _read(solved, Status.OPTIMAL, q)
    assert not tie.coverage_exact and tie.money_within is None and tie.status == "feasible"
    w = Weighting(q, money_bound(solved.model))
    money = _money(solved)
    expected = first.objective - w.eps * money + q + w.eps * w.money_bound
    assert first.bound == pytest.approx(expected)
    assert "not proven" in tie.text


def test_a_real_time_limited_weighted_run_is_not_called_optimal() -> None:
    sc = synthetic_city(2000, 300, seed=2, budget={"capital_yuan": 3_000_000})
    res = _solve(sc, "weighted", time_limit_s=1.0)
    s = res.summary()
    if res.status == "optimal":
        pytest.skip("solved within one second on this machine")
    assert s["tie_break_status"] != "optimal"
    assert not s["optimality"]["text"].startswith("optimal")
    assert s["tie_break_proof"].startswith("weighted")


def test_the_summary_says_which_method_ran() -> None:
    sc = synthetic_city(200, 30, seed=4, size_km=1.0)
    none = qh.solve(sc.with_config(objective={"tie_break": "none"})).summary()
    assert none["tie_break_method"] is None and none["tie_break_status"] is None
    two = _solve(sc, "two_stage").summary()
    assert two["tie_break_method"] == "two_stage" and two["tie_break_proof"].startswith("two_stage: ")
    one = _solve(sc, "weighted").summary()
    assert one["tie_break_method"] == "weighted"
    assert one["objective"] == pytest.approx(two["objective"])
