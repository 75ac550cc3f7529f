"""Solver backends: the only place solver APIs appear. Each takes a LinearProgram and a SolverConfig."""

from __future__ import annotations

from .base import FEASIBLE, INFEASIBLE, NO_SOLUTION, OPTIMAL, Backend, Solution, SolverConfig


def backend_for(name: str) -> Backend:
    """The backend for a solver name: ``highs`` (highspy arrays), ``cbc`` or ``highs-pulp`` (PuLP)."""
    if name == "highs":
        from .highs import HighsBackend

        return HighsBackend()
    if name in ("cbc", "highs-pulp"):
        from .pulp_backend import PulpBackend

        return PulpBackend(name)
    raise ValueError(f"unknown solver '{name}'")


__all__ = [
    "Backend",
    "Solution",
    "SolverConfig",
    "backend_for",
    "OPTIMAL",
    "FEASIBLE",
    "INFEASIBLE",
    "NO_SOLUTION",
]
