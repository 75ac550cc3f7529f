"""Where the layers that read a Result plug into it, so that results never import them: summary
sections (the explanation), writers of the output folder (explanation tables, the pilot plan, the map,
the workbook) and the HTML page. Each plug-in registers itself when it is imported; ``optimizer``'s
``__init__`` imports them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import Result


@dataclass(frozen=True)
class WriteOptions:
    """What the caller asked to write: ``report`` the pilot plan in ``lang``; ``maps`` map.html with
    background ``tiles`` (none, osm or amap); ``excel`` results.xlsx."""

    report: bool = True
    lang: str = "zh"
    maps: bool = True
    excel: bool = True
    tiles: str = "none"


SummarySection = Callable[["Result"], dict[str, Any]]
Writer = Callable[["Result", Path, WriteOptions], None]
Page = Callable[["Result", bool, str], str]

SUMMARY_SECTIONS: dict[str, SummarySection] = {}
"""summary.json blocks beyond the core: name -> function of the Result (a block's ``warnings`` list is
added to the summary's warnings)."""
WRITERS: dict[str, Writer] = {}
"""Writers run, in order, into the temporary output folder after the core tables."""
PAGES: dict[str, Page] = {}
"""``"html"``: the page ``Result.to_html(with_map, lang)`` returns."""


def add_summary_section(name: str, fn: SummarySection) -> None:
    SUMMARY_SECTIONS[name] = fn


def add_writer(name: str, fn: Writer) -> None:
    WRITERS[name] = fn


def add_page(name: str, fn: Page) -> None:
    PAGES[name] = fn
