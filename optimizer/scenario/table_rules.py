"""The residences, sites and outlets tables against the schema, one small rule per function.

What each column is lives in the schema (:class:`optimizer.schema.Column`: type, unit, range, default).
The rules are data here, run in order, each returning the problems it found:

- :data:`HEADER_RULES` read the header and the row count (an empty table, missing or look-alike
  columns); a table missing a required column is not checked further;
- :data:`ID_RULES` read the id column;
- :data:`COLUMN_RULES` hold, per column type, the rules for one column's values (a ``float`` column
  gets the number rules, whose range comes from its Column);
- :data:`CONVERT` turns a column's text into values of its type once its rules have run, and
  :data:`ABSENT` fills an optional column the table leaves out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import Problem, closest, did_you_mean
from ..schema import TABLES, Column
from .geometry import COORDINATE_NAMES
from .messages import FALSE, TRUE, ids, rows

SHAPEFILE_CUT = " (a Shapefile cuts column names to 10 characters: use GeoPackage)"


@dataclass(frozen=True)
class Table:
    """One input table as the rules see it: header stripped, the user's index as an id column."""

    name: str
    file: str
    frame: pd.DataFrame

    @property
    def columns(self) -> tuple[Column, ...]:
        return TABLES[self.name]

    @property
    def shapefile(self) -> bool:
        return Path(self.file).suffix.lower() in (".shp", ".dbf", ".zip")

    @cached_property
    def others(self) -> list[str]:
        """Columns the schema does not know (coordinates aside)."""
        names = [c.name for c in self.columns]
        return [x for x in self.frame.columns if x not in names and x.lower() not in COORDINATE_NAMES]

    @cached_property
    def missing(self) -> list[Column]:
        return [c for c in self.columns if c.required and c.name not in self.frame.columns]

    @cached_property
    def blank_ids(self) -> pd.Series:
        raw = self.frame["id"]
        return raw.isna() | (raw.astype("string").str.strip() == "")

    @cached_property
    def ids(self) -> pd.Series:
        """The ids as stripped text; a row without one is called by its line ('line 7')."""
        lines = pd.Series([f"line {i + 2}" for i in range(len(self.frame))], index=self.frame.index)
        return self.frame["id"].astype("string").str.strip().where(~self.blank_ids, lines).astype(str)


@dataclass(frozen=True)
class Cells:
    """One column's values, the rows' ids (for messages) and where they came from."""

    column: Column
    raw: pd.Series
    label: pd.Series
    file: str

    @cached_property
    def blank(self) -> pd.Series:
        return self.raw.isna() | (self.raw.astype("string").str.strip() == "")

    @cached_property
    def num(self) -> pd.Series:
        """The values as numbers (NaN where blank or not a number)."""
        num = pd.to_numeric(self.raw, errors="coerce")
        return num.astype(float) if num.dtype == object else num

    def problem(self, mask: pd.Series, message: str, fix: str) -> list[Problem]:
        """The problem of the rows in ``mask``, located at the first of them."""
        row = str(self.label[mask].iloc[0])
        return [Problem(message, file=self.file, column=self.column.name, row=row, fix=fix)]


TableRule = Callable[[Table], list[Problem]]
CellRule = Callable[[Cells], list[Problem]]


def validate_table(df: pd.DataFrame, table: str, file: str) -> tuple[pd.DataFrame, list[Problem]]:
    """The table with typed columns and defaults, indexed by id, and every problem found in it.

    A table missing a required column comes back as it was read (with an ``id`` column, if any).
    """
    frame, found = _header(df, table, file)
    t = Table(table, file, frame)
    found += [p for rule in HEADER_RULES for p in rule(t)]
    if t.missing:
        return t.frame, found
    found += [p for rule in ID_RULES for p in rule(t)]
    out = t.frame.copy()
    out["id"] = t.ids
    for c in t.columns:
        if c.name == "id":
            continue
        if c.name not in out.columns:
            out[c.name] = ABSENT.get(c.type, _default)(c, len(out))
            continue
        cells = Cells(c, out[c.name], out["id"], file)
        found += [p for rule in COLUMN_RULES[c.type] for p in rule(cells)]
        out[c.name] = CONVERT[c.type](cells)
    return out.set_index("id", drop=True), found


def _header(df: pd.DataFrame, table: str, file: str) -> tuple[pd.DataFrame, list[Problem]]:
    """A copy under the schema's names; a (Geo)DataFrame indexed by the user's own ids (as notebook
    users build them) gets them back as its id column."""
    df, found = canonical_header(df, TABLES[table], file)
    if "id" not in df.columns and (df.index.name == "id" or not isinstance(df.index, pd.RangeIndex)):
        df = df.rename_axis("id").reset_index()
    return df, found


def canonical_header(
    df: pd.DataFrame, columns: tuple[Column, ...], file: str
) -> tuple[pd.DataFrame, list[Problem]]:
    """A copy with headers stripped and each alias renamed to its column's name. Two headers for one
    column are a problem; the column's own name (else the first of them) is read, the others dropped."""
    df = df.copy()
    df.columns = [str(c).strip() for c in df.columns]
    rename: dict[str, str] = {}
    drop: list[str] = []
    found = []
    for c in columns:
        named = [h for h in df.columns if h == c.name or h in c.aliases]
        if len(named) > 1:
            found.append(_same_column(named, c, file))
        keep = c.name if c.name in named else next(iter(named), None)
        if keep is not None and keep != c.name:
            rename[keep] = c.name
        drop += [h for h in named if h != keep]
    return df.drop(columns=drop).rename(columns=rename), found


def _same_column(named: list[str], c: Column, file: str) -> Problem:
    listed = ", ".join(f"'{h}'" for h in named[:-1]) + f" and '{named[-1]}'"
    return Problem(
        f"columns {listed} {'both' if len(named) == 2 else 'all'} mean '{c.name}': only one can be read",
        file=file,
        column=c.name,
        fix="keep one of them (delete or rename the others)",
    )


# ---------------------------------------------------------------------------------------------------------
# the header
# ---------------------------------------------------------------------------------------------------------


def _empty_table(t: Table) -> list[Problem]:
    if len(t.frame) or t.name == "outlets":  # no existing outlets is a valid survey result
        return []
    return [Problem(f"the {t.name} table is empty", file=t.file, fix=f"add at least one {t.name[:-1]}")]


def _missing_columns(t: Table) -> list[Problem]:
    found = []
    for c in t.missing:
        hint = did_you_mean(c.name, t.others)
        cut = SHAPEFILE_CUT if t.shapefile and hint else ""
        found.append(
            Problem(
                f"missing column '{c.name}'{hint}",
                file=t.file,
                column=c.name,
                fix=f"add a column '{c.name}': {c.description}{cut}",
            )
        )
    return found


def _lookalike_columns(t: Table) -> list[Problem]:
    """An optional column with a misspelt name would be silently replaced by its default: say so."""
    absent = [c.name for c in t.columns if not c.required and c.name not in t.frame.columns]
    found = []
    for col in t.others:
        match = closest(col, absent, cutoff=0.8) or next(
            (a for a in absent if len(col) >= 8 and a.lower().startswith(col.lower())), None
        )
        if match:
            found.append(
                Problem(
                    f"column '{col}' is not used (did you mean '{match}'?): its values would be ignored",
                    file=t.file,
                    column=col,
                    fix=f"rename the column to '{match}'{SHAPEFILE_CUT if t.shapefile else ''}",
                )
            )
            absent.remove(match)
    return found


HEADER_RULES: tuple[TableRule, ...] = (_empty_table, _missing_columns, _lookalike_columns)

# ---------------------------------------------------------------------------------------------------------
# the ids
# ---------------------------------------------------------------------------------------------------------


def _blank_ids(t: Table) -> list[Problem]:
    if not t.blank_ids.any():
        return []
    lines = [f"line {i + 2}" for i in np.flatnonzero(t.blank_ids.to_numpy())]
    return [
        Problem(
            f"{rows(int(t.blank_ids.sum()))} without an id ({ids(lines)})",
            file=t.file,
            column="id",
            fix="give every row a unique id",
        )
    ]


def _duplicate_ids(t: Table) -> list[Problem]:
    dup = t.ids[t.ids.duplicated(keep=False)].unique()
    if not len(dup):
        return []
    return [Problem(f"duplicate ids: {ids(dup)}", file=t.file, column="id", fix="make every id unique")]


ID_RULES: tuple[TableRule, ...] = (_blank_ids, _duplicate_ids)

# ---------------------------------------------------------------------------------------------------------
# one column's values, by the column's type
# ---------------------------------------------------------------------------------------------------------


def _not_a_number(c: Cells) -> list[Problem]:
    bad = c.num.isna() & ~c.blank
    if not bad.any():
        return []
    return c.problem(
        bad,
        f"not a number in {rows(int(bad.sum()))}: {ids(c.label[bad])} (e.g. '{c.raw[bad].iloc[0]}')",
        f"write {c.column.name} as a number in {c.column.unit or 'plain units'}",
    )


def _infinite(c: Cells) -> list[Problem]:
    inf = ~np.isfinite(c.num) & c.num.notna()
    if not inf.any():
        return []
    return c.problem(inf, f"infinite value in rows {ids(c.label[inf])}", "write a finite number")


def _empty_number(c: Cells) -> list[Problem]:
    if not c.column.required or not c.blank.any():
        return []
    return c.problem(
        c.blank,
        f"empty (NaN) in {rows(int(c.blank.sum()))}: {ids(c.label[c.blank])}",
        f"fill in {c.column.name} ({c.column.description.lower()})",
    )


def _below_min(c: Cells) -> list[Problem]:
    col = c.column
    if col.min is None:
        return []
    low = ((c.num < col.min) | ((c.num == col.min) if col.exclusive_min else False)) & c.num.notna()
    if not low.any():
        return []
    word = "zero or negative" if (col.exclusive_min and col.min == 0) else f"below {col.min:g}"
    return c.problem(
        low,
        f"{word} in rows {ids(c.label[low])} (e.g. {c.num[low].iloc[0]:g})",
        f"{col.name} must be {'>' if col.exclusive_min else '>='} {col.min:g}",
    )


def _above_max(c: Cells) -> list[Problem]:
    col = c.column
    if col.max is None:
        return []
    high = (c.num > col.max) & c.num.notna()
    if not high.any():
        return []
    return c.problem(
        high,
        f"above {col.max:g} in rows {ids(c.label[high])} (e.g. {c.num[high].iloc[0]:g})",
        f"{col.name} must be <= {col.max:g} (a share is written 0.25, not 25)",
    )


def _not_whole(c: Cells) -> list[Problem]:
    frac = c.num.notna() & np.isfinite(c.num) & (c.num != np.round(c.num))
    if not frac.any():
        return []
    return c.problem(
        frac, f"not a whole number in rows {ids(c.label[frac])}", f"write {c.column.name} as a whole number"
    )


def _to_bool(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(values, bad mask) for a column of booleans written in any common way."""
    if s.dtype == bool:
        return s, pd.Series(False, index=s.index)
    text = s.astype("string").str.strip().str.lower().fillna("")
    bad = ~(text.isin(TRUE) | text.isin(FALSE))
    return text.isin(TRUE), bad


def _not_true_false(c: Cells) -> list[Problem]:
    bad = _to_bool(c.raw)[1]
    if not bad.any():
        return []
    return c.problem(
        bad,
        f"not true/false in rows {ids(c.label[bad])} (e.g. '{c.raw[bad].iloc[0]}')",
        "write true or false (or 1/0)",
    )


def _empty_text(c: Cells) -> list[Problem]:
    if not c.column.required or not c.blank.any():
        return []
    return c.problem(c.blank, f"empty in rows {ids(c.label[c.blank])}", f"fill in {c.column.name}")


NUMBER_RULES: tuple[CellRule, ...] = (_not_a_number, _infinite, _empty_number, _below_min, _above_max)
COLUMN_RULES: dict[str, tuple[CellRule, ...]] = {
    "float": NUMBER_RULES,
    "int": (*NUMBER_RULES, _not_whole),
    "bool": (_not_true_false,),
    "str": (_empty_text,),
    "list[str]": (),
}

# ---------------------------------------------------------------------------------------------------------
# the values, once checked
# ---------------------------------------------------------------------------------------------------------


def _numbers(c: Cells) -> pd.Series:
    num = c.num.fillna(c.column.default) if c.column.default is not None else c.num
    return num.astype(float)


def _names(v: Any) -> list[str]:
    """A list from ';'-separated text (a full-width '；' too), or from a list a frame already holds."""
    if isinstance(v, str):
        return [p.strip() for p in v.replace("；", ";").split(";") if p.strip()]
    return list(v) if isinstance(v, (list, tuple)) else []


CONVERT: dict[str, Callable[[Cells], Any]] = {
    "float": _numbers,
    "int": _numbers,
    "bool": lambda c: _to_bool(c.raw)[0].astype(bool),
    "str": lambda c: c.raw.astype("string").str.strip().astype(object),
    "list[str]": lambda c: [_names(v) for v in c.raw],
}


def _default(c: Column, n: int) -> Any:
    return c.default if c.default is not None else np.nan


ABSENT: dict[str, Callable[[Column, int], Any]] = {"list[str]": lambda c, n: [[] for _ in range(n)]}
