"""Studies of many runs: compare a scenario with its variants, sweep a budget to trace the coverage
frontier. Built on the layers below (scenario, reach, solve, result) and the one executor interface:

    variants.py  named overrides (the scenario's ``variants:``, a table, ``--vary`` specs) -> scenarios
    runs.py      solve many runs on an executor: shared walk times, failures as rows, warm-started chains
    compare.py   Comparison: one row per run; compare(results) and compare_variants(scenario)
    sweep.py     Frontier: coverage against one or two varied keys, the scenario's own value, the knee
    pages.py     CSV, Excel, PNG and offline HTML writers
"""

from __future__ import annotations

from .compare import Comparison, compare, compare_variants
from .sweep import Frontier, knee, sweep
from .variants import Variant, from_table, parse_vary

__all__ = [
    "Comparison",
    "Frontier",
    "Variant",
    "compare",
    "compare_variants",
    "from_table",
    "knee",
    "parse_vary",
    "sweep",
]
