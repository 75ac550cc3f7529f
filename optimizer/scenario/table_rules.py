"""Input tables checked against the schema (columns, types, ranges, ids), indexed by the user's ids."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import Problems, closest, did_you_mean
from ..schema import TABLES, Column
from .geometry import COORDINATE_NAMES as _COORD_COLUMNS
from .messages import FALSE, TRUE
from .messages import ids as _ids
from .messages import rows as _rows


def _to_bool(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(values, bad mask) for a column of booleans written in any common way."""
    if s.dtype == bool:
        return s, pd.Series(False, index=s.index)
    text = s.astype("string").str.strip().str.lower().fillna("")
    bad = ~(text.isin(TRUE) | text.isin(FALSE))
    return text.isin(TRUE), bad


def validate_table(
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
