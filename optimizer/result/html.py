"""The result as HTML (the report written to report.html and the notebook view) and as a one-line text."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from ..model import BUDGETS
from .maps import map_png

if TYPE_CHECKING:
    from . import Result


def _budgets_text(s: dict[str, Any], sep: str) -> str:
    """Each budget used and its limit, e.g. 'capital 950,000 of 1,000,000 yuan'."""
    b = s["budget"]
    return "; ".join(
        f"{bud.name_en} {b[bud.key + '_used']:,.0f}{sep}{b[bud.key + '_limit']:,.0f} {bud.unit}"
        for bud in BUDGETS
    )


def to_html(r: Result, with_map: bool = True) -> str:
    """A self-contained report: termination, budgets, coverage by format and group, map, placements."""
    s = r.summary()
    esc = html.escape
    status_text = {
        "optimal": "optimal: no plan covers more (within the solver's gap tolerance)",
        "feasible": "feasible: a limit stopped the solver before it proved this plan best; see the gap",
        "infeasible": "infeasible: the mandates cannot all be met; see the diagnosis",
        "no_solution": "no solution within the limits",
    }.get(s["status"], s["status"])
    gap = f"{s['mip_gap']:.3%}" if s.get("mip_gap") is not None else "-"
    b = s["budget"]
    rows = [
        f"<h1>{esc(s['scenario'])}</h1>",
        f"<p>{esc(r.scenario.config.description or '')}</p>",
        "<h2>Result</h2>",
        f"<p><b>{esc(status_text)}</b>. Objective (priority-weighted residents newly covered) "
        f"{s['objective'] if s['objective'] is not None else '-'}, bound "
        f"{s['bound'] if s['bound'] is not None else '-'}, gap {gap}; solver {esc(s['solver']['name'])}, "
        f"{s['seconds']:.1f} s; walk times: {esc(str(s['walk_source']))}.</p>",
        "<table border='1'><tr><th></th><th>used</th><th>limit</th></tr>"
        + "".join(
            f"<tr><td>{bud.name_en} ({bud.unit})</td><td>{b[bud.key + '_used']:,.0f}</td>"
            f"<td>{b[bud.key + '_limit']:,.0f}</td></tr>"
            for bud in BUDGETS
        )
        + "</table>",
    ]
    why = s.get("explain", {}).get("sentences", {})
    if why.get("en"):
        rows.append("<h2>Why this plan / 方案说明</h2>")
        for lang in ("zh", "en"):
            rows.append("<ul>" + "".join(f"<li>{esc(t)}</li>" for t in why[lang]) + "</ul>")
    phasing = r.analyses.get("phasing")
    if phasing is not None and len(phasing.years):
        rows.append(
            "<h2>Phasing</h2>" + phasing.years.to_html(index=False, float_format=lambda v: f"{v:,.0f}")
        )
    if s["formats"]:
        rows.append("<h2>Coverage by format</h2>")
        rows.append(r.summary_frame().to_html(float_format=lambda v: f"{v:,.3f}"))
        rows.append("<h2>Coverage by group (person-formats)</h2>")
        rows.append(r.groups_frame().to_html(float_format=lambda v: f"{v:,.3f}"))
    if with_map and r.values is not None:
        rows.append("<h2>Map</h2>")
        rows.append(f"<img alt='map' src='data:image/png;base64,{map_png(r)}'/>")
    if len(r.placements):
        rows.append(
            "<h2>Placements</h2>" + r.placements.to_html(index=False, float_format=lambda v: f"{v:,.0f}")
        )
    if r.diagnosis is not None:
        rows.append("<h2>Why it is infeasible</h2>" + r.diagnosis.to_html(index=False))
    if s["warnings"]:
        rows.append("<h2>Warnings</h2><ul>" + "".join(f"<li>{esc(w)}</li>" for w in s["warnings"]) + "</ul>")
    style = "body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse}"
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{esc(r.scenario.name)}</title>"
        f"<style>{style}</style></head><body>{''.join(rows)}</body></html>"
    )


def repr_html(r: Result) -> str:
    s = r.summary()
    head = (
        f"<h4>{html.escape(s['scenario'])}: {html.escape(s['status'])}</h4>"
        f"<p>objective {s['objective']}, bound {s['bound']}, gap {s['mip_gap']}; "
        f"{_budgets_text(s, ' of ')}</p>"
    )
    parts = [head]
    if s["formats"]:
        parts.append(r.summary_frame().to_html(float_format=lambda v: f"{v:,.2f}"))
    if len(r.placements):
        parts.append("<h5>Placements</h5>" + r.placements.to_html(index=False))
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
