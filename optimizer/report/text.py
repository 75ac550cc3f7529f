"""Numbers and labels for people: residents as whole persons, shares as percentages, money in 万元
(or yuan in English), and the Chinese and English names of formats, groups, budgets and columns."""

from __future__ import annotations

import math
from typing import Any

from ..catalog import BY_KEY
from ..groups import GROUP_BY_KEY, SPEED_GROUPS
from ..model import BUDGETS

LANGS: tuple[str, ...] = ("zh", "en")


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and not math.isfinite(v))


def number(v: Any, digits: int = 0) -> str:
    """A number with thousands separators and no float noise: 44,870 or 1.5."""
    if _missing(v):
        return "—"
    return f"{float(v):,.{digits}f}"


def people(v: Any, lang: str = "zh") -> str:
    """Residents as whole persons: '44,870 人' or '44,870 residents'."""
    if _missing(v):
        return "—"
    return f"{number(round(float(v)))} 人" if lang == "zh" else f"{number(round(float(v)))} residents"


def share(v: Any, digits: int = 1) -> str:
    """A share as a percentage: 0.162 -> '16.2%'; None (an empty group) -> '—'."""
    if _missing(v):
        return "—"
    return f"{100 * float(v):.{digits}f}%"


def money(yuan: Any, lang: str = "zh", per_year: bool = False) -> str:
    """Money for people: '147.5 万元' in Chinese, '1,475,000 yuan' in English."""
    if _missing(yuan):
        return "—"
    if lang == "zh":
        w = float(yuan) / 1e4
        text = f"{w:,.1f}".rstrip("0").rstrip(".") if abs(w) < 1e4 else f"{w:,.0f}"
        return f"{text} 万元" + ("/年" if per_year else "")
    return f"{float(yuan):,.0f} yuan" + ("/year" if per_year else "")


def area(m2: Any, lang: str = "zh") -> str:
    """Floor or land area: m² below one hectare, km² above."""
    if _missing(m2):
        return "—"
    m2 = float(m2)
    if m2 >= 1e5:
        return f"{m2 / 1e6:,.2f} 平方公里" if lang == "zh" else f"{m2 / 1e6:,.2f} km²"
    return f"{m2:,.0f} 平方米" if lang == "zh" else f"{m2:,.0f} m²"


def minutes(v: Any, lang: str = "zh") -> str:
    if _missing(v):
        return "—"
    return f"{float(v):g} 分钟" if lang == "zh" else f"{float(v):g} min"


def format_name(key: str, lang: str = "zh") -> str:
    """A format's name from the catalog (the key itself when unknown)."""
    f = BY_KEY.get(key)
    if f is None:
        return key
    return f.name_zh if lang == "zh" else f.name_en


def group_name(key: str, lang: str = "zh") -> str:
    """A population group's name (mandate groups and speed groups)."""
    if key in GROUP_BY_KEY:
        g = GROUP_BY_KEY[key]
        return g.name_zh if lang == "zh" else g.name_en
    if key in SPEED_GROUPS:
        en, zh = SPEED_GROUPS[key]
        return zh if lang == "zh" else en
    return key


def budget_name(key: str, lang: str = "zh") -> str:
    for b in BUDGETS:
        if b.key == key:
            return b.name_zh if lang == "zh" else b.name_en
    return key


STATUS: dict[str, tuple[str, str]] = {
    "optimal": ("最优：在求解器容差内，没有覆盖更多居民的方案", "optimal: no plan covers more residents"),
    "feasible": (
        "可行：求解在证明最优前达到时间上限，结果附最优性差距",
        "feasible: a limit stopped the solver before it proved this plan best (see the gap)",
    ),
    "infeasible": ("不可行：硬性覆盖要求无法同时满足，见诊断", "infeasible: the mandates cannot all be met"),
    "no_solution": ("在限制内未找到方案", "no solution within the limits"),
}


def status(s: str, lang: str = "zh") -> str:
    zh, en = STATUS.get(s, (s, s))
    return zh if lang == "zh" else en


# Column labels: (Chinese, English) for every column the report and workbook show.
COLUMNS: dict[str, tuple[str, str]] = {
    "format": ("业态", "Format"),
    "name_zh": ("业态名称", "Format name (Chinese)"),
    "name_en": ("业态名称（英文）", "Format name"),
    "walk_minutes": ("步行时限（分钟）", "Walk limit (min)"),
    "population": ("人口（人）", "Residents"),
    "covered_before": ("现状覆盖人口（人）", "Covered before"),
    "covered_after": ("规划后覆盖人口（人）", "Covered after"),
    "share_before": ("现状覆盖率", "Share before"),
    "share_after": ("规划后覆盖率", "Share after"),
    "sites_opened": ("新增网点数", "New outlets"),
    "group": ("人群", "Group"),
    "covered_before_person_formats": ("现状覆盖人次（人×业态）", "Covered before (person-formats)"),
    "covered_after_person_formats": ("规划后覆盖人次（人×业态）", "Covered after (person-formats)"),
    "site_id": ("点位编号", "Site"),
    "street": ("街道/路名", "Street"),
    "address": ("地址", "Address"),
    "fitout_yuan": ("建设资金（元）", "Capital (yuan)"),
    "rent_yuan_per_year": ("年租金（元）", "Rent (yuan/year)"),
    "subsidy_yuan_per_year": ("年租金补贴（元）", "Rent subsidy (yuan/year)"),
    "opex_yuan_per_year": ("年运营成本（元）", "Operating cost (yuan/year)"),
    "catchment": ("服务人口（人）", "Residents in catchment"),
    "margin_yuan_per_year": ("年毛利（元）", "Margin (yuan/year)"),
    "area_m2": ("使用面积（平方米）", "Floor area used (m²)"),
    "floor_area_m2": ("可用面积（平方米）", "Floor area (m²)"),
    "reason": ("原因", "Reason"),
    "residence_id": ("居住区编号", "Residence"),
    "minutes_before": ("现状步行时间（分钟）", "Minutes before"),
    "minutes_after": ("规划后步行时间（分钟）", "Minutes after"),
    "credit_before": ("现状计分", "Credit before"),
    "credit_after": ("规划后计分", "Credit after"),
    "community": ("社区/街道", "Community"),
    "outlets": ("现有网点数", "Existing outlets"),
    "item": ("项目", "Item"),
    "value": ("数值", "Value"),
    "used": ("已用", "Used"),
    "limit": ("上限", "Limit"),
    "min_share": ("要求覆盖率", "Required share"),
    "met": ("是否达到", "Met"),
    "formats": ("业态", "Formats"),
    "count": ("数量", "Count"),
}


def column(name: str, lang: str = "zh") -> str:
    zh, en = COLUMNS.get(name, (name, name))
    return zh if lang == "zh" else en


def yes_no(v: bool, lang: str = "zh") -> str:
    if lang == "zh":
        return "是" if v else "否"
    return "yes" if v else "no"
