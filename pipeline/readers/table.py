"""JSONL and CSV exports: one article per line or row, columns named in `ingest.columns`.

A line or row that is not an article (bad JSON, not an object, no text) is quarantined on its
own as `bad_row`; the rest of the file is still read.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from typing import Any

from pipeline import quarantine as q
from pipeline.params import IngestParams
from pipeline.quarantine import Rejected
from pipeline.readers import Article, clean_field, normalize_date

# Articles are long: the csv module's default 128 KiB field limit would reject real exports.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def row_article(row: dict[str, Any], number: int, params: IngestParams) -> Article | Rejected:
    cols = params.columns
    text = row.get(cols.text)
    if not isinstance(text, str) or not text.strip():
        return Rejected(q.BAD_ROW, f"row {number}: no text in column {cols.text!r}", row=number)
    mapped = {cols.text, cols.title, cols.url, cols.author, cols.date, cols.publisher, cols.license}
    return Article(
        text=text,
        title=clean_field(row.get(cols.title)),
        url=clean_field(row.get(cols.url)),
        author=clean_field(row.get(cols.author)),
        published_date=normalize_date(row.get(cols.date)),
        publisher=clean_field(row.get(cols.publisher)),
        license=clean_field(row.get(cols.license)),
        row=number,
        extra={k: v for k, v in row.items() if k not in mapped and v not in (None, "")},
    )


def read_jsonl(text: str, params: IngestParams) -> list[Article | Rejected]:
    out: list[Article | Rejected] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue  # blank lines separate nothing in JSONL; they are not articles
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            out.append(Rejected(q.BAD_ROW, f"line {number}: not JSON ({exc.msg})", row=number))
            continue
        if not isinstance(row, dict):
            kind = type(row).__name__
            out.append(
                Rejected(q.BAD_ROW, f"line {number}: a JSON {kind}, not an object", row=number)
            )
            continue
        out.append(row_article(row, number, params))
    return out


def read_csv(text: str, params: IngestParams) -> list[Article | Rejected]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    out: list[Article | Rejected] = []
    try:
        for number, row in enumerate(reader, start=1):
            if None in row:  # more cells than header names: the row is misaligned
                out.append(
                    Rejected(q.BAD_ROW, f"row {number}: more cells than columns", row=number)
                )
                continue
            out.append(row_article(row, number, params))
    except csv.Error as exc:
        out.append(Rejected(q.BAD_ROW, f"row {reader.line_num}: {exc}", row=reader.line_num))
    return out
