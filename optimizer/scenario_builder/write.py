"""Write a scenario folder atomically: everything goes into a temporary folder beside the target,
which is then renamed into place, so a failed build never leaves a half-written scenario."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import yaml

from ..io import atomic_dir

# Layer name used for every table; the engine reads the first (only) layer.
TABLE_FILES = {"residences": "residences.gpkg", "sites": "sites.gpkg", "outlets": "outlets.gpkg"}


def plain(value: Any) -> Any:
    """``value`` with numpy scalars, tuples and Paths turned into plain YAML-safe Python values."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return value.as_posix()
    return value


def md_table(header: list[str], rows: list[list[object]]) -> str:
    """A Markdown table (so long derivation texts can be written as Python strings)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def write_table(gdf: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    """Write one table as a GeoPackage layer in EPSG:4326."""
    out = gdf.to_crs(4326) if gdf.crs is not None and not gdf.crs.equals("EPSG:4326") else gdf
    if out.crs is None:
        out = out.set_crs(4326)
    pyogrio.write_dataframe(out, path, layer=layer, driver="GPKG")


def write_scenario(
    out: Path,
    config: Mapping[str, Any],
    tables: Mapping[str, gpd.GeoDataFrame],
    copy_files: Mapping[str, Path] | None = None,
    texts: Mapping[str, str] | None = None,
    overwrite: bool = False,
    header: str = "",
) -> Path:
    """Write ``scenario.yaml``, the tables (``residences``, ``sites``, ``outlets``) as GeoPackages,
    copies of ``copy_files`` (name in folder -> source) and ``texts`` (name -> content) into ``out``.

    The folder is assembled in a temporary folder beside ``out`` and renamed into place; an existing
    ``out`` is replaced only when ``overwrite`` is true (otherwise :class:`OutputExistsError`).
    Returns the path of ``scenario.yaml``.
    """
    out = Path(out)
    with atomic_dir(out, overwrite=overwrite) as tmp:
        for name, gdf in tables.items():
            fname = TABLE_FILES.get(name, f"{name}.gpkg")
            write_table(gdf, tmp / fname, layer=name)
        for name, src in (copy_files or {}).items():
            shutil.copyfile(src, tmp / name)
        for name, text in (texts or {}).items():
            (tmp / name).write_text(text, encoding="utf-8")
        body = yaml.safe_dump(plain(dict(config)), sort_keys=False, allow_unicode=True, width=100)
        (tmp / "scenario.yaml").write_text(header + body, encoding="utf-8")
    return out / "scenario.yaml"
