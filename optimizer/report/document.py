"""A small document model (headings, paragraphs, tables, images) rendered to Markdown and to one
self-contained HTML file, and the count of its generated characters (the notice's 3,000 limit)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

CHAR_LIMIT = 3000


@dataclass
class Block:
    kind: str  # h, p, ul, table, img, note
    text: str = ""
    level: int = 2
    items: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    png: str = ""
    shrink: bool = False  # may lose rows (or items) to keep the text within the limit
    left_out: int = 0  # rows (or items) dropped so far; the last one then says how many


@dataclass
class Document:
    title: str
    lang: str = "zh"
    blocks: list[Block] = field(default_factory=list)

    def h(self, text: str, level: int = 2) -> None:
        self.blocks.append(Block("h", text, level))

    def p(self, text: str) -> None:
        if text:
            self.blocks.append(Block("p", text))

    def note(self, text: str) -> None:
        """A placeholder for the planner to write (shown marked, not counted as generated text)."""
        self.blocks.append(Block("note", text))

    def ul(self, items: list[str], shrink: bool = False) -> None:
        if items:
            self.blocks.append(Block("ul", items=list(items), shrink=shrink))

    def table(self, header: list[str], rows: list[list[str]], shrink: bool = False) -> None:
        if rows:
            rows = [list(map(str, r)) for r in rows]
            self.blocks.append(Block("table", header=list(header), rows=rows, shrink=shrink))

    def fit(self, limit: int = CHAR_LIMIT, rest: str = "其余 {n} 项见 results.xlsx") -> None:
        """Drop the last rows of the longest shrinkable tables and lists, closing each with a row that
        says how many were left out, until the generated text is within ``limit`` characters (or
        nothing more may go)."""
        while self.generated_chars() > limit:
            cands = [b for b in self.blocks if b.shrink and len(b.rows or b.items) > 3]
            if not cands:
                return
            _drop_one(max(cands, key=lambda b: len(b.rows or b.items)), rest)

    def img(self, alt: str, png: str | None) -> None:
        if png:
            self.blocks.append(Block("img", alt, png=png))

    def headings(self) -> list[str]:
        return [b.text for b in self.blocks if b.kind == "h"]

    def generated_chars(self) -> int:
        """Characters of generated text (title, headings, paragraphs, lists, table cells), whitespace
        excluded; images and the planner's placeholders do not count."""
        parts = [self.title]
        for b in self.blocks:
            if b.kind in ("h", "p"):
                parts.append(b.text)
            elif b.kind == "ul":
                parts.extend(b.items)
            elif b.kind == "table":
                parts.extend(b.header)
                parts.extend(c for r in b.rows for c in r)
        return sum(len(re.sub(r"\s", "", p)) for p in parts)

    def images(self) -> list[tuple[str, str]]:
        """(file name, base64 PNG) of every image, in order: fig1.png, fig2.png, ..."""
        return [(f"fig{i}.png", b.png) for i, b in enumerate((b for b in self.blocks if b.kind == "img"), 1)]

    def to_markdown(self, image_dir: str | None = None) -> str:
        """Markdown; images link to ``image_dir/figN.png`` (see :meth:`images`), or are left out."""
        out = [f"# {self.title}", ""]
        n_img = 0
        for b in self.blocks:
            if b.kind == "h":
                out += ["#" * b.level + " " + b.text, ""]
            elif b.kind == "p":
                out += [b.text, ""]
            elif b.kind == "note":
                out += [f"> {b.text}", ""]
            elif b.kind == "ul":
                out += [f"- {i}" for i in b.items] + [""]
            elif b.kind == "table":
                out.append("| " + " | ".join(b.header) + " |")
                out.append("|" + "---|" * len(b.header))
                out += ["| " + " | ".join(c.replace("|", "/") for c in r) + " |" for r in b.rows]
                out.append("")
            elif b.kind == "img":
                n_img += 1
                if image_dir is not None:
                    out += [f"![{b.text}]({image_dir}/fig{n_img}.png)", ""]
        return "\n".join(out).rstrip() + "\n"

    def to_html(self) -> str:
        esc = html.escape
        body = [f"<h1>{esc(self.title)}</h1>"]
        for b in self.blocks:
            if b.kind == "h":
                body.append(f"<h{b.level}>{esc(b.text)}</h{b.level}>")
            elif b.kind == "p":
                body.append(f"<p>{esc(b.text)}</p>")
            elif b.kind == "note":
                body.append(f"<p class='note'>{esc(b.text)}</p>")
            elif b.kind == "ul":
                body.append("<ul>" + "".join(f"<li>{esc(i)}</li>" for i in b.items) + "</ul>")
            elif b.kind == "table":
                head = "".join(f"<th>{esc(c)}</th>" for c in b.header)
                rows = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in b.rows)
                body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
            elif b.kind == "img":
                body.append(
                    f"<figure><img alt='{esc(b.text)}' src='data:image/png;base64,{b.png}'/></figure>"
                )
        lang = "zh-CN" if self.lang == "zh" else "en"
        return (
            f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width,initial-scale=1'>"
            f"<title>{esc(self.title)}</title>"
            f"<style>{STYLE}</style></head><body>{''.join(body)}</body></html>"
        )


def _td(cell: str) -> str:
    """A table cell; numbers (and the dash for none) align right."""
    numeric = bool(re.match(r"^[-—]?$|^[\d.,%/ ]+([^\d].{0,6})?$", cell)) and cell[:1] in "0123456789—"
    return f"<td class='n'>{html.escape(cell)}</td>" if numeric else f"<td>{html.escape(cell)}</td>"


def _drop_one(b: Block, rest: str) -> None:
    """Remove the last real row of ``b`` and end it with a row saying how many were left out."""
    lines: list = b.rows if b.kind == "table" else b.items
    if b.left_out:
        lines.pop()  # the previous closing row
    lines.pop()
    b.left_out += 1
    text = rest.format(n=b.left_out)
    lines.append([text] + [""] * (len(b.header) - 1) if b.kind == "table" else text)


STYLE = (
    "body{font-family:'Noto Sans CJK SC','PingFang SC','Microsoft YaHei','WenQuanYi Micro Hei',sans-serif;"
    "max-width:980px;margin:2em auto;padding:0 1em;line-height:1.6;color:#222}"
    "h1{font-size:1.6em}h2{border-bottom:2px solid #2c7fb8;padding-bottom:.2em;margin-top:1.6em}"
    "table{border-collapse:collapse;margin:.6em 0;font-size:.92em}"
    "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}th{background:#eef4f8}"
    "td.n{text-align:right;white-space:nowrap}img{max-width:100%}"
    ".note{border-left:4px solid #f0ad4e;background:#fff8e6;padding:.4em .8em;color:#8a5a00}"
)
