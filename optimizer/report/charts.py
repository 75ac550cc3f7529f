"""Charts for the pilot plan, drawn with a font that has Chinese glyphs so no label renders as □.

The font is found at run time through matplotlib's font manager: an installed CJK font when there is
one, else the Noto Sans CJK SC that the ``mplfonts`` dependency ships.
"""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING, Any

import numpy as np

from ..fonts import CJK_FAMILIES, cjk_family, cjk_style, families, use_cjk  # noqa: F401
from . import text as T
from .data import varied_key

if TYPE_CHECKING:
    from .data import ReportData

BEFORE, AFTER = "#bdbdbd", "#2c7fb8"


def png_base64(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _bars(labels: list[str], before: list[float], after: list[float], title: str, lang: str) -> str:
    import matplotlib.pyplot as plt

    with cjk_style():
        fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(labels) + 1.4))
        y = np.arange(len(labels))
        ax.barh(y - 0.2, before, 0.4, color=BEFORE, label="现状" if lang == "zh" else "before")
        ax.barh(y + 0.2, after, 0.4, color=AFTER, label="规划后" if lang == "zh" else "after")
        for yi, v in zip(y, after, strict=True):
            ax.text(v + 1, yi + 0.2, f"{v:.0f}%", va="center", fontsize=8)
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.set_xlim(0, 110)
        ax.set_xlabel("覆盖率（%）" if lang == "zh" else "share of residents covered (%)")
        ax.set_title(title)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1 - 0.5 / len(labels)), ncol=2, frameon=False)
        return png_base64(fig)


def coverage_by_format(d: ReportData, lang: str = "zh") -> str:
    """Bars: share of residents within each format's walk limit, before and after (base64 PNG)."""
    f = d.summary["formats"]
    labels = [f"{T.format_name(k, lang)}（{T.minutes(v['walk_minutes'], lang)}）" for k, v in f.items()]
    title = "各业态步行可达覆盖率" if lang == "zh" else "Coverage per format within its walk limit"
    return _bars(
        labels,
        [100 * (v["share_before"] or 0) for v in f.values()],
        [100 * (v["share_after"] or 0) for v in f.values()],
        title,
        lang,
    )


def coverage_by_group(d: ReportData, lang: str = "zh") -> str:
    """Bars: average share of formats reached per population group, before and after (base64 PNG)."""
    g = {k: v for k, v in d.summary["groups"].items() if v.get("population")}
    title = "重点人群平均业态覆盖率" if lang == "zh" else "Average coverage per population group"
    return _bars(
        [T.group_name(k, lang) for k in g],
        [100 * (v["share_before"] or 0) for v in g.values()],
        [100 * (v["share_after"] or 0) for v in g.values()],
        title,
        lang,
    )


def frontier_chart(d: ReportData, lang: str = "zh") -> str | None:
    """Coverage per format against the varied budget of a sweep (``frontier.csv``), marking the
    scenario's own value and the knee; None without a frontier."""
    import matplotlib.pyplot as plt

    f = d.frontier
    key = varied_key(f) if f is not None else None
    if f is None or key is None or not len(f):
        return None
    f = f.sort_values(key)
    x = f[key].astype(float) / (1e4 if lang == "zh" and key.endswith("yuan") else 1)
    with cjk_style():
        fig, ax = plt.subplots(figsize=(7.5, 4.2))
        for col in [c for c in f.columns if c.endswith("_share_after")]:
            fmt = col[: -len("_share_after")]
            ax.plot(x, 100 * f[col].astype(float), marker="o", ms=3, label=T.format_name(fmt, lang))
        for flag, style, label in (
            ("is_scenario_value", "--", "本方案" if lang == "zh" else "this scenario"),
            ("is_knee", ":", "拐点" if lang == "zh" else "knee"),
        ):
            if flag in f.columns and f[flag].any():
                ax.axvline(float(x[f[flag]].iloc[0]), color="black", ls=style, lw=1, label=label)
        name = T.budget_name(key.split(".")[-1], lang)
        if key.endswith("yuan"):
            ax.set_xlabel(f"{name}（万元）" if lang == "zh" else f"{name} (yuan)")
        else:
            ax.set_xlabel(name)
        ax.set_ylabel("覆盖率（%）" if lang == "zh" else "share covered (%)")
        ax.set_title("预算与覆盖率" if lang == "zh" else "Coverage against the budget")
        ax.legend(fontsize=7, ncol=2, frameon=False)
        return png_base64(fig)


def static_map(d: ReportData, lang: str = "zh") -> str:
    """A map image: residences shaded by the share of formats reached after, candidate and chosen sites."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    crs = d.metric_crs
    u = d.coverage_by_unit()
    with cjk_style():
        fig, ax = plt.subplots(figsize=(7.5, 7.5))
        res = d.residences.to_crs(crs)
        if len(u):
            per = u.groupby("residence_id")[["population", "after"]].sum()
            share = (per["after"] / per["population"]).reindex(res.index.astype(str)).to_numpy()
            res.assign(v=share).plot(ax=ax, column="v", cmap="YlGn", vmin=0, vmax=1, markersize=12)
        d.sites.to_crs(crs).plot(ax=ax, marker="s", facecolor="none", edgecolor="grey", markersize=30)
        chosen = (
            d.sites.loc[d.sites.index.intersection(d.placements["site_id"].unique())]
            if len(d.placements)
            else None
        )
        if chosen is not None and len(chosen):
            chosen.to_crs(crs).plot(ax=ax, marker="*", color="crimson", markersize=160)
        zh = lang == "zh"
        handles = [
            Line2D(
                [],
                [],
                marker="s",
                ls="",
                mfc="none",
                mec="grey",
                label="候选点位" if zh else "candidate site",
            ),
            Line2D(
                [], [], marker="*", ls="", color="crimson", ms=12, label="新增点位" if zh else "chosen site"
            ),
        ]
        ax.legend(handles=handles, loc="lower left")
        ax.set_title(f"{d.name}：规划后业态覆盖" if zh else f"{d.name}: coverage after")
        ax.set_axis_off()
        return png_base64(fig)
