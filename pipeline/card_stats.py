"""What the dataset card says about a release's records, read from the release's own files: word
counts, the entities and PII found, the example record, and the change counts of
`changes.parquet`. One pass over the published Parquet, a row group at a time
(`shards.file_batches`): what it keeps is one batch of records, the word counts (an integer per
record) and a count per distinct entity.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.changes import CHANGES_FILE
from pipeline.manifest import DATA_DIR, Release
from pipeline.shards import file_batches

ENTITY_COLUMNS = {"people": "person", "organizations": "organisation", "places": "place"}
PII_KINDS = {"emails": "e-mail addresses", "phone_numbers": "phone numbers", "ip_addresses": "IPs"}
EXAMPLE_TEXT_CHARS = 300  # the example record's strings are cut here, its lists at 3 items
EXAMPLE_LIST_ITEMS = 3


@dataclass
class Stats:
    word_counts: np.ndarray
    entities: Counter  # (name, kind) -> articles that name it
    pii: Counter  # kind -> articles with at least one
    redacted: int  # articles whose text had PII replaced
    example: dict[str, Any] | None
    changes: Counter | None = None  # change -> records; None: no changes file
    withdrawn: Counter = field(default_factory=Counter)  # reason -> withdrawn records


def data_files(release: Path) -> list[Path]:
    return sorted((release / DATA_DIR).glob("*.parquet"))


def read_stats(release: Path, r: Release) -> Stats:
    words: list[np.ndarray] = []
    entities: Counter = Counter()
    pii: Counter = Counter()
    redacted = 0
    columns = ["word_count", "pii", *ENTITY_COLUMNS]
    for path in data_files(release):
        for batch in file_batches(path, r.params.engine.batch_size, columns):
            words.append(batch.column("word_count").to_numpy())
            for column, kind in ENTITY_COLUMNS.items():
                for names in batch.column(column).to_pylist():
                    entities.update((name, kind) for name in set(names or []))
            for row in batch.column("pii").to_pylist():
                pii.update(k for k in PII_KINDS if row[k])
                redacted += row["redacted"]
    stats = Stats(
        np.concatenate(words) if words else np.array([], dtype=np.int64),
        entities,
        pii,
        redacted,
        example_record(release, [s.name for s in r.splits]),
    )
    changes = release / CHANGES_FILE
    if changes.exists():
        table = pq.read_table(changes, columns=["change", "reason"])
        stats.changes = Counter(table.column("change").to_pylist())
        stats.withdrawn = Counter(
            reason or "unknown"
            for change, reason in zip(
                table.column("change").to_pylist(), table.column("reason").to_pylist(), strict=True
            )
            if change == "withdrawn"
        )
    return stats


def example_record(release: Path, splits: list[str]) -> dict[str, Any] | None:
    """The record with the smallest id in the first split (train when there is one)."""
    for split in splits:
        paths = [p for p in data_files(release) if p.name.startswith(f"{split}-")]
        ids = [pc.min(pq.read_table(p, columns=["id"]).column("id")).as_py() for p in paths]
        if not any(ids):
            continue
        smallest = min(i for i in ids if i)
        path = paths[ids.index(smallest)]
        table = pq.read_table(path, filters=[("id", "=", smallest)])
        return table.to_pylist()[0]
    return None


def truncate(value: Any) -> Any:
    """A value short enough to show: long strings cut, long lists cut with a count."""
    if isinstance(value, str) and len(value) > EXAMPLE_TEXT_CHARS:
        return value[:EXAMPLE_TEXT_CHARS] + f"… ({len(value) - EXAMPLE_TEXT_CHARS} more characters)"
    if isinstance(value, list):
        shown = [truncate(v) for v in value[:EXAMPLE_LIST_ITEMS]]
        extra = len(value) - EXAMPLE_LIST_ITEMS
        return shown + [f"… ({extra} more)"] if extra > 0 else shown
    if isinstance(value, dict):
        return {k: truncate(v) for k, v in value.items()}
    return value
