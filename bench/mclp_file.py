"""This engine on a published maximal-covering instance file.

    python bench/mclp_file.py FILE [FILE ...] --radius 250 --p 50 [--time-limit 300] [--reference 600]
    python bench/mclp_file.py --uniform 100 100000 --radius 625 --p 15 [--seed 1]

FILE is a benchmark in one of two common layouts, both read here:

- "I = J": a header line whose first field is the number of points, then one line per point,
  ``lat lon weight`` (tabs or spaces); e.g. the city-block instances of Máximo, Nascimento and
  Carvalho (2017: Manhattan, Bronx, San Francisco, Kings). Every point is a demand point (when its
  weight is above 0) and a candidate.
- "I != J", planar: a header ``n_sites n_demand``, then ``F id x y cost`` per candidate and ``C id x y
  weight`` per demand point; e.g. the instances of Cordeau, Furini and Ljubić (2019), points in a 30 x 30
  square. Coordinates are read as ``--unit-m`` metres each (100 by default: the square is 3 km wide, and
  their radius 6.25 is ``--radius 625``); candidates' costs are ignored (at most ``--p`` sites open).

Both are distributed with their authors' terms and therefore not shipped here; ``--uniform N_SITES
N_DEMAND`` draws an instance of the second kind's shape instead (points uniform in the square,
weights 1-100, seeded by ``--seed``). A point covers another within ``--radius`` metres in a straight
line (detour 1.0; the engine measures in a metric projection, so pairs within a few centimetres of
the radius may differ from a spherical or planar distance). At most ``--p`` sites open.

Per instance, in one run: the engine through ``optimizer.solve`` (HiGHS, ``--time-limit``), its
status, plan, bound, gap and time, and the model size before and after the reductions; with
``--reference S`` also the same covering sets as a plain compact model (points with identical
covering sets merged), solved by HiGHS alone for up to S seconds, as a yardstick for the plan and the
bound.
"""

from __future__ import annotations

import argparse
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import optimizer as qh  # noqa: E402
from optimizer.reach import compute_reach  # noqa: E402

SPEED_M_PER_S = 1.2
FORMAT = "pharmacy"


# Where planar instances are placed on the globe (any place does: only distances matter).
ORIGIN_LAT, ORIGIN_LON = 31.2, 121.45
M_PER_DEG_LAT = 111_320.0


def _planar(xy_m: np.ndarray, site: np.ndarray, weight: np.ndarray) -> pd.DataFrame:
    """Planar points (metres from the origin; sites, and demand points with their weights) as the
    points table, placed by a local equirectangular projection."""
    lat = ORIGIN_LAT + xy_m[:, 1] / M_PER_DEG_LAT
    lon = ORIGIN_LON + xy_m[:, 0] / (M_PER_DEG_LAT * np.cos(np.radians(ORIGIN_LAT)))
    weight = np.where(site, 0.0, weight)
    return pd.DataFrame({"lat": lat, "lon": lon, "weight": weight, "candidate": site, "demand": ~site})


def read_points(path: Path, unit_m: float = 100.0) -> pd.DataFrame:
    """The file's points as lat, lon, weight, candidate, demand (the header's counts checked against
    the lines); either layout (module docstring)."""
    lines = [ln.split() for ln in path.read_text().split("\n") if ln.strip()]
    head, rows = lines[0], lines[1:]
    if rows and rows[0][0] in ("F", "C"):  # planar, sites apart from demand points
        n_sites, n_demand = int(head[0]), int(head[1])
        kinds = [r[0] for r in rows]
        if kinds.count("F") != n_sites or kinds.count("C") != n_demand:
            raise SystemExit(
                f"{path}: header says {n_sites} sites and {n_demand} demand points, "
                f"{kinds.count('F')} F and {kinds.count('C')} C lines follow"
            )
        xy = np.array([[float(r[2]), float(r[3])] for r in rows]) * unit_m
        return _planar(xy, np.array(kinds) == "F", np.array([float(r[4]) for r in rows]))
    n = int(head[0])
    if len(rows) != n:
        raise SystemExit(f"{path}: header says {n} points, {len(rows)} lines follow")
    return pd.DataFrame(
        {
            "lat": [float(r[0]) for r in rows],
            "lon": [float(r[1]) for r in rows],
            "weight": [float(r[2]) for r in rows],
            "candidate": True,
            "demand": True,
        }
    )


def uniform_points(n_sites: int, n_demand: int, seed: int, unit_m: float = 100.0) -> pd.DataFrame:
    """A planar instance of the second layout's shape: sites and demand points uniform in a 30 x 30
    square (``unit_m`` metres a unit), demand weights uniform on 1..100."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0.0, 30.0, size=(n_sites + n_demand, 2)) * unit_m
    site = np.arange(n_sites + n_demand) < n_sites
    return _planar(xy, site, rng.integers(1, 101, size=n_sites + n_demand).astype(float))


def scenario(points: pd.DataFrame, radius_m: float, p: int, name: str) -> qh.Scenario:
    """Candidate points are sites; demand points of positive weight are residences."""
    ids = np.asarray([f"b{i}" for i in range(len(points))])
    demand = points["demand"].to_numpy() & (points["weight"] > 0).to_numpy()
    cand = points["candidate"].to_numpy()
    res = pd.DataFrame(
        {
            "id": ids[demand],
            "population": points.loc[demand, "weight"].to_numpy(),
            "lon": points.loc[demand, "lon"].to_numpy(),
            "lat": points.loc[demand, "lat"].to_numpy(),
        }
    )
    sites = pd.DataFrame(
        {
            "id": ids[cand],
            "floor_area_m2": 400.0,
            "rent_yuan_per_m2_month": 100.0,
            "fitout_yuan": 1.0,
            "lon": points.loc[cand, "lon"].to_numpy(),
            "lat": points.loc[cand, "lat"].to_numpy(),
        }
    )
    cfg = {
        "name": f"{name}, r = {radius_m:g} m, p = {p}",
        "formats": {FORMAT: {"walk_minutes": radius_m / SPEED_M_PER_S / 60.0, "weight": 1.0}},
        "budget": {"capital_yuan": float(p), "rent_subsidy_yuan_per_year": 0.0},
        "walk": {"source": "straight_line", "detour_factor": 1.0, "speed_m_per_s": SPEED_M_PER_S},
        "viability": {"enabled": False},
        "priority": {"old_neighbourhood": 1.0, "affordable_housing": 1.0, "elderly": 0.0},
        "objective": {"tie_break": "none"},
    }
    return qh.Scenario.from_frames(res, sites, None, cfg)


def reference(reach_csr, weights: np.ndarray, p: int, seconds: float) -> dict[str, float]:
    """max sum w_k y_k  s.t.  y_k <= sum_{j covers k} x_j,  sum x_j <= p, x binary, 0 <= y <= 1,
    over demand classes k (points with identical covering sets merged), by HiGHS alone."""
    import highspy
    import scipy.sparse as sp

    a = sp.csr_matrix(reach_csr).astype(bool).astype(np.int8)
    a.sort_indices()
    reached = np.asarray(a.sum(axis=1)).ravel() > 0
    a, keep_w = a[reached], weights[reached]
    rows = [a.indices[a.indptr[i] : a.indptr[i + 1]].tobytes() for i in range(a.shape[0])]
    key = pd.Series(rows).factorize()[0]
    n_k = key.max() + 1
    w = np.bincount(key, weights=keep_w, minlength=n_k)
    first = pd.Series(np.arange(len(key))).groupby(key).first().to_numpy()
    ak = sp.csr_matrix(a[first])
    n_j = ak.shape[1]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(seconds))
    inf = highspy.kHighsInf
    # columns: x_j (binary), then y_k (continuous)
    cost = np.concatenate([np.zeros(n_j), -w])
    lower = np.zeros(n_j + n_k)
    upper = np.ones(n_j + n_k)
    h.addVars(n_j + n_k, lower, upper)
    h.changeColsCost(n_j + n_k, np.arange(n_j + n_k, dtype=np.int32), cost)
    h.changeColsIntegrality(n_j, np.arange(n_j, dtype=np.int32), np.full(n_j, highspy.HighsVarType.kInteger))
    cover = sp.hstack([-ak, sp.identity(n_k, format="csr")], format="csr")
    budget = sp.csr_matrix(np.concatenate([np.ones(n_j), np.zeros(n_k)])[None, :])
    m = sp.vstack([cover, budget], format="csr")
    lo = np.full(m.shape[0], -inf)
    hi = np.concatenate([np.zeros(n_k), [float(p)]])
    h.addRows(m.shape[0], lo, hi, m.nnz, m.indptr[:-1].astype(np.int32), m.indices.astype(np.int32), m.data)
    t0 = time.perf_counter()
    h.run()
    info = h.getInfo()
    return {
        "status": h.modelStatusToString(h.getModelStatus()),
        "objective": -info.objective_function_value,
        "bound": -info.mip_dual_bound,
        "gap": info.mip_gap,
        "seconds": time.perf_counter() - t0,
        "classes": n_k,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--unit-m", type=float, default=100.0, help="metres per unit of planar files")
    ap.add_argument("--uniform", type=int, nargs=2, metavar=("N_SITES", "N_DEMAND"), help="no file: draw one")
    ap.add_argument("--seed", type=int, default=1, help="for --uniform")
    ap.add_argument("--radius", type=float, nargs="+", default=[250.0], help="metres (several: one run each)")
    ap.add_argument("--p", type=int, nargs="+", default=[50], help="sites to open (several: one run each)")
    ap.add_argument("--time-limit", type=float, default=300.0)
    ap.add_argument("--reference", type=float, default=0.0, help="seconds for the compact model (0: none)")
    args = ap.parse_args()
    print(f"{'instance':<34} {'status':<10} {'plan':>12} {'bound':>12} {'gap %':>7} {'s':>7}")
    instances = [(path.stem, partial(read_points, path, args.unit_m)) for path in args.files]
    if args.uniform:
        n_sites, n_demand = args.uniform
        draw = partial(uniform_points, n_sites, n_demand, args.seed, args.unit_m)
        instances.append((f"uniform{n_sites}x{n_demand}s{args.seed}", draw))
    if not instances:
        ap.error("name a FILE or --uniform N_SITES N_DEMAND")
    for stem, load in instances:
        points = load()
        for radius in args.radius:
            for p in args.p:
                sc = scenario(points, radius, p, stem)
                label = f"{stem} r={radius:g} p={p}"
                t0 = time.perf_counter()
                reach = compute_reach(sc)
                res = qh.solve(sc, solver={"name": "highs", "time_limit_s": args.time_limit}, reach=reach)
                seconds = time.perf_counter() - t0
                bound = res.first.bound if res.first.bound is not None else float("nan")
                gap = 100 * (res.first.gap or 0.0)
                print(
                    f"{label:<34} {str(res.status):<10} {res.first.objective or 0.0:>12.1f} "
                    f"{bound:>12.1f} {gap:>7.3f} {seconds:>7.1f}",
                    flush=True,
                )
                size = res.model.model_size
                print(f"{'':<34} model {size['before']} -> {size['after']}", flush=True)
                if args.reference > 0:
                    fr = reach.formats[FORMAT]
                    weights = reach.demand["population"].to_numpy(float)
                    ref = reference(fr.full, weights, p, args.reference)
                    print(
                        f"{'':<34} {'compact ' + ref['status'][:9]:<10} {ref['objective']:>12.1f} "
                        f"{ref['bound']:>12.1f} {100 * ref['gap']:>7.3f} {ref['seconds']:>7.1f}"
                        f"  ({ref['classes']:,} demand classes)",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
