"""Readers for input tables and atomic writers for output folders."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .errors import OutputExistsError

VECTOR_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".fgb", ".gml", ".kml"}
TABLE_SUFFIXES = {".csv", ".xlsx", ".xls"}


def read_table(path: Path, layer: str | None = None) -> pd.DataFrame | gpd.GeoDataFrame:
    """Read a table: vector formats through pyogrio, CSV/Excel through pandas (ids kept as text)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    if suffix in (".xlsx", ".xls"):
        return pd.read_excel(path, dtype=str, sheet_name=layer or 0)
    return gpd.read_file(path, layer=layer, engine="pyogrio")


def _is_within(path: Path, others: list[Path]) -> bool:
    p = path.resolve()
    return any(p == o.resolve() or o.resolve() in p.parents for o in others)


@contextmanager
def atomic_dir(target: Path, overwrite: bool = False, protect: list[Path] | None = None) -> Iterator[Path]:
    """Yield a temporary folder beside ``target``; move it into place only when the block completes.

    An existing ``target`` is replaced only with ``overwrite``; a target that holds or is one of the
    ``protect`` paths (the scenario's inputs) is refused. On any error the temporary folder is removed
    and ``target`` is left as it was.
    """
    target = Path(target)
    protect = protect or []
    for p in protect:
        if p.exists() and (_is_within(p, [target])):
            raise OutputExistsError(
                f"output folder {target} contains the input {p}: choose another --out folder "
                "(inputs are never written)"
            )
    if target.exists() and not overwrite:
        raise OutputExistsError(f"{target} exists: pass --overwrite (overwrite=True) or choose another")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes the folder private; give it the usual mode
    try:
        yield tmp
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """Write a file through a temporary name and rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
