"""Quarantine: every record a stage refuses is kept, with a snake_case reason.

Per-article functions return `Rejected(reason, detail)` instead of a record; the engine turns it
into a row of `schemas/quarantine.schema.json` and the stage writes those rows to
`data/quarantine/<stage>/`. Nothing is dropped silently and a bad article never stops a run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

# ingest
EMPTY_INPUT = "empty_input"
UNDECODABLE = "undecodable"
UNSUPPORTED_FORMAT = "unsupported_format"
TOO_LARGE = "too_large"
BAD_SIDECAR = "bad_sidecar"
BAD_ROW = "bad_row"  # one line/row of a JSONL/CSV export
# Markdown front matter its language (YAML, TOML) cannot parse; the detail: the parser's error
BAD_FRONT_MATTER = "bad_front_matter"
NO_CONTENT = "no_content"  # a page or export with nothing article-like in it
UNREADABLE = "unreadable"  # the operating system refused to read the file
OUTSIDE_SEEDS = "outside_seeds"  # a symbolic link pointing out of seeds/: never followed
TAKEDOWN = "takedown"  # its id or URL is in seeds/blocklist.txt; the row keeps no text
# A sidecar applied to no seed: it names none (orphan), or more than one seed could take it, or
# its seed takes another sidecar (ambiguous). Quarantine rows that are not articles.
ORPHAN_SIDECAR = "orphan_sidecar"
AMBIGUOUS_SIDECAR = "ambiguous_sidecar"
# clean
EMPTY_AFTER_CLEAN = "empty_after_clean"
EXACT_DUPLICATE = "exact_duplicate"  # same title and cleaned text as an earlier record (its id)
# clean, and validate as a safety net: same id (same canonical URL) as an earlier record
DUPLICATE_ID = "duplicate_id"
# annotate
FILTERED = "filtered"  # outside a bound set in annotate.filters (detail: which, and the value)
# validate
SCHEMA_VIOLATION = "schema_violation"
EXPECTATION_FAILED = "expectation_failed"
INCONSISTENT_RECORD = "inconsistent_record"  # a derived value disagrees with the text (checks.py)
# any stage: a bug or an input no rule foresaw; the exception is the detail
STAGE_ERROR = "stage_error"

# Reasons whose rows are files that are not articles: counted apart from articles.
NOT_ARTICLES = frozenset({ORPHAN_SIDECAR, AMBIGUOUS_SIDECAR})


@dataclass(frozen=True)
class Rejected:
    """What a per-article function returns for an article it refuses."""

    reason: str
    detail: str = ""
    row: int | None = None  # line or row of a multi-article file, when the failure is one row
    id: str | None = None  # the record's id when known before the record exists (a takedown)


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: the same value always gives the same string.

    Values JSON has no type for (dates from YAML front matter, say) are written as strings.
    """
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def quarantine_row(stage: str, rejected: Rejected, record: dict[str, Any] | None) -> dict:
    record = record or {}
    return {
        "stage": stage,
        "reason": rejected.reason,
        "detail": rejected.detail,
        "source": record.get("source", ""),
        "source_row": rejected.row if rejected.row is not None else record.get("source_row"),
        "source_sha256": record.get("source_sha256", ""),
        "id": rejected.id or record.get("id"),
        "record": json.dumps(record, sort_keys=True, ensure_ascii=False, default=_describe)
        if record
        else None,
    }


def _describe(value: Any) -> str:
    # Raw bytes stay in seeds/ (found by source and source_sha256); the row says only their size.
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
