"""Seeded synthetic cities for benchmarks and tests (never shipped as scenarios)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .scenario import Scenario


def synthetic_city(
    n_residences: int = 2000,
    n_sites: int = 300,
    formats: tuple[str, ...] = ("convenience_store", "breakfast", "pharmacy", "laundry"),
    size_km: float = 3.0,
    seed: int = 0,
    **config: Any,
) -> Scenario:
    """Residences and candidate sites scattered over a square near People's Square, straight-line walks."""
    rng = np.random.default_rng(seed)
    deg_lat = size_km / 111.0
    deg_lon = size_km / (111.0 * np.cos(np.radians(31.23)))
    res = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(n_residences)],
            "population": rng.integers(50, 1500, n_residences),
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
            "floor_area_m2": rng.choice([40, 80, 120, 200, 400], n_sites),
            "rent_yuan_per_m2_month": rng.integers(60, 250, n_sites),
            "lon": 121.46 + rng.uniform(0, deg_lon, n_sites),
            "lat": 31.22 + rng.uniform(0, deg_lat, n_sites),
        }
    )
    cfg: dict[str, Any] = {
        "name": f"synthetic city {n_residences}x{n_sites} seed {seed}",
        "formats": list(formats),
        "budget": {"capital_yuan": 3_000_000, "rent_subsidy_yuan_per_year": 300_000},
    }
    for k, v in config.items():
        cfg[k] = {**cfg[k], **v} if isinstance(v, dict) and isinstance(cfg.get(k), dict) else v
    return Scenario.from_frames(res, sites, None, cfg)
