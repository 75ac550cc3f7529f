"""Numbers the pilot plan's sections are made of, computed from :class:`ReportData`: coverage per
format and group, mandates, what is missing and where, placements by site, money per format."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..exclusions import Exclusion
from . import text as T

if TYPE_CHECKING:
    from .data import ReportData

REASONS_ZH: dict[str, str] = {
    Exclusion.NOT_ALLOWED: "点位不允许该业态",
    Exclusion.FLOOR_AREA: "面积不足",
    Exclusion.CAPITAL: "装修投入超过全部建设资金",
    Exclusion.NOT_VIABLE: "租金与运营成本超过毛利与最高补贴，难以持续经营",
    Exclusion.SUBSIDY_BUDGET: "补贴预算内无法持续经营",
    Exclusion.NO_GAIN: "周边居民已被覆盖，无新增受益",
}


def reason(text: str, lang: str) -> str:
    return REASONS_ZH.get(text, text) if lang == "zh" else text


def _flags(d: ReportData, ids: pd.Series) -> pd.DataFrame:
    r = d.residences.copy()
    r.index = r.index.astype(str)
    cols = [c for c in ("old_neighbourhood", "affordable_housing") if c in r.columns]
    out = r.loc[ids.to_numpy(), cols].reset_index(drop=True)
    com = d.communities
    if com is not None:
        com.index = com.index.astype(str)
        out["community"] = com.loc[ids.to_numpy()].to_numpy()
    return out


def coverage_long(d: ReportData) -> pd.DataFrame:
    """The coverage table with each residence's group flags (and community) beside it."""
    c = d.coverage.reset_index(drop=True)
    if not len(c):
        return c
    return pd.concat([c, _flags(d, c["residence_id"].astype(str))], axis=1)


def report_groups(d: ReportData) -> list[str]:
    """Groups shown per format: everyone, the priority groups that have residents, the elderly."""
    out = ["all"]
    r = d.residences
    for flag in ("old_neighbourhood", "affordable_housing"):
        if flag in r.columns and r.loc[r[flag].to_numpy(bool), "population"].sum() > 0:
            out.append(flag)
    if len(d.coverage) and (d.coverage["group"] == "elderly").any():
        out.append("elderly")
    return out


def _member(c: pd.DataFrame, group: str) -> np.ndarray:
    if group == "all":
        return np.ones(len(c), dtype=bool)
    if group in ("elderly", "under_60"):
        return (c["group"] == group).to_numpy()
    return c[group].to_numpy(bool)


def format_group_shares(d: ReportData, when: str) -> pd.DataFrame:
    """Formats x groups: share of the group's residents within the format's walk limit."""
    c = coverage_long(d)
    out = pd.DataFrame(index=list(d.summary["formats"]), columns=report_groups(d), dtype=float)
    for g in out.columns:
        sub = c[_member(c, g)]
        pop = sub.groupby("format")["population"].sum()
        cov = (sub["population"] * sub[f"covered_{when}"].astype(bool)).groupby(sub["format"]).sum()
        out[g] = (cov / pop.replace(0, np.nan)).reindex(out.index)
    return out


def mandates(d: ReportData, lang: str) -> list[list[str]]:
    """One row per mandate and format: group, format, required share, share after, met."""
    after = format_group_shares(d, "after") if len(d.coverage) else None
    rows = []
    for m in d.config.mandates:
        for f in m.formats:
            got = None
            if after is not None and f in after.index:
                c = coverage_long(d)
                sub = c[(c["format"] == f) & _member(c, m.group if m.group != "priority" else "all")]
                if m.group == "priority":
                    sub = sub[sub["old_neighbourhood"].astype(bool) | sub["affordable_housing"].astype(bool)]
                pop = float(sub["population"].sum())
                got = (
                    float((sub["population"] * sub["covered_after"].astype(bool)).sum() / pop)
                    if pop
                    else None
                )
            met = got is not None and got + 1e-9 >= m.min_share
            rows.append(
                [
                    T.group_name(m.group, lang),
                    T.format_name(f, lang),
                    T.share(m.min_share),
                    T.share(got),
                    T.yes_no(met, lang),
                ]
            )
    return rows


def missing(d: ReportData, lang: str, limit: int = 3) -> list[str]:
    """Per format, residents beyond the walk limit today, and where most of them live."""
    c = coverage_long(d)
    items = []
    for key, f in d.summary["formats"].items():
        lost = c[(c["format"] == key) & ~c["covered_before"].astype(bool)]
        n = float(lost["population"].sum())
        if n < 0.5:
            continue
        by = "community" if "community" in lost.columns else "residence_id"
        top = lost.groupby(by)["population"].sum().sort_values(ascending=False).head(limit)
        where = (
            "、".join(f"{k}（{T.people(v)}）" for k, v in top.items())
            if lang == "zh"
            else ", ".join(f"{k} ({T.number(v)})" for k, v in top.items())
        )
        old = (
            float(lost.loc[lost.get("old_neighbourhood", False).astype(bool), "population"].sum())
            if ("old_neighbourhood" in lost.columns)
            else 0.0
        )
        if lang == "zh":
            items.append(
                f"{T.format_name(key)}：{T.people(n)}（{T.share(1 - (f['share_before'] or 0))}）"
                f"{T.minutes(f['walk_minutes'])}内无网点，其中老旧小区 {T.people(old)}；最多在 {where}。"
            )
        else:
            items.append(
                f"{T.format_name(key, 'en')}: {T.people(n, 'en')} ({T.share(1 - (f['share_before'] or 0))}) "
                f"have none within {T.minutes(f['walk_minutes'], 'en')}, {T.number(old)} of them in old "
                f"neighbourhoods; most in {where}."
            )
    return items


def by_site(d: ReportData, lang: str) -> list[list[str]]:
    """Placements grouped by site: where, the formats sharing the space, floor area used of the
    site's area, capital and yearly subsidy."""
    p = d.placements
    rows = []
    sep = "、" if lang == "zh" else ", "
    for site, g in p.groupby("site_id", sort=False):
        floor = d.sites.loc[site, "floor_area_m2"] if site in d.sites.index else np.nan
        shared = len(g) > 1
        names = sep.join(T.format_name(f, lang) for f in g["format"])
        if shared:
            names += "（一点多用）" if lang == "zh" else " (shared space)"
        rows.append(
            [
                d.site_label(str(site)),
                names,
                f"{T.number(g['area_m2'].sum())}/{T.number(floor)}",
                T.money(g["fitout_yuan"].sum(), lang),
                T.money(g["subsidy_yuan_per_year"].sum(), lang, True),
            ]
        )
    return rows


def not_placed(d: ReportData, lang: str) -> list[str]:
    """Formats still short after the plan, and why no site could host them (or why none was chosen)."""
    items = []
    ex = d.excluded
    for key, f in d.summary["formats"].items():
        if (f["share_after"] or 0) >= 0.995:
            continue
        e = ex[ex["format"] == key] if len(ex) else ex
        n_sites = len(d.sites)
        if len(e) >= n_sites and len(e):
            top = e["reason"].value_counts()
            why = (
                "；".join(f"{reason(k, lang)} {v} 处" for k, v in top.items())
                if lang == "zh"
                else "; ".join(f"{reason(k, lang)} at {v} sites" for k, v in top.items())
            )
            lead = "无可用点位" if lang == "zh" else "no site can host it"
        else:
            why = (
                "可用点位新增覆盖的加权人口低于预算内其他业态"
                if lang == "zh"
                else "within the budgets, other formats gain more residents per yuan"
            )
            lead = "未全部补齐" if lang == "zh" else "not fully closed"
        name = T.format_name(key, lang)
        items.append(f"{name}：{lead}（{why}）。" if lang == "zh" else f"{name}: {lead} ({why}).")
    return items


def money_by_format(d: ReportData, lang: str) -> tuple[list[list[str]], dict[str, float]]:
    """Capital (once) and rent subsidy (per year) per format, with totals."""
    p = d.placements
    rows = []
    for key, g in p.groupby("format", sort=False):
        rows.append(
            [
                T.format_name(str(key), lang),
                str(len(g)),
                T.money(g["fitout_yuan"].sum(), lang),
                T.money(g["subsidy_yuan_per_year"].sum(), lang, True),
            ]
        )
    tot = {
        "capital": float(p["fitout_yuan"].sum()) if len(p) else 0.0,
        "subsidy": float(p["subsidy_yuan_per_year"].sum()) if len(p) else 0.0,
    }
    rows.append(
        [
            "合计" if lang == "zh" else "Total",
            str(len(p)),
            T.money(tot["capital"], lang),
            T.money(tot["subsidy"], lang, True),
        ]
    )
    return rows, tot


def communities(d: ReportData, lang: str) -> list[list[str]]:
    """Per 社区/街道: residents, old-neighbourhood residents, average coverage before and after."""
    c = coverage_long(d)
    if "community" not in c.columns:
        return []
    r = d.residences.assign(community=d.communities)
    rows = []
    for com, g in r.groupby("community"):
        cc = c[c["community"] == com]
        pop = float(cc["population"].sum())
        share = {
            w: float((cc["population"] * cc[f"covered_{w}"].astype(bool)).sum()) / pop if pop else None
            for w in ("before", "after")
        }
        old = float(g.loc[g["old_neighbourhood"].to_numpy(bool), "population"].sum())
        rows.append(
            [
                str(com),
                T.people(g["population"].sum(), lang),
                T.people(old, lang),
                T.share(share["before"]),
                T.share(share["after"]),
            ]
        )
    return rows


def explain_sentences(summary: dict[str, Any], lang: str) -> list[str]:
    """The explanation block's plain sentences (what limits the plan), when summary.json has one."""
    ex = summary.get("explain")
    if not isinstance(ex, dict):
        return []
    s = ex.get("sentences") or {}
    return [str(x) for x in (s.get(lang) or [])] if isinstance(s, dict) else []
