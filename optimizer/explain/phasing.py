r"""Phasing: what opens in which year, to deliver the most coverage over the period.

With years :math:`t = 1..T`, yearly capital :math:`B^K_t` and subsidy :math:`B^S_t` (``phasing:`` in the
scenario), every variable of the coverage model (:mod:`optimizer.model`) gets a copy per year:
:math:`x_{jf,t}` is 1 when :math:`f` is open at :math:`j` in year :math:`t` (cumulative: once open,
open), :math:`y_{if,t}, z_{if,t}` the coverage in year :math:`t`, :math:`s_{jf,t}` the subsidy paid in
year :math:`t`.

.. math::
   \max \sum_t \sum_{i,f} \omega_f w_i p_i \left[(1-b_{if}) y_{if,t} + c\,[b_{if}=0]\, z_{if,t}\right]
   && \text{(coverage-years)}\\
   x_{jf,t-1} \le x_{jf,t}                                                     && \text{(cumulative)}\\
   \sum_{j,f} K_{jf} (x_{jf,t} - x_{jf,t-1}) \le B^K_t                       && \text{(capital of year t)}\\
   \sum_{j,f} s_{jf,t} \le B^S_t                                              && \text{(subsidy of year t)}

and, for every year, the model's cover, floor-area, formats-per-site, subsidy-cap and viability rows on
that year's copy; mandates hold in the final year. Fit-out is paid in the year a shop opens; subsidy is
paid in every year it is open. Pairs are those of the single-period model with the whole period's
capital and the largest yearly subsidy (a pair no year can pay simply stays closed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import Problems
from ..lp import LinearProgram
from ..model import CoverageModel, build_model
from ..model.budgets import BUDGETS, CAPITAL, SUBSIDY
from ..reach import compute_reach

if TYPE_CHECKING:
    from ..config import SolverConfig
    from ..reach import Reach
    from ..scenario import Scenario

YEARLY = {"capital", "subsidy_budget"}


@dataclass(frozen=True)
class Phasing:
    """A phased plan: ``placements`` (site_id, format, year_opened) and ``years`` (phasing.csv)."""

    status: str
    objective: float | None
    placements: pd.DataFrame
    years: pd.DataFrame


def phasing_requested(sc: Scenario) -> bool:
    """Whether the scenario's ``phasing:`` section says anything (then it must be complete)."""
    ph = sc.config.phasing
    return ph.years is not None or any(getattr(ph, b.yearly) is not None for b in BUDGETS)


def yearly_budgets(sc: Scenario) -> tuple[int, np.ndarray, np.ndarray]:
    """Years and each year's capital and subsidy, checked (ScenarioError naming the key and the fix)."""
    ph, file = sc.config.phasing, str(sc.path or "scenario")
    probs = Problems()
    years = int(ph.years or 0)
    if years < 1:
        probs.add(
            "'phasing.years' is not set",
            file=file,
            column="phasing.years",
            fix="add phasing: {years: 3, ...}",
        )
    out = []
    # capital is spread over the years by default; the yearly subsidy budget applies every year
    defaults = {CAPITAL.key: CAPITAL.limit(sc.config) / max(years, 1), SUBSIDY.key: SUBSIDY.limit(sc.config)}
    for key, default in ((b.yearly, defaults[b.key]) for b in BUDGETS):
        values = getattr(ph, key)
        values = tuple([default] * years) if values is None else values
        bad = [v for v in values if not isinstance(v, float) or not np.isfinite(v) or v < 0]
        if bad or len(values) != years:
            probs.add(
                f"'phasing.{key}': {list(values)} is not {years} numbers >= 0",
                file=file,
                column=f"phasing.{key}",
                fix=f"give one number per year, {years} in all",
            )
        out.append(np.array([v if isinstance(v, float) else 0.0 for v in values], dtype=float))
    probs.raise_if_any()
    return years, out[0], out[1]


def _selector(n: int, cols: slice) -> sp.csr_array:
    """Rows picking the columns ``cols`` of an n-column vector."""
    idx = np.arange(cols.start, cols.stop)
    return sp.csr_array((np.ones(len(idx)), (np.arange(len(idx)), idx)), shape=(len(idx), n))


def phased_lp(lp: LinearProgram, years: int, capital: np.ndarray, subsidy: np.ndarray) -> LinearProgram:
    """The multi-period program (formulation in the module docstring) from the single-period ``lp``."""
    n, T = lp.n_cols, years
    eye = sp.identity(T, format="csr")
    diff = sp.csr_array(sp.identity(T) - sp.eye(T, k=-1))  # v_t - v_{t-1}
    blocks, lo, hi = [], [], []
    for name, rows in lp.row_blocks.items():
        A = lp.A[rows]
        if name == "capital":
            blocks.append(sp.kron(diff, A))
            lo.append(np.full(T, -np.inf))
            hi.append(capital)
        elif name == "subsidy_budget":
            blocks.append(sp.kron(eye, A))
            lo.append(np.full(T, -np.inf))
            hi.append(subsidy)
        elif name == "mandate":
            last = sp.csr_array(([1.0], ([0], [T - 1])), shape=(1, T))
            blocks.append(sp.kron(last, A))
            lo.append(lp.row_lb[rows])
            hi.append(lp.row_ub[rows])
        else:
            blocks.append(sp.kron(eye, A))
            lo.append(np.tile(lp.row_lb[rows], T))
            hi.append(np.tile(lp.row_ub[rows], T))
    if T > 1:
        sx = _selector(n, lp.cols("x"))
        blocks.append(sp.kron(sp.csr_array(sp.eye(T, k=-1) - sp.identity(T))[1:], sx))  # x_{t-1} - x_t <= 0
        lo.append(np.full((T - 1) * sx.shape[0], -np.inf))
        hi.append(np.zeros((T - 1) * sx.shape[0]))
    A = sp.csr_array(sp.vstack(blocks)) if blocks else sp.csr_array((0, n * T))
    return LinearProgram(
        lp.sense,
        np.tile(lp.c, T),
        np.tile(lp.lb, T),
        np.tile(lp.ub, T),
        np.tile(lp.integer, T),
        A,
        np.concatenate(lo) if lo else np.zeros(0),
        np.concatenate(hi) if hi else np.zeros(0),
        {},
        {},
    )


def _tables(
    model: CoverageModel, values: np.ndarray, years: int, budgets: tuple[np.ndarray, np.ndarray]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The year each placement opens, and per year what opens, money against limits and coverage."""
    lp, x = model.lp, model.x
    n = lp.n_cols
    open_by = np.stack([values[t * n : (t + 1) * n][lp.cols("x")] > 0.5 for t in range(years)])
    need = np.where(x["needs_subsidy"].to_numpy(bool), x["deficit_yuan_per_year"].to_numpy(float), 0.0)
    fit = x["fitout_yuan"].to_numpy(float)
    first = np.where(open_by.any(axis=0), open_by.argmax(axis=0) + 1, 0)
    placed = x.loc[first > 0, ["site_id", "format"]].assign(year_opened=first[first > 0])
    rows = []
    for t in range(years):
        new = first == t + 1
        vt = values[t * n : (t + 1) * n]
        rows.append(
            {
                "year": t + 1,
                "opened": ";".join(f"{s}:{f}" for s, f in x.loc[new, ["site_id", "format"]].to_numpy()),
                "new_placements": int(new.sum()),
                "open_placements": int(open_by[t].sum()),
                f"{CAPITAL.key}_used": float(fit[new].sum()),
                f"{CAPITAL.key}_limit": float(budgets[0][t]),
                "subsidy_yuan_used": float(need[open_by[t]].sum()),
                "subsidy_yuan_limit": float(budgets[1][t]),
                "weighted_coverage": float(lp.c @ vt),
            }
        )
    return placed.sort_values(["year_opened", "site_id", "format"]).reset_index(drop=True), pd.DataFrame(rows)


def solve_phasing(sc: Scenario, reach: Reach | None = None, solver: SolverConfig | None = None) -> Phasing:
    """Choose what opens in which year (see the module docstring) and tabulate each year."""
    from ..solve import run_backend

    years, capital, subsidy = yearly_budgets(sc)
    reach = reach or compute_reach(sc)
    whole = sc.with_config(budget={CAPITAL.key: float(capital.sum()), SUBSIDY.key: float(subsidy.max())})
    model = build_model(whole, reach)
    lp = phased_lp(model.lp, years, capital, subsidy)
    config = solver or sc.config.solver
    sol = run_backend(lp, config)
    if not sol.has_solution or sol.values is None:
        empty = pd.DataFrame(columns=["site_id", "format", "year_opened"])
        return Phasing(str(sol.status), None, empty, pd.DataFrame())
    placed, table = _tables(model, sol.values, years, (capital, subsidy))
    return Phasing(str(sol.status), sol.objective, placed, table)
