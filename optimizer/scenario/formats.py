"""Which formats are in play, with their catalog fields after the scenario's overrides, and every format
name in the inputs (outlets, sites' allowed formats, subsidy, mandates) resolved to its catalog key.

Nothing here changes its inputs: :func:`resolve_formats` returns new tables and lists, and the caller
builds the typed config from them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd

from .. import catalog
from ..errors import Problem, did_you_mean
from ..schema import Key
from .config_rules import coerce
from .messages import MAX_IDS, ids, warning

# The catalog fields a scenario may override per format, with their types and ranges.
FORMAT_FIELDS: dict[str, Key] = {
    "walk_minutes": Key("walk_minutes", "float", "", min=0, exclusive_min=True),
    "area_m2": Key("area_m2", "float", "", min=0),
    "fitout_yuan_per_m2": Key("fitout_yuan_per_m2", "float", "", min=0),
    "opex_yuan_per_year": Key("opex_yuan_per_year", "float", "", min=0),
    "margin_yuan_per_resident_year": Key("margin", "float", "", min=0),
    "micro_profit": Key("micro_profit", "bool", ""),
    "weight": Key("weight", "float", "", min=0),
}


@dataclass(frozen=True)
class Formats:
    """The formats in play and every format name of the inputs as a catalog key."""

    table: pd.DataFrame  # formats in play (index: catalog key), every catalog field after overrides
    sites: gpd.GeoDataFrame | None  # allowed_formats as catalog keys
    outlets: gpd.GeoDataFrame | None  # format as catalog keys (unknown names kept as written)
    subsidy: list[str]  # formats eligible for rent subsidy
    mandates: list[list[str]]  # each mandate's formats


def resolve_name(
    name: str, file: str, column: str, row: str | None = None
) -> tuple[str | None, list[Problem]]:
    """The catalog key of a format name, or None and why not."""
    key = catalog.resolve(name)
    if key is not None:
        return key, []
    text = str(name)
    if any(sep in text for sep in (",", "，", "、")):
        return None, [
            Problem(
                f"unknown format '{text}': separate formats with ';', not commas",
                file=file,
                column=column,
                row=row,
                fix="write e.g. pharmacy;convenience_store",
            )
        ]
    return None, [
        Problem(
            f"unknown format '{text}'{did_you_mean(text, catalog.NAMES)}",
            file=file,
            column=column,
            row=row,
            fix="use a catalog key or Chinese name (quarterhour formats)",
        )
    ]


def resolve_formats(
    cfg: Mapping[str, Any],
    sites: gpd.GeoDataFrame | None,
    outlets: gpd.GeoDataFrame | None,
    file: str,
    f_sites: str,
    f_out: str,
) -> tuple[Formats, list[Problem]]:
    """The formats in play (``formats:``, or every format an outlet or a site names) and every format
    name resolved; problems name the file and column the name came from."""
    outlets, found = _outlet_formats(outlets, f_out)
    sites, problems = _site_formats(sites, f_sites)
    found += problems
    overrides, problems = _named_formats(cfg.get("formats"), sites, outlets, file)
    found += problems
    table, problems = _with_overrides(overrides, file)
    found += problems + _idle_sites(sites, table, f_sites) + _unused_outlets(outlets, table, f_out)
    subsidy, problems = _subsidy_formats(cfg["subsidy"].get("formats"), table, file)
    found += problems
    mandates, problems = _mandate_formats(cfg.get("mandates") or [], table, file)
    return Formats(table, sites, outlets, subsidy, mandates), found + problems


def nothing_in_play(formats: Formats, file: str) -> list[Problem]:
    """No format in play (checked only when nothing else is wrong, which would explain it)."""
    if len(formats.table):
        return []
    return [Problem("no formats in play", file=file, column="formats", fix="list formats under formats:")]


def _outlet_formats(
    outlets: gpd.GeoDataFrame | None, f_out: str
) -> tuple[gpd.GeoDataFrame | None, list[Problem]]:
    """Outlets with their format as a catalog key; the first few unknown names each reported."""
    if outlets is None or not len(outlets):
        return outlets, []
    names = list(outlets["format"])
    keys = [catalog.resolve(v) for v in names]
    bad = [(i, n) for i, n, k in zip(outlets.index, names, keys, strict=True) if k is None]
    found = []
    for i, name in bad[:MAX_IDS]:
        found += resolve_name(name, f_out, "format", row=str(i))[1]
    if len(bad) > MAX_IDS:
        found.append(
            Problem(f"{len(bad) - MAX_IDS} more outlets with unknown formats", file=f_out, column="format")
        )
    out = outlets.copy()
    out["format"] = [k if k is not None else v for k, v in zip(keys, names, strict=True)]
    return out, found


def _site_formats(
    sites: gpd.GeoDataFrame | None, f_sites: str
) -> tuple[gpd.GeoDataFrame | None, list[Problem]]:
    """Sites with their allowed formats as catalog keys (unknown names reported and dropped)."""
    if sites is None or not len(sites):
        return sites, []
    resolved, found = [], []
    for i, names in zip(sites.index, sites["allowed_formats"], strict=True):
        keys = []
        for n in names:
            k, problems = resolve_name(n, f_sites, "allowed_formats", row=str(i))
            found += problems
            if k:
                keys.append(k)
        resolved.append(keys)
    out = sites.copy()
    out["allowed_formats"] = resolved
    return out, found


def _named_formats(
    spec: Mapping[str, Any] | None,
    sites: gpd.GeoDataFrame | None,
    outlets: gpd.GeoDataFrame | None,
    file: str,
) -> tuple[dict[str, dict[str, Any]], list[Problem]]:
    """Format key -> overrides: from ``formats:``, or (when absent) every format the tables name."""
    if spec is None:
        return {k: {} for k in _used_formats(sites, outlets)}, []
    items = spec.items() if isinstance(spec, dict) else ((n, {}) for n in spec)
    overrides: dict[str, dict[str, Any]] = {}
    named: dict[str, str] = {}
    found = []
    for name, ov in items:
        column = f"formats.{name}"
        key, problems = resolve_name(str(name), file, column)
        found += problems
        if key is None:
            continue
        if key in named:
            found.append(
                Problem(
                    f"format '{key}' is listed twice (as '{named[key]}' and '{name}')",
                    file=file,
                    column=column,
                    fix="list each format once (a Chinese name and its key are the same format)",
                )
            )
            continue
        named[key] = str(name)
        if ov is not None and not isinstance(ov, dict):
            found.append(Problem(f"overrides of format '{name}' must be a mapping", file=file, column=column))
            continue
        overrides[key] = ov or {}
    return overrides, found


def _used_formats(sites: gpd.GeoDataFrame | None, outlets: gpd.GeoDataFrame | None) -> list[str]:
    """Every catalog format an outlet has or a site allows (every format when none), in catalog order."""
    table = catalog.catalog_frame()
    used: set[str] = set()
    if outlets is not None and len(outlets):
        used |= {k for k in outlets["format"] if k in table.index}
    if sites is not None and len(sites):
        for names in sites["allowed_formats"]:
            used |= set(names)
    return [k for k in table.index if k in used] or list(table.index)


def _with_overrides(
    overrides: Mapping[str, Mapping[str, Any]], file: str
) -> tuple[pd.DataFrame, list[Problem]]:
    """The catalog rows of the formats in play, each field overridden where the scenario says."""
    table = catalog.catalog_frame()
    rows, found = [], []
    for key, ov in overrides.items():
        row = table.loc[key].to_dict()
        row["key"] = key
        for field_name, value in ov.items():
            column = f"formats.{key}.{field_name}"
            if field_name not in FORMAT_FIELDS:
                found.append(
                    Problem(
                        f"unknown format field '{field_name}'{did_you_mean(str(field_name), FORMAT_FIELDS)}",
                        file=file,
                        column=column,
                        fix=f"one of {', '.join(FORMAT_FIELDS)}",
                    )
                )
                continue
            v, err = coerce(value, FORMAT_FIELDS[field_name])
            if err:
                fix = "walk limits must be > 0 minutes" if field_name == "walk_minutes" else None
                found.append(Problem(f"'{column}': {err}", file=file, column=column, fix=fix))
            else:
                row[field_name] = v
        rows.append(row)
    return (pd.DataFrame(rows).set_index("key") if rows else table.iloc[:0]), found


def _idle_sites(sites: gpd.GeoDataFrame | None, table: pd.DataFrame, f_sites: str) -> list[Problem]:
    """Sites that allow only formats out of play can host nothing."""
    if sites is None or not len(sites) or not len(table):
        return []
    idle = [
        str(i)
        for i, names in zip(sites.index, sites["allowed_formats"], strict=True)
        if names and not set(names) & set(table.index)
    ]
    if not idle:
        return []
    return [
        warning(
            f"sites whose allowed_formats are all out of play, so they can host nothing: {ids(idle)}",
            file=f_sites,
            column="allowed_formats",
            row=idle[0],
            fix="add those formats under formats: in the scenario, or correct allowed_formats",
        )
    ]


def _unused_outlets(outlets: gpd.GeoDataFrame | None, table: pd.DataFrame, f_out: str) -> list[Problem]:
    """Outlets of catalog formats that are not in play do not count."""
    if outlets is None or not len(outlets) or not len(table):
        return []
    catalog_keys = catalog.catalog_frame().index
    unused = outlets.index[~outlets["format"].isin(table.index) & outlets["format"].isin(catalog_keys)]
    if not len(unused):
        return []
    kinds = sorted(set(outlets.loc[unused, "format"]))
    return [
        warning(
            f"{len(unused)} outlets are of formats not in play ({', '.join(kinds)}) and are not used: "
            f"{ids(list(unused))}",
            file=f_out,
            column="format",
            row=str(unused[0]),
            fix="add those formats under formats: in the scenario to count them",
        )
    ]


def _subsidy_formats(
    names: Sequence[str] | None, table: pd.DataFrame, file: str
) -> tuple[list[str], list[Problem]]:
    """The formats eligible for rent subsidy: as listed, or the low-margin formats (微利业态) in play."""
    if names is None:
        return [k for k in table.index if bool(table.at[k, "micro_profit"])], []
    keys, found = [], []
    for n in names:
        k, problems = resolve_name(n, file, "subsidy.formats")
        found += problems
        if k:
            keys.append(k)
    return keys, found


def _mandate_formats(
    mandates: Sequence[Mapping[str, Any]], table: pd.DataFrame, file: str
) -> tuple[list[list[str]], list[Problem]]:
    """Each mandate's formats as catalog keys; a format not in play is a problem."""
    out, found = [], []
    for n, m in enumerate(mandates, start=1):
        column = f"mandates[{n}].formats"
        keys = []
        for name in m.get("formats") or []:
            k, problems = resolve_name(name, file, column)
            found += problems
            if k is not None and k not in table.index:
                found.append(
                    Problem(
                        f"mandate {n} names format '{k}' that is not in play",
                        file=file,
                        column=column,
                        fix="add it under formats: or remove it from the mandate",
                    )
                )
            elif k is not None:
                keys.append(k)
        out.append(keys)
    return out, found
