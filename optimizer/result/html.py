"""The result as HTML (the pilot plan for report.html and the notebook view) and as a one-line text."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from ..model import BUDGETS

if TYPE_CHECKING:
    from . import Result


def _budgets_text(s: dict[str, Any], sep: str) -> str:
    """Each budget used and its limit, e.g. 'capital 950,000 of 1,000,000 yuan'."""
    b = s["budget"]
    return "; ".join(
        f"{bud.name_en} {b[bud.key + '_used']:,.0f}{sep}{b[bud.key + '_limit']:,.0f} {bud.unit}"
        for bud in BUDGETS
    )


def to_html(r: Result, with_map: bool = True, lang: str = "zh") -> str:
    """The pilot plan (试点方案) as one self-contained page (see :mod:`optimizer.report`)."""
    from ..report import ReportData, pilot_plan

    doc = pilot_plan(ReportData.from_result(r), lang)
    if not with_map:
        doc.blocks = [b for b in doc.blocks if not (b.kind == "img" and b.text == "map")]
    return doc.to_html()


def repr_html(r: Result) -> str:
    """The notebook view: status, money, coverage per format with percentages, placements."""
    from ..report import text as T

    s = r.summary()
    gap = f", gap {s['mip_gap']:.2%}" if s.get("mip_gap") is not None else ""
    parts = [
        f"<h4>{html.escape(s['scenario'])}: {html.escape(s['status'])}{gap}</h4>"
        f"<p>{s['placements']} placements; {_budgets_text(s, ' of ')}</p>"
    ]
    if s["formats"]:
        f = r.summary_frame()[["name_zh", "walk_minutes", "share_before", "share_after", "sites_opened"]]
        f = f.assign(share_before=f["share_before"].map(T.share), share_after=f["share_after"].map(T.share))
        parts.append(f.to_html())
    if len(r.placements):
        parts.append("<h5>Placements</h5>" + r.placements.to_html(index=False, float_format=T.number))
    if r.diagnosis is not None:
        parts.append("<h5>Why it is infeasible</h5>" + r.diagnosis.to_html(index=False))
    for w in s["warnings"]:
        parts.append(f"<p><b>warning</b>: {html.escape(w)}</p>")
    return "\n".join(parts)


def text_repr(r: Result) -> str:
    s = r.summary()
    gap = f", gap {s['mip_gap']:.2%}" if s.get("mip_gap") is not None else ""
    return (
        f"<Result {s['scenario']}: {s['status']}{gap}, {s['placements']} placements, {_budgets_text(s, '/')}>"
    )
