"""Why a (site, format) pair gets no variable: one enum shared by the model, the writers and the
independent verification (which imports the texts as data and keeps its own arithmetic)."""

from __future__ import annotations

from enum import StrEnum


class Exclusion(StrEnum):
    """Reasons in the order they are tested; a pair reports the first that holds."""

    NOT_ALLOWED = "format not allowed at this site"
    FLOOR_AREA = "not enough floor area"
    CAPITAL = "fit-out exceeds the whole capital budget"
    NOT_VIABLE = "not viable: rent + operating cost exceed margin + largest subsidy"
    SUBSIDY_BUDGET = "not viable within the subsidy budget"
    NO_GAIN = "no resident would gain coverage"
