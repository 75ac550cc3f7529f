"""Errors that reach users: every problem names the file, the row (the user's id), the column and the fix."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario's inputs."""

    message: str
    file: str | None = None
    row: str | None = None
    column: str | None = None
    fix: str | None = None
    severity: str = "error"  # or "warning"

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        head = ", ".join(where)
        text = f"{head}: {self.message}" if head else self.message
        if self.fix:
            text += f" -> fix: {self.fix}"
        return text


class QuarterHourError(Exception):
    """Base class of the errors this package raises on purpose."""


class ScenarioError(QuarterHourError):
    """The scenario's inputs are wrong. ``problems`` lists every problem found, all at once."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = [p for p in problems if p.severity == "error"]
        self.warnings = [p for p in problems if p.severity != "error"]
        n = len(self.problems)
        lines = [f"{n} problem{'s' if n != 1 else ''} in the scenario:"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class SolverUnavailableError(QuarterHourError):
    """The chosen solver is not installed or cannot run here."""


class OutputExistsError(QuarterHourError):
    """The output folder exists and overwriting was not asked for."""


class VerificationError(QuarterHourError):
    """An independent recomputation disagrees with what a result claims."""


def closest(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The choice closest to ``word`` ignoring case and surrounding spaces, or None if none is close."""
    by_lower: dict[str, str] = {}
    for c in choices:
        by_lower.setdefault(str(c).strip().lower(), str(c))
    match = difflib.get_close_matches(str(word).strip().lower(), list(by_lower), n=1, cutoff=cutoff)
    return by_lower[match[0]] if match else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' when a close match exists (ignoring case), else ''."""
    match = closest(word, choices)
    return f" (did you mean '{match}'?)" if match else ""


class Problems:
    """Collects problems while validating, then raises them together."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, message: str, **where: str | None) -> None:
        self.items.append(Problem(message, **where))  # type: ignore[arg-type]

    def warn(self, message: str, **where: str | None) -> None:
        self.items.append(Problem(message, severity="warning", **where))  # type: ignore[arg-type]

    def extend(self, found: Iterable[Problem]) -> None:
        """Add the problems a check returned, in order."""
        self.items.extend(found)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity != "error"]

    def raise_if_any(self) -> None:
        if self.errors:
            raise ScenarioError(self.items)
