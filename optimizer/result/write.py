"""Writers: the output folder (summary.json, CSV tables, GeoPackage, workbook, report, map), written
atomically and verified independently before it is moved into place."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import VerificationError
from ..io import atomic_dir
from .plugins import WRITERS, WriteOptions

if TYPE_CHECKING:
    from ..verify import VerifyReport
    from . import Result


def inputs_digest(paths: list[Path]) -> dict[str, str]:
    """SHA-256 of every input file, so a later check can tell whether the inputs changed since the run."""
    out = {}
    for p in paths:
        p = Path(p)
        if p.is_file():
            h = hashlib.sha256()
            with p.open("rb") as f:
                while chunk := f.read(1 << 20):
                    h.update(chunk)
            out[str(p)] = h.hexdigest()
    return out


def json_safe(v: Any) -> Any:
    """JSON-safe values: numpy scalars to Python, NaN/inf to None."""
    if isinstance(v, dict):
        return {str(k): json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [json_safe(x) for x in v]
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        f = float(v)
        return f if np.isfinite(f) else None
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(json_safe(data), indent=2, ensure_ascii=False), encoding="utf-8")


def _write_tables(r: Result, tmp: Path) -> None:
    r.placements.to_csv(tmp / "placements.csv", index=False)
    r.model.excluded.to_csv(tmp / "excluded.csv", index=False)
    if r.diagnosis is not None:
        r.diagnosis.to_csv(tmp / "diagnosis.csv", index=False)
    if r.values is not None:
        r.coverage.to_csv(tmp / "coverage.csv", index=False)


def _write_geopackage(r: Result, tmp: Path) -> None:
    gpkg = tmp / "result.gpkg"
    for layer in ("placements", "sites", "residences"):
        r.to_geodataframe(layer).to_file(gpkg, layer=layer, engine="pyogrio")


def raise_if_unverified(check: VerifyReport | None, out: str | Path) -> None:
    """A VerificationError when the independent verification of the folder ``out`` disagreed."""
    if check is not None and not check.ok:
        raise VerificationError(
            f"the results written to {out} failed independent verification (see verify.json):\n{check}"
        )


def write_dir(
    r: Result,
    out: str | Path,
    overwrite: bool = False,
    excel: bool = True,
    maps: bool = True,
    verify: bool = True,
    report: bool = True,
    lang: str = "zh",
    tiles: str = "none",
) -> VerifyReport | None:
    """Write the output folder atomically (all of it or nothing) and return the independent
    verification's report (None when ``verify`` is off). The folder is moved into place even when the
    verification fails, so verify.json can be read; the caller decides what a failure means.

    ``report``: the pilot plan (report.html, report.md) in ``lang``; ``maps``: map.html (background
    ``tiles``: none, osm or amap); ``excel``: results.xlsx."""
    out = Path(out)
    check = None
    with atomic_dir(out, overwrite=overwrite, protect=list(r.scenario.inputs)) as tmp:
        write_json(tmp / "summary.json", r.summary())
        _write_tables(r, tmp)
        if r.values is not None:
            _write_geopackage(r, tmp)
        options = WriteOptions(report=report, lang=lang, maps=maps, excel=excel, tiles=tiles)
        for writer in WRITERS.values():
            writer(r, tmp, options)
        if verify:
            from ..verify import verify_dir

            check = verify_dir(tmp, scenario=r.scenario)
            write_json(tmp / "verify.json", check.to_dict())
    return check
