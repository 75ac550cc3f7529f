"""The pilot plan (试点方案) in the outline of Attachment 2 of the 2021 Shanghai notice: 第一部分 试点概要;
第二部分 建设基础 (一 to 四); 第三部分 建设方案 (一 总体工作思路、目标; 二 主要任务; 三 保障措施). Chinese by
default, English with ``lang="en"``; the generated text stays within the notice's 3,000 characters."""

from __future__ import annotations

from ..model.budgets import CAPITAL, SUBSIDY
from . import charts
from . import sections as S
from . import text as T
from .data import ReportData
from .document import CHAR_LIMIT, Document

# Headings in the notice's order: (Chinese, English).
HEADINGS: dict[str, tuple[str, str]] = {
    "part1": ("第一部分 试点概要", "Part 1. Summary of the pilot"),
    "part2": ("第二部分 建设基础", "Part 2. Starting point"),
    "basic": ("一、社区基本情况", "1. The community"),
    "commerce": ("二、社区商业发展基础情况", "2. Existing community shops"),
    "circle": ("三、社区便民生活圈建设情况", "3. The convenient living circle today"),
    "problems": ("四、社区便民生活圈存在问题", "4. What is missing"),
    "part3": ("第三部分 建设方案", "Part 3. The plan"),
    "goals": ("一、总体工作思路、目标", "1. Approach and targets"),
    "tasks": ("二、主要任务", "2. Main tasks"),
    "layout": ("（一）优化社区便民商业布局", "(1) Improve the layout of community shops"),
    "quality": ("（二）提升社区商业业态品质", "(2) Raise the quality of the formats"),
    "level": ("（三）凸显社区商业服务能级", "(3) Raise the level of service"),
    "local": ("（四）体现区域商业特色优势", "(4) Show local character"),
    "regulate": ("（五）引导社区商业规范经营", "(5) Guide shops to operate by the rules"),
    "safeguards": ("三、保障措施", "3. Safeguards"),
    "org": ("（一）加强组织领导", "(1) Organisation and leadership"),
    "groundwork": ("（二）夯实工作基础", "(2) Groundwork"),
    "business": ("（三）优化营商环境", "(3) Business environment"),
    "funding": ("（四）落实资金保障", "(4) Funding"),
}
ORDER: tuple[str, ...] = tuple(HEADINGS)
# Heading levels: parts 2, sections 3, the numbered items within a section 4.
LEVELS: dict[str, int] = {
    k: 2 if k.startswith("part") else 3 if HEADINGS[k][0][0] in "一二三四" else 4 for k in HEADINGS
}


def _h(doc: Document, key: str) -> None:
    zh, en = HEADINGS[key]
    doc.h(zh if doc.lang == "zh" else en, LEVELS[key])


def _todo(doc: Document) -> None:
    doc.note("【由试点街道（镇）填写】" if doc.lang == "zh" else "[for the pilot's street office to write]")


def _summary_part(doc: Document, d: ReportData) -> None:
    s, zh = d.summary, doc.lang == "zh"
    b = s["budget"]
    pop = float(d.residences["population"].sum())
    p = d.placements
    n_sites = p["site_id"].nunique() if len(p) else 0
    shared = int((p.groupby("site_id").size() > 1).sum()) if len(p) else 0
    g = s["groups"].get("all", {})
    _h(doc, "part1")
    cap = tuple(T.money(b[f"{CAPITAL.key}_{k}"], doc.lang) for k in ("used", "limit"))
    sub = tuple(T.money(b[f"{SUBSIDY.key}_{k}"], doc.lang, True) for k in ("used", "limit"))
    cov = (T.share(g.get("share_before")), T.share(g.get("share_after")))
    if not d.has_solution:
        doc.p(
            f"试点范围 {len(d.residences)} 个居住街坊，常住人口 {T.people(pop)}。建设资金上限 {cap[1]}，"
            f"租金补贴上限 {sub[1]}。求解结果：{T.status(s['status'])}。"
            if zh
            else f"The pilot covers {len(d.residences)} residential blocks with {T.people(pop, 'en')}; "
            f"capital limit {cap[1]}, rent-subsidy limit {sub[1]}. Solver: {T.status(s['status'], 'en')}."
        )
    elif zh:
        doc.p(
            f"试点范围 {len(d.residences)} 个居住街坊，常住人口 {T.people(pop)}。方案在 {n_sites} 处闲置空间"
            f"新增 {len(p)} 个便民网点（其中 {shared} 处一点多用），使用建设资金 {cap[0]}（上限 {cap[1]}）、"
            f"租金补贴 {sub[0]}（上限 {sub[1]}）。居民在步行时限内可达的基本业态平均占比由 {cov[0]} 提高到 "
            f"{cov[1]}。求解结果：{T.status(s['status'])}。"
        )
    else:
        doc.p(
            f"The pilot covers {len(d.residences)} residential blocks with {T.people(pop, 'en')}. The plan "
            f"opens {len(p)} outlets in {n_sites} vacant spaces ({shared} shared by several formats), using "
            f"{cap[0]} of capital (limit {cap[1]}) and {sub[0]} of rent subsidy (limit {sub[1]}). The "
            f"average share of basic formats within walking limits rises from {cov[0]} to {cov[1]}. "
            f"Solver: {T.status(s['status'], 'en')}."
        )


def _basic(doc: Document, d: ReportData) -> None:
    lang = doc.lang
    zh = lang == "zh"
    hh, given = d.households()
    area = d.residence_area_m2()
    rows = [
        ["常住人口" if zh else "Residents", T.people(d.residences["population"].sum(), lang)],
        [
            "户数" if zh else "Households",
            f"{T.number(hh)} 户" + ("" if given else "（按每户 2.32 人估算）")
            if zh
            else f"{T.number(hh)}" + ("" if given else " (estimated at 2.32 persons each)"),
        ],
        ["60岁及以上人口占比" if zh else "Share aged 60+", T.share(d.elderly_share())],
        [
            "老旧小区人口" if zh else "In old neighbourhoods",
            T.people(d.group_population("old_neighbourhood"), lang),
        ],
        [
            "大型保障性居住社区人口" if zh else "In affordable housing",
            T.people(d.group_population("affordable_housing"), lang),
        ],
    ]
    if area is not None:
        rows.append(["居住街坊面积" if zh else "Area of the residential blocks", T.area(area, lang)])
    _h(doc, "basic")
    doc.table([T.column("item", lang), T.column("value", lang)], rows)
    com = S.communities(d, lang)
    if com:
        cols = ["community", "population"]
        doc.table(
            [T.column(c, lang) for c in cols]
            + (
                ["老旧小区人口", "现状覆盖率", "规划后覆盖率"]
                if zh
                else ["Old neighbourhoods", "Before", "After"]
            ),
            com,
            shrink=True,
        )


def _commerce(doc: Document, d: ReportData) -> None:
    lang = doc.lang
    counts = d.outlets["format"].value_counts() if len(d.outlets) else None
    rows = [
        [
            T.format_name(k, lang),
            str(int(counts.get(k, 0)) if counts is not None else 0),
            T.minutes(f["walk_minutes"], lang),
        ]
        for k, f in d.summary["formats"].items()
    ]
    _h(doc, "commerce")
    doc.p(
        f"现有便民网点 {len(d.outlets)} 个，各业态数量如下。"
        if lang == "zh"
        else f"{len(d.outlets)} existing outlets, per format:"
    )
    doc.table([T.column("format", lang), T.column("outlets", lang), T.column("walk_minutes", lang)], rows)


def _circle(doc: Document, d: ReportData) -> None:
    lang = doc.lang
    before = S.format_group_shares(d, "before")
    _h(doc, "circle")
    doc.p(
        "各业态在步行时限内覆盖的居民占比（现状）："
        if lang == "zh"
        else "Share of residents within each format's walk limit today:"
    )
    rows = [
        [T.format_name(k, lang), T.minutes(d.summary["formats"][k]["walk_minutes"], lang)]
        + [T.share(v) for v in before.loc[k]]
        for k in before.index
    ]
    doc.table(
        [T.column("format", lang), T.column("walk_minutes", lang)]
        + [T.group_name(g, lang) for g in before.columns],
        rows,
    )
    doc.img("coverage per format", charts.coverage_by_format(d, lang))
    doc.img("coverage per group", charts.coverage_by_group(d, lang))


def _problems(doc: Document, d: ReportData) -> None:
    _h(doc, "problems")
    items = S.missing(d, doc.lang)
    every = "各业态均已覆盖全部居民。" if doc.lang == "zh" else "Every format reaches every resident."
    doc.ul(items or [every], shrink=True)


def _goals(doc: Document, d: ReportData) -> None:
    lang = doc.lang
    zh = lang == "zh"
    after = S.format_group_shares(d, "after")
    before = S.format_group_shares(d, "before")
    _h(doc, "goals")
    doc.p(
        "按照“缺什么、补什么”的思路，优先补齐“一店一早”“一菜一修”等基本保障类业态，向老旧小区和保障房倾斜；"
        "在建设资金和租金补贴上限内，使步行时限内覆盖的居民最多，同等覆盖下公共投入最少。目标如下："
        if zh
        else "Add what is missing, basic formats first, with priority for old neighbourhoods and affordable "
        "housing: within the capital and subsidy limits, reach the most residents on foot, at the least "
        "public money among equally good plans. Targets:"
    )
    rows = [
        [T.format_name(k, lang), T.share(before.at[k, "all"]), T.share(after.at[k, "all"])]
        + [T.share(after.at[k, g]) for g in after.columns if g != "all"]
        for k in after.index
    ]
    doc.table(
        [T.column("format", lang), T.column("share_before", lang), T.column("share_after", lang)]
        + [T.group_name(g, lang) + ("（规划后）" if zh else " (after)") for g in after.columns if g != "all"],
        rows,
    )
    m = S.mandates(d, lang)
    if m:
        doc.p("硬性覆盖要求：" if zh else "Mandates:")
        doc.table([T.column(c, lang) for c in ("group", "format", "min_share", "share_after", "met")], m)
    doc.ul(S.explain_sentences(d.summary, lang))


def _diagnosis(doc: Document, d: ReportData) -> None:
    """Why no plan meets the mandates: per mandate, the best share within the budgets and the money
    the cheapest plan meeting them all would need."""
    if d.diagnosis is None or not len(d.diagnosis):
        return
    lang, zh = doc.lang, doc.lang == "zh"
    rows = [
        [
            T.group_name(str(r["group"]), lang),
            T.format_name(str(r["format"]), lang),
            T.share(r["min_share"]),
            T.share(r.get("best_share_within_budget")),
            T.share(r.get("max_share_any_budget")),
            T.money(r.get("capital_needed_yuan"), lang),
            T.money(r.get("subsidy_needed_yuan_per_year"), lang, True),
        ]
        for r in d.diagnosis.to_dict("records")
        if "group" in r and "format" in r
    ]
    head = (
        ["人群", "业态", "要求覆盖率", "预算内最高", "不限预算最高", "所需建设资金", "所需年补贴"]
        if zh
        else [
            "Group",
            "Format",
            "Required",
            "Best within budget",
            "Best at any budget",
            "Capital needed",
            "Subsidy needed",
        ]
    )
    doc.table(head, rows)


def _tasks(doc: Document, d: ReportData) -> None:
    lang = doc.lang
    zh = lang == "zh"
    _h(doc, "tasks")
    _h(doc, "layout")
    if len(d.placements):
        doc.p("新增网点按点位汇总：" if zh else "New outlets by site:")
        doc.table(
            [T.column(c, lang) for c in ("site_id", "formats")]
            + (
                ["使用/可用面积（平方米）", "建设资金", "年租金补贴"]
                if zh
                else ["Area used/available (m²)", "Capital", "Subsidy per year"]
            ),
            S.by_site(d, lang),
            shrink=True,
        )
    else:
        doc.p("本方案未新增网点。" if zh else "The plan opens no outlet.")
    short = S.not_placed(d, lang)
    if short:
        doc.p("未能补齐的业态及原因：" if zh else "Formats not fully closed, and why:")
        doc.ul(short, shrink=True)
    doc.img("map", charts.static_map(d, lang))
    for key in ("quality", "level", "local", "regulate"):
        _h(doc, key)
        _todo(doc)


def _safeguards(doc: Document, d: ReportData) -> None:
    lang = doc.lang
    zh = lang == "zh"
    _h(doc, "safeguards")
    for key in ("org", "groundwork", "business"):
        _h(doc, key)
        _todo(doc)
    _h(doc, "funding")
    rows, tot = S.money_by_format(d, lang)
    doc.p(
        f"建设资金一次性投入 {T.money(tot['capital'])}，租金补贴每年 {T.money(tot['subsidy'])}；"
        f"第一年合计 {T.money(tot['capital'] + tot['subsidy'])}，此后每年 {T.money(tot['subsidy'])}。"
        if zh
        else f"Capital {T.money(tot['capital'], 'en')} once and rent subsidy "
        f"{T.money(tot['subsidy'], 'en', True)}: "
        f"{T.money(tot['capital'] + tot['subsidy'], 'en')} in the first year, then "
        f"{T.money(tot['subsidy'], 'en', True)}."
    )
    doc.table(
        [T.column("format", lang), T.column("sites_opened", lang)]
        + (["建设资金", "年租金补贴"] if zh else ["Capital", "Subsidy per year"]),
        rows,
    )
    _timeline(doc, d)
    doc.img("frontier", charts.frontier_chart(d, lang))


def _timeline(doc: Document, d: ReportData) -> None:
    """The phased rollout (分年度实施安排), when the scenario has ``phasing:``."""
    if d.phasing is None or not len(d.phasing):
        return
    zh = doc.lang == "zh"
    doc.p("分年度实施安排：" if zh else "Rollout by year:")
    doc.table(
        ["年度", "新增网点", "建设资金", "租金补贴"] if zh else ["Year", "New outlets", "Capital", "Subsidy"],
        [
            [
                f"第{int(y.year)}年" if zh else f"Year {int(y.year)}",
                str(int(y.new_placements)),
                " / ".join(T.money(getattr(y, f"{CAPITAL.key}_{k}"), doc.lang) for k in ("used", "limit")),
                f"{T.money(y.subsidy_yuan_used, doc.lang)} / {T.money(y.subsidy_yuan_limit, doc.lang)}",
            ]
            for y in d.phasing.itertuples()
        ],
    )


def pilot_plan(d: ReportData, lang: str = "zh") -> Document:
    """The pilot plan as a document (render with ``to_html()`` or ``to_markdown()``)."""
    if lang not in T.LANGS:
        raise ValueError(f"unknown language '{lang}': zh or en")
    title = (
        f"{d.name} 一刻钟便民生活圈试点方案"
        if lang == "zh"
        else f"{d.name}: 15-minute living circle pilot plan"
    )
    doc = Document(title, lang)
    _summary_part(doc, d)
    _h(doc, "part2")
    _basic(doc, d)
    _commerce(doc, d)
    if d.has_solution:
        _circle(doc, d)
        _problems(doc, d)
    _h(doc, "part3")
    if d.has_solution:
        _goals(doc, d)
    else:
        _h(doc, "goals")
        doc.p(T.status(d.summary["status"], lang))
        _diagnosis(doc, d)
    _tasks(doc, d)
    _safeguards(doc, d)
    for w in d.summary.get("warnings") or []:
        doc.note(("提示：" if lang == "zh" else "Warning: ") + str(w))
    if lang == "zh":
        doc.fit(CHAR_LIMIT)
    return doc
