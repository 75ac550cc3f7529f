"""The result as HTML (the pilot plan for report.html and the notebook view) and as a one-line text."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from ..model import BUDGETS
from .plugins import PAGES

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
    """The page registered as ``html`` (the pilot plan, 试点方案, from :mod:`optimizer.report`), or the
    notebook view when no page is registered."""
    page = PAGES.get("html")
    return page(r, with_map, lang) if page is not None else repr_html(r)


def _pct(v: Any) -> str:
    return "—" if v is None or v != v else f"{float(v):.1%}"


def repr_html(r: Result) -> str:
    """The notebook view: status, money, coverage per format with percentages, placements."""
    s = r.summary()
    gap = f", gap {s['mip_gap']:.2%}" if s.get("mip_gap") is not None else ""
    parts = [
        f"<h4>{html.escape(s['scenario'])}: {html.escape(s['status'])}{gap}</h4>"
        f"<p>{s['placements']} placements; {_budgets_text(s, ' of ')}</p>"
    ]
    if s["formats"]:
        f = r.summary_frame()[["name_zh", "walk_minutes", "share_before", "share_after", "sites_opened"]]
        f = f.assign(share_before=f["share_before"].map(_pct), share_after=f["share_after"].map(_pct))
        parts.append(f.to_html())
    if len(r.placements):
        parts.append(
            "<h5>Placements</h5>" + r.placements.to_html(index=False, float_format=lambda v: f"{v:,.0f}")
        )
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
