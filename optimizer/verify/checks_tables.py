"""Checks of the written tables row by row: coverage.csv, excluded.csv and result.gpkg.

- coverage.csv: minutes to the nearest outlet before and after, covered flags and credits per residence
  (and speed group) and format;
- excluded.csv: every stated reason for leaving a (site, format) pair out holds, and none was placed
  (the reasons are :class:`optimizer.exclusions.Exclusion`; whether each holds is computed here);
- result.gpkg: its placements, sites and residences layers agree with the CSV tables.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, assert_never

import numpy as np
import pandas as pd

from ..exclusions import Exclusion
from ..model.budgets import BUDGET_BY_BLOCK
from ..scenario import Scenario
from ..schema import OUTPUT_TABLES
from .compare import MINUTE_TOL, MINUTES_EQ_TOL, REL_TOL, num, to_bool
from .report import VerifyReport
from .truth import Truth, pair_economics

if TYPE_CHECKING:
    import geopandas as gpd

COVERAGE_REQUIRED = tuple(c.name for c in OUTPUT_TABLES["coverage"] if c.required)

COVERAGE_KEYS = ["residence_id", "group", "format"]


def _where(df: pd.DataFrame) -> list[str]:
    """How a message names each row: residence, speed group and format."""
    return [
        f"residence {r} ({g}), {f}"
        for r, g, f in zip(df["residence_id"], df["group"], df["format"], strict=True)
    ]


def _match_rows(exp: pd.DataFrame, cov: pd.DataFrame, elderly: bool) -> tuple[list[str], pd.DataFrame]:
    """Pair coverage.csv's rows with the recomputed ones by (residence, group, format).

    Returns the problems with the rows themselves (no group column where one is needed, a row listed twice,
    missing or unexpected) and the rows found in both, written values suffixed ``_w``.
    """
    probs: list[str] = []
    cov = cov.copy()
    if "group" not in cov.columns:
        if elderly:
            probs.append("no 'group' column, but walk.elderly_speed_m_per_s splits residences into groups")
        cov["group"] = "all"
    cov["group"] = cov["group"].fillna("all")
    dup = cov[cov.duplicated(COVERAGE_KEYS, keep="first")]
    probs += [f"{w}: listed twice" for w in _where(dup)]
    cov = cov.drop_duplicates(COVERAGE_KEYS)
    m = exp.merge(cov, on=COVERAGE_KEYS, how="outer", suffixes=("", "_w"), indicator=True)
    probs += [f"{w}: row missing" for w in _where(m[m["_merge"] == "left_only"])]
    extra = m[(m["_merge"] == "right_only") & ~(pd.to_numeric(m["population_w"], errors="coerce") == 0)]
    probs += [f"{w}: unexpected row" for w in _where(extra)]
    return probs, m[m["_merge"] == "both"].reset_index(drop=True)


def _population_problems(b: pd.DataFrame, at: np.ndarray) -> list[str]:
    """Written population of each unit against the recomputed one."""
    got = pd.to_numeric(b["population_w"], errors="coerce").to_numpy(float)
    want = b["population"].to_numpy(float)
    bad = ~(np.abs(got - want) <= 1e-6 + REL_TOL * np.abs(want))
    return [
        f"{w}: population {num(g)} written, expected {num(v)}"
        for w, g, v in zip(at[bad], got[bad], want[bad], strict=True)
    ]


def _minutes_problems(b: pd.DataFrame, at: np.ndarray, reach_limit: dict[str, float]) -> list[str]:
    """Minutes before and after within :data:`MINUTES_EQ_TOL`; beyond the last limit, empty is fine too."""
    probs: list[str] = []
    last = b["format"].map(reach_limit).to_numpy(float)
    for c in ("minutes_before", "minutes_after"):
        got = pd.to_numeric(b[f"{c}_w"], errors="coerce").to_numpy(float)
        want = b[c].to_numpy(float)
        fg, fw = np.isfinite(got), np.isfinite(want)
        differ = fg & fw & ~(np.abs(got - want) <= MINUTES_EQ_TOL)
        one = (fg != fw) & ~(np.where(fg, got, want) > last + MINUTE_TOL)
        bad = differ | one
        probs += [
            f"{w}: {c} {num(g)} written, recomputed {num(v) if np.isfinite(v) else 'out of reach'}"
            for w, g, v in zip(at[bad], got[bad], want[bad], strict=True)
        ]
    return probs


def _covered_problems(b: pd.DataFrame, at: np.ndarray) -> list[str]:
    """Covered flags before and after: readable as true/false, and equal to the recomputed ones."""
    probs: list[str] = []
    for c in ("covered_before", "covered_after"):
        vals, unreadable = to_bool(b[f"{c}_w"])
        probs += [
            f"{w}: {c} '{v}' is not true/false"
            for w, v in zip(at[unreadable.to_numpy()], b[f"{c}_w"][unreadable], strict=True)
        ]
        got = vals.to_numpy(bool)
        want = b[c].to_numpy(bool)
        bad = (got != want) & ~unreadable.to_numpy()
        probs += [
            f"{w}: {c} {g} written, recomputed {v}"
            for w, g, v in zip(at[bad], got[bad], want[bad], strict=True)
        ]
    return probs


def _credit_problems(b: pd.DataFrame, at: np.ndarray) -> list[str]:
    """Credits before and after, when written, equal to the recomputed ones."""
    probs: list[str] = []
    for c in ("credit_before", "credit_after"):
        if f"{c}_w" not in b.columns:
            continue
        got = pd.to_numeric(b[f"{c}_w"], errors="coerce").to_numpy(float)
        want = b[c].to_numpy(float)
        bad = ~(np.abs(got - want) <= 1e-9)
        probs += [
            f"{w}: {c} {num(g)} written, recomputed {num(v)}"
            for w, g, v in zip(at[bad], got[bad], want[bad], strict=True)
        ]
    return probs


def check_coverage_table(
    rep: VerifyReport, exp: pd.DataFrame, cov: pd.DataFrame, elderly: bool, reach_limit: dict[str, float]
) -> None:
    """coverage.csv against the recomputed coverage, row by (residence, group, format).

    Minutes must agree within :data:`MINUTES_EQ_TOL`; a walk beyond the format's last limit (partial limit
    if any) may be written or left empty, as it is out of reach either way.
    """
    missing = [c for c in COVERAGE_REQUIRED if c not in cov.columns]
    if missing:
        rep.add("coverage.csv", [f"missing columns: {', '.join(missing)}"], "", "coverage.csv is incomplete")
        return
    probs, both = _match_rows(exp, cov, elderly)
    at = np.array(_where(both), dtype=object)
    probs += _population_problems(both, at)
    probs += _minutes_problems(both, at, reach_limit)
    probs += _covered_problems(both, at)
    probs += _credit_problems(both, at)
    rep.add("coverage.csv", probs, f"{len(exp)} rows: minutes, covered flags and credits agree")


def _stated_reason(text: object) -> Exclusion | None:
    """The :class:`Exclusion` an excluded.csv reason names; None when it names none."""
    try:
        return Exclusion(str(text))
    except ValueError:
        return None


def _reason_holds(reason: Exclusion, sc: Scenario, truth: Truth, sid: str, key: str) -> bool:
    """Whether ``reason`` holds for ``key`` at ``sid``, by the verification's own arithmetic."""
    cfg = sc.config
    econ = pair_economics(sc, truth, sid, key)
    assert econ is not None
    viability = bool(cfg.viability.enabled)
    deficit = econ["rent_yuan_per_year"] + econ["opex_yuan_per_year"] - econ["margin_yuan_per_year"]
    match reason:
        case Exclusion.NOT_ALLOWED:
            allowed = list(sc.sites.at[sid, "allowed_formats"] or [])
            return bool(allowed) and key not in allowed
        case Exclusion.FLOOR_AREA:
            return econ["area_m2"] > float(sc.sites.at[sid, "floor_area_m2"]) + 1e-9
        case Exclusion.CAPITAL:
            return econ["fitout_yuan"] > BUDGET_BY_BLOCK["capital"].limit(cfg) + 1e-6
        case Exclusion.NOT_VIABLE:
            return viability and deficit > econ["max_subsidy"] + 1e-6
        case Exclusion.SUBSIDY_BUDGET:
            sub_budget = BUDGET_BY_BLOCK["subsidy_budget"].limit(cfg)
            return viability and deficit > 1e-6 and deficit > sub_budget + 1e-6
        case Exclusion.NO_GAIN:
            return not bool(truth.gain[key][sc.sites.index.get_loc(sid)])
    assert_never(reason)


def check_excluded(rep: VerifyReport, sc: Scenario, truth: Truth, exc: pd.DataFrame, p: pd.DataFrame) -> None:
    """Every (site, format) left out has the reason stated, and none of them was placed."""
    probs: list[str] = []
    placed = set(zip(p["site_id"], p["format"], strict=True))
    for sid, key, text in zip(exc["site_id"], exc["format"], exc["reason"], strict=True):
        where = f"site {sid}, {key}"
        if (sid, key) in placed:
            probs.append(f"{where}: excluded ({text}) but placed")
        if sid not in sc.sites.index or key not in sc.formats.index:
            probs.append(f"{where}: not a site and format in play")
            continue
        reason = _stated_reason(text)
        if reason is None:
            probs.append(f"{where}: unknown reason '{text}', cannot be verified")
        elif not _reason_holds(reason, sc, truth, sid, key):
            probs.append(f"{where}: excluded as '{text}', which does not hold")
    rep.add("excluded.csv", probs, f"{len(exc)} exclusions: every stated reason holds")


GPKG_LAYERS = ("placements", "sites", "residences")


def _placements_layer_problems(gp: gpd.GeoDataFrame, sc: Scenario, p: pd.DataFrame) -> list[str]:
    """The placements layer lists the pairs of placements.csv, each drawn at its site."""
    if not {"site_id", "format"} <= set(gp.columns):
        return ["placements layer: no site_id/format columns"]
    probs: list[str] = []
    got = set(zip(gp["site_id"].astype(str), gp["format"].astype(str), strict=True))
    want = set(zip(p["site_id"], p["format"], strict=True))
    for sid, key in sorted(want - got):
        probs.append(f"placements layer: site {sid}, {key} missing")
    for sid, key in sorted(got - want):
        probs.append(f"placements layer: site {sid}, {key} not in placements.csv")
    sites_ll = sc.sites.geometry.to_crs(gp.crs) if gp.crs is not None else sc.sites.geometry
    for sid, key, geom in zip(gp["site_id"].astype(str), gp["format"], gp.geometry, strict=True):
        if sid in sc.sites.index and geom is not None:
            ref = sites_ll.loc[sid]
            if geom.distance(ref) > 1e-7:
                probs.append(f"placements layer: site {sid}, {key}: geometry is not at the site")
    return probs


def _sites_layer_problems(gs: gpd.GeoDataFrame, p: pd.DataFrame) -> list[str]:
    """Each site's opened_formats in the sites layer are the formats placements.csv places there."""
    if not {"site_id", "opened_formats"} <= set(gs.columns):
        return ["sites layer: no site_id/opened_formats columns"]
    probs: list[str] = []
    want_open = p.groupby("site_id")["format"].agg(lambda s: sorted(s)).to_dict()
    for sid, opened in zip(gs["site_id"].astype(str), gs["opened_formats"], strict=True):
        got_f = sorted(x for x in str(opened if pd.notna(opened) else "").split(";") if x)
        if got_f != want_open.get(sid, []):
            probs.append(
                f"sites layer: site {sid} opened_formats '{opened}', placements.csv has "
                f"'{';'.join(want_open.get(sid, []))}'"
            )
    return probs


def _residences_layer_problems(gr: gpd.GeoDataFrame, exp: pd.DataFrame) -> list[str]:
    """Each residence's covered population per format, before and after, as recomputed."""
    if "residence_id" not in gr.columns:
        return ["residences layer: no residence_id column"]
    probs: list[str] = []
    gr = gr.set_index(gr["residence_id"].astype(str))
    e = exp.assign(before=exp["credit_before"] * exp["population"])
    e = e.assign(after=exp["credit_after"] * exp["population"])
    wide = e.pivot_table(index="residence_id", columns="format", values=["before", "after"], aggfunc="sum")
    lost = sorted(set(wide.index) - set(gr.index))
    probs += [f"residences layer: residence {rid} missing" for rid in lost]
    for when, key in wide.columns:
        col = f"{key}_{when}"
        if col not in gr.columns:
            probs.append(f"residences layer: no column {col}")
            continue
        want = wide[(when, key)]
        got = pd.to_numeric(gr[col], errors="coerce").reindex(want.index)
        bad = ~(np.abs(got - want) <= 1e-6 + REL_TOL * np.abs(want)) & got.index.isin(gr.index)
        probs += [
            f"residences layer: residence {rid} {col} {num(g)}, recomputed {num(v)}"
            for rid, g, v in zip(want.index[bad], got[bad], want[bad], strict=True)
        ]
    return probs


def check_gpkg(rep: VerifyReport, path: Path, sc: Scenario, exp: pd.DataFrame, p: pd.DataFrame) -> None:
    """result.gpkg's placements, sites and residences layers agree with the recomputed tables."""
    import geopandas as gpd

    try:
        layers = {n: gpd.read_file(path, layer=n, engine="pyogrio") for n in GPKG_LAYERS}
    except Exception as e:  # an unreadable file is a failed check, not a crash
        rep.add("result.gpkg", [f"cannot read {path.name}: {e}"], "", "result.gpkg unreadable")
        return
    probs = _placements_layer_problems(layers["placements"], sc, p)
    probs += _sites_layer_problems(layers["sites"], p)
    probs += _residences_layer_problems(layers["residences"], exp)
    probs = list(dict.fromkeys(probs))
    rep.add("result.gpkg", probs, "placements, sites and residences layers agree")
