"""The solvers, as data: name, what each can do, and where its backend lives.

The schema's ``solver.name`` choices, the CLI's ``--solver`` choices and the tests' solver
parametrisation all read this table. Importing it loads no solver.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

# What a backend may be able to do. Callers ask before relying on one.
WARM_START = "warm_start"  # takes a feasible starting plan as its first incumbent
DUAL_BOUND = "dual_bound"  # reports a proven bound when stopped early
TIME_LIMIT = "time_limit"  # honours a time limit by itself
OPTION_CHECK = "option_check"  # can check option names and values before a run


@dataclass(frozen=True)
class SolverSpec:
    name: str
    description: str
    capabilities: frozenset[str]
    backend: str  # "module:Class" inside optimizer.backends
    args: tuple[Any, ...] = ()

    def can(self, capability: str) -> bool:
        return capability in self.capabilities


SOLVERS: dict[str, SolverSpec] = {
    s.name: s
    for s in (
        SolverSpec(
            "highs",
            "HiGHS through its array API",
            frozenset({WARM_START, DUAL_BOUND, TIME_LIMIT, OPTION_CHECK}),
            "highs:HighsBackend",
        ),
        SolverSpec(
            "cbc",
            "CBC through PuLP",
            frozenset({WARM_START, DUAL_BOUND, TIME_LIMIT}),
            "pulp_backend:PulpBackend",
            ("cbc",),
        ),
        SolverSpec(
            "highs-pulp",
            "HiGHS through PuLP",
            frozenset({DUAL_BOUND, TIME_LIMIT, OPTION_CHECK}),
            "pulp_backend:PulpBackend",
            ("highs-pulp",),
        ),
    )
}
SOLVER_NAMES: tuple[str, ...] = tuple(SOLVERS)


def load_backend(name: str) -> Any:
    """An instance of the backend registered under ``name``."""
    try:
        spec = SOLVERS[name]
    except KeyError:
        raise ValueError(f"unknown solver '{name}': one of {', '.join(SOLVER_NAMES)}") from None
    module, cls = spec.backend.split(":")
    mod = importlib.import_module(f"optimizer.backends.{module}")
    return getattr(mod, cls)(*spec.args)
