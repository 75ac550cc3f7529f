"""On-disk cache of walk matrices, keyed by a hash of everything that shapes them.

A cached matrix lives at ``cache_dir/walk-<hash>.npz``: plain numpy arrays (``rows``, ``cols``,
``minutes``) plus the ids and the key as JSON text, never pickles. Writes go to a temporary
file in the same folder and are moved into place with :func:`os.replace`, so a crash or a
parallel run never leaves a half-written matrix under the final name.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .base import WalkMatrix

#: Bump when the walk computation changes in a way that changes its results.
CACHE_VERSION = "network-walk-2"  # 2: the snap report and network stats are saved with the matrix


def cache_dir(folder: Path) -> Path:
    """Where network walk times are cached: ``$QUARTERHOUR_CACHE_DIR`` when set, else
    ``.quarterhour-cache`` beside the scenario file (in ``folder``)."""
    env = os.environ.get("QUARTERHOUR_CACHE_DIR")
    return Path(env) if env else folder / ".quarterhour-cache"


def file_digest(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """SHA-256 of a network file's bytes (with a Shapefile's sidecars, or all files of a folder)."""
    path = Path(path)
    if path.is_dir():
        members = sorted(p for p in path.rglob("*") if p.is_file())
    elif path.suffix.lower() == ".shp":
        sidecars = (p for p in path.parent.glob(path.stem + ".*") if p.is_file() and p != path)
        members = [path, *sorted(sidecars)]
    else:
        members = [path]
    digest = hashlib.sha256()
    for member in members:
        label = member.relative_to(path).as_posix() if path.is_dir() else member.suffix.lower()
        digest.update(label.encode())
        with member.open("rb") as handle:
            while block := handle.read(chunk_size):
                digest.update(block)
    return digest.hexdigest()


def ids_json(index: pd.Index) -> str:
    """The ids of an index as JSON text (strings, with the dtype), stable across runs."""
    return json.dumps({"dtype": str(index.dtype), "ids": [str(x) for x in index]}, ensure_ascii=False)


def points_digest(points: gpd.GeoSeries) -> str:
    """SHA-256 of a point GeoSeries' ids, coordinates and CRS."""
    digest = hashlib.sha256()
    digest.update(ids_json(points.index).encode())
    xy = np.column_stack([points.x.to_numpy(dtype=float), points.y.to_numpy(dtype=float)])
    digest.update(np.ascontiguousarray(xy, dtype="<f8").tobytes())
    digest.update((points.crs.to_wkt() if points.crs is not None else "").encode())
    return digest.hexdigest()


def cache_key(parts: dict[str, Any]) -> str:
    """SHA-256 of a JSON-serialisable dict of inputs (plus :data:`CACHE_VERSION`)."""
    text = json.dumps({"version": CACHE_VERSION, **parts}, sort_keys=True, default=_jsonable)
    return hashlib.sha256(text.encode()).hexdigest()


def _jsonable(value: Any) -> Any:
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(str(v) for v in value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot hash {type(value).__name__}")


def cache_path(cache_dir: str | Path, key: str) -> Path:
    """Where the matrix of ``key`` is stored."""
    return Path(cache_dir) / f"walk-{key[:32]}.npz"


def save_matrix(path: str | Path, matrix: WalkMatrix, key: str, meta: dict[str, Any] | None = None) -> None:
    """Write ``matrix`` atomically to ``path`` (temporary file in the same folder, then os.replace)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {
        "rows": np.asarray(matrix.rows, dtype=np.int64),
        "cols": np.asarray(matrix.cols, dtype=np.int64),
        "minutes": np.asarray(matrix.minutes, dtype=np.float64),
        "origins": np.array(ids_json(matrix.origins)),
        "destinations": np.array(ids_json(matrix.destinations)),
        "key": np.array(key),
        "meta": np.array(json.dumps(meta or {}, default=_jsonable)),
    }
    fd, tmp = tempfile.mkstemp(prefix=path.stem + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **arrays)  # type: ignore[arg-type]
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_matrix(path: str | Path, origins: pd.Index, destinations: pd.Index, key: str) -> WalkMatrix | None:
    """The cached matrix at ``path`` if it exists, is readable and matches ``key`` and the ids; else None."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["key"]) != key:
                return None
            if str(data["origins"]) != ids_json(origins) or str(data["destinations"]) != ids_json(
                destinations
            ):
                return None
            rows, cols, minutes = data["rows"], data["cols"], data["minutes"]
    except (OSError, ValueError, KeyError):
        return None
    return WalkMatrix(origins, destinations, rows, cols, minutes)


def load_meta(path: str | Path) -> dict[str, Any]:
    """The metadata saved with a cached matrix (empty when there is none or it cannot be read)."""
    try:
        with np.load(Path(path), allow_pickle=False) as data:
            return dict(json.loads(str(data["meta"])))
    except (OSError, ValueError, KeyError, json.JSONDecodeError):
        return {}


def stable_list(values: Iterable[str] | None) -> list[str] | None:
    """A sorted list of filter values for hashing (None stays None: 'use the defaults')."""
    return None if values is None else sorted(str(v) for v in values)
