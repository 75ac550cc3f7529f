"""The explain block in plain sentences, in Chinese and English, with the numbers (shown verbatim by the
report). One function per kind of statement; each returns a (zh, en) pair or None."""

from __future__ import annotations

from typing import Any

from ..model.budgets import CAPITAL

Pair = tuple[str, str]

REASON_ZH = {
    "format not allowed at this site": "场地不允许该业态",
    "not enough floor area": "面积不足",
    "fit-out exceeds the whole capital budget": "装修费用超过全部建设资金",
    "not viable: rent + operating cost exceed margin + largest subsidy": (
        "租金和运营成本超过毛利加最高补贴，无法持续经营"
    ),
    "not viable within the subsidy budget": "补贴预算内无法持续经营",
    "no resident would gain coverage": "没有居民会因此新增覆盖",
}


def _y(v: float) -> str:
    return f"{v:,.0f}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v:.1%}"


def plan_sentence(e: dict[str, Any]) -> Pair:
    n, sites, obj = e["placements"], e["sites_used"], e["objective"]
    status = e.get("status", "optimal")
    if status not in ("optimal", "feasible"):
        return (
            f"没有方案（{status}）："
            + ("无法同时满足全部底线要求，见诊断。" if status == "infeasible" else "求解未得到方案。"),
            f"No plan ({status}): "
            + (
                "no plan meets every mandate; see the diagnosis."
                if status == "infeasible"
                else "the solver found none."
            ),
        )
    if not n:
        return (
            f"方案未设置任何网点：{e['nothing_reason_zh']}。",
            f"The plan places nothing: {e['nothing_reason']}.",
        )
    return (
        f"方案在{sites}处场地设置{n}个网点，新增覆盖（按优先权重计）{_y(obj or 0)}人。",
        f"The plan opens {n} shops at {sites} sites and newly covers {_y(obj or 0)} "
        "priority-weighted residents.",
    )


def budget_sentence(b: dict[str, Any]) -> Pair:
    used, limit, left, unit = b["used"], b["limit"], b["left"], b["unit"]
    u_zh = "元/年" if unit == "yuan/year" else "元"
    head_zh = f"{b['name_zh']}：已用{_y(used)}{u_zh}，上限{_y(limit)}{u_zh}"
    head_en = f"{_cap(b['name_en'])}: {_y(used)} of {_y(limit)} {unit} used"
    cheap = b["cheapest_candidate_not_opened"]
    if b["binding"] and b["pairs_over_whole_budget"]:
        n, need = b["pairs_over_whole_budget"], b["smallest_need_over_budget"]
        return (
            head_zh
            + f"；{n}个场地-业态组合单独就需要超过全部预算（最少需要{_y(need)}{u_zh}），是限制方案的约束。",
            head_en + f"; {n} site-format pairs would each need more than the whole budget (the least "
            f"{_y(need)} {unit}), so it limits the plan.",
        )
    if b["binding"]:
        tail_en = f"; the {_y(left)} left cannot pay for any other candidate"
        tail_zh = f"；剩余{_y(left)}{u_zh}不足以支付任何其他候选网点"
        if cheap is not None:
            tail_en += f" (the cheapest needs {_y(cheap)})"
            tail_zh += f"（最便宜的需要{_y(cheap)}{u_zh}）"
        return head_zh + tail_zh + "，是限制方案的约束。", head_en + tail_en + ", so it limits the plan."
    if b["constraint"] == "capital" and b["pairs_not_viable"] and left > 0:
        n = b["pairs_not_viable"]
        return (
            head_zh + f"；剩余{_y(left)}{u_zh}未用，不是限制因素：能用这笔钱的网点无法持续经营"
            f"（{n}个场地-业态组合在现行补贴下无法持续经营）。",
            head_en + f"; {_y(left)} is left unused: it does not limit the plan, viability does "
            f"({n} site-format pairs are not viable with the subsidy available).",
        )
    return (
        head_zh + f"；剩余{_y(left)}{u_zh}未用，不是限制因素。",
        head_en + f"; {_y(left)} is left unused: it does not limit the plan.",
    )


def subsidy_share_sentence(s: dict[str, Any], budget: dict[str, Any] | None) -> Pair | None:
    if not s["binding"] or budget is None or budget["binding"] or budget["limit"] <= 0:
        return None
    share = s["share_of_rent"]
    return (
        f"补贴只能弥补经营缺口，且每处不超过租金的{share:.0%}：{s['placements_at_cap']}个网点已获上限补贴，"
        f"另有{s['pairs_not_viable_even_at_cap']}个场地-业态组合即使按上限补贴仍无法持续经营，"
        f"因此补贴预算用不完（已用{_y(budget['used'])}元/年）。",
        f"Subsidy only covers operating deficits, at most {share:.0%} of rent: "
        f"{s['placements_at_cap']} placements get the full share and {s['pairs_not_viable_even_at_cap']} "
        f"site-format pairs are not viable even with it, so only {_y(budget['used'])} yuan/year of the "
        "subsidy budget can be used.",
    )


def site_sentence(sites: list[dict[str, Any]]) -> Pair | None:
    area = [s["site_id"] for s in sites if s["area_binding"]]
    cap = [s["site_id"] for s in sites if s["max_formats_binding"]]
    if not area and not cap:
        return None
    zh, en = [], []
    if area:
        ids = ", ".join(area[:8]) + ("..." if len(area) > 8 else "")
        zh.append(f"{len(area)}处场地（{ids}）剩余面积放不下其他业态")
        en.append(f"floor area is full at {len(area)} of the {len(sites)} sites used ({ids})")
    if cap:
        ids = ", ".join(cap[:8]) + ("..." if len(cap) > 8 else "")
        zh.append(f"{len(cap)}处场地（{ids}）已达业态数量上限")
        en.append(f"{len(cap)} sites ({ids}) host as many formats as they may")
    return "；".join(zh) + "。", _cap("; ".join(en) + ".")


def mandate_sentence(m: dict[str, Any]) -> Pair:
    if m["share_after"] is None:
        return (
            f"底线要求：{m['group_zh']}的{m['name_zh']}覆盖率现为{_pct(m['share_before'])}，"
            f"要求不低于{_pct(m['min_share'])}。",
            f"Mandate: {m['group_en'].lower()}' {m['format'].replace('_', ' ')} coverage is "
            f"{_pct(m['share_before'])} and must reach {_pct(m['min_share'])}.",
        )
    met = m["met"]
    state_en = "met" if met else "not met"
    state_zh = "已达标" if met else "未达标"
    return (
        f"底线要求：{m['group_zh']}的{m['name_zh']}覆盖率由{_pct(m['share_before'])}提高到"
        f"{_pct(m['share_after'])}，要求不低于{_pct(m['min_share'])}（{state_zh}）。",
        f"Mandate: {m['group_en'].lower()}' {m['format'].replace('_', ' ')} coverage rises from "
        f"{_pct(m['share_before'])} to {_pct(m['share_after'])} against a floor of {_pct(m['min_share'])} "
        f"({state_en}).",
    )


def _change_text(c: dict[str, Any]) -> Pair:
    k, a, site = c["kind"], c["amount"], c["site_id"]
    if k == "subsidy" and a <= 0:
        return (
            f"补贴预算至少{_y(c['subsidy_budget_needed'])}元/年（{site}在现行租金比例上限内即可持续经营）",
            f"a subsidy budget of at least {_y(c['subsidy_budget_needed'])} yuan/year ({site} is viable "
            "within the present share of rent)",
        )
    if k == "subsidy":
        share = c["share_of_rent_needed"]
        share_en = f", a share of rent of {share:.1%}" if share is not None else ""
        share_zh = f"，即租金的{share:.1%}" if share is not None else ""
        if share is not None and share > 1:
            share_en = f", more than the whole rent ({share:.1%} of it)"
            share_zh = f"，超过全部租金（租金的{share:.1%}）"
        return (
            f"在{site}每年多补贴{_y(a)}元{share_zh}（补贴预算至少{_y(c['subsidy_budget_needed'])}元/年）",
            f"{_y(a)} yuan/year more subsidy at {site}{share_en} (a subsidy budget of at least "
            f"{_y(c['subsidy_budget_needed'])} yuan/year)",
        )
    if k == "combined":
        zh, en = [], []
        if a > 0:
            zh.append(f"增加{a:,.0f}平方米面积")
            en.append(f"{a:,.0f} m2 more floor area")
        if c[CAPITAL.key] > 0:
            zh.append(f"建设资金增加{_y(c[CAPITAL.key])}元")
            en.append(f"{_y(c[CAPITAL.key])} yuan more capital")
        if c["subsidy_yuan_per_year"] > 0:
            note = "" if c["eligible_for_subsidy"] else " (and making it eligible for subsidy)"
            zh.append(
                f"每年多补贴{_y(c['subsidy_yuan_per_year'])}元"
                + ("" if c["eligible_for_subsidy"] else "（并纳入补贴范围）")
            )
            en.append(f"{_y(c['subsidy_yuan_per_year'])} yuan/year more subsidy{note}")
        return f"在{site}同时" + "、".join(zh), ", ".join(en) + f", together at {site}"
    if k == "floor_area":
        return f"{site}增加{a:,.0f}平方米面积", f"{a:,.0f} m2 more floor area at {site}"
    if k == "capital":
        return f"建设资金增加{_y(a)}元", f"{_y(a)} yuan more capital"
    if k == "walk_limit":
        return f"步行时间上限延长{a:.1f}分钟", f"a walk limit {a:.1f} min longer (reaching {site})"
    return f"允许{site}设置该业态", f"allowing it at {site}"


def blocked_sentence(b: dict[str, Any]) -> Pair:
    main = max(b["reasons"].items(), key=lambda kv: kv[1])[0] if b["reasons"] else ""
    head_zh = f"{b['name_zh']}在全部{b['sites']}处场地都无法设置（主要原因：{REASON_ZH.get(main, main)}）"
    head_en = f"{b['name_zh']} ({b['name_en']}) cannot open at any of the {b['sites']} sites ({main})"
    if not b["changes"]:
        return head_zh + "；单项调整不足以改变。", head_en + "; no single change would let it open."
    texts = [_change_text(c) for c in b["changes"]]
    if b["changes"][0]["kind"] == "combined":
        return (
            head_zh + "；单项调整不够，需要" + texts[0][0] + "。",
            head_en + "; no single change is enough: it would take " + texts[0][1] + ".",
        )
    return (
        head_zh + "；最小的单项调整：" + "；或".join(t[0] for t in texts) + "。",
        head_en
        + "; the smallest single change that would let it open: "
        + "; or ".join(t[1] for t in texts)
        + ".",
    )


def money_sentence(m: dict[str, Any]) -> Pair | None:
    """Marginal coverage of the next step of each budget (computed by re-solving; may be absent)."""
    if not m:
        return None
    zh, en = [], []
    for b in m.get("budgets", []):
        step = b["step"]
        gain = b["gain"]
        if gain is None:
            continue
        u_zh = "元/年" if b["unit"] == "yuan/year" else "元"
        more = b.get("residents_gain")
        zh.append(
            f"{b['name_zh']}再增加{_y(step)}{u_zh}，可多覆盖{_y(gain)}人（加权）"
            + (f"，即{_y(more)}人次" if more is not None else "")
        )
        en.append(
            f"the next {_y(step)} {b['unit']} of {b['name_en']} would cover {_y(gain)} more "
            "weighted residents" + (f" ({_y(more)} more resident-formats)" if more is not None else "")
        )
    if not en:
        return None
    return "；".join(zh) + "。", _cap("; ".join(en) + ".")


def phasing_sentences(years: list[dict[str, Any]] | None) -> list[Pair]:
    """One sentence per year of a phased plan."""
    out = []
    for y in years or []:
        t, n = y["year"], y["new_placements"]
        cap_used, cap_limit = _y(y[CAPITAL.key + "_used"]), _y(y[CAPITAL.key + "_limit"])
        out.append(
            (
                f"第{t}年新开{n}个网点（建设资金{cap_used}/{cap_limit}元，"
                f"补贴{_y(y['subsidy_yuan_used'])}/{_y(y['subsidy_yuan_limit'])}元/年），"
                f"共{y['open_placements']}个网点运营，当年覆盖（加权）{_y(y['weighted_coverage'])}人。",
                f"Year {t}: {n} shops open ({cap_used} of "
                f"{cap_limit} yuan capital, {_y(y['subsidy_yuan_used'])} of "
                f"{_y(y['subsidy_yuan_limit'])} yuan/year subsidy); "
                f"{y['open_placements']} in operation cover {_y(y['weighted_coverage'])} weighted residents.",
            )
        )
    return out


def sentences(e: dict[str, Any]) -> dict[str, list[str]]:
    """Every statement of the explain block ``e``, in order: plan, budgets, subsidy share, sites, blocked
    formats, mandates, money."""
    pairs: list[Pair | None] = [plan_sentence(e)]
    budgets = {b["constraint"]: b for b in e["budgets"]}
    pairs += [budget_sentence(b) for b in e["budgets"]]
    pairs.append(subsidy_share_sentence(e["subsidy_share"], budgets.get("subsidy_budget")))
    pairs.append(site_sentence(e["sites"]))
    pairs += [blocked_sentence(b) for b in e["formats_blocked"]]
    pairs += [mandate_sentence(m) for m in e["mandates"]]
    pairs.append(money_sentence(e.get("marginal") or {}))
    pairs += phasing_sentences(e.get("phasing"))
    kept = [p for p in pairs if p is not None]
    return {"zh": [p[0] for p in kept], "en": [p[1] for p in kept]}
