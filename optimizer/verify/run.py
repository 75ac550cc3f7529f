"""Entry points: check a run's tables, or read a result folder and check it, against the raw inputs.

:func:`verify` runs every check in order on tables already in memory; :func:`verify_dir` reads what a run
wrote (summary.json, placements.csv, coverage.csv, excluded.csv, result.gpkg), reloads the scenario,
checks that its input files are unchanged since the run, and calls :func:`verify`. Missing or unreadable
files are failed checks, never exceptions.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pandas as pd

from ..scenario import Scenario, load_scenario
from ..schema import OUTPUT_TABLES
from ..walk import WalkTimeSource
from .checks import (
    check_capital,
    check_floor_area,
    check_mandates,
    check_objective,
    check_placements,
    check_subsidy,
    check_summary_basics,
    check_summary_formats,
    check_summary_groups,
    check_viability,
)
from .checks_tables import check_coverage_table, check_excluded, check_gpkg
from .compare import SOLVED, SOLVER_REL_TOL
from .report import Check, VerifyReport
from .truth import expected_coverage, recompute

PLACEMENT_REQUIRED = tuple(c.name for c in OUTPUT_TABLES["placements"] if c.required)
ID_COLUMNS = {"site_id": str, "residence_id": str, "format": str, "group": str, "reason": str}


def _read_csv(path: Path) -> pd.DataFrame:
    """A result CSV with ids kept as text and empty cells as NaN."""
    head = pd.read_csv(path, nrows=0, encoding="utf-8-sig")
    dtype = {c: t for c, t in ID_COLUMNS.items() if c in head.columns}
    return pd.read_csv(path, dtype=dtype, keep_default_na=False, na_values=[""], encoding="utf-8-sig")


def verify(
    summary: dict[str, Any],
    placements: pd.DataFrame,
    coverage: pd.DataFrame | None,
    scenario: Scenario,
    excluded: pd.DataFrame | None = None,
    gpkg: Path | None = None,
    source: WalkTimeSource | None = None,
    report: VerifyReport | None = None,
    strict: bool = False,
) -> VerifyReport:
    """Check a run's tables (as written: summary dict, placements, coverage, excluded) against the inputs.

    ``coverage`` may be None only when the run has no solution. ``source`` overrides the scenario's walk
    source (default: the scenario's own, ``Scenario.walk_source()``). ``strict`` drops the solver's
    relative slack (:data:`SOLVER_REL_TOL`) on budgets, floor areas, subsidy caps and viability; only
    the rounding of money to 0.01 yuan is then tolerated. Returns the report; raises nothing for mismatches.
    """
    rep = report or VerifyReport()
    p = placements.copy()
    missing = [c for c in PLACEMENT_REQUIRED if c not in p.columns]
    if missing:
        rep.add("placements.csv columns", [f"missing columns: {', '.join(missing)}"], "")
        return rep
    p["site_id"] = p["site_id"].astype(str)
    p["format"] = p["format"].astype(str)
    status = str(summary.get("status"))
    truth = recompute(scenario, source)
    check_summary_basics(rep, scenario, summary, p)
    valid = check_placements(rep, scenario, p)
    slack = 0.0 if strict else SOLVER_REL_TOL
    check_floor_area(rep, scenario, truth, p, slack)
    check_capital(rep, scenario, truth, p, summary, slack)
    check_subsidy(rep, scenario, truth, p, summary, slack)
    check_viability(rep, scenario, truth, p, slack)
    if excluded is not None:
        check_excluded(rep, scenario, truth, excluded.astype({"site_id": str, "format": str}), p)
    if status not in SOLVED:
        if summary.get("objective_recomputed") is not None:
            rep.add("objective", ["objective_recomputed given without a solution"], "")
        return rep
    exp = expected_coverage(scenario, truth, valid)
    elderly = bool(scenario.config.walk.elderly_speed_m_per_s)
    if coverage is None:
        rep.add("coverage.csv", ["coverage.csv missing although the run has a solution"], "")
    else:
        last = {k: truth.partial_limit[k] or truth.limit[k] for k in truth.limit}
        check_coverage_table(rep, exp, coverage, elderly, last)
    check_summary_formats(rep, scenario, exp, p, summary)
    check_summary_groups(rep, exp, truth.units, summary)
    check_mandates(rep, scenario, exp, truth.units, status)
    check_objective(rep, scenario, exp, summary)
    if gpkg is not None:
        check_gpkg(rep, gpkg, scenario, exp, p)
    return rep


def _read_file(rep: VerifyReport, outdir: Path, name: str, required: bool = True) -> pd.DataFrame | None:
    """A result table of the folder, or None after recording it missing (if required) or unreadable."""
    path = outdir / name
    if not path.exists():
        if required:
            rep.add(f"file {name}", [f"{path} does not exist"], "", "missing")
        return None
    try:
        df = _read_csv(path)
    except Exception as e:  # any reader failure is reported, not raised
        rep.add(
            f"file {name}",
            [f"cannot read {path}: {str(e).splitlines()[0] if str(e) else e!r}"],
            "",
            "unreadable",
        )
        return None
    return df


def _check_inputs_unchanged(rep: VerifyReport, summary: dict[str, Any]) -> None:
    """The input files still have the SHA-256 they had when the run read them."""
    recorded = summary.get("inputs_sha256") or {}
    if not recorded:
        return
    problems: list[str] = []
    for path, digest in recorded.items():
        p = Path(path)
        if not p.is_file():
            problems.append(f"input {path} no longer exists")
            continue
        h = hashlib.sha256(p.read_bytes()).hexdigest()
        if h != digest:
            problems.append(f"input {path} changed since the run (sha256 {h[:12]} != {digest[:12]})")
    rep.add(
        "inputs unchanged",
        problems,
        f"{len(recorded)} input files as they were at the run",
        "the inputs changed since the run: re-run before trusting this comparison",
    )


def _read_summary(rep: VerifyReport, outdir: Path) -> dict[str, Any] | None:
    """summary.json as a dict, or None after recording why it cannot be read."""
    spath = outdir / "summary.json"
    try:
        summary = json.loads(spath.read_text(encoding="utf-8"))
        if not isinstance(summary, dict):
            raise ValueError("not a JSON object")
    except FileNotFoundError:
        rep.add("file summary.json", [f"{spath} does not exist"], "", "missing")
        return None
    except (OSError, ValueError, UnicodeDecodeError) as e:
        rep.add("file summary.json", [f"cannot read {spath}: {e}"], "", "unreadable")
        return None
    return summary


def _load_run_scenario(
    rep: VerifyReport, summary: dict[str, Any], scenario: Scenario | None
) -> Scenario | None:
    """The scenario given, or the one summary.json names; None after recording why it cannot be loaded."""
    if scenario is None:
        sfile = summary.get("scenario_file")
        if not sfile:
            rep.add(
                "scenario",
                ["summary.json names no scenario_file (built from frames?): pass scenario= to verify_dir"],
                "",
                "no scenario",
            )
            return None
        try:
            scenario = load_scenario(sfile)
        except Exception as e:  # ScenarioError and any reader failure: a failed check
            rep.add("scenario", [f"cannot load {sfile}: {e}"], "", "scenario not loadable")
            return None
        where = str(sfile)
    else:
        where = str(scenario.path) if scenario.path else "the scenario given"
    rep.checks.append(Check("scenario", True, f"loaded {where}"))
    return scenario


def verify_dir(
    outdir: str | Path,
    scenario: Scenario | None = None,
    source: WalkTimeSource | None = None,
    strict: bool = False,
) -> VerifyReport:
    """Verify an output folder written by ``Result.to_dir`` against its scenario's raw inputs.

    The scenario is reloaded from summary.json's ``scenario_file`` unless ``scenario`` is given (needed
    for scenarios built with ``Scenario.from_frames``). Missing or unreadable files are failed checks.
    ``source`` and ``strict``: as for :func:`verify`.
    """
    outdir = Path(outdir)
    rep = VerifyReport(outdir=outdir)
    if not outdir.is_dir():
        rep.add("output folder", [f"{outdir} is not a folder"], "", "missing")
        return rep
    summary = _read_summary(rep, outdir)
    if summary is None:
        return rep
    scenario = _load_run_scenario(rep, summary, scenario)
    if scenario is None:
        return rep
    _check_inputs_unchanged(rep, summary)
    placements = _read_file(rep, outdir, "placements.csv")
    if placements is None:
        return rep
    status = str(summary.get("status"))
    coverage = _read_file(rep, outdir, "coverage.csv", required=status in SOLVED)
    excluded = _read_file(rep, outdir, "excluded.csv")
    gpkg = outdir / "result.gpkg"
    if status in SOLVED and not gpkg.exists():
        rep.add("file result.gpkg", [f"{gpkg} does not exist"], "", "missing")
    n_read = sum(x is not None for x in (placements, coverage, excluded))
    rep.checks.append(Check("files", True, f"summary.json and {n_read} table(s) read"))
    return verify(
        summary,
        placements,
        coverage,
        scenario,
        excluded=excluded,
        gpkg=gpkg if gpkg.exists() and status in SOLVED else None,
        source=source,
        report=rep,
        strict=strict,
    )
