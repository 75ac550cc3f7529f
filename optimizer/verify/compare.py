"""How the checks compare numbers and print them: the tolerances, and the statuses with a solution.

The tolerances are the verification's own statement of what counts as agreeing; each check names the one
it applies.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

#: Tolerance on walk minutes at a limit (the same 1e-9 the formulation's "within" uses).
MINUTE_TOL = 1e-9
#: Tolerance when comparing minutes written in coverage.csv with recomputed ones.
MINUTES_EQ_TOL = 1e-6
#: Absolute tolerance on money (subsidies are written rounded to 0.01 yuan).
MONEY_TOL = 0.01
#: Relative tolerance on floating-point sums.
REL_TOL = 1e-9
#: Relative slack on budgets, floor areas, subsidy caps and viability (non-strict mode): a MIP solver
#: accepts a binary x within 1e-6 of 1 (HiGHS' mip_feasibility_tolerance), so x_jf = 1 - 1e-6 lets the
#: subsidy fall short of the deficit, or a budget be exceeded, by 1e-6 of the amounts involved.
SOLVER_REL_TOL = 1e-6

#: Solver statuses whose run has placements and coverage to verify.
SOLVED = ("optimal", "feasible")


def close(a: float | None, b: float | None, abs_tol: float = 1e-6, rel_tol: float = REL_TOL) -> bool:
    """Equal within ``abs_tol`` + ``rel_tol`` x the larger; missing equals missing, NaN equals NaN."""
    if a is None or b is None:
        return a is None and b is None
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= abs_tol + rel_tol * max(abs(a), abs(b))


def num(v: Any) -> str:
    """A number for a message: up to 10 significant digits, no float noise."""
    if v is None:
        return "missing"
    try:
        f = float(v)
    except (TypeError, ValueError):
        return repr(v)
    if math.isnan(f):
        return "empty"
    return f"{f:.10g}"


def to_bool(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(values, bad mask) of a column that should hold True/False."""
    if s.dtype == bool:
        return s, pd.Series(False, index=s.index)
    text = s.astype("string").str.strip().str.lower()
    val = text.isin(["true", "1", "1.0"])
    bad = ~(val | text.isin(["false", "0", "0.0"]))
    return val.fillna(False).astype(bool), bad.fillna(True).astype(bool)
