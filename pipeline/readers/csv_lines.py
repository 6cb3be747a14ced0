"""The lines of a CSV export behind each row, and the rows a stray quote made.

One double quote too many (`Two,"stray quote here`) opens a quoted field that Python's csv,
lenient as spreadsheets are, runs over every line break after it: to the end of the file, or
to a later quote that closes it. The rows it swallowed were published as the text of one
article. A legitimate quoted field may hold line breaks too (an article's paragraphs), so
line breaks are no evidence; what a stray quote leaves is a field that csv itself, read
strictly, refuses: never closed by the end of the file, or closed by a quote that no separator
or line end follows (the swallowed row's own opening quote: `Three,"The third."`).
A stray quote that a later quote closes at a line end, as a field's own closing quote would, is
not found: the swallowed lines each splitting into the header's cells would be its only sign,
and a paragraph with one comma in a two-column export splits so too.

Excel's first line "sep=;" names the separator and is no header (`excel_separator`).

`CsvLines` hands csv the file's lines and keeps those of each row, so that a row read over
more than one line can be read again strictly (`stray_quote`). A row on one line is left as
csv reads it, unless it is the last one and still open: there, too, a quote was never closed.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

# Excel writes, and reads, a first line "sep=;" that names the separator of the lines after it.
_SEP_LINE = re.compile(r"sep=([^\r\n])(?:\r\n|\r|\n)?", re.IGNORECASE)

# Appended to a row's lines to see whether csv takes it into the row: only a quoted field still
# open at the end of them would.
_PROBE = "\nprobe"


def excel_separator(text: str) -> tuple[str | None, str]:
    """(separator, the text after it) when the first line is Excel's "sep=X", else (None, text):
    read as the header, that line made every row a bad_row."""
    first = io.StringIO(text, newline="").readline()
    if match := _SEP_LINE.fullmatch(first):
        return match[1], text[len(first) :]
    return None, text


class CsvLines:
    """The lines of `text` as csv.reader takes them (split at LF, CRLF or CR, as csv splits
    them), numbered in the file (`before`: the lines the file has before `text`), keeping
    those taken since the last `take_row`."""

    def __init__(self, text: str, before: int = 0) -> None:
        self._lines = iter(io.StringIO(text, newline=""))
        self._next = next(self._lines, None)
        self._taken: list[str] = []
        self.number = before  # the file line last taken

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if self._next is None:
            raise StopIteration
        line, self._next = self._next, next(self._lines, None)
        self._taken.append(line)
        self.number += 1
        return line

    @property
    def at_end(self) -> bool:
        return self._next is None

    def take_row(self) -> tuple[int, list[str]]:
        """(its first line in the file, its lines): the row csv read since the last call, without
        the blank lines before it (csv.DictReader skips them)."""
        taken, self._taken = self._taken, []
        while len(taken) > 1 and not taken[0].strip("\r\n"):
            taken.pop(0)
        return self.number - len(taken) + 1, taken


def stray_quote(
    lines: list[str], first: int, last_row: bool, dialect: dict[str, Any]
) -> str | None:
    """Why the row csv read from `lines` (the file's lines from `first`) is a stray quote's
    doing, else None; `dialect`: the csv.reader arguments it was read with."""
    span = f"lines {first}-{first + len(lines) - 1}"
    if last_row and _open_at_end(lines, dialect):
        swallowed = f": {span}, to the end of the file, read as one row" if len(lines) > 1 else ""
        return f"a quoted field is never closed{swallowed} (a stray quote?)"
    if len(lines) > 1 and (refused := _strict_error(lines, dialect)):
        line, why = refused
        where = f"on line {first + line - 1} ({why})"
        return f"a quoted field closes wrongly {where}: {span} read as one row (a stray quote?)"
    return None


def _open_at_end(lines: list[str], dialect: dict[str, Any]) -> bool:
    rows = csv.reader(io.StringIO("".join(lines) + _PROBE, newline=""), **dialect)
    return sum(1 for row in rows if row) == 1


def _strict_error(lines: list[str], dialect: dict[str, Any]) -> tuple[int, str] | None:
    """(the line of the row, counted from 1, where strict csv refuses it, and csv's reason)."""
    reader = csv.reader(lines, strict=True, **dialect)
    try:
        for _ in reader:
            pass
    except csv.Error as exc:
        return reader.line_num, str(exc)
    return None
