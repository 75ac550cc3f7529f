r"""The coverage model, built once as sparse arrays.

Sets and data
-------------
- demand units :math:`i` (residences, or their younger and elderly parts), population :math:`p_i`,
  priority :math:`w_i`; formats :math:`f` with weight :math:`\omega_f`, walk limit :math:`L_f`,
  floor area :math:`a_f`; candidate sites :math:`j` with floor area :math:`A_j` and rent :math:`r_j`
  (yuan/m²/month).
- :math:`b_{if}\in\{0, c, 1\}`: credit unit :math:`i` already has for :math:`f` from existing outlets
  (1 within :math:`L_f`, :math:`c` within the partial limit :math:`\lambda L_f`, else 0).
- :math:`N_{if}` (:math:`N^{\lambda}_{if}`): sites that :math:`i` reaches within :math:`L_f`
  (:math:`\lambda L_f`).
- yearly rent :math:`R_{jf} = 12\, r_j a_f`; fit-out :math:`K_{jf}` (the site's ``fitout_yuan`` or
  :math:`a_f \times` cost per m²); operating cost :math:`O_f`; margin per resident :math:`m_f`; catchment
  :math:`C_{jf} = \sum_{i: j\in N_{if}} p_i / (1 + n_{if})` where :math:`n_{if}` counts existing outlets
  of :math:`f` within :math:`L_f` of :math:`i` (residents share their custom equally).

Variables
---------
:math:`x_{jf}\in\{0,1\}` open :math:`f` at :math:`j`; :math:`y_{if}\in[0,1]` full coverage and
:math:`z_{if}\in[0,1]` partial coverage (only where not already covered); :math:`s_{jf}\ge 0` yearly rent
subsidy (only for subsidised formats).

Objective
---------
.. math:: \max \sum_{i,f} \omega_f w_i p_i \left[(1-b_{if})\, y_{if} + c\,[b_{if}=0]\, z_{if}\right]

Constraints
-----------
.. math::
   y_{if} \le \sum_{j\in N_{if}} x_{jf}, \quad z_{if} \le \sum_{j\in N^{\lambda}_{if}} x_{jf},
   \quad y_{if} + z_{if} \le 1                                              && \text{(cover)}\\
   \sum_f a_f x_{jf} \le A_j, \quad \sum_f x_{jf} \le M_j                   && \text{(space, 一点多用)}\\
   \sum_{j,f} K_{jf} x_{jf} \le B_{\text{capital}}                          && \text{(capital)}\\
   s_{jf} \le \sigma R_{jf} x_{jf}, \quad \sum_{j,f} s_{jf} \le B_{\text{subsidy}} && \text{(subsidy)}\\
   m_f C_{jf} + s_{jf} \ge (R_{jf} + O_f)\, x_{jf}                          && \text{(viability)}\\
   \sum_{i\in G} p_i (b^{1}_{if} + y_{if}) \ge \mu \sum_{i\in G} p_i         && \text{(mandates)}

where :math:`b^1_{if}=[b_{if}=1]`. Pairs :math:`(j,f)` that cannot be part of any feasible plan (format not
allowed, no room, fit-out over the whole budget, not viable even with the largest subsidy, nobody to gain)
get no variable; ``CoverageModel.excluded`` says why (:data:`~optimizer.model.pairs.EXCLUSION_RULES`).
Viability uses catchments fixed in advance, so the model stays linear. Each constraint family is one
entry of :data:`~optimizer.model.families.FAMILIES`, built by one small vectorised function into a named
row block of the :class:`~optimizer.lp.LinearProgram`.

Reductions (:mod:`~optimizer.model.reduce`, before the rows are built): units :math:`i` of one class
:math:`K` (the same :math:`N_{if}` and :math:`N^{\lambda}_{if}` over eligible sites, the same kind of
credit to gain, the same membership in every group with a mandate on :math:`f`) share one
:math:`y_{Kf}` (and :math:`z_{Kf}`) whose objective coefficient and mandate coefficient are the sums over
:math:`K`; for fixed :math:`x` every member's best :math:`y_{if}` is the same, so the optimum is
unchanged. On request, pairs that another pair of the same format dominates (more reach, no more money,
a site without per-site rows) get no variable.

Tie-break (``objective.tie_break: least_public_money``): among plans of maximum coverage, the least
:math:`\sum K_{jf} x_{jf} + \sum s_{jf}` (capital plus one year of subsidy), by one weighted solve or a
second stage that keeps the coverage (:mod:`optimizer.tiebreak`).
"""

from __future__ import annotations

from .budgets import BUDGET_BY_BLOCK, BUDGETS, Budget
from .build import DEFAULT_REDUCTIONS, REDUCTIONS, CoverageModel, build_model
from .families import (
    COVER,
    FAMILIES,
    FAMILY_BY_NAME,
    RESOURCE,
    Family,
    ModelData,
    families_with_role,
    shared_blocks,
)
from .pairs import EXCLUSION_RULES, demand_pairs, site_format_pairs

__all__ = [
    "BUDGETS",
    "BUDGET_BY_BLOCK",
    "Budget",
    "CoverageModel",
    "build_model",
    "REDUCTIONS",
    "DEFAULT_REDUCTIONS",
    "FAMILIES",
    "FAMILY_BY_NAME",
    "COVER",
    "RESOURCE",
    "Family",
    "ModelData",
    "families_with_role",
    "shared_blocks",
    "EXCLUSION_RULES",
    "demand_pairs",
    "site_format_pairs",
]
