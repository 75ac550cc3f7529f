"""Fonts with Simplified-Chinese glyphs for matplotlib, so Chinese names never draw as boxes: an
installed CJK family when there is one, else the one the ``mplfonts`` package ships."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

# Families with Simplified-Chinese glyphs, best first.
CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
    "Noto Sans CJK JP",
)


def _shipped_fonts() -> list[Path]:
    """Simplified-Chinese fonts shipped by the mplfonts package (found without importing it)."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        dist = distribution("mplfonts")
    except PackageNotFoundError:
        return []
    names = ("NotoSansCJKsc-Regular.otf", "SimHei.ttf")
    files = [f for f in dist.files or [] if Path(str(f)).name in names]
    files.sort(key=lambda f: names.index(Path(str(f)).name))
    return [Path(str(dist.locate_file(f))) for f in files]


@lru_cache(maxsize=1)
def cjk_family() -> str | None:
    """The name of a font family with Chinese glyphs, registered with matplotlib (None if none)."""
    from matplotlib import font_manager

    have = {f.name for f in font_manager.fontManager.ttflist}
    for fam in CJK_FAMILIES:
        if fam in have:
            return fam
    for path in _shipped_fonts():
        if path.is_file():
            font_manager.fontManager.addfont(str(path))
            return font_manager.FontProperties(fname=str(path)).get_name()
    return None


@contextmanager
def cjk_style() -> Iterator[None]:
    """matplotlib settings for the report's charts: the CJK font first, DejaVu Sans for the rest."""
    import matplotlib

    rc = {
        "font.family": "sans-serif",
        "font.sans-serif": families(),
        "axes.unicode_minus": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
    with matplotlib.rc_context(rc):  # type: ignore[arg-type]
        yield


def families() -> list[str]:
    """The font families to set on text: the CJK font first, DejaVu Sans for the rest."""
    fam = cjk_family()
    return ([fam] if fam else []) + ["DejaVu Sans"]


def use_cjk(fig: Any) -> Any:
    """Set the CJK font on every text of ``fig`` by name, so it draws right later, outside
    :func:`cjk_style` (a notebook draws a figure after the call that made it returned)."""
    from matplotlib.text import Text

    for t in fig.findobj(Text):
        t.set_fontfamily(families())
    return fig
