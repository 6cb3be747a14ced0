"""clean's corpus-wide step: exact and id duplicates, a reduce the engine runs beside the map.

The map (clean's per-article cleaning) makes a small key per cleaned record (`duplicate_key`);
`FindDuplicates` folds the keys in corpus order in the writing process and names the copies by
position; `mark_duplicates` then reads the staged records back once, sets the copies aside and
lists them on the record that is kept. The first in corpus order is kept.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline import params as params_mod
from pipeline import quarantine as q
from pipeline.engine import Reduce
from pipeline.ids import record_id, source_ref
from pipeline.quarantine import Rejected, quarantine_row
from pipeline.schema import quarantine_schema, record_schema
from pipeline.shards import ShardWriter, read_batches

STAGE = "clean"


@dataclass(frozen=True)
class Duplicate:
    """A record set aside in favour of an earlier one (`kept`), and why."""

    kept: str  # id of the record kept
    reason: str  # q.EXACT_DUPLICATE or q.DUPLICATE_ID
    detail: str
    listed_as: str  # the id the kept record lists in `duplicates`, and the quarantine row's id


def duplicate_key(result: dict[str, Any] | Rejected) -> tuple[str, bytes, str] | None:
    """What the duplicate reduce needs of a cleaned record, made in the map: (id, a 16-byte
    digest of the text hash and the title, the id its path would give it). Never the text."""
    if isinstance(result, Rejected):
        return None
    title = result["title"]
    content = f"{result['content_sha256']}\0{'' if title is None else '+' + title}"
    return (
        result["id"],
        hashlib.sha256(content.encode()).digest()[:16],
        record_id(None, source_ref(result["source"], result["source_row"])),
    )


class FindDuplicates(Reduce):
    """{position in corpus order: why that record is a copy of an earlier one}.

    Two kinds of copy, one rule: the first in corpus order (sorted path, then row) is kept.
    - Same id (same canonical URL: a .txt and a .md of one story, say): `duplicate_id`. The copy
      shares the kept record's id, so it is listed, and quarantined, under the id its path
      would give it (`record_id(None, source[#row])`).
    - Same title and cleaned text: `exact_duplicate`. The title counts: the same body
      republished under a new headline is another version of the article, kept
      (near-duplicate clustering relates the two).
    Only records that are kept are matched against, so every copy points at a kept record.
    The keys are folded as they come, in input order: what is held is each kept record's id and
    16-byte content digest (README, "Scale"). Positions, not ids, name the copies: copies by id
    share their id.
    """

    def __init__(self) -> None:
        super().__init__("duplicates", duplicate_key)
        self.by_content: dict[bytes, str] = {}  # content digest -> id of the kept record
        self.ids: set[str] = set()  # ids of the kept records
        self.found: dict[int, Duplicate] = {}
        self.position = 0

    def add(self, keys: list[tuple[str, bytes, str]]) -> dict[int, Rejected]:
        for id_, content, own in keys:
            if id_ in self.ids:
                # The copy's URL is added to the detail where the record is read back.
                why = f"same id as {id_}"
                self.found[self.position] = Duplicate(id_, q.DUPLICATE_ID, why, own)
            elif content in self.by_content:
                kept = self.by_content[content]
                why = f"same title and text as {kept}"
                self.found[self.position] = Duplicate(kept, q.EXACT_DUPLICATE, why, id_)
            else:
                self.ids.add(id_)
                self.by_content[content] = id_
            self.position += 1
        return {}  # copies are set aside by mark_duplicates, once their kept record is known

    def result(self) -> dict[int, Duplicate]:
        return self.found


def _why(dup: Duplicate, record: dict[str, Any]) -> str:
    if dup.reason == q.DUPLICATE_ID and record["url"]:
        return f"{dup.detail} (same URL {record['url']})"
    return dup.detail


def mark_duplicates(
    staged: Path,
    out: Path,
    quarantine: Path,
    params: params_mod.Params,
    found: dict[int, Duplicate],
) -> dict[str, Any]:
    """Second pass: copies to quarantine, their ids onto the record that is kept."""
    listed: dict[str, list[str]] = {}
    for dup in found.values():  # in corpus order: the order of `duplicates`
        listed.setdefault(dup.kept, []).append(dup.listed_as)
    schema = record_schema().arrow(STAGE)
    steps_seen: Counter = Counter()
    chars: Counter = Counter()
    reasons: Counter = Counter(dup.reason for dup in found.values())
    position = 0
    # Own file prefix: the first pass's quarantine shards in the same folder stay as they are.
    with (
        ShardWriter(out, schema, params.engine) as writer,
        ShardWriter(
            quarantine, quarantine_schema().arrow(), params.engine, prefix="duplicates"
        ) as qw,
    ):
        for batch in read_batches(staged, params.engine.batch_size):
            records, rejected = [], []
            for record in batch.to_pylist():
                dup = found.get(position)
                position += 1
                if dup is not None:
                    row = quarantine_row(STAGE, Rejected(dup.reason, _why(dup, record)), record)
                    # The copy as it was cleaned stays in `record`; the row's id is the one the
                    # kept record lists, so the two can be joined.
                    rejected.append({**row, "id": dup.listed_as})
                    continue
                record["duplicates"] = listed.get(record["id"], [])
                for entry in record["clean_log"]:
                    steps_seen[entry["step"]] += 1
                    chars[entry["step"]] += entry["chars_removed"]
                records.append(record)
            writer.write_rows(records)
            qw.write_rows(rejected)
    return {
        "exact_duplicates": reasons[q.EXACT_DUPLICATE],
        "id_duplicates": reasons[q.DUPLICATE_ID],
        "changes_by_step": {
            step: {"records": steps_seen[step], "chars_removed": chars[step]}
            for step in sorted(steps_seen)
        },
    }
