"""A written run, back in memory: the scenario it names, its walk times, its model and the plan of its
placements.csv as a :class:`~optimizer.result.Result` (so the analyses that re-solve can start from a
folder), and files added to that folder one at a time, atomically."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from ..config import SolverConfig
from ..errors import QuarterHourError
from ..heuristic import chosen_from_placements, plan_values
from ..model import build_model
from ..outcome import Solution, Status
from ..reach import compute_reach
from ..result import Result
from ..result.write import inputs_digest, write_json
from ..scenario import load_scenario


class RunFolderError(QuarterHourError):
    """The folder is not a run this version can read back (no summary, scenario gone, plan not a plan)."""


def load_run(outdir: str | Path) -> tuple[Result, list[str]]:
    """The run written to ``outdir`` as a Result holding the folder's plan, and warnings (e.g. the
    inputs changed since the run)."""
    out = Path(outdir)
    try:
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        placements = pd.read_csv(out / "placements.csv", dtype={"site_id": str, "format": str})
    except (OSError, ValueError) as e:
        raise RunFolderError(f"{out} is not a readable run folder: {e}") from e
    path = summary.get("scenario_file")
    if not path or not Path(path).is_file():
        raise RunFolderError(f"{out}: the scenario file it was run from ({path}) is not there")
    sc = load_scenario(path)
    warnings = []
    if inputs_digest(sc.inputs) != summary.get("inputs_sha256"):
        warnings.append(
            f"the inputs of {path} changed since {out} was written: the analysis uses them as they are now"
        )
    if summary.get("status") not in ("optimal", "feasible"):
        raise RunFolderError(f"{out}: the run has no plan to analyse (status {summary.get('status')})")
    config = SolverConfig.from_config(summary.get("solver") or {})
    reach = compute_reach(sc)
    model = build_model(sc, reach)
    chosen = chosen_from_placements(model, placements[["site_id", "format"]])
    if chosen is None:
        raise RunFolderError(f"{out}: a placement of placements.csv is not a candidate of the scenario now")
    values = plan_values(sc, reach, model, chosen)
    obj = float(model.lp.c @ values)
    first = Solution(
        Status(summary["status"]), values, obj, summary.get("bound"), summary.get("mip_gap"), 0.0, config.name
    )
    return Result(sc, reach, model, first, None, config, {}, values=values), warnings


def replace_file(path: Path, write: Callable[[Path], None]) -> None:
    """Write ``path`` through a temporary file in the same folder, moved into place when complete."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_explained(outdir: str | Path, r: Result) -> dict[str, Any]:
    """Put ``r``'s explanation (with its re-solved analyses) into the run folder: summary.json's
    ``explain`` block, explain.csv and the explain columns of placements.csv, each file replaced
    atomically. Returns the explain block."""
    from . import explain_block, placement_table

    out = Path(outdir)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    summary["explain"] = explain_block(r, marginal=r.analyses.get("marginal"))
    why = placement_table(r)
    placements = pd.read_csv(out / "placements.csv", dtype={"site_id": str, "format": str})
    stale = [c for c in why.columns if c not in ("site_id", "format")]
    placements = placements.drop(columns=stale, errors="ignore").merge(
        why, on=["site_id", "format"], how="left"
    )
    replace_file(out / "summary.json", lambda p: write_json(p, summary))
    replace_file(out / "explain.csv", lambda p: why.to_csv(p, index=False))
    replace_file(out / "placements.csv", lambda p: placements.to_csv(p, index=False))
    return summary["explain"]
