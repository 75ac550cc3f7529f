"""Reports for planners: the pilot plan (report.html, report.md) following Attachment 2 of the 2021
Shanghai notice, its charts, an offline web map (map.html) and the Excel workbook (results.xlsx)."""

from __future__ import annotations

from .data import ReportData
from .pilot_plan import pilot_plan

__all__ = ["ReportData", "pilot_plan"]
