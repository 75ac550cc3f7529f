r"""The tie-break: among plans of maximum coverage, the one with the least public money.

Two methods (``objective.tie_break_method``):

``two_stage``
    Stage one maximises coverage :math:`c^\top v`; stage two re-solves the whole model minimising public
    money :math:`m^\top v` with a row keeping coverage :math:`\ge z - \tau` (:math:`z` the stage-one
    coverage; :math:`\tau = q/2` on a lattice of quantum :math:`q`), started from the stage-one plan,
    retried once with presolve off, and otherwise the stage-one plan is kept with a warning.

``weighted``
    One solve of :math:`\max F(v) = c^\top v - \varepsilon\, m^\top v` with a weight that is provably safe.

    A plan is its placements with coverage and subsidies as placed (each unit's credit at what the
    placements earn, each subsidy at what its placement needs); any solution of the model is worth no more
    than its plan as placed (more credit, no more money), so :math:`F^*` is attained by a plan. Let every
    plan's coverage :math:`C` be a whole multiple of :math:`q` (the objective's quantum), every feasible
    plan's money :math:`0 \le P \le M` (:func:`money_bound`), and :math:`\varepsilon = q / (4M)`, so
    :math:`\varepsilon M = q/4`. Write :math:`C^*` for the maximum coverage and :math:`P^*` for the least
    money among plans of coverage :math:`C^*`.

    *The optimum is lexicographic.* A plan with :math:`C \le C^* - q` has
    :math:`F \le C^* - q < C^* - \varepsilon M \le C^* - \varepsilon P^* \le F^*`, so it never wins; among
    plans of coverage :math:`C^*`, :math:`F` is largest where money is least. Hence
    :math:`F^* = C^* - \varepsilon P^*`.

    *What a stopped solve proves.* The solver returns a plan :math:`\hat v` (coverage :math:`\hat C`,
    money :math:`\hat P`, recomputed as placed, :math:`\hat F = \hat C - \varepsilon \hat P`) and a bound
    :math:`B \ge F^*`. Let :math:`g = B - \hat F \ge F^* - \hat F`.

    (a) Coverage. If :math:`\hat C < C^*` then :math:`\hat C \le C^* - q` and
    :math:`g \ge C^* - \varepsilon P^* - \hat C + \varepsilon \hat P \ge q - \varepsilon (M - \hat P)`
    (using :math:`P^* \le M`). So :math:`g < q - \varepsilon (M - \hat P)` (at least :math:`3q/4`) proves
    :math:`\hat C = C^*`: coverage exact. Whatever :math:`g`, every plan has
    :math:`C = F + \varepsilon P \le B + \varepsilon M`: that is the coverage bound reported when
    coverage is not proven.

    (b) Money. When coverage is exact, :math:`g \ge F^* - \hat F = \varepsilon (\hat P - P^*)`, so
    :math:`\hat P - P^* \le g / \varepsilon = 4 M g / q` yuan. The solve is asked for
    :math:`g \le \gamma\, q/4` (``mip_gap`` :math:`\gamma`, no relative gap): money within :math:`\gamma M`
    yuan of the least. A solver may call its solve optimal at a larger :math:`g` (its own tolerances on
    the combined objective): what is reported is always what the returned :math:`B` and :math:`\hat v`
    prove, never what was asked for.

    Without a quantum no weight is provably safe (two coverages may differ by less than any
    :math:`\varepsilon M`), so ``weighted`` falls back to ``two_stage``; so does a model whose money has
    no finite bound.

``auto`` takes :data:`AUTO` for exact solvers (measured by ``bench/tie_break.py``, figures in
``bench/RESULTS.md``) and ``two_stage`` for the heuristic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from .backends.registry import EXACT_SOLVERS
from .config import ObjectiveConfig, SolverConfig
from .deadline import Deadline
from .lp import LinearProgram
from .model import BUDGETS, CoverageModel
from .outcome import Solution, Status, TieBreak, relative_gap

METHODS = ("weighted", "two_stage")
AUTO = "weighted"  # bench/RESULTS.md, "Tie-break: two stages or one weighted solve"
Run = Callable[..., Solution]  # run_backend(lp, config, start=..., deadline=..., abs_gap=...)
Place = Callable[[Solution, bool], Solution]  # the plan as placed: (solution, objective is money?)


def method_for(objective: ObjectiveConfig, config: SolverConfig, quantum: float | None) -> str | None:
    """The method that will run (None: no tie-break asked for). ``weighted`` needs a quantum."""
    if objective.tie_break != "least_public_money":
        return None
    method = objective.tie_break_method
    if method == "auto":
        method = AUTO if config.name in EXACT_SOLVERS else "two_stage"
    return "two_stage" if method == "weighted" and quantum is None else method


def money_bound(model: CoverageModel) -> float:
    """An upper bound on the public money of any feasible plan: the sum of the budgets' limits when
    every budget is a row of the model with a finite limit, and never more than every column at its
    upper bound (each column's money times its bound, summed over columns that spend)."""
    lp = model.lp
    spends = model.money > 0
    per_column = float(np.sum(model.money[spends] * lp.ub[spends])) if spends.any() else 0.0
    limits = [lp.row_ub[lp.rows(b.block)] for b in BUDGETS]
    if all(len(lim) == 1 for lim in limits):
        total = float(sum(float(lim[0]) for lim in limits))
        if np.isfinite(total):
            return min(total, per_column)
    return per_column


@dataclass(frozen=True)
class Weighting:
    """The safe weight: ``eps = quantum / (4 money_bound)``, so eps times any plan's money < quantum / 2."""

    quantum: float
    money_bound: float

    @property
    def eps(self) -> float:
        return self.quantum / (4.0 * self.money_bound) if self.money_bound > 0 else 0.0

    def lp(self, model: CoverageModel) -> LinearProgram:
        return model.lp.with_objective(model.lp.c - self.eps * model.money, "max")

    def abs_gap(self, mip_gap: float) -> float:
        """The gap on the combined objective that proves coverage exact and money within ``mip_gap``
        times the money bound (derivation in the module docstring)."""
        return mip_gap * self.quantum / 4.0


@dataclass(frozen=True)
class StageOne:
    """What the first (for ``weighted``: the only) solve is: its program, settings and absolute gap."""

    method: str | None
    lp: LinearProgram
    config: SolverConfig
    abs_gap: float | None
    weighting: Weighting | None = None
    fallback: str = ""  # why ``weighted`` was asked for but ``two_stage`` runs


def stage_one(
    objective: ObjectiveConfig,
    model: CoverageModel,
    config: SolverConfig,
    quantum: float | None,
    abs_gap: float | None,
) -> StageOne:
    """The coverage solve, or for ``weighted`` the single solve of coverage minus eps times money."""
    method = method_for(objective, config, quantum) if len(model.x) else None
    asked = objective.tie_break_method == "weighted"
    if method != "weighted" or quantum is None:
        why = "no quantum, so no weight is provably safe" if asked and method else ""
        return StageOne(method, model.lp, config, abs_gap, fallback=why)
    w = Weighting(quantum, money_bound(model))
    if not np.isfinite(w.money_bound):
        why = "public money has no finite bound, so no weight is provably safe"
        return StageOne("two_stage", model.lp, config, abs_gap, fallback=why)
    return StageOne("weighted", w.lp(model), replace(config, mip_gap=0.0), w.abs_gap(config.mip_gap), w)


def _yuan(v: float) -> str:
    return f"{v:,.2f}" if v < 100 else f"{v:,.0f}"


def weighted_outcome(
    w: Weighting, model: CoverageModel, raw: Solution, place: Place
) -> tuple[Solution, Solution | None, TieBreak]:
    """The weighted solve read back: the coverage view (stage one's place in the Result: coverage as
    placed, its bound), the money view (the tie-break's place) and what was proved (module docstring)."""
    eps, q, m_bound = w.eps, w.quantum, w.money_bound
    b = raw.bound
    placed = place(replace(raw, bound=None), False)
    if not placed.has_solution or placed.values is None or placed.objective is None:
        cov_bound = None if b is None else b + eps * m_bound
        text = f"weighted: no plan ({raw.status})"
        return replace(placed, bound=cov_bound), None, TieBreak("weighted", "no_plan", False, None, text)
    cov = placed.objective
    money = float(model.money @ placed.values)
    slack = None if b is None else max(0.0, b - (cov - eps * money))
    exact = slack is not None and slack < q - eps * (m_bound - money)
    cov_bound = cov if exact else (None if b is None else max(cov, b + eps * m_bound))
    within = (slack / eps if eps > 0 else 0.0) if exact and slack is not None else None
    first = replace(placed, bound=cov_bound, gap=relative_gap(cov, cov_bound))
    proved = raw.status == Status.OPTIMAL and exact
    status = Status.OPTIMAL if proved else Status.FEASIBLE
    low = None if within is None else max(0.0, money - within)
    second = Solution(
        status, placed.values, money, low, relative_gap(money, low), 0.0, raw.solver, raw.message
    )
    if within is not None:
        text = f"weighted: coverage exact, money within {_yuan(within)} yuan of the least"
    else:
        text = "weighted: coverage not proven maximal, money not proven least"
    if not proved:
        text += f" (solver stopped: {raw.message or raw.status})"
    return first, second, TieBreak("weighted", str(status), exact, within, text)


def _stage_two_lp(model: CoverageModel, coverage: float, tol: float) -> LinearProgram:
    row = sp.csr_array(model.lp.c.reshape(1, -1))
    return model.lp.with_rows(
        "keep_coverage", row, np.array([coverage - tol]), np.array([np.inf])
    ).with_objective(model.money, "min")


def stage_two(
    model: CoverageModel,
    first: Solution,
    config: SolverConfig,
    deadline: Deadline,
    quantum: float | None,
    run: Run,
    place: Place,
) -> tuple[Solution | None, str | None]:
    """Among plans with the first stage's coverage, the one with the least public money; and a warning
    when the stage failed and the stage-one plan is kept."""
    z = float(first.objective or 0.0)
    assert first.values is not None
    # On a lattice of values (quantum q) keeping coverage > z - q/2 is exact; otherwise allow the
    # relative tolerance the proof itself used, never less than the solver's feasibility tolerance.
    tol = 0.5 * quantum if quantum else max(1e-6, 1e-6 * abs(z))
    money1 = float(model.money @ first.values)
    attempts: list[str] = []
    for safer in (False, True):
        cfg = (
            replace(config, options={**config.options, "presolve": "off"})
            if safer and config.name != "cbc"
            else config
        )
        lp2 = _stage_two_lp(model, z, tol * (10 if safer and not quantum else 1))
        sol = run(lp2, cfg, start=first.values, deadline=deadline)
        if sol.has_solution and sol.values is not None:
            placed = place(sol, True)
            assert placed.values is not None and placed.objective is not None
            if float(model.lp.c @ placed.values) >= z - tol * 10 and placed.objective <= money1 + 1e-6:
                return placed, None
            attempts.append(f"{sol.status} with a plan that does not keep the coverage")
        else:
            attempts.append(f"{sol.status} ({sol.message})" if sol.message else str(sol.status))
        if deadline.expired:
            break
    return (
        None,
        "the tie-break stage (least public money) failed: the solver answered "
        + "; then ".join(attempts)
        + ". The stage-one plan is kept: its coverage is as reported, but a cheaper plan of the same "
        "coverage may exist",
    )


NOT_RUN = (
    "the time limit was used up by the coverage stage, so the tie-break (least public money among "
    "plans of this coverage) was not run: a cheaper plan of the same coverage may exist"
)


REGIONS_NOT_RUN = (
    "the plan was solved region by region, so the tie-break (least public money among plans of this "
    "coverage, a whole-city MIP) was not run: a cheaper plan of the same coverage may exist"
)


def two_stage_outcome(
    second: Solution | None, note: str | None, coverage_exact: bool, fallback: str = ""
) -> TieBreak:
    """What the two-stage tie-break proved: the second stage's status and how far its money may be
    from the least (its own bound), or that it failed or was not run."""
    why = f" (weighted asked for: {fallback})" if fallback else ""
    if second is None:
        status = "not_run" if note in (NOT_RUN, REGIONS_NOT_RUN) else "failed"
        reason = "solved region by region" if note == REGIONS_NOT_RUN else "time limit"
        text = f"two_stage{why}: {'not run (' + reason + ')' if status == 'not_run' else 'failed'}"
        return TieBreak(
            "two_stage", status, coverage_exact, None, text + ", the coverage stage's plan is kept"
        )
    within = None
    if second.bound is not None and second.objective is not None:
        within = max(0.0, second.objective - second.bound)
    text = f"two_stage{why}: {second.status}, coverage {'exact' if coverage_exact else 'not proven exact'}"
    if within is not None:
        text += f", money within {_yuan(within)} yuan of the least at that coverage"
    return TieBreak("two_stage", str(second.status), coverage_exact, within, text)


def tie_break(
    stage: StageOne,
    model: CoverageModel,
    first: Solution,
    deadline: Deadline,
    quantum: float | None,
    coverage_exact: bool,
    run: Run,
    place: Place,
) -> tuple[Solution | None, list[str], TieBreak | None]:
    """The second stage when the method is ``two_stage`` (nothing to do for ``weighted``, whose single
    solve already chose): the tie-break's solution, the notes to show and what it proved."""
    if stage.method != "two_stage" or not first.has_solution:
        return None, [], None
    if deadline.expired:
        return None, [NOT_RUN], two_stage_outcome(None, NOT_RUN, coverage_exact, stage.fallback)
    second, note = stage_two(model, first, stage.config, deadline, quantum, run, place)
    return second, [note] if note else [], two_stage_outcome(second, note, coverage_exact, stage.fallback)
