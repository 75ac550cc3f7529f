"""Write the report files into a result folder: report.html (self-contained), report.md with its
figures, map.html (offline) and results.xlsx."""

from __future__ import annotations

import base64
import os
from pathlib import Path

from . import webmap
from .data import ReportData
from .pilot_plan import pilot_plan
from .workbook import write_workbook

FIGURES = "report_files"


def _write_text(path: Path, text: str) -> None:
    """Write through a temporary file renamed into place, so a reader never sees half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_reports(
    d: ReportData,
    folder: str | Path,
    lang: str = "zh",
    plan: bool = True,
    maps: bool = True,
    excel: bool = True,
    tiles: str = "none",
) -> list[Path]:
    """Write the report files into ``folder`` and return their paths: the pilot plan (``plan``), the
    map (``maps``) and the workbook (``excel``); the last two only when there is a plan to show."""
    folder = Path(folder)
    written: list[Path] = []
    if plan:
        doc = pilot_plan(d, lang)
        written += [folder / "report.html", folder / "report.md"]
        _write_text(written[0], doc.to_html())
        figs = folder / FIGURES
        figs.mkdir(exist_ok=True)
        for name, png in doc.images():
            (figs / name).write_bytes(base64.b64decode(png))
        _write_text(written[1], doc.to_markdown(FIGURES))
    if maps and d.has_solution:
        written.append(folder / "map.html")
        _write_text(written[-1], webmap.to_html(d, lang, tiles))
    if excel and d.has_solution:
        written.append(folder / "results.xlsx")
        write_workbook(d, written[-1])
    return written
