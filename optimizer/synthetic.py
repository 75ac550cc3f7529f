"""Seeded synthetic cities for benchmarks and tests (never shipped as scenarios)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .scenario import Scenario


def synthetic_city(
    n_residences: int = 2000,
    n_sites: int = 300,
    formats: Sequence[str] | Mapping[str, Mapping[str, Any]] = (
        "convenience_store",
        "breakfast",
        "pharmacy",
        "laundry",
    ),
    size_km: float = 3.0,
    seed: int = 0,
    population: tuple[int, int] = (50, 1500),
    floor_areas_m2: Sequence[float] = (40, 80, 120, 200, 400),
    site_fitout_yuan: float | None = None,
    max_formats: Sequence[float] | None = None,
    clusters: int = 1,
    gap_km: float = 3.0,
    **config: Any,
) -> Scenario:
    """Residences and candidate sites scattered over a square near People's Square, straight-line walks.

    ``formats``: names, or a mapping of name to catalog overrides (e.g. ``{"pharmacy": {"walk_minutes":
    11.1}}``). ``site_fitout_yuan`` gives every site that fit-out (1 with a capital budget of p: at most
    p sites); ``max_formats`` draws each site's limit from these values (NaN: no limit). ``config``
    entries (budget, walk, viability, priority, ...) update the scenario configuration.
    ``clusters`` > 1 spreads residences and sites over that many squares in a row, ``gap_km`` apart:
    neighbourhoods no walk joins (walkable regions), as in a city of separate districts.
    """
    rng = np.random.default_rng(seed)
    deg_lat = size_km / 111.0
    deg_lon = size_km / (111.0 * np.cos(np.radians(31.23)))
    res = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(n_residences)],
            "population": rng.integers(population[0], population[1], n_residences),
            "old_neighbourhood": rng.random(n_residences) < 0.3,
            "affordable_housing": rng.random(n_residences) < 0.1,
            "elderly_share": rng.uniform(0.1, 0.4, n_residences).round(3),
            "lon": 121.46 + rng.uniform(0, deg_lon, n_residences),
            "lat": 31.22 + rng.uniform(0, deg_lat, n_residences),
        }
    )
    sites = pd.DataFrame(
        {
            "id": [f"s{j}" for j in range(n_sites)],
            "floor_area_m2": rng.choice(list(floor_areas_m2), n_sites),
            "rent_yuan_per_m2_month": rng.integers(60, 250, n_sites),
            "lon": 121.46 + rng.uniform(0, deg_lon, n_sites),
            "lat": 31.22 + rng.uniform(0, deg_lat, n_sites),
        }
    )
    if clusters > 1:
        step = (size_km + gap_km) / (111.0 * np.cos(np.radians(31.23)))
        for df in (res, sites):
            df["lon"] += step * rng.integers(0, clusters, len(df))
    if site_fitout_yuan is not None:
        sites["fitout_yuan"] = float(site_fitout_yuan)
    if max_formats is not None:
        sites["max_formats"] = rng.choice(np.asarray(max_formats, dtype=float), n_sites)
    fmts = {k: dict(v) for k, v in formats.items()} if isinstance(formats, Mapping) else list(formats)
    cfg: dict[str, Any] = {
        "name": f"synthetic city {n_residences}x{n_sites} seed {seed}",
        "formats": fmts,
        "budget": {"capital_yuan": 3_000_000, "rent_subsidy_yuan_per_year": 300_000},
    }
    for k, v in config.items():
        cfg[k] = {**cfg[k], **v} if isinstance(v, dict) and isinstance(cfg.get(k), dict) else v
    return Scenario.from_frames(res, sites, None, cfg)
