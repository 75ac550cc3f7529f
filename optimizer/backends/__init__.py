"""Solver backends: the only place solver APIs appear. Each takes a LinearProgram and a SolverConfig.

The registry (:mod:`.registry`) names them with their capabilities; :mod:`.base` holds what every
backend takes and gives back. This package imports no solver until a backend is asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .registry import SOLVER_NAMES, SOLVERS, load_backend

if TYPE_CHECKING:
    from .base import Backend


def backend_for(name: str) -> Backend:
    """The backend registered under a solver name (:data:`optimizer.backends.registry.SOLVERS`)."""
    backend: Backend = load_backend(name)
    return backend


__all__ = ["backend_for", "load_backend", "SOLVERS", "SOLVER_NAMES"]
