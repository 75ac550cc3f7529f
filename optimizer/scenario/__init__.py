"""Read a scenario, apply defaults and overrides, and validate it once.

``load_scenario`` reads the YAML file and its tables; ``Scenario.from_frames`` takes tables a notebook
user already has. Both go through the same checks and report every problem together
(:class:`~optimizer.errors.ScenarioError`). After this step the model code trusts its inputs.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from .. import catalog
from ..backends.registry import check_options as check_solver_options
from ..config import ScenarioConfig
from ..coords import utm_crs
from ..errors import Problem, Problems, closest, did_you_mean
from ..schema import KEYS, TABLES, Column, Key
from .geometry import COORDINATE_NAMES as _COORD_COLUMNS
from .geometry import to_wgs84
from .messages import FALSE, MAX_IDS, TRUE
from .messages import ids as _ids
from .messages import rows as _rows
from .read import read_inputs, read_scenario_file
from .walk_table import Known, check_walk_table

# ---------------------------------------------------------------------------------------------------------
# the YAML file
# ---------------------------------------------------------------------------------------------------------


def _coerce(value: Any, key: Key) -> tuple[Any, str | None]:
    """Convert one YAML value to the key's type; return (value, problem or None)."""
    if value is None:
        return None, None
    t = key.type
    try:
        if t in ("str", "path"):
            if isinstance(value, (dict, list)):
                return None, f"expected text, got {type(value).__name__}"
            return str(value), None
        if t == "choice":
            v = str(value).strip().lower()
            if v not in key.choices:
                return None, f"'{value}' is not one of {', '.join(key.choices)}{did_you_mean(v, key.choices)}"
            return v, None
        if t == "bool":
            if isinstance(value, bool):
                return value, None
            v = str(value).strip().lower()
            if v in TRUE or v in FALSE:
                return v in TRUE, None
            return None, f"expected true or false, got '{value}'"
        if t in ("float", "int"):
            if isinstance(value, bool):
                return None, f"expected a number, got {value}"
            v = (
                float(str(value).replace("_", "").replace(",", ""))
                if isinstance(value, str)
                else float(value)
            )
            if not np.isfinite(v):
                return None, f"expected a finite number, got {value}"
            if t == "int":
                if v != int(v):
                    return None, f"expected a whole number, got {value}"
                v = int(v)
            if key.min is not None and (v < key.min or (key.exclusive_min and v == key.min)):
                return (
                    None,
                    f"{value} is out of range: must be {'>' if key.exclusive_min else '>='} {key.min:g}",
                )
            if key.max is not None and v > key.max:
                return None, f"{value} is out of range: must be <= {key.max:g}"
            return v, None
        if t == "list[str]":
            if isinstance(value, str):
                return [s.strip() for s in value.split(";") if s.strip()], None
            if isinstance(value, (list, tuple)):
                return [str(v).strip() for v in value], None
            return None, f"expected a list, got {type(value).__name__}"
        if t == "mapping":
            if isinstance(value, dict):
                return dict(value), None
            return None, f"expected a mapping (key: value), got {type(value).__name__}"
        if t == "mapping|list[str]":
            if isinstance(value, dict):
                return dict(value), None
            if isinstance(value, (list, tuple)) and all(isinstance(v, (str, int)) for v in value):
                return {str(v): {} for v in value}, None
            if isinstance(value, str):
                return {v.strip(): {} for v in value.split(";") if v.strip()}, None
            return None, "expected a list of format names or a mapping of name to overrides"
        if t == "list[mapping]":
            if isinstance(value, list) and all(isinstance(v, dict) for v in value):
                return list(value), None
            return None, "expected a list of mappings (- key: value)"
    except (TypeError, ValueError):
        return None, f"expected a {t}, got '{value}'"
    raise AssertionError(f"unknown schema type {t}")


def _sections() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k in KEYS:
        if "[]" in k.path:
            continue
        head, _, tail = k.path.partition(".")
        out.setdefault(head, [])
        if tail:
            out[head].append(tail)
    return out


SECTIONS = _sections()
_FREE_MAPPINGS = {"formats", "solver.options"}


def validate_config(raw: Any, probs: Problems, file: str) -> dict[str, Any]:
    """Check every key of the YAML against the schema; return the nested config with defaults applied."""
    cfg: dict[str, Any] = {}
    if not isinstance(raw, dict):
        probs.add(
            "the scenario file must be a mapping of keys (name:, inputs:, budget:, ...)",
            file=file,
            fix="see the README's scenario format",
        )
        raw = {}
    for top, value in raw.items():
        if top not in SECTIONS:
            probs.add(
                f"unknown key '{top}'{did_you_mean(str(top), SECTIONS)}",
                file=file,
                column=str(top),
                fix="remove it or correct its name",
            )
        elif SECTIONS[top] and value is not None and not isinstance(value, dict):
            probs.add(f"'{top}' must be a mapping of {', '.join(SECTIONS[top])}", file=file, column=top)
        elif SECTIONS[top] and isinstance(value, dict):
            for sub in value:
                if str(sub) not in SECTIONS[top]:
                    probs.add(
                        f"unknown key '{top}.{sub}'{did_you_mean(str(sub), SECTIONS[top])}",
                        file=file,
                        column=f"{top}.{sub}",
                        fix="remove it or correct its name",
                    )
    for key in KEYS:
        if "[]" in key.path:
            continue
        head, _, tail = key.path.partition(".")
        section = raw.get(head) if tail else raw
        value = section.get(tail or head) if isinstance(section, dict) else None
        if value is None:
            if key.required:
                probs.add(
                    f"'{key.path}' is required: {key.description}",
                    file=file,
                    column=key.path,
                    fix=f"add '{key.path}' to the scenario file",
                )
            v = copy.deepcopy(key.default)
        else:
            v, err = _coerce(value, key)
            if err:
                probs.add(f"'{key.path}': {err}", file=file, column=key.path, fix=key.description)
        node = cfg.setdefault(head, {}) if tail else cfg
        node[tail or head] = v
    cfg["mandates"] = _validate_mandates(cfg.get("mandates") or [], probs, file)
    _check_solver(cfg.get("solver") or {}, probs, file)
    return cfg


def _check_solver(solver: dict[str, Any], probs: Problems, file: str) -> None:
    """What the schema cannot state: option names and values, checked by the chosen solver's backend.
    (The schema caps solver.threads at 256: HiGHS aborts the whole process when asked for ~100000.)"""
    for p in check_solver_options(solver.get("name"), solver.get("options")):
        where = f"solver.options.{p.option}"
        probs.add(f"'{where}': {p.message}", file=file, column=where, fix=p.fix)


def _validate_mandates(items: list[dict[str, Any]], probs: Problems, file: str) -> list[dict[str, Any]]:
    keys = {k.path.split("[].")[1]: k for k in KEYS if k.path.startswith("mandates[].")}
    out = []
    for n, item in enumerate(items, start=1):
        m: dict[str, Any] = {}
        for name in item:
            if name not in keys:
                probs.add(
                    f"mandate {n}: unknown key '{name}'{did_you_mean(str(name), keys)}",
                    file=file,
                    column=f"mandates[{n}].{name}",
                )
        for name, key in keys.items():
            if item.get(name) is None:
                probs.add(
                    f"mandate {n}: '{name}' is required: {key.description}",
                    file=file,
                    column=f"mandates[{n}].{name}",
                )
                continue
            v, err = _coerce(item[name], key)
            if err:
                probs.add(f"mandate {n}: '{name}': {err}", file=file, column=f"mandates[{n}].{name}")
            elif name == "formats" and not v:
                probs.add(
                    f"mandate {n}: 'formats' is empty, so the mandate would do nothing",
                    file=file,
                    column=f"mandates[{n}].formats",
                    fix="list the formats the floor applies to, or remove the mandate",
                )
            m[name] = v
        out.append(m)
    return out


# ---------------------------------------------------------------------------------------------------------
# the tables
# ---------------------------------------------------------------------------------------------------------


def _to_bool(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(values, bad mask) for a column of booleans written in any common way."""
    if s.dtype == bool:
        return s, pd.Series(False, index=s.index)
    text = s.astype("string").str.strip().str.lower().fillna("")
    bad = ~(text.isin(TRUE) | text.isin(FALSE))
    return text.isin(TRUE), bad


def _validate_table(
    df: pd.DataFrame, table: str, file: str, probs: Problems, geometry: bool = True
) -> gpd.GeoDataFrame | pd.DataFrame:
    """Check columns, types, ranges and ids of one table against the schema; index it by id."""
    cols: tuple[Column, ...] = TABLES[table]
    df = df.copy()
    if "id" not in df.columns and (df.index.name == "id" or not isinstance(df.index, pd.RangeIndex)):
        # A (Geo)DataFrame indexed by the user's own ids, as notebook users build them.
        df = df.rename_axis("id").reset_index()
    df.columns = [str(c).strip() for c in df.columns]
    names = [c.name for c in cols]
    if len(df) == 0 and table != "outlets":  # no existing outlets is a valid survey result
        probs.add(f"the {table} table is empty", file=file, fix=f"add at least one {table[:-1]}")
    others = [x for x in df.columns if x not in names and x.lower() not in _COORD_COLUMNS]
    shp = Path(file).suffix.lower() in (".shp", ".dbf", ".zip")
    missing = [c for c in cols if c.required and c.name not in df.columns]
    for c in missing:
        hint = did_you_mean(c.name, others)
        cut = " (a Shapefile cuts column names to 10 characters: use GeoPackage)" if shp else ""
        probs.add(
            f"missing column '{c.name}'{hint}",
            file=file,
            column=c.name,
            fix=f"add a column '{c.name}': {c.description}" + (cut if hint else ""),
        )
    # An optional column typed wrong would be silently replaced by its default: say so instead.
    absent = [c.name for c in cols if not c.required and c.name not in df.columns]
    for col in others:
        match = closest(col, absent, cutoff=0.8) or next(
            (a for a in absent if len(col) >= 8 and a.lower().startswith(col.lower())), None
        )
        if match:
            cut = " (a Shapefile cuts column names to 10 characters: use GeoPackage)" if shp else ""
            probs.add(
                f"column '{col}' is not used (did you mean '{match}'?): its values would be ignored",
                file=file,
                column=col,
                fix=f"rename the column to '{match}'{cut}",
            )
            absent.remove(match)
    if missing:
        return df
    id_col = "id" if "id" in df.columns else None
    if id_col:
        ids = df["id"]
        blank = ids.isna() | (ids.astype("string").str.strip() == "")
        if blank.any():
            rows = [f"line {i + 2}" for i in np.flatnonzero(blank.to_numpy())]
            probs.add(
                f"{_rows(int(blank.sum()))} without an id ({_ids(rows)})",
                file=file,
                column="id",
                fix="give every row a unique id",
            )
        ids = ids.astype("string").str.strip()
        ids = ids.where(~blank, pd.Series([f"line {i + 2}" for i in range(len(df))], index=df.index))
        df["id"] = ids.astype(str)
        dup = df["id"][df["id"].duplicated(keep=False)].unique()
        if len(dup):
            probs.add(f"duplicate ids: {_ids(dup)}", file=file, column="id", fix="make every id unique")
    label = df["id"] if id_col else pd.Series([f"line {i + 2}" for i in range(len(df))], index=df.index)
    for c in cols:
        if c.name == "id":
            continue
        if c.name not in df.columns:
            if c.type == "list[str]":
                df[c.name] = [[] for _ in range(len(df))]
            else:
                df[c.name] = c.default if c.default is not None else np.nan
            continue
        s = df[c.name]
        if c.type in ("float", "int"):
            raw = s
            num = pd.to_numeric(s, errors="coerce")
            if num.dtype == object:
                num = num.astype(float)
            blank = raw.isna() | (raw.astype("string").str.strip() == "")
            bad = num.isna() & ~blank
            if bad.any():
                probs.add(
                    f"not a number in {_rows(int(bad.sum()))}: {_ids(label[bad])} "
                    f"(e.g. '{raw[bad].iloc[0]}')",
                    file=file,
                    column=c.name,
                    row=str(label[bad].iloc[0]),
                    fix=f"write {c.name} as a number in {c.unit or 'plain units'}",
                )
            inf = ~np.isfinite(num) & num.notna()
            if inf.any():
                probs.add(
                    f"infinite value in rows {_ids(label[inf])}",
                    file=file,
                    column=c.name,
                    row=str(label[inf].iloc[0]),
                    fix="write a finite number",
                )
            if c.required and blank.any():
                probs.add(
                    f"empty (NaN) in {_rows(int(blank.sum()))}: {_ids(label[blank])}",
                    file=file,
                    column=c.name,
                    row=str(label[blank].iloc[0]),
                    fix=f"fill in {c.name} ({c.description.lower()})",
                )
            if c.min is not None:
                low = (num < c.min) | ((num == c.min) if c.exclusive_min else False)
                low = low & num.notna()
                if low.any():
                    word = "zero or negative" if (c.exclusive_min and c.min == 0) else f"below {c.min:g}"
                    probs.add(
                        f"{word} in rows {_ids(label[low])} (e.g. {num[low].iloc[0]:g})",
                        file=file,
                        column=c.name,
                        row=str(label[low].iloc[0]),
                        fix=f"{c.name} must be {'>' if c.exclusive_min else '>='} {c.min:g}",
                    )
            if c.max is not None:
                high = (num > c.max) & num.notna()
                if high.any():
                    probs.add(
                        f"above {c.max:g} in rows {_ids(label[high])} (e.g. {num[high].iloc[0]:g})",
                        file=file,
                        column=c.name,
                        row=str(label[high].iloc[0]),
                        fix=f"{c.name} must be <= {c.max:g} (a share is written 0.25, not 25)",
                    )
            if c.type == "int":
                frac = num.notna() & np.isfinite(num) & (num != np.round(num))
                if frac.any():
                    probs.add(
                        f"not a whole number in rows {_ids(label[frac])}",
                        file=file,
                        column=c.name,
                        row=str(label[frac].iloc[0]),
                        fix=f"write {c.name} as a whole number",
                    )
            if c.default is not None:
                num = num.fillna(c.default)
            df[c.name] = num.astype(float)
        elif c.type == "bool":
            val, bad = _to_bool(s)
            if bad.any():
                probs.add(
                    f"not true/false in rows {_ids(label[bad])} (e.g. '{s[bad].iloc[0]}')",
                    file=file,
                    column=c.name,
                    row=str(label[bad].iloc[0]),
                    fix="write true or false (or 1/0)",
                )
            df[c.name] = val.astype(bool)
        elif c.type == "list[str]":
            df[c.name] = [
                [p.strip() for p in str(v).replace("；", ";").split(";") if p.strip()]
                if isinstance(v, str)
                else (list(v) if isinstance(v, (list, tuple)) else [])
                for v in s
            ]
        elif c.type == "str":
            blank = s.isna() | (s.astype("string").str.strip() == "")
            if c.required and blank.any():
                probs.add(
                    f"empty in rows {_ids(label[blank])}",
                    file=file,
                    column=c.name,
                    row=str(label[blank].iloc[0]),
                    fix=f"fill in {c.name}",
                )
            df[c.name] = s.astype("string").str.strip().astype(object)
    return df.set_index("id", drop=True) if id_col else df


# ---------------------------------------------------------------------------------------------------------
# the scenario
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Scenario:
    """A validated scenario: typed tables indexed by the user's ids, and the config with defaults.

    ``residences``, ``sites``, ``outlets``: GeoDataFrames in EPSG:4326 indexed by id (text).
    ``formats``: the formats in play (index: catalog key) with every catalog field after overrides.
    ``config``: the scenario file's keys, nested, with defaults applied.
    """

    name: str
    config: ScenarioConfig
    residences: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    outlets: gpd.GeoDataFrame
    formats: pd.DataFrame
    walk_minutes: pd.DataFrame | None = None
    path: Path | None = None
    folder: Path = field(default_factory=Path.cwd)
    warnings: list[Problem] = field(default_factory=list)
    inputs: list[Path] = field(default_factory=list)

    @property
    def metric_crs(self) -> pyproj.CRS:
        """The UTM zone at the centre of the residences' bounding box: the CRS walk distances use."""
        x0, y0, x1, y1 = self.residences.total_bounds
        return utm_crs((x0 + x1) / 2, (y0 + y1) / 2)

    @classmethod
    def from_frames(
        cls,
        residences: pd.DataFrame,
        sites: pd.DataFrame,
        outlets: pd.DataFrame | None = None,
        config: dict[str, Any] | None = None,
        walk_minutes: pd.DataFrame | None = None,
        folder: Path | None = None,
        path: Path | None = None,
        files: dict[str, str] | None = None,
        problems: Problems | None = None,
        inputs: list[Path] | None = None,
    ) -> Scenario:
        """Validate tables (DataFrames with lon/lat or GeoDataFrames) and a config dict into a Scenario.

        ``config`` holds the same keys as a scenario file; ``inputs.residences``/``inputs.sites`` are
        not needed here.
        """
        probs = problems or Problems()
        files = files or {}
        cfg_file = str(path) if path else "config"
        raw = copy.deepcopy(config or {})
        if "inputs" not in raw or not isinstance(raw.get("inputs"), dict):
            raw["inputs"] = {}
        raw["inputs"].setdefault("residences", files.get("residences", "<frame>"))
        raw["inputs"].setdefault("sites", files.get("sites", "<frame>"))
        cfg = validate_config(raw, probs, cfg_file)
        coordinates = cfg["inputs"]["coordinates"] or "wgs84"
        f_res = files.get("residences", "residences")
        f_sites = files.get("sites", "sites")
        f_out = files.get("outlets", "outlets")
        res = _validate_table(residences, "residences", f_res, probs)
        sit = _validate_table(sites, "sites", f_sites, probs)
        outlets_unread = outlets is None and "outlets" in files
        if outlets is None:
            outlets = pd.DataFrame(
                {
                    "id": pd.Series(dtype=str),
                    "format": pd.Series(dtype=str),
                    "lon": pd.Series(dtype=float),
                    "lat": pd.Series(dtype=float),
                }
            )
            out = _validate_table(outlets, "outlets", f_out, Problems())
        else:
            out = _validate_table(outlets, "outlets", f_out, probs)
        geo = {}
        for name, df, f in (("residences", res, f_res), ("sites", sit, f_sites), ("outlets", out, f_out)):
            if "id" in getattr(df, "columns", []) or df.index.name != "id":
                continue  # missing columns already reported
            if len(df) == 0:
                geo[name] = gpd.GeoDataFrame(
                    df, geometry=gpd.GeoSeries([], crs=4326, index=df.index), crs=4326
                )
                continue
            g, found = to_wgs84(df, f, coordinates)
            probs.extend(found)
            if g is not None:
                geo[name] = g

        formats = _resolve_formats(cfg, geo.get("sites"), geo.get("outlets"), probs, cfg_file, f_sites, f_out)
        wm = None
        if walk_minutes is not None:
            known = Known(
                *(geo[t].index if t in geo else None for t in ("residences", "sites", "outlets")),
                outlets_unread=outlets_unread,
            )
            wm, found = check_walk_table(walk_minutes, files.get("walk_minutes", "walk_minutes"), known)
            probs.extend(found)
        _check_walk_config(cfg, cfg_file, wm is not None, probs)
        if "residences" in geo:
            _check_mandate_groups(cfg, geo["residences"], probs, cfg_file)
        if cfg["walk"].get("network") and folder is not None:
            cfg["walk"]["network"] = str((folder / cfg["walk"]["network"]).resolve())
        probs.raise_if_any()
        return cls(
            name=str(cfg.get("name") or "scenario"),
            config=ScenarioConfig.from_dict(cfg),
            residences=geo["residences"],
            sites=geo["sites"],
            outlets=geo["outlets"],
            formats=formats,
            walk_minutes=wm,
            path=path,
            folder=folder or Path.cwd(),
            warnings=probs.warnings,
            inputs=list(inputs or []),
        )

    def with_config(self, **changes: Any) -> Scenario:
        """A copy with some config sections changed, validated again (e.g. ``budget={...}``, or a
        typed section such as ``budget=dataclasses.replace(sc.config.budget, capital_yuan=2e6)``)."""
        cfg = self.config.to_dict()
        for section, values in changes.items():
            if dataclasses.is_dataclass(values) and not isinstance(values, type):
                values = ScenarioConfig().replace(section, values).to_dict()[section]
            elif isinstance(values, tuple):
                values = list(values)
            if isinstance(values, dict) and isinstance(cfg.get(section), dict):
                cfg[section].update(values)
            else:
                cfg[section] = values
        cfg["formats"] = {k: {} for k in self.formats.index} if cfg.get("formats") is None else cfg["formats"]
        probs = Problems()
        new_cfg = validate_config(cfg, probs, "config")
        new_formats = _resolve_formats(new_cfg, self.sites, self.outlets, probs, "config", "sites", "outlets")
        probs.raise_if_any()
        return dataclasses.replace(self, config=ScenarioConfig.from_dict(new_cfg), formats=new_formats)


def _resolve_name(name: str, probs: Problems, file: str, column: str, row: str | None = None) -> str | None:
    key = catalog.resolve(name)
    if key is None:
        text = str(name)
        if any(sep in text for sep in (",", "，", "、")):
            probs.add(
                f"unknown format '{text}': separate formats with ';', not commas",
                file=file,
                column=column,
                row=row,
                fix="write e.g. pharmacy;convenience_store",
            )
            return None
        probs.add(
            f"unknown format '{text}'{did_you_mean(text, catalog.NAMES)}",
            file=file,
            column=column,
            row=row,
            fix="use a catalog key or Chinese name (quarterhour formats)",
        )
    return key


def _resolve_formats(
    cfg: dict[str, Any],
    sites: gpd.GeoDataFrame | None,
    outlets: gpd.GeoDataFrame | None,
    probs: Problems,
    file: str,
    f_sites: str,
    f_out: str,
) -> pd.DataFrame:
    """Formats in play with their overridden fields.

    Also resolves format names in sites, outlets, subsidy and mandates to catalog keys.
    """
    table = catalog.catalog_frame()
    if outlets is not None and len(outlets):
        keys = [catalog.resolve(v) for v in outlets["format"]]
        bad = [i for i, k in zip(outlets.index, keys, strict=True) if k is None]
        for i in bad[:MAX_IDS]:
            _resolve_name(outlets.at[i, "format"], probs, f_out, "format", row=str(i))
        if len(bad) > MAX_IDS:
            probs.add(f"{len(bad) - MAX_IDS} more outlets with unknown formats", file=f_out, column="format")
        outlets["format"] = [k if k is not None else v for k, v in zip(keys, outlets["format"], strict=True)]
    if sites is not None and len(sites):
        resolved = []
        for i, names in zip(sites.index, sites["allowed_formats"], strict=True):
            keys = []
            for n in names:
                k = _resolve_name(n, probs, f_sites, "allowed_formats", row=str(i))
                if k:
                    keys.append(k)
            resolved.append(keys)
        sites["allowed_formats"] = resolved
    spec = cfg.get("formats")
    overrides: dict[str, dict[str, Any]] = {}
    if spec is None:
        used: set[str] = set()
        if outlets is not None and len(outlets):
            used |= {k for k in outlets["format"] if k in table.index}
        if sites is not None and len(sites):
            for names in sites["allowed_formats"]:
                used |= set(names)
        keys = [k for k in table.index if k in used] or list(table.index)
        overrides = {k: {} for k in keys}
    else:
        items = spec.items() if isinstance(spec, dict) else ((n, {}) for n in spec)
        named: dict[str, str] = {}
        for name, ov in items:
            key = _resolve_name(str(name), probs, file, f"formats.{name}")
            if key is None:
                continue
            if key in named:
                probs.add(
                    f"format '{key}' is listed twice (as '{named[key]}' and '{name}')",
                    file=file,
                    column=f"formats.{name}",
                    fix="list each format once (a Chinese name and its key are the same format)",
                )
                continue
            named[key] = str(name)
            if ov is None:
                ov = {}
            if not isinstance(ov, dict):
                probs.add(
                    f"overrides of format '{name}' must be a mapping", file=file, column=f"formats.{name}"
                )
                continue
            overrides[key] = ov
    fields = {
        "walk_minutes": Key("walk_minutes", "float", "", min=0, exclusive_min=True),
        "area_m2": Key("area_m2", "float", "", min=0),
        "fitout_yuan_per_m2": Key("fitout_yuan_per_m2", "float", "", min=0),
        "opex_yuan_per_year": Key("opex_yuan_per_year", "float", "", min=0),
        "margin_yuan_per_resident_year": Key("margin", "float", "", min=0),
        "micro_profit": Key("micro_profit", "bool", ""),
        "weight": Key("weight", "float", "", min=0),
    }
    rows = []
    for key, ov in overrides.items():
        row = table.loc[key].to_dict()
        row["key"] = key
        for field_name, value in ov.items():
            if field_name not in fields:
                probs.add(
                    f"unknown format field '{field_name}'{did_you_mean(str(field_name), fields)}",
                    file=file,
                    column=f"formats.{key}.{field_name}",
                    fix=f"one of {', '.join(fields)}",
                )
                continue
            v, err = _coerce(value, fields[field_name])
            if err:
                probs.add(
                    f"'formats.{key}.{field_name}': {err}",
                    file=file,
                    column=f"formats.{key}.{field_name}",
                    fix="walk limits must be > 0 minutes" if field_name == "walk_minutes" else None,
                )
            else:
                row[field_name] = v
        rows.append(row)
    frame = pd.DataFrame(rows).set_index("key") if rows else table.iloc[:0]
    if sites is not None and len(sites) and len(frame):
        idle = [
            str(i)
            for i, names in zip(sites.index, sites["allowed_formats"], strict=True)
            if names and not set(names) & set(frame.index)
        ]
        if idle:
            probs.warn(
                f"sites whose allowed_formats are all out of play, so they can host nothing: {_ids(idle)}",
                file=f_sites,
                column="allowed_formats",
                row=idle[0],
                fix="add those formats under formats: in the scenario, or correct allowed_formats",
            )
    if outlets is not None and len(outlets) and len(frame):
        unused = outlets.index[~outlets["format"].isin(frame.index) & outlets["format"].isin(table.index)]
        if len(unused):
            kinds = sorted(set(outlets.loc[unused, "format"]))
            probs.warn(
                f"{len(unused)} outlets are of formats not in play ({', '.join(kinds)}) and are not used: "
                f"{_ids(list(unused))}",
                file=f_out,
                column="format",
                row=str(unused[0]),
                fix="add those formats under formats: in the scenario to count them",
            )
    sub = cfg.get("subsidy", {})
    if sub.get("formats") is None:
        sub["formats"] = [k for k in frame.index if bool(frame.at[k, "micro_profit"])]
    else:
        sub["formats"] = [
            k for k in (_resolve_name(n, probs, file, "subsidy.formats") for n in sub["formats"]) if k
        ]
    for n, m in enumerate(cfg.get("mandates") or [], start=1):
        keys = []
        for name in m.get("formats") or []:
            k = _resolve_name(name, probs, file, f"mandates[{n}].formats")
            if k is not None and k not in frame.index:
                probs.add(
                    f"mandate {n} names format '{k}' that is not in play",
                    file=file,
                    column=f"mandates[{n}].formats",
                    fix="add it under formats: or remove it from the mandate",
                )
            elif k is not None:
                keys.append(k)
        m["formats"] = keys
    if len(frame) == 0 and not probs.errors:
        probs.add("no formats in play", file=file, column="formats", fix="list formats under formats:")
    return frame


GROUP_COLUMNS = {
    "all": "population",
    "old_neighbourhood": "column old_neighbourhood",
    "affordable_housing": "column affordable_housing",
    "priority": "column old_neighbourhood or affordable_housing",
}


def _check_mandate_groups(cfg: dict[str, Any], res: gpd.GeoDataFrame, probs: Problems, file: str) -> None:
    """A mandate for a group nobody belongs to constrains nothing: warn, since the flags may be missing."""
    if not len(res) or not {"old_neighbourhood", "affordable_housing"} <= set(res.columns):
        return
    old = res["old_neighbourhood"].astype(bool)
    members = {
        "all": pd.Series(True, index=res.index),
        "old_neighbourhood": old,
        "affordable_housing": res["affordable_housing"].astype(bool),
        "priority": old | res["affordable_housing"].astype(bool),
    }
    for n, m in enumerate(cfg.get("mandates") or [], start=1):
        group = m.get("group")
        if group in members and not members[group].any():
            probs.warn(
                f"mandate {n} is for group '{group}' but no residence belongs to it: it constrains nothing",
                file=file,
                column=f"mandates[{n}].group",
                fix=f"mark the residences of that group ({GROUP_COLUMNS[group]})",
            )


def _check_walk_config(cfg: dict[str, Any], file: str, has_matrix: bool, probs: Problems) -> None:
    walk = cfg["walk"]
    src = walk.get("source")
    if src is None:
        src = "matrix" if has_matrix else ("network" if walk.get("network") else "straight_line")
    walk["source"] = src
    if src == "matrix" and not has_matrix:
        probs.add(
            "walk.source is 'matrix' but inputs.walk_minutes is not given",
            file=file,
            column="walk.source",
            fix="add inputs.walk_minutes or choose another walk.source",
        )
    if src != "matrix" and has_matrix:
        probs.warn(
            f"inputs.walk_minutes is given but walk.source is '{src}': the walk-minutes table is not used",
            file=file,
            column="walk.source",
            fix="remove walk.source (or set it to matrix) to use the table",
        )
    if src != "network" and walk.get("network"):
        probs.warn(
            f"walk.network is given but walk.source is '{src}': the street network is not used",
            file=file,
            column="walk.network",
            fix="remove walk.network, or set walk.source to network",
        )
    if src == "network" and not walk.get("network"):
        probs.add(
            "walk.source is 'network' but walk.network is not given",
            file=file,
            column="walk.network",
            fix="give the street network file",
        )


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; raise ScenarioError listing every problem."""
    path = Path(path)
    probs = Problems()
    raw, found = read_scenario_file(path)
    probs.extend(found)
    inputs, found = read_inputs(raw, path)
    probs.extend(found)
    if inputs.tables.get("residences") is None or inputs.tables.get("sites") is None:
        # Report what can be checked without the tables, then stop.
        validate_config(raw, probs, str(path))
        probs.raise_if_any()
    return Scenario.from_frames(
        residences=inputs.tables["residences"],  # type: ignore[arg-type]
        sites=inputs.tables["sites"],  # type: ignore[arg-type]
        outlets=inputs.tables.get("outlets"),
        config=raw if isinstance(raw, dict) else {},
        walk_minutes=inputs.tables.get("walk_minutes"),
        folder=path.parent,
        path=path,
        files=inputs.files,
        problems=probs,
        inputs=inputs.used,
    )
