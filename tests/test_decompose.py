"""Walkable regions: cut along the shared rows only, solved apart with a valid bound, and never a worse
plan than the best one known; exact where the budgets do not bind."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

import optimizer as qh
from optimizer.config import SolverConfig
from optimizer.deadline import Deadline
from optimizer.decompose import find_regions, region_lp, solve_by_regions
from optimizer.errors import ScenarioError
from optimizer.heuristic import is_feasible, plan_values
from optimizer.model import build_model, shared_blocks
from optimizer.reach import compute_reach
from optimizer.solve import objective_quantum, regions_to_solve, run_backend
from optimizer.synthetic import synthetic_city

FORMATS = ("convenience_store", "pharmacy")


def city(clusters: int, n_res: int = 240, n_sites: int = 36, seed: int = 1, **cfg):
    cfg.setdefault("budget", {"capital_yuan": 400_000 * clusters, "rent_subsidy_yuan_per_year": 60_000})
    return synthetic_city(n_res, n_sites, formats=FORMATS, size_km=1.0, seed=seed, clusters=clusters, **cfg)


def model_of(sc):
    reach = compute_reach(sc)
    return reach, build_model(sc, reach)


def test_regions_follow_the_clusters_and_cut_no_local_row() -> None:
    sc = city(3)
    reach, m = model_of(sc)
    regions = find_regions(m.lp, shared_blocks())
    assert regions.n >= 3  # the clusters, and any neighbourhoods inside one that no walk joins
    x_lon = sc.sites.geometry.x.to_numpy()[m.x["site_pos"].to_numpy()]  # the x block comes first
    for c in regions.cols:  # no region reaches across the 3 km between clusters
        lon = x_lon[c[c < len(x_lon)]]
        assert not len(lon) or lon.max() - lon.min() < 0.02
    cols = np.sort(np.concatenate(regions.cols))
    assert np.array_equal(cols, np.arange(m.lp.n_cols))  # every column in exactly one region
    label = np.empty(m.lp.n_cols, dtype=int)
    for k, c in enumerate(regions.cols):
        label[c] = k
    A = m.lp.A.tocsr()
    for k, rows in enumerate(regions.rows):
        for r in rows[:500]:
            assert set(label[A.indices[A.indptr[r] : A.indptr[r + 1]]]) <= {k}
    shared = {r for b in shared_blocks() for r in range(m.lp.n_rows)[m.lp.rows(b)]}
    local = set(np.concatenate(regions.rows).tolist())
    assert local.isdisjoint(shared) and len(local) + len(shared) == m.lp.n_rows


@pytest.mark.parametrize("seed", range(8))
def test_regions_are_the_connected_parts_of_random_matrices(seed) -> None:
    import scipy.sparse as sp

    from optimizer.lp import LinearProgram

    rng = np.random.default_rng(seed)
    m, n = int(rng.integers(1, 30)), int(rng.integers(1, 40))
    A = sp.random_array((m, n), density=0.08, rng=rng, format="csr")  # empty rows and columns too
    a = int(rng.integers(0, m))
    b = int(rng.integers(a, m + 1))
    shared = np.zeros(m, bool)
    shared[a:b] = True  # a shared block anywhere among the rows, possibly empty
    ones, zeros = np.ones(n), np.zeros(n)
    blocks = {"shared": slice(a, b)}
    lp = LinearProgram("max", ones, zeros, ones, zeros > 0, A, np.zeros(m), np.ones(m), row_blocks=blocks)
    parent = list(range(n))  # brute force: union the columns of every local row

    def root(j: int) -> int:
        while parent[j] != j:
            j = parent[j]
        return j

    for r in np.flatnonzero(~shared):
        cols = A.indices[A.indptr[r] : A.indptr[r + 1]]
        for j in cols[1:]:
            parent[root(int(j))] = root(int(cols[0]))
    expected = {frozenset(j for j in range(n) if root(j) == k) for k in set(map(root, range(n)))}
    regions = find_regions(lp, ("shared",))
    assert {frozenset(c.tolist()) for c in regions.cols} == expected
    assert set(np.concatenate(regions.rows).tolist()) <= set(np.flatnonzero(~shared).tolist())


@pytest.mark.parametrize("seed", range(8))
def test_regions_read_a_chunk_at_a_time_are_the_graph_searchs_in_its_order(seed) -> None:
    """Against a search of the whole row-column graph (scipy's, which numbers parts in the order of
    their first node, rows before columns), regions largest first: the same columns and rows in the
    same order, whatever the number of entries read at a time."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    from optimizer.lp import LinearProgram

    rng = np.random.default_rng(100 + seed)
    m, n = int(rng.integers(1, 80)), int(rng.integers(1, 80))
    A = sp.random_array((m, n), density=float(rng.uniform(0.01, 0.1)), rng=rng, format="csr")
    a = int(rng.integers(0, m))
    b = int(rng.integers(a, min(a + 5, m) + 1))
    ones = np.ones(n)
    blocks = {"shared": slice(a, b)}
    lp = LinearProgram("max", ones, 0 * ones, ones, ones < 0, A, np.zeros(m), np.ones(m), row_blocks=blocks)
    local = sp.csr_array(A.multiply(np.r_[np.ones(a), np.zeros(b - a), np.ones(m - b)][:, None]))
    local.eliminate_zeros()  # the shared rows' entries gone
    graph = sp.block_array([[None, local], [local.T, None]], format="csr")
    _, label = connected_components(graph, directed=False)
    has_entries = np.diff(local.indptr) > 0
    parts = [
        (np.flatnonzero(label[m:] == k), np.flatnonzero((label[:m] == k) & has_entries)) for k in range(m + n)
    ]
    want = sorted((p for p in parts if len(p[0])), key=lambda p: -len(p[0]))  # stable: first node's order
    for chunk in (1, 7, 10**6):
        regions = find_regions(lp, ("shared",), chunk)
        assert [c.tolist() for c in regions.cols] == [c.tolist() for c, _ in want]
        assert [r.tolist() for r in regions.rows] == [r.tolist() for _, r in want]


def test_a_city_without_gaps_is_one_region() -> None:
    _, m = model_of(city(1))
    assert find_regions(m.lp, shared_blocks()).n == 1


def test_each_region_lp_admits_the_regions_part_of_every_whole_plan() -> None:
    sc = city(2)
    reach, m = model_of(sc)
    sol = run_backend(m.lp, SolverConfig(time_limit_s=30), deadline=Deadline(30))
    assert sol.values is not None
    regions = find_regions(m.lp, shared_blocks())
    for k in range(regions.n):
        assert region_lp(m.lp, regions, k).is_feasible(sol.values[regions.cols[k]])


def test_budgets_that_do_not_bind_give_the_exact_optimum_in_one_round() -> None:
    sc = city(3, budget={"capital_yuan": 1e9, "rent_subsidy_yuan_per_year": 1e8})
    reach, m = model_of(sc)
    q = objective_quantum(m.lp.c)
    mono = run_backend(m.lp, SolverConfig(time_limit_s=60), deadline=Deadline(60), abs_gap=0.999 * (q or 0))
    regions = find_regions(m.lp, shared_blocks())
    sol = solve_by_regions(
        m.lp, regions, SolverConfig(time_limit_s=60), Deadline(60), abs_gap=0.999 * q if q else None
    )
    assert str(sol.status) == "optimal" and "1 price rounds" in sol.message
    assert sol.objective == pytest.approx(mono.objective, abs=1e-6)
    assert sol.bound is not None and sol.bound - sol.objective < (q or 1e-6)


def brute_force(sc, reach, m) -> float:
    """The best plan by enumerating every set of (site, format) pairs."""
    best = -np.inf
    for bits in itertools.product((False, True), repeat=len(m.x)):
        v = plan_values(sc, reach, m, np.array(bits, dtype=bool))
        if is_feasible(m, v):
            best = max(best, float(m.lp.c @ v))
    return best


@pytest.mark.parametrize("solver", ["highs", "cbc"])
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_bound_and_plan_bracket_the_brute_force_optimum(seed, solver) -> None:
    rng = np.random.default_rng(seed)
    sc = synthetic_city(
        40,
        7,
        formats=("convenience_store",),
        size_km=0.6,
        seed=seed,
        clusters=2,
        site_fitout_yuan=1.0,
        budget={"capital_yuan": float(rng.integers(1, 4)), "rent_subsidy_yuan_per_year": 0},
        viability={"enabled": False},
    )
    reach, m = model_of(sc)
    assert len(m.x) <= 14
    optimum = brute_force(sc, reach, m)
    regions = find_regions(m.lp, shared_blocks())
    q = objective_quantum(m.lp.c)
    sol = solve_by_regions(
        m.lp,
        regions,
        SolverConfig(name=solver, time_limit_s=30),
        Deadline(30),
        abs_gap=0.999 * q if q else None,
    )
    assert sol.values is not None and m.lp.is_feasible(sol.values)
    assert sol.objective is not None and sol.objective <= optimum + 1e-6
    assert sol.bound is not None and sol.bound >= optimum - 1e-6
    if str(sol.status) == "optimal":
        assert sol.objective == pytest.approx(optimum)


def test_the_plan_is_never_worse_than_the_start() -> None:
    sc = city(3)
    reach, m = model_of(sc)
    start = run_backend(m.lp, SolverConfig(time_limit_s=60), deadline=Deadline(60)).values
    assert start is not None
    regions = find_regions(m.lp, shared_blocks())
    sol = solve_by_regions(m.lp, regions, SolverConfig(time_limit_s=5), Deadline(5), start=start)
    assert sol.objective is not None and sol.objective >= float(m.lp.c @ start) - 1e-6


def test_solve_splits_only_when_asked_or_large() -> None:
    sc = city(2)
    reach, m = model_of(sc)
    assert regions_to_solve(m, SolverConfig(decompose="auto")) is None  # small: one MIP
    assert regions_to_solve(m, SolverConfig(decompose="off")) is None
    assert regions_to_solve(m, SolverConfig(decompose="regions", name="heuristic")) is None
    assert regions_to_solve(m, SolverConfig(decompose="regions")).n == 2


def test_a_decomposed_run_is_a_whole_result(tmp_path) -> None:
    sc = city(2)
    res = qh.solve(sc, solver={"decompose": "regions", "time_limit_s": 60})
    assert "2 regions" in res.first.solver
    s = res.summary()
    assert s["status"] in ("optimal", "feasible")
    # whole-person populations: the weighted tie-break rides in the regions' own solves
    assert s["tie_break_method"] == "weighted" and s["tie_break_status"] in ("optimal", "feasible")
    mono = qh.solve(sc, solver={"decompose": "off", "time_limit_s": 60})
    assert res.first.objective <= mono.first.objective + 1e-6
    assert res.first.bound >= mono.first.objective - 1e-6
    res.to_dir(tmp_path / "out", excel=False, maps=False, report=False)
    assert (tmp_path / "out" / "placements.csv").exists()


def test_two_stages_are_not_run_after_regions_and_the_result_says_so() -> None:
    sc = city(2, objective={"tie_break_method": "two_stage"})
    res = qh.solve(sc, solver={"decompose": "regions", "time_limit_s": 60})
    s = res.summary()
    assert s["tie_break_status"] == "not_run"
    assert "solved region by region" in s["tie_break_proof"]
    assert any("region by region" in n for n in res.notes)


def test_a_mandate_no_plan_can_meet_is_infeasible_with_a_diagnosis() -> None:
    sc = city(
        2,
        mandates=[{"group": "all", "formats": ["pharmacy"], "min_share": 0.95}],
    )
    res = qh.solve(sc, solver={"decompose": "regions", "time_limit_s": 60})
    assert len(res.model.x)  # the budget opens some pairs: the regions are solved
    assert res.summary()["status"] == "infeasible"
    assert res.diagnosis is not None


def test_an_unknown_decompose_value_is_refused() -> None:
    with pytest.raises(ScenarioError, match="solver.decompose"):
        city(2, solver={"decompose": "tiles"})


@pytest.mark.slow
def test_the_run_command_solves_regions_on_a_dask_scheduler_as_in_process(tmp_path) -> None:
    """From scenario files: `run --decompose regions`, in this process and on a Dask scheduler, writes
    the same plan (the regions run where the jobs go; the answers do not depend on it)."""
    import json

    from click.testing import CliRunner
    from dask.distributed import LocalCluster

    from cli import main
    from optimizer.scenario_builder.write import write_scenario

    sc = city(2)
    cfg = sc.config.to_dict()
    cfg["solver"] = {"time_limit_s": 60}
    cfg["inputs"] = {"residences": "residences.gpkg", "sites": "sites.gpkg"}
    res = sc.residences[
        ["population", "old_neighbourhood", "affordable_housing", "elderly_share", "geometry"]
    ]
    sites = sc.sites[["floor_area_m2", "rent_yuan_per_m2_month", "geometry"]]
    tables = {"residences": res.reset_index(), "sites": sites.reset_index()}
    path = write_scenario(tmp_path / "city", cfg, tables)
    args = ["run", str(path), "--decompose", "regions", "--no-maps", "--no-report", "-q"]
    runner = CliRunner()
    r = runner.invoke(main, [*args, "--out", str(tmp_path / "a")])
    assert r.exit_code == 0, r.output
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True) as cluster:
        r = runner.invoke(
            main, [*args, "--out", str(tmp_path / "b"), "--scheduler", cluster.scheduler_address]
        )
    assert r.exit_code == 0, r.output
    a, b = (json.loads((tmp_path / x / "summary.json").read_text()) for x in "ab")
    assert a["solver"]["decompose"] == "regions"
    assert "regions" in a["solver_message"] and a["objective"] == b["objective"]
    pa, pb = (pd.read_csv(tmp_path / x / "placements.csv") for x in "ab")
    pd.testing.assert_frame_equal(pa, pb)


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_every_solvers_region_bounds_stay_above_the_optimum(solver) -> None:
    """The price bound is valid whichever solver prices the regions (CBC's bound is read from its log,
    test_lp checks that reading)."""
    sc = city(2)
    mono = qh.solve(sc, solver={"decompose": "off", "time_limit_s": 60})
    assert mono.summary()["status"] == "optimal"
    res = qh.solve(sc, solver={"name": solver, "decompose": "regions", "time_limit_s": 60})
    assert res.first.bound >= mono.first.objective - 1e-6
    assert res.first.objective <= mono.first.objective + 1e-6
