"""The end-of-run summary for the console: money used against the limits, coverage of every group,
mandates met or not, and where the report is. Whole numbers and percentages, no float noise."""

from __future__ import annotations

from pathlib import Path

from ..model import BUDGETS
from . import sections as S
from . import text as T
from .data import ReportData


def summary_lines(d: ReportData, report: Path | None = None, lang: str = "en") -> list[str]:
    s = d.summary
    zh = lang == "zh"
    gap = f" (gap {s['mip_gap']:.2%})" if s.get("mip_gap") else ""
    lines = [
        f"{T.status(s['status'], lang)}{gap}; {s.get('placements', 0)} "
        + ("个新增网点" if zh else "new outlets")
    ]
    b = s["budget"]
    for bud in BUDGETS:
        per_year = "per_year" in bud.key
        used, limit = (
            T.money(b[f"{bud.key}_used"], lang, per_year),
            T.money(b[f"{bud.key}_limit"], lang, per_year),
        )
        lines.append(f"{T.budget_name(bud.key, lang)}: {used} " + ("/ 上限 " if zh else "of ") + limit)
    for g, v in (s.get("groups") or {}).items():
        if v.get("population"):
            lines.append(
                f"{T.group_name(g, lang)} ({T.people(v['population'], lang)}): "
                f"{T.share(v['share_before'])} -> {T.share(v['share_after'])}"
                + (" 平均业态覆盖" if zh else " of formats within reach on average")
            )
    for row in S.mandates(d, lang) if d.has_solution else []:
        lines.append(
            ("硬性要求" if zh else "mandate")
            + f" {row[0]} / {row[1]} >= {row[2]}: {row[3]}, "
            + (("达到" if zh else "met") if row[4] in ("是", "yes") else ("未达到" if zh else "NOT met"))
        )
    if report is not None:
        lines.append(("试点方案：" if zh else "report: ") + str(report))
    return lines
