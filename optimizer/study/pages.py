"""Writers for comparisons and frontiers: CSV, Excel, a PNG and self-contained HTML pages (the data
inline, a small hand-written SVG chart, no network access needed to open them)."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..io import atomic_dir

# The comparison and frontier objects come from study.compare and study.sweep, which call these
# writers; they are typed loosely here so that the pages import neither.
Comparison = Any
Frontier = Any

_CSS = """body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}
th{background:#f3f3f3}td.t{text-align:left}tr.bad td{background:#fde8e8}
.knee{fill:#d62728}.own{fill:#1f77b4;stroke:#000}svg text{font-size:12px}"""


def _fmt(col: str, v: Any) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else ""
    if isinstance(v, (int, float, np.number)):
        if "share" in col:
            return f"{float(v):.1%}"
        if col == "mip_gap":
            return f"{float(v):.2e}"
        return f"{float(v):,.0f}" if abs(float(v)) >= 100 else f"{float(v):,.3g}"
    return str(v)


def html_table(df: pd.DataFrame) -> str:
    """A plain HTML table: shares as percentages, money with thousands separators, failures shaded."""
    cols = [df.index.name or "", *df.columns]
    out = ["<table><thead><tr>", *(f"<th>{html.escape(str(c))}</th>" for c in cols), "</tr></thead><tbody>"]
    for idx, row in df.iterrows():
        bad = str(row.get("status", "")) not in ("optimal", "feasible")
        out.append(f"<tr{' class=bad' if bad else ''}><td class=t>{html.escape(str(idx))}</td>")
        for c in df.columns:
            cls = " class=t" if isinstance(row[c], str) else ""
            out.append(f"<td{cls}>{html.escape(_fmt(str(c), _py(row[c])))}</td>")
        out.append("</tr>")
    return "".join([*out, "</tbody></table>"])


def _py(v: Any) -> Any:
    if v is None or (not isinstance(v, (str, list)) and pd.isna(v)):
        return None
    return v.item() if isinstance(v, np.generic) else v


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset=utf-8><title>{html.escape(title)}</title>"
        f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


def comparison_html(cmp: Comparison) -> str:
    t = cmp.table
    keep = [c for c in t.columns if not c.endswith("_share_before") or c.startswith("all_")]
    intro = (
        "<p>One row per run. <b>newly_covered</b>: person-formats newly within the walk limit. "
        "<b>public_yuan</b>: capital spent plus one year of rent subsidy. <b>binding</b>: budgets at least "
        "99.5% used, or viability/none. Shares of the population within each format's walk limit; "
        "share_before columns other than all_ are in comparison.csv.</p>"
    )
    return _page("Comparison of variants", intro + bars_svg(t, "all_share_after") + html_table(t[keep]))


def bars_svg(t: pd.DataFrame, column: str) -> str:
    """A horizontal bar per run of one share column, drawn as inline SVG (runs with no plan: no bar)."""
    row_h, label_w, bar_w = 22, 180, 420
    parts = [f"<h2>{html.escape(column)}</h2><svg width={label_w + bar_w + 70} height={row_h * len(t) + 6}>"]
    for i, (name, v) in enumerate(t[column].items()):
        y = 3 + i * row_h
        parts.append(f"<text x=0 y={y + 15}>{html.escape(str(name))}</text>")
        val = _py(v)
        if val is None:
            parts.append(
                f"<text x={label_w} y={y + 15} fill='#b00'>{html.escape(str(t.at[name, 'status']))}</text>"
            )
            continue
        w = max(0.0, min(1.0, float(val))) * bar_w
        parts.append(f"<rect x={label_w} y={y + 3} width={w:.1f} height={row_h - 6} fill='#1f77b4'><title>")
        parts.append(f"{html.escape(str(name))}: {float(val):.1%}</title></rect>")
        parts.append(f"<text x={label_w + w + 4:.1f} y={y + 15}>{float(val):.1%}</text>")
    return "".join([*parts, "</svg>"])


def write_comparison(cmp: Comparison, out: Path, overwrite: bool = False) -> Path:
    with atomic_dir(out, overwrite=overwrite) as tmp:
        cmp.table.to_csv(tmp / "comparison.csv")
        cmp.placements.to_csv(tmp / "placements.csv", index=False)
        with pd.ExcelWriter(tmp / "comparison.xlsx") as xl:
            cmp.table.to_excel(xl, sheet_name="comparison")
            cmp.placements.to_excel(xl, sheet_name="placements", index=False)
        (tmp / "comparison.html").write_text(comparison_html(cmp), encoding="utf-8")
    return out


# ---------------------------------------------------------------------------------------------------------
# frontier
# ---------------------------------------------------------------------------------------------------------


def _curves(fr: Frontier) -> list[tuple[str, pd.DataFrame]]:
    t = fr.table
    if len(fr.keys) == 1:
        return [("", t)]
    return [(f"{fr.keys[1]}={g}", part) for g, part in t.groupby(fr.keys[1], sort=False)]


def _has_plan(fr: Frontier) -> pd.Series:
    """Per point: whether it has a plan."""
    return fr.table["status"].isin(["optimal", "feasible"])


def plot_frontier(fr: Frontier, ax: Any = None, column: str = "objective") -> Any:
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5))
    x = fr.keys[0]
    for label, part in _curves(fr):
        xs = pd.to_numeric(part[x], errors="coerce")
        ys = pd.to_numeric(part[column], errors="coerce")
        ax.plot(xs, ys, marker="o", ms=3, label=label or column)
        own, kn = part["is_scenario_value"].astype(bool), part["is_knee"].astype(bool)
        ax.scatter(xs[own], ys[own], s=90, facecolors="none", edgecolors="k", zorder=3)
        ax.scatter(xs[kn], ys[kn], s=60, marker="D", color="#d62728", zorder=3)
        none = ~part["status"].isin(["optimal", "feasible"]).to_numpy()
        if none.any():  # no plan at these points: marked on the axis, not left out silently
            low = float(np.nanmin(ys)) if ys.notna().any() else 0.0
            ax.scatter(xs[none], np.full(int(none.sum()), low), marker="x", color="#d62728", zorder=3)
    ax.scatter([], [], s=90, facecolors="none", edgecolors="k", label="scenario's own value")
    ax.scatter([], [], s=60, marker="D", color="#d62728", label="knee")
    if (~_has_plan(fr)).any():
        ax.scatter([], [], marker="x", color="#d62728", label="no plan (infeasible or failed)")
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    ax.set_xlabel(x)
    ax.set_ylabel(
        f"{column} (priority-weighted residents newly covered)" if column == "objective" else column
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax


_JS = """
const D=JSON.parse(document.getElementById('data').textContent),W=720,H=380,P=60;
function draw(col){const s=document.getElementById('chart');s.innerHTML='';
 const xs=D.rows.map(r=>r[D.x]).filter(v=>v!==null),ys=D.rows.map(r=>r[col]).filter(v=>v!==null);
 const x0=Math.min(...xs),x1=Math.max(...xs),y0=Math.min(0,...ys),y1=Math.max(...ys)||1;
 const X=v=>P+(v-x0)/((x1-x0)||1)*(W-2*P),Y=v=>H-P+(y0-v)/((y1-y0)||1)*(H-2*P);
 const NS='http://www.w3.org/2000/svg',el=(t,a,txt)=>{const e=document.createElementNS(NS,t);
  for(const k in a)e.setAttribute(k,a[k]);if(txt!==undefined)e.textContent=txt;s.appendChild(e);return e};
 el('line',{x1:P,y1:H-P,x2:W-P,y2:H-P,stroke:'#444'});el('line',{x1:P,y1:P,x2:P,y2:H-P,stroke:'#444'});
 for(let i=0;i<=4;i++){const xv=x0+(x1-x0)*i/4,yv=y0+(y1-y0)*i/4;
  el('text',{x:X(xv),y:H-P+18,'text-anchor':'middle'},xv.toLocaleString(undefined,{maximumFractionDigits:2}));
  el('text',{x:P-6,y:Y(yv)+4,'text-anchor':'end'},yv.toLocaleString(undefined,{maximumFractionDigits:3}))}
 el('text',{x:W/2,y:H-12,'text-anchor':'middle'},D.x);el('text',{x:12,y:P-20},col);
 const groups={};D.rows.forEach(r=>{const g=D.z?r[D.z]:'';(groups[g]=groups[g]||[]).push(r)});
 const colours=['#1f77b4','#ff7f0e','#2ca02c','#9467bd','#8c564b','#e377c2'];let gi=0;
 for(const g in groups){const c=colours[gi++%colours.length],pts=groups[g].filter(r=>r[col]!==null);
  el('polyline',{points:pts.map(r=>X(r[D.x])+','+Y(r[col])).join(' '),fill:'none',stroke:c});
  pts.forEach(r=>{const k=r.is_knee,o=r.is_scenario_value;
   const e=el('circle',{cx:X(r[D.x]),cy:Y(r[col]),r:o?7:(k?6:3),fill:k?'#d62728':c,stroke:o?'#000':'none',
    'fill-opacity':o&&!k?0.3:1});
   const t=document.createElementNS(NS,'title');t.textContent=D.x+' = '+r[D.x]+(D.z?', '+D.z+' = '+r[D.z]:'')+
    '\\n'+col+' = '+r[col]+'\\nstatus '+r.status+(k?'\\nknee':'')+(o?"\\nscenario's own value":'');
   e.appendChild(t)});
  if(D.z)el('text',{x:W-P+4,y:Y(pts.length?pts[pts.length-1][col]:0),fill:c},g)}}
const sel=document.getElementById('col');D.columns.forEach(c=>{const o=document.createElement('option');
 o.text=c;sel.add(o)});sel.onchange=()=>draw(sel.value);draw(D.columns[0]);
"""


def frontier_html(fr: Frontier) -> str:
    t = fr.table
    num = ["objective", "all_share_after", "priority_share_after", *(f"{f}_share_after" for f in fr.formats)]
    num = [c for c in dict.fromkeys(num) if c in t.columns]
    records = [{k: _py(v) for k, v in r.items()} for r in t.to_dict("records")]
    data = {"x": fr.keys[0], "z": fr.keys[1] if len(fr.keys) > 1 else None, "columns": num, "rows": records}
    blob = json.dumps(data, default=str).replace("</", "<\\/")
    body = (
        "<p>Hover a point for its values. Large ringed point: the scenario's own value; red: the knee "
        "(past it, more money buys much less coverage).</p>"
        "<label>show <select id=col></select></label><br>"
        "<svg id=chart width=720 height=380></svg>"
        f"<script id=data type='application/json'>{blob}</script><script>{_JS}</script>"
        f"<h2>Points</h2>{html_table(t.set_index(list(fr.keys)))}"
    )
    return _page("Coverage frontier", body)


def write_frontier(fr: Frontier, out: Path, overwrite: bool = False) -> Path:
    from matplotlib.figure import Figure  # no pyplot: writing never changes the caller's backend

    with atomic_dir(out, overwrite=overwrite) as tmp:
        fr.table.to_csv(tmp / "frontier.csv", index=False)
        fr.table.to_excel(tmp / "frontier.xlsx", index=False)
        fig = Figure(figsize=(8, 4.5))
        plot_frontier(fr, fig.add_subplot())
        fig.tight_layout()
        fig.savefig(tmp / "frontier.png", dpi=110)
        (tmp / "frontier.html").write_text(frontier_html(fr), encoding="utf-8")
    return out
