"""results.xlsx: a summary sheet first (status, money against limits, coverage per format and group,
mandates), then one sheet per table; each header in Chinese above English, number and percentage
formats, frozen header rows."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..model import BUDGETS
from . import sections as S
from . import text as T

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from .data import ReportData

SHARE = "0.0%"
WHOLE = "#,##0"
MONEY = "#,##0.00"
MINUTES = "0.0"


def _number_format(col: str) -> str | None:
    if col.startswith("share") or col in ("min_share", "share"):
        return SHARE
    if col.startswith("minutes") or col == "walk_minutes":
        return MINUTES
    if col.endswith("yuan") or "yuan_per" in col or col in ("used", "limit"):
        return MONEY
    if col in ("population", "catchment", "area_m2", "floor_area_m2", "count", "sites_opened", "outlets"):
        return WHOLE
    if col.startswith("covered"):
        return WHOLE
    return None


def _sheet(ws: Worksheet, frame: pd.DataFrame, start: int = 1) -> int:
    """Write ``frame`` from row ``start``: Chinese header, English header, rows; return the next free row."""
    cols = list(frame.columns)
    for j, c in enumerate(cols, 1):
        ws.cell(start, j, T.column(c, "zh")).style = "Headline 4"
        ws.cell(start + 1, j, T.column(c, "en")).style = "Explanatory Text"
        ws.column_dimensions[ws.cell(start, j).column_letter].width = max(12, min(40, 2 * len(T.column(c))))
    for i, row in enumerate(frame.itertuples(index=False), start + 2):
        for j, (c, v) in enumerate(zip(cols, row, strict=True), 1):
            cell = ws.cell(i, j, None if (isinstance(v, float) and v != v) else _plain(v))
            fmt = _number_format(c)
            if fmt and isinstance(v, (int, float)) and not isinstance(v, bool):
                cell.number_format = fmt
    return start + 2 + len(frame) + 1


def _plain(v: Any) -> Any:
    if hasattr(v, "item"):
        return v.item()
    return v


def summary_tables(d: ReportData) -> dict[str, pd.DataFrame]:
    """The summary sheet's tables: status, money, coverage per format and per group, mandates."""
    s = d.summary
    b = s["budget"]
    status = pd.DataFrame(
        {
            "item": ["求解状态 status", "最优性差距 gap", "新增网点 placements"],
            "value": [T.status(s["status"]), s.get("mip_gap"), s.get("placements")],
        }
    )
    money = pd.DataFrame(
        [
            {
                "item": f"{bud.name_zh} {bud.name_en} ({bud.unit})",
                "used": b[f"{bud.key}_used"],
                "limit": b[f"{bud.key}_limit"],
            }
            for bud in BUDGETS
        ]
    )
    formats = pd.DataFrame.from_dict(s.get("formats") or {}, orient="index")
    if len(formats):
        formats = formats.rename_axis("format").reset_index()
        formats["name_en"] = [T.format_name(k, "en") for k in formats["format"]]
        formats = formats[
            [
                "format",
                "name_zh",
                "name_en",
                "walk_minutes",
                "population",
                "covered_before",
                "covered_after",
                "share_before",
                "share_after",
                "sites_opened",
            ]
        ]
    groups = pd.DataFrame.from_dict(s.get("groups") or {}, orient="index")
    if len(groups):
        groups = groups.rename_axis("group").reset_index()
        groups["group"] = [f"{T.group_name(g)} {T.group_name(g, 'en')}" for g in groups["group"]]
    mandates = pd.DataFrame(
        S.mandates(d, "zh"), columns=["group", "format", "min_share", "share_after", "met"]
    )
    for c in ("min_share", "share_after"):
        mandates[c] = [float(x.rstrip("%")) / 100 if x.endswith("%") else None for x in mandates[c]]
    return {"status": status, "money": money, "formats": formats, "groups": groups, "mandates": mandates}


def write_workbook(d: ReportData, path: str | Path) -> None:
    """Write results.xlsx: 汇总 summary first, then placements, coverage, excluded (and diagnosis)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "汇总 summary"
    ws.cell(1, 1, d.name).style = "Title"
    row = 3
    for frame in summary_tables(d).values():
        if len(frame):
            row = _sheet(ws, frame, row)
    ws.freeze_panes = "A3"
    for title, frame in _tables(d).items():
        sheet = wb.create_sheet(title)
        _sheet(sheet, frame)
        sheet.freeze_panes = "A3"
    wb.save(path)


# Above this many rows a table stays in its CSV file only (coverage.csv): at district scale the coverage
# table alone took 35 s to write through openpyxl, most of a run's writing time.
MAX_SHEET_ROWS = 50_000


def _tables(d: ReportData) -> dict[str, pd.DataFrame]:
    p = d.placements.copy()
    if len(p) and "street" in d.sites.columns:
        p.insert(1, "street", d.sites["street"].reindex(p["site_id"]).to_numpy())
    coverage = d.coverage
    if len(coverage) > MAX_SHEET_ROWS:
        coverage = pd.DataFrame(
            {"note": [f"{len(d.coverage):,} rows: see coverage.csv (the workbook keeps the summaries)"]}
        )
    out = {"新增网点 placements": p, "覆盖 coverage": coverage, "排除 excluded": d.excluded}
    if d.diagnosis is not None:
        out["诊断 diagnosis"] = d.diagnosis
    return out
