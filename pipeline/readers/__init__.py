"""Format readers: decoded text of one seed file -> the articles in it.

A reader is a pure function `read(text, params) -> list[Article | Rejected]` registered for
file extensions. One-article formats (txt, md, html) return one item; table exports (jsonl, csv)
return one per line or row, each with its `row` number. Ingest adds what readers do not know:
the id, the provenance and the sidecar metadata.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypedDict

from pipeline.params import IngestParams
from pipeline.quarantine import Rejected


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
    """`YYYY-MM-DD` from the date spellings exports use (ISO 8601, RFC 2822); else None.

    An unparseable date is not an error: the original stays in `metadata`.
    """
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


def clean_field(value: Any) -> str | None:
    """A metadata value as a stripped string, or None when absent or blank."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None
