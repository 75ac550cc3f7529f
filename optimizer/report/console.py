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
    tie = tie_break_line(s, lang)
    if tie:
        lines.append(tie)
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


TIE_BREAK: dict[str, tuple[str, str]] = {
    "optimal": ("已证明", "proved"),
    "feasible": ("未证明（时间上限）", "not proved (a limit stopped it)"),
    "not_run": ("未运行：时间上限已用完，保留覆盖最优方案", "not run: the time limit was used up; plan kept"),
    "failed": ("求解失败，保留覆盖最优方案", "failed in the solver; plan kept"),
}


def tie_break_line(s: dict, lang: str = "en") -> str | None:
    """The least-public-money tie-break: whether it was proved and how (None when not asked for)."""
    status = s.get("tie_break_status")
    if not s.get("tie_break") or s["tie_break"] == "none" or status is None:
        return None
    zh_word, en_word = TIE_BREAK.get(status, (status, status))
    proof = f" ({s['tie_break_proof']})" if s.get("tie_break_proof") else ""
    if lang == "zh":
        return f"同等覆盖下公共投入最少：{zh_word}{proof}"
    return f"least public money among plans of maximum coverage: {en_word}{proof}"
