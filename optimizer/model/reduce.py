"""Reductions before solving: array transforms of the variable tables that keep the optimum.

- :func:`dominated_pairs`: a (site, format) pair is left out when another pair of the same format
  reaches every demand unit it would reach (full and partial credit), costs no more fit-out and needs no
  more subsidy, and stands at a site with no per-site row (``area``, ``max_formats``), so that it can
  always take the dominated pair's place in a plan. Exact ties are kept (``ties=True``: the lower
  position only).
- :func:`merge_demand`: demand units that reach the same eligible sites of a format (and, with partial
  credit, the same sites within the partial limit), that can gain the same kind of credit and that
  belong to the same mandated groups get one y (and one z) variable per class; its objective coefficient
  and its mandate coefficient are the members' sums. :class:`Members` maps each class to its units.

:func:`~optimizer.model.build_model` applies ``merge_demand`` by default and ``dominated_pairs`` when
asked (``reduce=REDUCTIONS``): dropping a dominated pair keeps this model's optimum, but not that of a
re-solve that forbids the pair dominating it (what :mod:`optimizer.explain`'s removal losses and
alternatives do with a solved model). :func:`lp_size` and :class:`Reduction` report what each removed
(``CoverageModel.model_size``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..groups import group_mask
from ..reach import Reach
from ..scenario import Scenario
from .families import area_row_sites, max_formats_row_sites

# Pairwise comparison of the pairs of one format builds R^T R (pairs x pairs): it is skipped when its
# nonzeros could exceed MAX_OVERLAP_NNZ or the work to compute it (sum over units of the squared number
# of pairs reaching them) exceeds MAX_OVERLAP_WORK.
MAX_OVERLAP_NNZ = 30_000_000
MAX_OVERLAP_WORK = 400_000_000


@dataclass(frozen=True)
class Members:
    """Which demand units each row of a y or z table stands for: row k's units are
    ``units[indptr[k]:indptr[k + 1]]`` (sorted; the row's ``unit`` column is the first)."""

    indptr: np.ndarray
    units: np.ndarray

    @staticmethod
    def identity(units: np.ndarray) -> Members:
        units = np.asarray(units, dtype=np.int64)
        return Members(np.arange(len(units) + 1, dtype=np.int64), units)

    @property
    def sizes(self) -> np.ndarray:
        return np.diff(self.indptr)

    def of(self, rows: np.ndarray) -> np.ndarray:
        """The units of the given rows, concatenated."""
        rows = np.asarray(rows, dtype=np.int64)
        starts, counts = self.indptr[rows], self.sizes[rows]
        total = int(counts.sum())
        offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        return self.units[np.repeat(starts, counts) + offsets]


@dataclass(frozen=True)
class Reduction:
    name: str
    removed_rows: int
    removed_cols: int
    removed_nnz: int
    seconds: float
    note: str = ""

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "name": self.name,
            "removed_rows": self.removed_rows,
            "removed_cols": self.removed_cols,
            "removed_nnz": self.removed_nnz,
            "seconds": round(self.seconds, 4),
        }
        if self.note:
            out["note"] = self.note
        return out


def lp_size(n_rows: int, n_cols: int, nnz: int) -> dict[str, int]:
    return {"rows": int(n_rows), "cols": int(n_cols), "nnz": int(nnz)}


# -- shared helpers -----------------------------------------------------------------------------------


def _needed_subsidy(x: pd.DataFrame) -> np.ndarray:
    """Per pair: the yearly subsidy it needs to be viable (0 when it pays for itself)."""
    return np.where(
        x["needs_subsidy"].to_numpy(bool), np.maximum(x["deficit_yuan_per_year"].to_numpy(float), 0.0), 0.0
    )


def _row_hash(m: sp.csr_array, salt: np.ndarray) -> np.ndarray:
    """Per row: the wrapping sum of a random 64-bit salt over its columns (equal sets, equal hashes).
    The prefix sums stay uint64 throughout: a detour through float64 (which joining them to a plain
    ``[0]`` makes) rounds them, and equal sets at different rows then hash apart."""
    cs = np.zeros(len(m.indices) + 1, dtype=np.uint64)
    np.cumsum(salt[m.indices], dtype=np.uint64, out=cs[1:])
    return cs[m.indptr[1:]] - cs[m.indptr[:-1]]


def _rows_equal(m: sp.csr_array, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per (a[k], b[k]): whether rows a[k] and b[k] of ``m`` (sorted indices) hold the same columns."""
    la, lb = np.diff(m.indptr)[a], np.diff(m.indptr)[b]
    same_len = la == lb
    a, b, n = a[same_len], b[same_len], la[same_len]
    total = int(n.sum())
    offsets = np.arange(total) - np.repeat(np.cumsum(n) - n, n)
    ea = m.indices[np.repeat(m.indptr[a], n) + offsets]
    eb = m.indices[np.repeat(m.indptr[b], n) + offsets]
    bad = np.bincount(np.repeat(np.arange(len(a)), n), weights=(ea != eb), minlength=len(a)) > 0
    out = np.zeros(len(same_len), dtype=bool)
    out[np.flatnonzero(same_len)] = ~bad
    return out


def _sorted_csr(m: sp.sparray) -> sp.csr_array:
    out = sp.csr_array(m, dtype=bool)
    out.sum_duplicates()
    out.sort_indices()
    return out


# -- merging demand units with identical reach ----------------------------------------------------------


def _classes(sets: list[sp.csr_array], flags: np.ndarray, seed: int = 0) -> np.ndarray:
    """Class id per row (0..n_classes-1, numbered by first row): rows are in one class when every matrix
    in ``sets`` holds the same columns for them and their ``flags`` (int64 codes) are equal. Hashes only
    propose classes; every member is compared with its class's first row, and a class where a
    comparison fails is split exactly."""
    n = len(flags)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    rng = np.random.default_rng(seed)
    keys = {"flags": flags}
    for t, m in enumerate(sets):
        salt = rng.integers(0, np.iinfo(np.int64).max, m.shape[1], dtype=np.int64).astype(np.uint64)
        keys[f"h{t}"] = _row_hash(m, salt).view(np.int64)
        keys[f"n{t}"] = np.diff(m.indptr)
    frame = pd.DataFrame(keys)
    cls = frame.groupby(list(keys), sort=False).ngroup().to_numpy().astype(np.int64)
    first = np.full(cls.max() + 1, n, dtype=np.int64)
    np.minimum.at(first, cls, np.arange(n))
    rep = first[cls]
    ok = np.ones(n, dtype=bool)
    for m in sets:
        ok &= _rows_equal(m, np.arange(n), rep)
    if not ok.all():  # a hash collision: split the affected classes by the exact column sets
        for c in np.unique(cls[~ok]):
            members = np.flatnonzero(cls == c)
            seen: dict[tuple[bytes, ...], int] = {}
            for r in members:
                sig = tuple(m.indices[m.indptr[r] : m.indptr[r + 1]].tobytes() for m in sets)
                if sig not in seen:
                    seen[sig] = int(cls.max()) + 1 if seen else int(c)
                cls[r] = seen[sig]
    # Renumber by first member so classes come out in unit order.
    _, first_idx, inv = np.unique(cls, return_index=True, return_inverse=True)
    order = np.argsort(first_idx, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[inv].astype(np.int64)


def _mandated_group_codes(scenario: Scenario, reach: Reach, key: str) -> np.ndarray:
    """Per demand unit: a bit per population group that has a mandate on format ``key``."""
    groups = sorted({m.group for m in scenario.config.mandates if key in m.formats})
    code = np.zeros(len(reach.demand), dtype=np.int64)
    for b, g in enumerate(groups):
        code |= group_mask(reach.demand, g).astype(np.int64) << b
    return code


def merge_demand(
    scenario: Scenario, reach: Reach, x: pd.DataFrame, y: pd.DataFrame, z: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, Members, Members]:
    """Merge the (unit, format) rows of ``y`` and ``z`` (one unit each, as :func:`demand_pairs` makes
    them) into classes of units with identical reach over the eligible sites of the format, the same
    kind of credit to gain and the same membership in every group mandated on the format. A unit's y
    and z rows fall in the same class (same first member), so the ``exclusive`` rows still pair them."""
    pop = reach.demand["population"].to_numpy(float)
    n_sites = len(scenario.sites)
    out: dict[str, list[tuple[pd.DataFrame, np.ndarray, np.ndarray]]] = {"y": [], "z": []}
    for key in scenario.formats.index:
        yk, zk = y[y["format"] == key], z[z["format"] == key]
        if not len(yk) and not len(zk):
            continue
        fr = reach.formats[key]
        eligible = np.zeros(n_sites, dtype=bool)
        eligible[x.loc[x["format"] == key, "site_pos"].to_numpy()] = True
        cols = np.flatnonzero(eligible)
        units = np.union1d(yk["unit"].to_numpy(), zk["unit"].to_numpy()).astype(np.int64)
        in_y = np.isin(units, yk["unit"].to_numpy())
        in_z = np.isin(units, zk["unit"].to_numpy())
        sets = [_sorted_csr(fr.full[units][:, cols])]
        if fr.partial is not None and in_z.any():
            part = sp.csr_array(fr.partial[units][:, cols]).multiply(in_z[:, None].astype(float))
            sets.append(_sorted_csr(part))
        flags = _mandated_group_codes(scenario, reach, key)[units] * 4 + in_y * 2 + in_z
        cls = _classes(sets, flags.astype(np.int64))
        for name, table in (("y", yk), ("z", zk)):
            if not len(table):
                continue
            own = np.unique(cls[np.searchsorted(units, table["unit"].to_numpy())], return_inverse=True)[1]
            out[name].append(_aggregate(table, own.astype(np.int64), pop))
    y_new, y_members = _stack(out["y"], y)
    z_new, z_members = _stack(out["z"], z)
    return y_new, z_new, y_members, z_members


def _aggregate(
    table: pd.DataFrame, cls: np.ndarray, pop: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """One row per class (numbered in order of first member): summed coefficient and population, with
    the class's CSR of member units."""
    n_cls = int(cls.max()) + 1
    units = table["unit"].to_numpy().astype(np.int64)
    order = np.lexsort((units, cls))
    counts = np.bincount(cls, minlength=n_cls)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    members = units[order]
    merged = pd.DataFrame(
        {
            "unit": members[indptr[:-1]],
            "format": table["format"].to_numpy()[:n_cls],
            "format_pos": table["format_pos"].to_numpy()[:n_cls],
            "coef": np.bincount(cls, weights=table["coef"].to_numpy(float), minlength=n_cls),
            "population": np.bincount(cls, weights=pop[units], minlength=n_cls),
            "n_units": counts,
        }
    )
    return merged, indptr, members


def _stack(
    parts: list[tuple[pd.DataFrame, np.ndarray, np.ndarray]], like: pd.DataFrame
) -> tuple[pd.DataFrame, Members]:
    if not parts:
        empty = like.iloc[:0].reset_index(drop=True)
        return empty, Members(np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64))
    table = pd.concat([p[0] for p in parts], ignore_index=True)
    ptrs, offset = [np.zeros(1, dtype=np.int64)], 0
    for _, ptr, _ in parts:
        ptrs.append(ptr[1:] + offset)
        offset += int(ptr[-1])
    return table, Members(np.concatenate(ptrs), np.concatenate([p[2] for p in parts]))


# -- dominated (site, format) pairs ---------------------------------------------------------------------


def _superset_pairs(m: sp.csc_array, sizes: np.ndarray, ks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(j, k) with j != k and k in ``ks`` where column k of ``m`` (units x pairs, 0/1) holds every unit
    of column j (j with at least one unit)."""
    overlap = sp.coo_array(m.T @ m[:, ks])
    k = ks[overlap.col]
    keep = (overlap.row != k) & (overlap.data == sizes[overlap.row])
    return overlap.row[keep].astype(np.int64), k[keep].astype(np.int64)


def _overlap_work(m: sp.csr_array, ks: np.ndarray) -> int:
    """Multiply-adds of m^T m[:, ks] (also a bound on its nonzeros): the sum over rows of the row's
    count times its count in columns ``ks``."""
    deg = np.diff(m.indptr).astype(np.int64)
    deg_k = np.diff(sp.csr_array(m[:, ks]).indptr).astype(np.int64)
    return int((deg * deg_k).sum())


def dominated_pairs(
    scenario: Scenario,
    reach: Reach,
    x: pd.DataFrame,
    relax: frozenset[str] = frozenset(),
    max_overlap_nnz: int = MAX_OVERLAP_NNZ,
    max_overlap_work: int = MAX_OVERLAP_WORK,
    ties: bool = False,
) -> tuple[np.ndarray, list[str]]:
    """Per pair of ``x``: the position of a kept pair that dominates it (-1: the pair is kept), and notes
    on formats whose comparison was skipped as too large.

    Pair k dominates pair j when k reaches, within the full limit, every unit j reaches that can gain
    full credit (and, within the partial limit, every unit j reaches there that can gain partial
    credit), k's fit-out and needed subsidy are no larger, and k's site has no ``area`` or
    ``max_formats`` row (so k can open wherever j could, whatever else is open). Exact ties (same
    units, same money) are both kept unless ``ties``, which keeps the lower position: which of two
    identical pairs the solver returns is otherwise the solver's choice, as without the reduction (the
    pinned results of the shipped scenarios rely on it). Every dropped pair is then dominated by a kept
    one (the relation has no cycles), so any plan maps to a plan of the reduced model with at least its
    coverage, no more money and every mandate still met."""
    by = np.full(len(x), -1, dtype=np.int64)
    notes: list[str] = []
    bound_sites = np.zeros(len(scenario.sites), dtype=bool)
    if "area" not in relax:
        bound_sites[area_row_sites(x, scenario)] = True
    if "max_formats" not in relax:
        bound_sites[max_formats_row_sites(x, scenario)] = True
    fit = x["fitout_yuan"].to_numpy(float)
    need = _needed_subsidy(x)
    site = x["site_pos"].to_numpy()
    for key, rows in x.groupby("format", sort=False).indices.items():
        if len(rows) < 2:
            continue
        fr = reach.formats[str(key)]
        s = site[rows]
        ks = np.flatnonzero(~bound_sites[s])  # only pairs at sites without per-site rows dominate
        if not len(ks):
            continue
        full = sp.csr_array(fr.full[np.flatnonzero(fr.base_credit < 1)][:, s], dtype=float)
        mats = [full]
        if fr.partial is not None:
            mats.append(sp.csr_array(fr.partial[np.flatnonzero(fr.base_credit == 0)][:, s], dtype=float))
        work = sum(_overlap_work(m, ks) for m in mats)
        nnz = min(work, len(mats) * len(rows) * len(ks))
        if nnz > max_overlap_nnz or work > max_overlap_work:
            notes.append(
                f"{key}: skipped, comparing {len(rows)} pairs is too large "
                f"(up to {nnz:,} overlaps, {work:,} multiply-adds)"
            )
            continue
        sizes = [np.asarray(m.sum(axis=0)).ravel() for m in mats]
        n = len(rows)
        supersets = [_superset_pairs(sp.csc_array(m), sz, ks) for m, sz in zip(mats, sizes, strict=True)]
        cand = np.unique(np.concatenate([jj * n + kk for jj, kk in supersets]))
        j, k = cand // n, cand % n
        ok = np.ones(len(cand), dtype=bool)
        for (jj, kk), sz in zip(supersets, sizes, strict=True):
            ok &= np.isin(cand, jj * n + kk) | (sz[j] == 0)
        gj, gk = rows[j], rows[k]
        ok &= ~bound_sites[site[gk]]
        ok &= (fit[gk] <= fit[gj] + 1e-6) & (need[gk] <= need[gj] + 1e-6)
        tie = (np.abs(fit[gk] - fit[gj]) <= 1e-6) & (np.abs(need[gk] - need[gj]) <= 1e-6)
        for sz in sizes:
            tie &= sz[k] == sz[j]
        ok &= ~tie | ((gk < gj) if ties else False)
        by[gj[ok]] = gk[ok]  # any dominator will do
    # Follow chains (j dropped for k, k dropped for l) to a kept pair; the relation has no cycles.
    while True:
        has = np.flatnonzero(by >= 0)
        nxt = by[by[has]]
        jump = nxt >= 0
        if not jump.any():
            return by, notes
        by[has[jump]] = nxt[jump]
