"""The benchmark's maximal-covering instances mean what spopt's MCLP means: at most p sites, each
covering the population within 800 m in a straight line (checked by enumerating every set of p sites)."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.distance import cdist

import optimizer as qh

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from generate import RADIUS_M, instance, mclp_city  # noqa: E402


def _exhaustive_mclp(sc: qh.Scenario, p: int) -> float:
    crs = sc.metric_crs
    res = sc.residences.geometry.to_crs(crs).centroid
    sites = sc.sites.geometry.to_crs(crs).centroid
    cover = cdist(np.column_stack([res.x, res.y]), np.column_stack([sites.x, sites.y])) <= RADIUS_M
    pop = sc.residences["population"].to_numpy(float)
    return max(
        float(pop[cover[:, list(c)].any(axis=1)].sum())
        for c in itertools.combinations(range(cover.shape[1]), p)
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_mclp_instance_optimum_equals_enumeration(seed) -> None:
    sc = mclp_city(200, 12, size_km=2.5, p=2, seed=seed)
    res = qh.solve(sc)
    assert res.status == "optimal"
    assert len(res.placements) <= 2
    assert res.first.objective == pytest.approx(_exhaustive_mclp(sc, 2), rel=1e-9)


def test_sizes_generate() -> None:
    sc = instance("S")
    assert (len(sc.residences), len(sc.sites), len(sc.formats)) == (1000, 200, 1)
    assert (sc.sites["fitout_yuan"] == 1.0).all() and sc.config.budget.capital_yuan == 5
