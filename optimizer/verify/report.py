"""The verification report: one named check per verified claim, and every mismatch in words.

Nothing is checked here; the checks record their findings through :meth:`VerifyReport.add`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

#: Mismatches shown per check by ``str(report)`` (``report.mismatches`` keeps up to KEEP_PER_CHECK).
SHOW_PER_CHECK = 10
#: Mismatches kept per check (a systematic error would otherwise list every row of a large table).
KEEP_PER_CHECK = 1000


class Check(NamedTuple):
    """One verified claim: its name, whether it holds, and a one-line detail."""

    name: str
    passed: bool
    detail: str


@dataclass
class VerifyReport:
    """What verification found: one :class:`Check` per claim and every mismatch in words."""

    outdir: Path | None = None
    checks: list[Check] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    by_check: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every check passed (and at least one ran)."""
        return bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def failed(self) -> list[Check]:
        """The checks that did not pass."""
        return [c for c in self.checks if not c.passed]

    def add(self, name: str, problems: list[str], ok_detail: str, fail_detail: str | None = None) -> bool:
        """Record one check: passed when ``problems`` is empty; each problem becomes a mismatch."""
        passed = not problems
        detail = ok_detail if passed else (fail_detail or f"{len(problems)} mismatch(es)")
        self.checks.append(Check(name, passed, detail))
        if len(problems) > KEEP_PER_CHECK:
            more = len(problems) - KEEP_PER_CHECK
            problems = [*problems[:KEEP_PER_CHECK], f"... and {more} more mismatches of this check"]
        if problems:
            self.by_check.setdefault(name, []).extend(problems)
            self.mismatches.extend(f"{name}: {p}" for p in problems)
        return passed

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (e.g. for a verify.json next to the results)."""
        return {
            "outdir": str(self.outdir) if self.outdir else None,
            "ok": self.ok,
            "checks": [{"name": c.name, "passed": c.passed, "detail": c.detail} for c in self.checks],
            "mismatches": list(self.mismatches),
        }

    def __str__(self) -> str:
        """Every check on one line, each failed one followed by its first mismatches."""
        where = f" of {self.outdir}" if self.outdir else ""
        n_fail = len(self.failed)
        head = (
            f"verification{where}: OK ({len(self.checks)} checks passed)"
            if self.ok
            else f"verification{where}: FAILED ({n_fail} of {len(self.checks)} checks failed)"
        )
        lines = [head]
        for c in self.checks:
            lines.append(f"  {'ok  ' if c.passed else 'FAIL'}  {c.name}: {c.detail}")
            items = self.by_check.get(c.name, [])
            for m in items[:SHOW_PER_CHECK]:
                lines.append(f"          - {m}")
            if len(items) > SHOW_PER_CHECK:
                lines.append(f"          ... and {len(items) - SHOW_PER_CHECK} more")
        return "\n".join(lines)
