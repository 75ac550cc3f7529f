"""How problems are worded: counts of rows, lists of ids cut after a few, booleans as people write them."""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import Problem

MAX_IDS = 5  # ids listed in one message before "and N more"
TRUE = {"true", "1", "yes", "y", "t", "是"}
FALSE = {"false", "0", "no", "n", "f", "否", ""}


def rows(n: int) -> str:
    """'1 row', '3 rows'."""
    return f"{n} row{'s' if n != 1 else ''}"


def ids(items: Iterable[object]) -> str:
    """The first few ids, comma-separated, then how many more."""
    shown = [str(i) for i in items]
    more = f" and {len(shown) - MAX_IDS} more" if len(shown) > MAX_IDS else ""
    return ", ".join(shown[:MAX_IDS]) + more


def warning(
    message: str,
    *,
    file: str | None = None,
    row: str | None = None,
    column: str | None = None,
    fix: str | None = None,
) -> Problem:
    """A doubtful but usable input: reported, and the run goes on."""
    return Problem(message, file=file, row=row, column=column, fix=fix, severity="warning")
