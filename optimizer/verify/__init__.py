"""Re-verify an output folder from the raw inputs, independently of the model code.

``verify_dir(outdir)`` reads what a run wrote (summary.json, placements.csv, coverage.csv, excluded.csv,
result.gpkg), reloads the scenario named in summary.json (or takes the ``scenario`` given), recomputes
walk minutes through the scenario's walk source, and checks every claim of the folder against the
formulation written out in :mod:`optimizer.model`'s docstring:

- placements: the site exists, the format is in play and allowed there, ``max_formats`` holds;
- floor area: the placed formats' areas fit each site's ``floor_area_m2``;
- capital: each fit-out is the site's ``fitout_yuan`` or area x cost per m2; the total is within budget;
- rent subsidy: >= 0, only for subsidised formats, at most ``share_of_rent`` x yearly rent, within budget;
- viability: margin x catchment + subsidy pays yearly rent + operating cost (catchments recomputed);
- coverage: minutes to the nearest outlet before and after, covered flags and credits per residence
  (and speed group) and format, and summary.json's per-format and per-group totals;
- mandates: the covered share of each mandated group;
- objective: weighted coverage gained, against ``objective_recomputed`` and the solver's objective;
- excluded.csv: every stated reason for leaving a (site, format) pair out holds;
- result.gpkg: its layers agree with the CSV tables.

The package: :mod:`.run` (the entry points and reading the folder), :mod:`.truth` (the independent
recomputation), :mod:`.checks` (placements and summary.json), :mod:`.checks_tables` (coverage.csv,
excluded.csv, result.gpkg), :mod:`.compare` (tolerances) and :mod:`.report` (the report).

Nothing here imports :mod:`optimizer.model`, :mod:`optimizer.reach`, :mod:`optimizer.solve` or
:mod:`optimizer.result`: a bug there cannot hide itself by being reused. Mismatches are reported, never
raised; unreadable files are failed checks.
"""

from __future__ import annotations

from .report import Check, VerifyReport
from .run import verify, verify_dir

__all__ = ["verify", "verify_dir", "VerifyReport", "Check"]
