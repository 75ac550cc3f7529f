"""Reports for planners: the pilot plan (report.html, report.md) following Attachment 2 of the 2021
Shanghai notice, its charts, an offline web map (map.html) and the Excel workbook (results.xlsx).

Importing this package plugs the report into every Result (:mod:`optimizer.result.plugins`): written
output folders get the report files, and ``Result.to_html()`` is the pilot plan.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..result.plugins import WriteOptions, add_page, add_writer
from .data import ReportData
from .files import write_reports
from .pilot_plan import pilot_plan

if TYPE_CHECKING:
    from ..result import Result


def _write(r: Result, folder: Path, options: WriteOptions) -> None:
    write_reports(
        ReportData.from_result(r),
        folder,
        lang=options.lang,
        plan=options.report,
        maps=options.maps,
        excel=options.excel,
        tiles=options.tiles,
    )


def _page(r: Result, with_map: bool, lang: str) -> str:
    doc = pilot_plan(ReportData.from_result(r), lang)
    if not with_map:
        doc.blocks = [b for b in doc.blocks if not (b.kind == "img" and b.text == "map")]
    return doc.to_html()


add_writer("report", _write)
add_page("html", _page)

__all__ = ["ReportData", "pilot_plan", "write_reports"]
