"""The solvers, as data: name, what each can do, and where its backend lives.

The schema's ``solver.name`` choices, the CLI's ``--solver`` choices, the scenario's option check and
the tests' solver parametrisation all read this table. Importing it loads no solver.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

# What a backend may be able to do. Callers ask before relying on one.
WARM_START = "warm_start"  # takes a feasible starting plan as its first incumbent
DUAL_BOUND = "dual_bound"  # reports a proven bound when stopped early
TIME_LIMIT = "time_limit"  # honours a time limit by itself
OPTION_CHECK = "option_check"  # can check option names and values before a run
EXACT = "exact"  # branch and bound: can prove a plan optimal


@dataclass(frozen=True)
class OptionProblem:
    """One solver option a backend would refuse: ``message`` says why, ``fix`` what to write instead."""

    option: str
    message: str
    fix: str


@dataclass(frozen=True)
class SolverSpec:
    name: str
    description: str
    capabilities: frozenset[str]
    backend: str  # "module:Class" inside optimizer.backends
    args: tuple[Any, ...] = ()
    option_check: str = ""  # "module:function" inside optimizer.backends, for OPTION_CHECK

    def can(self, capability: str) -> bool:
        return capability in self.capabilities

    def check_options(self, options: Mapping[str, Any]) -> list[OptionProblem]:
        """The options this solver would refuse. A solver without OPTION_CHECK accepts anything (CBC's
        options are command-line text only CBC itself can check); the backend is imported only when
        there are options to check."""
        if not options or not self.can(OPTION_CHECK):
            return []
        check: Callable[[Mapping[str, Any]], list[OptionProblem]] = _load(self.option_check)
        return check(options)


SOLVERS: dict[str, SolverSpec] = {
    s.name: s
    for s in (
        SolverSpec(
            "highs",
            "HiGHS through its array API",
            frozenset({EXACT, WARM_START, DUAL_BOUND, TIME_LIMIT, OPTION_CHECK}),
            "highs:HighsBackend",
            option_check="highs:check_options",
        ),
        SolverSpec(
            "cbc",
            "CBC through PuLP",
            frozenset({EXACT, WARM_START, DUAL_BOUND, TIME_LIMIT}),
            "pulp_backend:PulpBackend",
            ("cbc",),
        ),
        SolverSpec(
            "highs-pulp",
            "HiGHS through PuLP",
            frozenset({EXACT, DUAL_BOUND, TIME_LIMIT, OPTION_CHECK}),
            "pulp_backend:PulpBackend",
            ("highs-pulp",),
            option_check="highs:check_options",  # PuLP hands the options to the same HiGHS
        ),
        SolverSpec(
            "heuristic",
            "a quick plan: greedy start (no branch and bound), bound from the LP relaxation; never optimal",
            frozenset({WARM_START, DUAL_BOUND}),
            "heuristic:HeuristicBackend",
        ),
    )
}
SOLVER_NAMES: tuple[str, ...] = tuple(SOLVERS)
EXACT_SOLVERS: tuple[str, ...] = tuple(n for n, s in SOLVERS.items() if s.can(EXACT))


def describe() -> str:
    """The solvers in one sentence, for the schema and the CLI's help."""
    return "; ".join(f"{s.name} ({s.description})" for s in SOLVERS.values())


def _load(ref: str) -> Any:
    """The object named by "module:name" inside optimizer.backends (importing that module)."""
    module, name = ref.split(":")
    return getattr(importlib.import_module(f"optimizer.backends.{module}"), name)


def load_backend(name: str) -> Any:
    """An instance of the backend registered under ``name``."""
    try:
        spec = SOLVERS[name]
    except KeyError:
        raise ValueError(f"unknown solver '{name}': one of {', '.join(SOLVER_NAMES)}") from None
    return _load(spec.backend)(*spec.args)


def check_options(name: str | None, options: Mapping[str, Any] | None) -> list[OptionProblem]:
    """The options solver ``name`` would refuse; nothing for an unknown name (reported elsewhere)."""
    spec = SOLVERS.get(str(name))
    return spec.check_options(options or {}) if spec is not None else []
