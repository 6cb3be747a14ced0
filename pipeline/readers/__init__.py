"""Format readers: decoded text of one seed file -> the articles in it.

A reader is a pure function `read(text, params) -> list[Article | Rejected]` registered for
file extensions. One-article formats (txt, md, html) return one item; table exports (jsonl, csv)
return one per line or row, each with its `row` number. Ingest adds what readers do not know:
the id, the provenance and the sidecar metadata.

Titles follow one rule for every format (`drop_title`, applied by ingest once the title is
final, sidecar included): the title is never repeated as the first block of the text. A reader
returns the document's headline (a .txt first line, a .md `#` heading) inside `text`; ingest
removes it when it is the title, and keeps it as text when a sidecar or front matter gives
another title, so no heading is lost.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypedDict

from pipeline.params import IngestParams
from pipeline.quarantine import Rejected

# Between the names of an article's several authors, whatever the source. Not ", ": a declared
# name may be "Last, First".
AUTHOR_SEPARATOR = "; "


class Article(TypedDict, total=False):
    """What a reader found. Only `text` is required; the rest is None or absent when unknown."""

    text: str
    title: str | None
    url: str | None
    author: str | None
    published_date: str | None
    publisher: str | None
    license: str | None
    language: str | None  # declared by the document (e.g. <html lang>), not detected
    row: int | None  # 1-based line (jsonl) or data row (csv) in a multi-article file
    extra: dict[str, Any]  # other fields the document carries, kept in `metadata`


Reader = Callable[[str, IngestParams], list["Article | Rejected"]]


def normalize_date(value: Any) -> str | None:
    """`YYYY-MM-DD` from ISO 8601 or RFC 2822, else None. The `dates` annotators read date
    entities with it, so it stays as they were made; exports, front matter and sidecars are
    read with `pipeline.readers.fields.export_date`, which also reads spelled-out months."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return None


_SPACE = re.compile(r"\s+")
# The end of a text's first block: a line break, a blank line (spaces and CR allowed), a line break.
_BLOCK_END = re.compile(r"\n[^\S\n]*\n")


def drop_title(text: str, title: str | None) -> str:
    """`text` without its first block when that block is the title (same words, ignoring case
    and spacing) and something follows it: the title has its own field.

    A text that is only its title keeps it (an article is never emptied here).
    """
    if not title:
        return text
    parts = _BLOCK_END.split(text.lstrip("\ufeff"), maxsplit=1)
    if len(parts) < 2 or not parts[1].strip():
        return text
    if _SPACE.sub(" ", parts[0]).strip().casefold() != _SPACE.sub(" ", title).strip().casefold():
        return text
    return parts[1]
