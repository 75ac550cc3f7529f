"""The lazy greedy picks the same plan as re-evaluating every gain at every step; the 1-swap local search
keeps every resource row and never makes the plan worse."""

from __future__ import annotations

import numpy as np
import pytest

import optimizer as qh
from optimizer.heuristic import (
    _Fit,
    _fits,
    _fits_one,
    _gains,
    _needed_subsidy,
    _resource_effect,
    credits,
    greedy_chosen,
    greedy_start,
    is_feasible,
    local_search,
    plan_values,
)
from optimizer.model import build_model
from optimizer.reach import compute_reach
from optimizer.synthetic import synthetic_city


def _credit_after(reach, key: str, cur: np.ndarray, site: int, n_sites: int) -> np.ndarray:
    """A format's credits once the pair at ``site`` opens, by a dense product (the oracle)."""
    fr = reach.formats[key]
    col = np.zeros(n_sites)
    col[site] = 1.0
    cur = np.maximum(cur, np.where(fr.full @ col > 0, 1.0, 0.0))
    if fr.partial is not None:
        cur = np.maximum(cur, np.where(fr.partial @ col > 0, fr.credit_partial, 0.0))
    return cur


def reference_greedy(scenario, reach, model, max_steps: int = 10_000) -> np.ndarray:
    """The greedy as it was first written: every pair's gain re-computed at every step."""
    x = model.x
    cur = {k: reach.formats[k].base_credit.copy() for k in scenario.formats.index}
    need = _needed_subsidy(model)
    effect, ub = _resource_effect(model, need)
    used = np.zeros(len(ub))
    money = x["fitout_yuan"].to_numpy(float) + need
    chosen = np.zeros(len(x), dtype=bool)
    for _ in range(max_steps):
        gain = _gains(scenario, reach, model, cur)
        ok = ~chosen & (gain > 1e-9) & _fits(effect, ub - used)
        if not ok.any():
            break
        best = int(np.argmax(np.where(ok, gain / (money + 1.0), -np.inf)))
        chosen[best] = True
        used += effect[:, [best]].toarray().ravel()
        key = str(x.at[best, "format"])
        cur[key] = _credit_after(reach, key, cur[key], int(x.at[best, "site_pos"]), len(scenario.sites))
    return chosen


CITIES = {
    "plain": dict(seed=1),
    "partial credit": dict(seed=2, partial_credit={"factor": 1.5, "credit": 0.5}),
    "viability and subsidy": dict(
        seed=3,
        viability={"enabled": True},
        budget={"capital_yuan": 1_500_000, "rent_subsidy_yuan_per_year": 2e5},
    ),
    "elderly, small sites": dict(seed=4, walk={"elderly_speed_m_per_s": 0.8}),
}


@pytest.fixture(scope="module", params=list(CITIES))
def city(request):
    sc = synthetic_city(400, 60, size_km=2.0, **CITIES[request.param])
    reach = compute_reach(sc)
    return sc, reach, build_model(sc, reach)


def test_lazy_greedy_picks_the_same_plan_as_full_reevaluation(city) -> None:
    sc, reach, model = city
    lazy = greedy_chosen(sc, reach, model)
    assert lazy.sum() > 0
    np.testing.assert_array_equal(lazy, reference_greedy(sc, reach, model))
    # max_steps stops both after the same placements.
    np.testing.assert_array_equal(
        greedy_chosen(sc, reach, model, max_steps=3), reference_greedy(sc, reach, model, 3)
    )
    assert is_feasible(model, greedy_start(sc, reach, model))


def test_local_search_keeps_every_row_and_never_worsens(city) -> None:
    sc, reach, model = city
    start = greedy_start(sc, reach, model)
    better = local_search(sc, reach, model, start)
    assert is_feasible(model, better)
    assert model.lp.c @ better >= model.lp.c @ start - 1e-6
    # A mask works as a start too, and the result is a consistent plan.
    chosen = better[model.lp.cols("x")] > 0.5
    np.testing.assert_allclose(better, plan_values(sc, reach, model, chosen))


def test_local_search_improves_a_poor_start_up_to_the_optimum() -> None:
    sc = synthetic_city(150, 20, size_km=1.5, seed=7, formats=("pharmacy",), budget={"capital_yuan": 400_000})
    reach = compute_reach(sc)
    model = build_model(sc, reach)
    # The poorest start: the cheapest single pair that gains anything.
    poor = np.zeros(len(model.x), dtype=bool)
    poor[int(np.argmin(model.x["fitout_yuan"].to_numpy()))] = True
    start = plan_values(sc, reach, model, poor)
    better = local_search(sc, reach, model, poor)
    assert is_feasible(model, better)
    assert model.lp.c @ better > model.lp.c @ start
    res = qh.solve(sc, reach=reach)
    assert model.lp.c @ better <= res.first.objective + 1e-6


def reference_local_search(scenario, reach, model, chosen: np.ndarray) -> np.ndarray:
    """1-swaps re-valuing everything: for each placement in turn, the best pair to open in its place
    (largest gain, then least money, then lower position), taken when it improves the plan."""
    x = model.x
    need = _needed_subsidy(model)
    effect, ub = _resource_effect(model, need)
    money = x["fitout_yuan"].to_numpy(float) + need

    def value(mask):
        return float(model.lp.c @ plan_values(scenario, reach, model, mask))

    best = value(chosen)
    improved = True
    while improved:
        improved = False
        for a in np.flatnonzero(chosen):
            without = chosen.copy()
            without[a] = False
            gain = _gains(scenario, reach, model, credits(scenario, reach, model, without))
            slack = ub - effect @ without.astype(float)
            ok = [
                p for p in range(len(x)) if not chosen[p] and gain[p] > 1e-9 and _fits_one(effect, slack, p)
            ]
            if not ok:
                continue
            b = min(ok, key=lambda p: (-gain[p], money[p], p))
            trial = without.copy()
            trial[b] = True
            v = value(trial)
            if v > best + 1e-9 * max(1.0, best):
                chosen, best, improved = trial, v, True
    return chosen


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_local_search_matches_re_valuing_everything_from_random_starts(seed) -> None:
    sc = synthetic_city(
        200,
        30,
        size_km=1.5,
        seed=seed,
        formats=("pharmacy", "breakfast"),
        partial_credit={"factor": 1.5, "credit": 0.5},
    )
    reach = compute_reach(sc)
    model = build_model(sc, reach)
    need = _needed_subsidy(model)
    effect, ub = _resource_effect(model, need)
    rng = np.random.default_rng(seed)
    start = np.zeros(len(model.x), dtype=bool)
    for p in rng.permutation(len(model.x)):  # a random plan, filled until nothing more fits
        if _fits_one(effect, ub - effect @ start.astype(float), p):
            start[p] = True
    got = local_search(sc, reach, model, start)
    want = plan_values(sc, reach, model, reference_local_search(sc, reach, model, start))
    assert model.lp.c @ got == pytest.approx(model.lp.c @ want, rel=1e-9)
    assert model.lp.c @ got > model.lp.c @ plan_values(sc, reach, model, start)


def test_every_pairs_gain_is_what_opening_it_adds_to_the_plan() -> None:
    sc = synthetic_city(300, 40, size_km=2.0, seed=5, partial_credit={"factor": 1.5, "credit": 0.5})
    reach = compute_reach(sc)
    model = build_model(sc, reach)
    rng = np.random.default_rng(5)
    chosen = rng.random(len(model.x)) < 0.05
    value = float(model.lp.c @ plan_values(sc, reach, model, chosen))
    gain = _gains(sc, reach, model, credits(sc, reach, model, chosen))
    for p in np.flatnonzero(~chosen)[:60]:
        more = chosen.copy()
        more[p] = True
        assert gain[p] == pytest.approx(
            float(model.lp.c @ plan_values(sc, reach, model, more)) - value, abs=1e-6
        )


@pytest.mark.parametrize("dense_min", [0, 64, 10**9])  # budgets and per-site rows dense, as used, or none
def test_the_kept_fit_test_agrees_with_testing_every_row(monkeypatch, city, dense_min) -> None:
    sc, reach, model = city
    monkeypatch.setattr(_Fit, "DENSE_MIN_PAIRS", dense_min)
    need = _needed_subsidy(model)
    effect, ub = _resource_effect(model, need)
    chosen = greedy_chosen(sc, reach, model)
    fit = _Fit(effect, ub, effect @ chosen.astype(float))
    rng = np.random.default_rng(0)
    for _ in range(20):
        a = int(rng.choice(np.flatnonzero(chosen)))
        slack = ub - effect @ chosen.astype(float) + effect[:, [a]].toarray().ravel()
        np.testing.assert_array_equal(fit.after_drop(a), _fits(effect, slack))
        # a swap: a closes, a pair that fits in its place opens, and the kept state follows
        ok = np.flatnonzero(fit.after_drop(a) & ~chosen)
        if len(ok):
            b = int(rng.choice(ok))
            chosen[a], chosen[b] = False, True
            fit.apply(a, -1.0)
            fit.apply(b, 1.0)
            np.testing.assert_allclose(fit.used, effect @ chosen.astype(float))
