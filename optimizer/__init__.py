"""quarter-hour: which vacant spaces should host which missing everyday-service shops.

>>> import optimizer as qh
>>> sc = qh.load_scenario("scenarios/shanghai_huangpu/scenario.yaml")
>>> res = qh.solve(sc)
>>> res.summary()["status"], res.placements
"""

from __future__ import annotations

from . import catalog
from .config import ScenarioConfig, SolverConfig
from .errors import Problem, QuarterHourError, ScenarioError
from .reach import ReachMismatchError
from .result import Result, ResultSet
from .scenario import Scenario, load_scenario
from .solve import solve
from .study import compare, compare_variants, sweep

# The layers that read a Result plug into it (summary sections, writers, the HTML page) on import.
from . import explain as _explain  # noqa: E402, F401  (isort: skip)
from . import report as _report  # noqa: E402, F401  (isort: skip)

__version__ = "0.1.0"

__all__ = [
    "load_scenario",
    "solve",
    "compare",
    "compare_variants",
    "sweep",
    "Scenario",
    "Result",
    "ResultSet",
    "SolverConfig",
    "ScenarioConfig",
    "ScenarioError",
    "Problem",
    "QuarterHourError",
    "ReachMismatchError",
    "catalog",
]
