"""JSONL, JSON and CSV exports (comma, semicolon, tab or bar separated, or as Excel's first line
"sep=X" says): one article per line, object or row, its fields in the columns `ingest.fields`
names (pipeline/readers/fields.py); the other columns are kept in `metadata`.

A line or row that is not an article (bad JSON, not an object, no text, a CSV row a stray quote
ran over the rows after it: `csv_lines.py`) is quarantined on its own as `bad_row`; the rest of
the file is still read.
"""

from __future__ import annotations

import csv
import json
import sys
from typing import Any

from pipeline import quarantine as q
from pipeline.params import IngestParams
from pipeline.quarantine import Rejected
from pipeline.readers import Article
from pipeline.readers.csv_lines import CsvLines, excel_separator, stray_quote
from pipeline.readers.fields import FIELDS, folded, metadata_fields, take, unused

# Articles are long: the csv module's default 128 KiB field limit would reject real exports.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def row_article(row: dict[str, Any], number: int, params: IngestParams) -> Article | Rejected:
    fields = params.fields
    spellings = folded(row)
    text = take(row, fields.text, "text", spellings)
    if text is None:
        why = f"no text in any column of {', '.join(fields.text)}"
        return Rejected(q.BAD_ROW, f"row {number}: {why}", row=number)
    if text[1] is None:
        why = f"column {text[0]!r} holds no text"
        return Rejected(q.BAD_ROW, f"row {number}: {why}", row=number)
    found, used = metadata_fields(row, fields, spellings)
    return Article(
        text=text[1],
        **{field: found.get(field) for field in FIELDS},
        row=number,
        extra=unused(row, used | {text[0]}),
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
        out.append(object_article(row, f"line {number}", number, params))
    return out


def object_article(value: Any, where: str, number: int, params: IngestParams) -> Article | Rejected:
    """A JSON value that should be one article's object (a JSONL line, a JSON array's item)."""
    if not isinstance(value, dict):
        why = f"{where}: a JSON {type(value).__name__}, not an object"
        return Rejected(q.BAD_ROW, why, row=number)
    return row_article(value, number, params)


def read_json(text: str, params: IngestParams) -> list[Article | Rejected]:
    """A JSON export: one article object (news-please writes one a file), an array of them, or
    an API's answer holding the array ({"status": "ok", "articles": [...]}: NewsAPI), each read
    as a JSONL line is, numbered from 1. A file of JSON Lines saved as .json is read as JSONL."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":  # a second value after the first: JSON Lines
            return read_jsonl(text, params)
        return [Rejected(q.BAD_ROW, f"not JSON ({exc.msg}, line {exc.lineno})")]
    items = data if isinstance(data, list) else wrapped_articles(data, params) or [data]
    return [
        object_article(item, f"item {number}", number, params)
        for number, item in enumerate(items, start=1)
    ]


def wrapped_articles(data: Any, params: IngestParams) -> list[Any] | None:
    """The array of objects an API's answer wraps, when the answer has no article text of its
    own and exactly one such array; None otherwise (the object is then one article)."""
    if not isinstance(data, dict) or take(data, params.fields.text, "text", folded(data)):
        return None
    arrays = [
        value
        for value in data.values()
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value)
    ]
    return arrays[0] if len(arrays) == 1 else None


# Spreadsheets save "CSV" with the separator of their locale: `;` where the decimal mark is `,`.
DELIMITERS = (",", ";", "\t", "|")


def delimiter(text: str) -> str:
    """The separator the header line uses most (`,` when none or a tie): a semicolon export read
    with commas would be one column, and every row would be quarantined."""
    header = text.split("\n", 1)[0]
    counts = [(header.count(d), -i, d) for i, d in enumerate(DELIMITERS)]
    return max(counts)[2]


def read_csv(text: str, params: IngestParams) -> list[Article | Rejected]:
    separator, text_after = excel_separator(text)
    # skipinitialspace: 'a, "b, c"' is two cells, as spreadsheets read it, not three.
    dialect = {"delimiter": separator or delimiter(text_after), "skipinitialspace": True}
    lines = CsvLines(text_after, before=1 if separator else 0)
    reader = csv.DictReader(lines, **dialect)
    out: list[Article | Rejected] = []
    try:
        if reader.fieldnames is not None:
            lines.take_row()  # the header's lines
        for number, row in enumerate(reader, start=1):
            first, raw = lines.take_row()
            stray = stray_quote(raw, first, lines.at_end, dialect)
            out.append(csv_row(row, number, stray, params))
    except csv.Error as exc:
        out.append(Rejected(q.BAD_ROW, f"line {lines.number}: {exc}", row=lines.number))
    return out


def csv_row(
    row: dict[str | None, Any], number: int, stray: str | None, params: IngestParams
) -> Article | Rejected:
    """Row `number` of a CSV export; `stray`: why a stray quote made it (`stray_quote`)."""
    if stray:  # rows it swallowed would be published as this one's text
        return Rejected(q.BAD_ROW, f"row {number}: {stray}", row=number)
    if None in row:  # more cells than header names: the row is misaligned
        return Rejected(q.BAD_ROW, f"row {number}: more cells than columns", row=number)
    return row_article(row, number, params)
