"""The user's own walk-minutes table (origin, destination, minutes), checked one rule at a time.

Each rule takes the table and the ids it may name and returns its problems; :data:`RULES` runs them in
order. Rows are named by their line in the CSV (the header is line 1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from ..errors import Problem, did_you_mean
from ..schema import TABLES
from .messages import ids, rows
from .table_rules import canonical_header

ENDS = ("origin", "destination")


@dataclass(frozen=True)
class Known:
    """The ids the table may name; None where that table could not be read (nothing to compare)."""

    residences: pd.Index | None
    sites: pd.Index | None
    outlets: pd.Index | None
    outlets_unread: bool = False  # an outlets file was given but could not be read

    @property
    def destinations(self) -> set[str] | None:
        """Site and outlet ids, when both are known."""
        if self.sites is None or self.outlets is None or self.outlets_unread:
            return None
        return set(self.sites) | set(self.outlets)


@dataclass(frozen=True)
class Pairs:
    """The table as read (header stripped, rows numbered from 0) and its cleaned values."""

    raw: pd.DataFrame
    file: str

    def text(self, column: str) -> pd.Series:
        return self.raw[column].astype("string").str.strip()

    @cached_property
    def clean(self) -> pd.DataFrame:
        """Ids as stripped text ('' when blank) and minutes as floats (NaN when not a number)."""
        out = {c: self.text(c).fillna("").astype(str) for c in ENDS}
        out["minutes"] = pd.to_numeric(self.raw["minutes"], errors="coerce").astype(float)
        return pd.DataFrame(out, index=self.raw.index)


Rule = Callable[[Pairs, Known], list[Problem]]


def check_walk_table(df: pd.DataFrame, file: str, known: Known) -> tuple[pd.DataFrame, list[Problem]]:
    """The table as origin (text), destination (text), minutes (float), and every problem in it."""
    df, found = canonical_header(df, TABLES["walk_minutes"], file)
    found += _missing_columns(df, file)
    if found:
        return df, found
    pairs = Pairs(df.reset_index(drop=True), file)
    for rule in RULES:
        found += rule(pairs, known)
    return pairs.clean, found


def _lines(mask: pd.Series) -> list[str]:
    return [f"line {i + 2}" for i in np.flatnonzero(mask.to_numpy())]


def _missing_columns(df: pd.DataFrame, file: str) -> list[Problem]:
    return [
        Problem(
            f"missing column '{c.name}'{did_you_mean(c.name, df.columns)}",
            file=file,
            column=c.name,
            fix="the walk-minutes CSV needs origin,destination,minutes",
        )
        for c in TABLES["walk_minutes"]
        if c.name not in df.columns
    ]


def _empty(pairs: Pairs, known: Known) -> list[Problem]:
    if len(pairs.raw):
        return []
    return [
        Problem(
            "the walk-minutes table is empty: every residence would be out of reach",
            file=pairs.file,
            fix="list origin,destination,minutes for the pairs within walking distance",
        )
    ]


def _blank_ends(pairs: Pairs, known: Known) -> list[Problem]:
    found = []
    for col in ENDS:
        blank = pairs.raw[col].isna() | (pairs.text(col) == "")
        if blank.any():
            lines = _lines(blank)
            found.append(
                Problem(
                    f"{rows(len(lines))} with no {col} ({ids(lines)})",
                    file=pairs.file,
                    column=col,
                    row=lines[0],
                    fix=f"fill in the {col} id on every line",
                )
            )
    return found


def _bad_minutes(pairs: Pairs, known: Known) -> list[Problem]:
    """Minutes empty, not a number, negative or infinite: one problem for each kind."""
    text, minutes = pairs.text("minutes"), pairs.clean["minutes"]
    found = []
    for what, bad in (
        ("empty", text.isna() | (text == "")),
        ("not a number", minutes.isna() & text.notna() & (text != "")),
        ("negative", minutes < 0),
        ("infinite", np.isinf(minutes)),
    ):
        if bad.any():
            lines = _lines(bad)
            found.append(
                Problem(
                    f"minutes {what} on {ids(lines)}"
                    + (f" (e.g. '{text[bad].iloc[0]}')" if what != "empty" else ""),
                    file=pairs.file,
                    column="minutes",
                    row=lines[0],
                    fix="write walk minutes as finite numbers >= 0 (leave out pairs that are out of reach)",
                )
            )
    return found


def _unknown_origins(pairs: Pairs, known: Known) -> list[Problem]:
    if known.residences is None:
        return []
    unknown = sorted(set(pairs.clean["origin"]) - set(known.residences) - {""})
    if not unknown:
        return []
    return [
        Problem(
            f"origins that are not residence ids: {ids(unknown)}",
            file=pairs.file,
            column="origin",
            row=unknown[0],
            fix="origin must be a residence id",
        )
    ]


def _shared_ids(pairs: Pairs, known: Known) -> list[Problem]:
    """An id that is both a site and an outlet makes a destination ambiguous."""
    if known.destinations is None:
        return []
    both = sorted(set(known.sites) & set(known.outlets))  # type: ignore[arg-type]
    if not both:
        return []
    return [
        Problem(
            f"ids used by both a site and an outlet: {ids(both)}: walk minutes would be ambiguous",
            file=pairs.file,
            column="destination",
            fix="give sites and outlets distinct ids",
        )
    ]


def _unknown_destinations(pairs: Pairs, known: Known) -> list[Problem]:
    if known.destinations is None:
        return []
    unknown = sorted(set(pairs.clean["destination"]) - known.destinations - {""})
    if not unknown:
        return []
    return [
        Problem(
            f"destinations that are neither site nor outlet ids: {ids(unknown)}",
            file=pairs.file,
            column="destination",
            row=unknown[0],
            fix="destination must be a site or outlet id",
        )
    ]


def _repeated_pairs(pairs: Pairs, known: Known) -> list[Problem]:
    clean = pairs.clean
    dup = clean.duplicated(list(ENDS))
    if not dup.any():
        return []
    listed = [f"{o} -> {d}" for o, d in zip(clean["origin"][dup], clean["destination"][dup], strict=True)]
    return [
        Problem(
            f"{len(listed)} origin-destination pair{'s' if len(listed) != 1 else ''} listed more than once: "
            f"{ids(listed)}",
            file=pairs.file,
            column="origin",
            row=listed[0].split(" -> ")[0],
            fix="list each pair once",
        )
    ]


RULES: tuple[Rule, ...] = (
    _empty,
    _blank_ends,
    _bad_minutes,
    _unknown_origins,
    _shared_ids,
    _unknown_destinations,
    _repeated_pairs,
)
