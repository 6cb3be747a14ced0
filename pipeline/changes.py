"""Record-level changes between two releases: what a user of version B must know about A.

Each published record is reduced to a fingerprint: its content hash (the text), a hash of its
metadata (title, byline, date, publisher, url, licence, provenance, metadata) and a hash of its
annotations (every column the annotate stage writes, the split included). Two releases'
fingerprints give one row per record that differs:

- `added`: the id is new;
- `withdrawn`: the id is gone; `reason` says why: the quarantine reason that set it aside in
  the new build (`duplicate` for an exact or id duplicate, `takedown` for the blocklist), or
  `removed_from_seeds` when the article is no longer among the inputs at all;
- `text_changed`, `metadata_changed`, `annotations_changed`: the first that applies, in this
  order (a text fix changes annotations too; the text is what matters).

Fingerprints hold four short strings per record, so two releases of a few million records fit in
memory; the changes file is sorted by id, so the same releases always give the same bytes.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.quarantine import canonical_json
from pipeline.schema import record_schema

CHANGE_KINDS = ("added", "withdrawn", "text_changed", "metadata_changed", "annotations_changed")
DUPLICATE_REASONS = {"exact_duplicate": "duplicate", "duplicate_id": "duplicate"}
NOT_IN_SEEDS = "removed_from_seeds"
CHANGES_FILE = "changes.parquet"
SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("change", pa.string(), nullable=False),
        pa.field("reason", pa.string()),
        pa.field("old_content_sha256", pa.string()),
        pa.field("new_content_sha256", pa.string()),
    ],
    metadata={"description": "Record-level changes against the previous release."},
)


def _columns_of(stages: set[str], exclude: set[str]) -> list[str]:
    return [f.name for f in record_schema().fields if f.stage in stages and f.name not in exclude]


# Metadata: what ingest knows besides the text; clean's duplicate list is provenance too.
METADATA_COLUMNS = _columns_of({"ingest", "clean"}, {"id", "text", "content_sha256", "clean_log"})
ANNOTATION_COLUMNS = _columns_of({"annotate"}, set())


@dataclass(frozen=True)
class Fingerprint:
    content: str
    metadata: str
    annotations: str
    split: str


def _digest(values: dict) -> str:
    return hashlib.sha256(canonical_json(values).encode()).hexdigest()


def fingerprint(row: dict) -> tuple[str, Fingerprint]:
    """(id, fingerprint) of one record (a row of the record schema)."""
    return row["id"], Fingerprint(
        row["content_sha256"],
        _digest({c: row.get(c) for c in METADATA_COLUMNS}),
        _digest({c: row.get(c) for c in ANNOTATION_COLUMNS}),
        row["split"],
    )


def fingerprints(batches: Iterable[pa.RecordBatch]) -> dict[str, Fingerprint]:
    """id -> fingerprint of every record in `batches` (rows of the record schema)."""
    return dict(fingerprint(row) for batch in batches for row in batch.to_pylist())


def data_files(release: Path) -> list[Path]:
    return sorted((Path(release) / "data").glob("*.parquet"))


def release_fingerprints(release: Path) -> dict[str, Fingerprint]:
    """Fingerprints of a release folder's published records."""
    batches = (b for path in data_files(release) for b in pq.ParquetFile(path).iter_batches())
    return fingerprints(batches)


def withdrawal_reason(quarantine_reason: str | None) -> str:
    if quarantine_reason is None:
        return NOT_IN_SEEDS
    return DUPLICATE_REASONS.get(quarantine_reason, quarantine_reason)


def diff(
    old: dict[str, Fingerprint],
    new: dict[str, Fingerprint],
    quarantined: dict[str, str],
) -> list[dict]:
    """Change rows from `old` to `new`, sorted by id; `quarantined`: id -> reason in the new
    build, for the ids that are not published."""
    rows = []
    for id_ in sorted(old.keys() | new.keys()):
        before, after = old.get(id_), new.get(id_)
        if before == after:
            continue
        if before is None:
            change, reason = "added", None
        elif after is None:
            change, reason = "withdrawn", withdrawal_reason(quarantined.get(id_))
        elif before.content != after.content:
            change, reason = "text_changed", None
        elif before.metadata != after.metadata:
            change, reason = "metadata_changed", None
        else:
            change, reason = "annotations_changed", None
        rows.append(
            {
                "id": id_,
                "change": change,
                "reason": reason,
                "old_content_sha256": before.content if before else None,
                "new_content_sha256": after.content if after else None,
            }
        )
    return rows


def write_changes(path: Path, rows: list[dict]) -> None:
    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    pq.write_table(table, path, compression="zstd", use_dictionary=False, write_statistics=True)


def read_changes(release: Path) -> list[dict]:
    path = Path(release) / CHANGES_FILE
    return pq.read_table(path).to_pylist() if path.exists() else []


def summarize(rows: list[dict]) -> dict[str, int]:
    """Rows per change kind, every kind listed (0 when none)."""
    counts = Counter(r["change"] for r in rows)
    return {kind: counts[kind] for kind in CHANGE_KINDS}


def withdrawn_by_reason(rows: list[dict]) -> dict[str, int]:
    return dict(sorted(Counter(r["reason"] for r in rows if r["change"] == "withdrawn").items()))
