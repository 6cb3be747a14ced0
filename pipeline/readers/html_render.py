"""Rendering trafilatura's XML as plain text with paragraph breaks.

Blocks (paragraphs, headings, quotes, lists, tables, code) are separated by one blank line
("\\n\\n"); list items and table rows are lines of their block ("\\n", cells joined by " | ");
<lb> (from <br>) is a line break, and two or more in a row (only whitespace between) are a
paragraph break; a code block keeps its lines.

A table laid out for the page rather than for data (`_is_layout`: a cell holds a heading, a
paragraph break, two paragraphs or long prose) is no table: each of its cells is rendered as
blocks, so the paragraphs of an article set in a table cell stay paragraphs.
"""

from __future__ import annotations

import re

from lxml import etree

# trafilatura's output elements: blocks, lines of a block, and everything else inline.
_BLOCKS = {
    "p", "head", "quote", "list", "table", "code", "graphic", "div", "details", "summary",
    "figure", "note", "doc", "body", "main", "article",
}  # fmt: skip
_LINES = {"item", "row"}
_SPACE = re.compile(r"\s+")
# A cell with this many characters of text is prose, not a figure or a label: data tables'
# cells are short (a comparison table's longest description is a sentence or two).
LAYOUT_CELL_CHARS = 500
# A table is a layout when such cells (and the others `_is_layout_cell` names) hold at least
# this share of its text.
LAYOUT_SHARE = 0.5


class _Writer:
    """Collects lines; the strongest break asked for between two lines is the one written."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.line: list[str] = []
        self.pending = ""

    def text(self, text: str | None) -> None:
        if text:
            self.line.append(text)

    def brk(self, sep: str) -> None:
        self.flush()
        if len(sep) > len(self.pending):
            self.pending = sep

    def flush(self) -> None:
        line = _SPACE.sub(" ", "".join(self.line)).strip()
        self.line = []
        if line:
            if self.parts:
                self.parts.append(self.pending or "\n\n")
            self.parts.append(line)
            self.pending = ""


def render(body: etree._Element) -> str:
    """Plain text of trafilatura's XML: "\\n\\n" between blocks, "\\n" between lines of one."""
    writer = _Writer()
    _walk(body, "block", writer)
    writer.flush()
    return "".join(writer.parts)


def _walk(el: etree._Element, context: str, w: _Writer) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag == "code" and context != "cell" and _is_code_block(el):
        _code_block(el, context, w)
        w.text(el.tail)
        return
    if tag == "table" and context == "block" and _is_layout(el):
        _layout_table(el, w)
        w.text(el.tail)
        return
    if context == "cell":
        # Table cells are inline: anything block-like inside one is a space.
        brk = " " if tag in _BLOCKS or tag in _LINES or tag == "lb" else ""
        w.text(brk)
    else:
        brk = _break(tag, context)
        if tag == "lb" and context == "block" and _follows_line_break(el):
            # Pages without <p> (older sites, forums) mark paragraphs with <br><br>.
            brk = "\n\n"
        if brk:
            w.brk(brk)
    if tag == "cell" and el.getprevious() is not None:
        w.text(" | ")
    inner = (
        "cell"
        if context == "cell" or tag == "cell"
        else "line"
        if context == "line" or tag in _LINES
        else "block"
    )
    if tag:  # comments and processing instructions have no text of their own
        w.text(el.text)
        for child in el:
            _walk(child, inner, w)
    if tag != "lb" and brk:
        if context == "cell":
            w.text(" ")
        else:
            w.brk(brk)
    w.text(el.tail)


def _break(tag: str, context: str) -> str:
    if tag == "lb" or tag in _LINES:
        return "\n"
    if tag in _BLOCKS:
        return "\n" if context == "line" else "\n\n"
    return ""


def _follows_line_break(el: etree._Element) -> bool:
    """Whether `el` comes right after an <lb>, with nothing but whitespace between."""
    previous = el.getprevious()
    return previous is not None and previous.tag == "lb" and not (previous.tail or "").strip()


def _is_layout(table: etree._Element) -> bool:
    """Whether a table sets out the page (its cells hold articles, menus) rather than data:
    cells that only a layout has hold most of its text. A data table may have such a cell or
    two (an infobox's "capital" cell with a paragraph of coordinates, one long description in
    a list of films): they do not make it a layout."""
    cells = [cell for row in table.iterchildren("row") for cell in row.iterchildren("cell")]
    sizes = {cell: _chars(cell) for cell in cells}
    in_layout = sum(size for cell, size in sizes.items() if _is_layout_cell(cell, size))
    return in_layout > 0 and in_layout >= LAYOUT_SHARE * sum(sizes.values())


def _is_layout_cell(cell: etree._Element, chars: int) -> bool:
    """A cell with a heading, a paragraph break (<lb/><lb/>), two blocks (a paragraph and text
    or another block), or long prose: what a data table's cell does not hold."""
    if cell.find(".//head") is not None:
        return True
    if any(_follows_line_break(lb) for lb in cell.iter("lb")):
        return True
    blocks = sum(1 for child in cell if child.tag in _BLOCKS and _has_text(child))
    loose = bool((cell.text or "").strip()) or any((c.tail or "").strip() for c in cell)
    if blocks + loose >= 2:
        return True
    return chars >= LAYOUT_CELL_CHARS


def _chars(el: etree._Element) -> int:
    """Characters of `el`'s text, whitespace squashed."""
    return len(_SPACE.sub(" ", "".join(el.itertext())).strip())


def _has_text(el: etree._Element) -> bool:
    return bool("".join(el.itertext()).strip())


def _layout_table(table: etree._Element, w: _Writer) -> None:
    """A layout table: each cell a block, its content walked as a block's (a paragraph stays a
    paragraph, <lb/><lb/> a paragraph break, a nested data table a table)."""
    for row in table:
        for cell in row if row.tag == "row" else [row]:
            if cell.tag != "cell":
                _walk(cell, "block", w)
                continue
            w.brk("\n\n")
            w.text(cell.text)
            for child in cell:
                _walk(child, "block", w)
            w.brk("\n\n")
    w.brk("\n\n")


def _is_code_block(el: etree._Element) -> bool:
    return "\n" in "".join(el.itertext()).strip() or el.find(".//lb") is not None


def _code_block(el: etree._Element, context: str, w: _Writer) -> None:
    """A code block keeps its lines (indentation is not kept: clean strips every line)."""
    sep = "\n" if context != "block" else "\n\n"
    w.brk(sep)
    for child in el.iter("lb"):
        child.text = "\n"  # a detached copy is not needed: this tree is ours
    for line in "".join(el.itertext()).split("\n"):
        w.text(line)
        w.brk("\n")
    w.brk(sep)
