"""clean's corpus-wide step: exact and id duplicates, a reduce the engine runs beside the map.

The map (clean's per-article cleaning) makes a small key per cleaned record (`duplicate_key`);
`FindDuplicates` keeps the keys in corpus order in the writing process and, once every record is
in, names the copies by position; `mark_duplicates` then reads the staged records back once,
sets the copies aside and lists them on the record that is kept. The first in corpus order is
kept.

Held per article in the writing process: its 48-byte key in one `bytearray` (no Python object
per article); while the copies are found, about 40 bytes more (a sort of the ids and of the
digests), then the few records that share one with another are folded as Python objects.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline import engines
from pipeline import params as params_mod
from pipeline import quarantine as q
from pipeline.engine import Reduce
from pipeline.ids import hex_digest, record_id, source_ref
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


def duplicate_key(result: dict[str, Any] | Rejected) -> bytes | None:
    """What the duplicate reduce needs of a cleaned record, made in the map: 48 raw bytes, its
    id, a 16-byte digest of the text hash and the title, and the id its path would give it (16
    bytes each: ids are 32 hex digits, `pipeline.ids.record_id`). Never the text."""
    if isinstance(result, Rejected):
        return None
    title = result["title"]
    content = f"{result['content_sha256']}\0{'' if title is None else '+' + title}"
    own = record_id(None, source_ref(result["source"], result["source_row"]))
    return _raw_id(result["id"]) + hashlib.sha256(content.encode()).digest()[:16] + _raw_id(own)


_KEY = 48  # bytes of a key: id, content digest, own id
_ID = slice(0, 16)
_CONTENT = slice(16, 32)
_OWN = slice(32, 48)


def _raw_id(id_: str) -> bytes:
    """An id as 16 bytes; `.hex()` gives it back exactly (lower case: the schema's pattern)."""
    digest = hex_digest(id_)
    if digest is None:
        raise ValueError(f"record id {id_!r} is not 32 lower-case hex digits (ids.record_id)")
    return digest


def _shared(column: np.ndarray) -> np.ndarray:
    """Which values of `column` (16-byte values) another row has too."""
    _, inverse, counts = np.unique(column, return_inverse=True, return_counts=True)
    return counts[inverse.reshape(-1)] > 1


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
    What is held is every record's 48-byte key, appended as it comes, in input order (README,
    "Scale"). A record whose id and content digest no other record has is kept and matches
    nothing, so `result` folds only the records that share one (found with a sort), in corpus
    order: the same answer as folding them all. Positions, not ids, name the copies: copies by
    id share their id.
    """

    def __init__(self) -> None:
        super().__init__("duplicates", duplicate_key)
        self.packed = bytearray()  # every key, in input order: position i at [48 * i, 48 * (i + 1))

    def add(self, keys: list[bytes]) -> dict[int, Rejected]:
        self.packed += b"".join(keys)
        return {}  # copies are set aside by mark_duplicates, once their kept record is known

    def result(self) -> dict[int, Duplicate]:
        """The copies; the keys are let go (the second pass needs only its answer)."""
        packed, self.packed = self.packed, bytearray()
        columns = np.frombuffer(packed, dtype="S16").reshape(-1, 3)  # no copy
        sharing = _shared(columns[:, 0]) | _shared(columns[:, 1])
        del columns  # a view of `packed`
        positions = np.flatnonzero(sharing).tolist()
        return fold((p, bytes(packed[_KEY * p : _KEY * (p + 1)])) for p in positions)


def fold(keys: Iterable[tuple[int, bytes]]) -> dict[int, Duplicate]:
    """The rule, on (position, key) of the records that share an id or a content digest with
    another, in corpus order (ids as hex only here, for the few)."""
    by_content: dict[bytes, bytes] = {}  # content digest -> id of the kept record
    ids: set[bytes] = set()  # ids of the kept records
    found: dict[int, Duplicate] = {}
    for position, key in keys:
        id_, content = key[_ID], key[_CONTENT]
        if id_ in ids:
            # The copy's URL is added to the detail where the record is read back.
            why = f"same id as {id_.hex()}"
            found[position] = Duplicate(id_.hex(), q.DUPLICATE_ID, why, key[_OWN].hex())
        elif content in by_content:
            kept = by_content[content].hex()
            why = f"same title and text as {kept}"
            found[position] = Duplicate(kept, q.EXACT_DUPLICATE, why, id_.hex())
        else:
            ids.add(id_)
            by_content[content] = id_
    return found


def find_duplicates() -> Reduce:
    """clean's duplicate reduce: its keys folded in this process, or on the Ray engine left in
    the cluster's object store and found there by two sorts (pipeline/duplicates_ray.py)."""
    if engines.kind() == "ray":
        from pipeline.duplicates_ray import FindDuplicatesOnRay

        return FindDuplicatesOnRay()
    return FindDuplicates()


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
    """Second pass: copies to quarantine, their ids onto the record that is kept.

    The batches stay Arrow: only the copies become Python rows (for their quarantine rows), and
    each kept record's id is looked up in `listed`. Turning every batch into Python dicts and
    back held about 40 MiB more than the pass needs, the peak of the whole stage.
    """
    listed: dict[str, list[str]] = {}
    for dup in found.values():  # in corpus order: the order of `duplicates`
        listed.setdefault(dup.kept, []).append(dup.listed_as)
    schema = record_schema().arrow(STAGE)
    listing = schema.field("duplicates")
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
            copies = [i for i in range(batch.num_rows) if position + i in found]
            if copies:
                is_copy = np.zeros(batch.num_rows, dtype=bool)
                is_copy[copies] = True
                rows = batch.filter(pa.array(is_copy)).to_pylist()
                dups = [found[position + i] for i in copies]
                qw.write_rows([_copy_row(d, r) for d, r in zip(dups, rows, strict=True)])
                batch = batch.filter(pa.array(~is_copy))
            position += batch.num_rows + len(copies)
            ids = batch.column("id").to_pylist()
            lists = pa.array([listed.get(id_, []) for id_ in ids], listing.type)
            batch = batch.set_column(schema.get_field_index("duplicates"), listing, lists)
            _tally_steps(batch.column("clean_log"), steps_seen, chars)
            writer.write_batch(batch)
    return {
        "exact_duplicates": reasons[q.EXACT_DUPLICATE],
        "id_duplicates": reasons[q.DUPLICATE_ID],
        "changes_by_step": {
            step: {"records": steps_seen[step], "chars_removed": chars[step]}
            for step in sorted(steps_seen)
        },
    }


def _copy_row(dup: Duplicate, record: dict[str, Any]) -> dict[str, Any]:
    """The quarantine row of a copy. The copy as it was cleaned stays in `record`; the row's id
    is the one the kept record lists, so the two can be joined."""
    row = quarantine_row(STAGE, Rejected(dup.reason, _why(dup, record)), record)
    return {**row, "id": dup.listed_as}


def _tally_steps(clean_log: pa.Array, records: Counter, chars: Counter) -> None:
    """Per cleaning step, the records it changed and the characters it removed (a record's log
    has one entry per step that changed it)."""
    entries = pc.list_flatten(clean_log)
    if not len(entries):
        return
    table = pa.table({"step": entries.field("step"), "chars": entries.field("chars_removed")})
    for row in table.group_by("step").aggregate([("chars", "count"), ("chars", "sum")]).to_pylist():
        records[row["step"]] += row["chars_count"]
        chars[row["step"]] += row["chars_sum"]
