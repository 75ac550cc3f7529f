"""City scale: split a coverage model into walkable regions and solve them as separate MIPs.

Regions (:mod:`.regions`) are the connected parts of the model once the rows every part shares (the
budgets and the equity mandates) are set aside; coverage never reaches beyond the longest walk limit,
so regions far apart share nothing else. :mod:`.lagrange` prices the shared rows, solves every region
at those prices through one executor (this process, a process pool, or a Dask cluster), keeps a valid
global bound and picks one plan per region within the shared limits. :mod:`.windows` improves a plan
of a connected city one neighbourhood at a time (a small MIP per window); :mod:`.beside` runs them
beside one MIP. This package sees only a
:class:`~optimizer.lp.LinearProgram` and the names of its shared row blocks, like a backend.
"""

from __future__ import annotations

from .beside import mip_with_windows
from .lagrange import RegionJob, coordinate, solve_by_regions, solve_region
from .regions import Regions, Shared, find_regions, merged, region_lp, shared_rows
from .windows import WINDOW_COLS, Guide, SolveWindow, Windows, WindowStats, improve_by_windows

# ``solver.decompose: auto`` splits only models at least this large (nonzeros); below it one MIP is
# faster than the rounds of prices, and exact where a price gap could remain.
AUTO_MIN_NNZ = 1_000_000

__all__ = [
    "AUTO_MIN_NNZ",
    "WINDOW_COLS",
    "Guide",
    "SolveWindow",
    "Windows",
    "WindowStats",
    "improve_by_windows",
    "mip_with_windows",
    "RegionJob",
    "Regions",
    "Shared",
    "coordinate",
    "find_regions",
    "merged",
    "region_lp",
    "shared_rows",
    "solve_by_regions",
    "solve_region",
]
