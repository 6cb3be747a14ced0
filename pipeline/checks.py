"""Record checks a JSON Schema cannot state: every derived value agrees with the text.

A schema says an entity's `start` is an integer; only the text can say that `text[start:end]`
is the entity. These checks recompute what is cheap to recompute (hashes, counts) and compare
every span (entities, dates, quotations) with the characters it points at, so that a step which
changes the text after the values were derived from it (a redaction, a repair) is caught before
a release. Each check has a name; a record that fails is quarantined with the names and details.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from pipeline.ids import sha256_hex
from pipeline.words import paragraph_count, word_count

Record = dict[str, Any]
# (column, key of the span's own text): spans whose text[start:end] must equal that key.
SPAN_COLUMNS = (("entities", "text"), ("dates_mentioned", "text"), ("quotes", "quote"))


def _spans(record: Record) -> Iterator[str]:
    text = record["text"]
    for column, key in SPAN_COLUMNS:
        for i, span in enumerate(record.get(column) or []):
            start, end, expected = span["start"], span["end"], span[key]
            where = f"{column}[{i}] [{start}:{end}]"
            if not 0 <= start <= end <= len(text):
                yield f"{where} outside the text ({len(text)} characters)"
            elif text[start:end] != expected:
                yield f"{where} is {text[start:end]!r}, not {expected!r}"


def _content_hash(record: Record) -> Iterator[str]:
    if record.get("content_sha256") not in (None, sha256_hex(record["text"])):
        yield "content_sha256 is not the sha256 of text"


def _counts(record: Record) -> Iterator[str]:
    text = record["text"]
    for column, count in (
        ("char_count", len),
        ("word_count", word_count),
        ("paragraph_count", paragraph_count),
    ):
        if column in record and record[column] != (actual := count(text)):
            yield f"{column} is {record[column]}, the text has {actual}"


CHECKS: dict[str, Callable[[Record], Iterator[str]]] = {
    "span_offsets": _spans,
    "content_hash": _content_hash,
    "counts": _counts,
}


def record_problems(record: Record) -> list[str]:
    """`check: detail` for every disagreement between `record` and its text; [] when none."""
    return [f"{name}: {detail}" for name, check in CHECKS.items() for detail in check(record)]
