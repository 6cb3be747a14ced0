"""Quotation marks paired within paragraphs: the first step of `quotes` (see `quotes.py`).

Marks are paired within a paragraph (a line): “ ” ‘ ’ « » „ ‹ › and straight " '. An apostrophe
inside a word (isn’t, Kiev’s) is no mark; a possessive after -s (countries’) only closes a quote
when no later mark can. A quote left open at the end of a paragraph continues when the next
paragraph opens with the same mark (the newspaper convention); otherwise it is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_DOUBLE = '“”„«»"'
_SINGLE = "‘’‹›'"
_ALWAYS_OPEN = "„«‹"
_ALWAYS_CLOSE = "»›"
# Before an opening mark / after a closing one, besides spaces and the text's ends.
_BEFORE_OPEN = "([{—–-/:" + _DOUBLE + _SINGLE
_AFTER_CLOSE = ".,;:!?)]}—–-…" + _DOUBLE + _SINGLE
QUOTE_MARKS = _DOUBLE + _SINGLE
_SENTENCE_END = ".?!…"


@dataclass
class Node:
    """A pair of quotation marks: `open` and `close` are the marks' offsets."""

    open: int
    family: str  # "double" or "single"
    paragraph: int  # counts lost breaks (`lost_breaks`) as paragraphs too
    continued: bool = False  # opens a paragraph that continues the previous one's quote
    carried: bool = False  # left open at its paragraph's end, continued in the next one
    close: int = -1  # a quote continued in the next paragraph closes at its paragraph's end
    children: list[Node] = field(default_factory=list)

    @property
    def content(self) -> tuple[int, int]:
        return self.open + 1, self.close


def _role(text: str, i: int) -> str | None:
    """ "open", "close", "either", "possessive" (a close that may be an apostrophe) or None."""
    mark = text[i]
    prev = text[i - 1] if i > 0 else " "
    nxt = text[i + 1] if i + 1 < len(text) else " "
    if mark in _ALWAYS_OPEN:
        return "open"
    if mark in _ALWAYS_CLOSE:
        return "close"
    if prev.isalnum() and nxt.isalnum():
        return None if mark in _SINGLE else "either"  # isn’t, Kiev’s, rock'n'roll
    opens = (prev.isspace() or prev in _BEFORE_OPEN) and not nxt.isspace()
    closes = not prev.isspace() and (nxt.isspace() or nxt in _AFTER_CLOSE)
    if opens and not closes:
        return None if mark in "’'‘" and nxt.isdigit() else "open"  # ’90s
    if closes and not opens:
        if mark in "’'" and prev in "sS" and nxt.isspace():
            return "possessive"  # countries’ leaders, or the end of ‘... Jones’
        return "close"
    if mark in "“‘":
        return "open"
    if mark == "”":
        return "close"
    return "either" if mark == '"' else None


def _family(mark: str) -> str:
    return "double" if mark in _DOUBLE else "single"


def _paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-blank line, without its surrounding spaces."""
    out = []
    for match in re.finditer(r"[^\n]+", text):
        line = match.group()
        if line.strip():
            start = match.start() + len(line) - len(line.lstrip())
            out.append((start, match.start() + len(line.rstrip())))
    return out


def _sentence_ended(text: str, start: int, i: int) -> int | None:
    """The end of the sentence that the space before the mark at `i` follows, if one does."""
    end = i
    while end > start and text[end - 1].isspace():
        end -= 1
    return end if start < end < i and text[end - 1] in _SENTENCE_END else None


def _carries(stack: list[Node], family: str) -> bool:
    """Whether a mark of `family` opening after a sentence end continues the open quote of
    `stack`: the quote is the only one open and has no quote of its own family inside, else
    the marks are already confused (“Glasgow (“No Place Like Home”). “It ...)."""
    return (
        len(stack) == 1
        and stack[0].family == family
        and not any(child.family == family for child in stack[0].children)
    )


def _carry(stack: list[Node], close: int, roots: list[Node]) -> None:
    """The outermost open quote of `stack` goes on past `close`: it closes there, carried."""
    outer = stack[0]
    for lost in stack[1:]:
        outer.children.extend(lost.children)
    outer.close, outer.carried = close, True
    roots.append(outer)


def _closes_first(text: str, paragraph: tuple[int, int], family: str) -> bool:
    """The first mark of `family` in `paragraph` can only close a quote: the paragraph goes on
    with one the paragraph before left open, with no opening mark ("said, “One.\n\nTwo.”")."""
    start, end = paragraph
    marks = (i for i in range(start, end) if text[i] in QUOTE_MARKS and _family(text[i]) == family)
    first = next(marks, None)
    return first is not None and _role(text, first) == "close"


def quote_tree(
    text: str, lost_breaks: bool = False, closed_after_break: bool = False
) -> list[Node]:
    """The paired quotation marks of `text`, in text order, nested ones as children. With
    `closed_after_break` (`quotes_v6`), a quote left open at a paragraph's end also goes on
    into the next paragraph when that one's first mark of its family can only close it."""
    roots: list[Node] = []
    paragraphs = _paragraphs(text)
    carried = False
    number = -1  # the paragraph's number, lost breaks counted (`Node.paragraph`)
    pending: Node | None = None  # a quote carried into this paragraph with no opening mark
    for index, (start, end) in enumerate(paragraphs):
        number += 1
        stack: list[Node] = [] if pending is None else [pending]
        pending = None
        marks = [
            (i, role)
            for i in range(start, end)
            if text[i] in QUOTE_MARKS and (role := _role(text, i))
        ]
        for n, (i, role) in enumerate(marks):
            family = _family(text[i])
            if role == "either":
                role = "close" if any(node.family == family for node in stack) else "open"
            if role == "possessive" and (
                not stack
                or stack[-1].family != family
                or any(_family(text[j]) == family and r != "open" for j, r in marks[n + 1 :])
            ):
                continue  # an apostrophe
            if role == "open":
                close = _sentence_ended(text, start, i) if lost_breaks else None
                if close is not None and _carries(stack, family):
                    _carry(stack, close, roots)
                    number += 1
                    stack = [Node(i, family, number, continued=True)]
                    continue
                stack.append(Node(i, family, number, continued=carried and i == start))
                continue
            depths = [d for d, node in enumerate(stack) if node.family == family]
            if not depths:
                continue  # a stray closing mark
            while len(stack) > depths[-1] + 1:  # unclosed inside: its children move up
                lost = stack.pop()
                stack[-1].children.extend(lost.children)
            node = stack.pop()
            node.close = i
            (stack[-1].children if stack else roots).append(node)
        carried = False
        if stack:
            following = paragraphs[index + 1][0] if index + 1 < len(paragraphs) else None
            if (
                following is not None
                and text[following] in QUOTE_MARKS
                and _family(text[following]) == stack[0].family
                and _role(text, following) == "open"
            ):
                _carry(stack, end, roots)
                carried = True
            elif (
                closed_after_break
                and following is not None
                and _closes_first(text, paragraphs[index + 1], stack[0].family)
            ):
                _carry(stack, end, roots)
                # Its next part opens where the paragraph does (`open` is the mark's place).
                pending = Node(following - 1, stack[0].family, number + 1, continued=True)
            else:
                for lost in stack:
                    roots.extend(lost.children)
        roots.sort(key=lambda node: node.open)
    return roots
