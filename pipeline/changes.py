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

Fingerprints are an Arrow table, one row per record (its id, content hash, two 32-byte digests
and its split: about 150 bytes, no Python object per record), and the changes are computed from
two such tables by a join, so two releases of millions of records fit in memory; the changes
file is sorted by id, so the same releases always give the same bytes.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.engine import Reduce, run_reduce
from pipeline.params import EngineParams
from pipeline.schema import record_schema
from pipeline.shards import file_batches

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


FINGERPRINTS = pa.schema(
    [
        ("id", pa.string()),
        ("content", pa.string()),  # the record's content_sha256 (hex), as the changes file shows
        ("metadata", pa.binary(32)),  # SHA-256 of the metadata columns
        ("annotations", pa.binary(32)),  # SHA-256 of the annotation columns
        ("split", pa.string()),
    ]
)
Fingerprint = tuple[str, str, bytes, bytes, str]  # a row of FINGERPRINTS


# Sorted keys, no whitespace: the same value always gives the same bytes (what `canonical_json`
# gives, six times faster; both releases are fingerprinted by this same function, so the bytes
# need only agree with themselves). orjson writes a float NaN as null: to a fingerprint the two
# are the same value.
_CANONICAL = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def _digest(values: dict) -> bytes:
    return hashlib.sha256(orjson.dumps(values, option=_CANONICAL, default=str)).digest()


def fingerprint(row: dict) -> Fingerprint:
    """The fingerprint of one record (a row of the record schema): a row of FINGERPRINTS."""
    return (
        row["id"],
        row["content_sha256"],
        _digest({c: row.get(c) for c in METADATA_COLUMNS}),
        _digest({c: row.get(c) for c in ANNOTATION_COLUMNS}),
        row["split"],
    )


def fingerprint_table(rows: list[Fingerprint]) -> pa.Table:
    """Fingerprint rows as a FINGERPRINTS table (columns, not a Python object per record)."""
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in FINGERPRINTS]
    return pa.Table.from_arrays(
        [pa.array(c, f.type) for c, f in zip(columns, FINGERPRINTS, strict=True)],
        schema=FINGERPRINTS,
    )


class Fingerprints(Reduce):
    """The fingerprints' reduce: each record's fingerprint, made by the engine's workers, folded
    here into Arrow columns one batch at a time."""

    def __init__(self) -> None:
        super().__init__("fingerprints", fingerprint)
        self.tables: list[pa.Table] = []

    def add(self, keys: list[Fingerprint]) -> dict:
        self.tables.append(fingerprint_table(keys))
        return {}

    def result(self) -> pa.Table:
        tables, self.tables = self.tables, []
        return pa.concat_tables([fingerprint_table([]), *tables])


def fingerprints(
    paths: list[Path], batch_size: int, engine: EngineParams | None = None
) -> pa.Table:
    """The FINGERPRINTS of every record in these Parquet files, read `batch_size` at a time, by
    the engine's workers (`engine` None: this process)."""
    batches = (b for path in paths for b in file_batches(path, batch_size))
    return run_reduce(Fingerprints(), batches, engine)


def data_files(release: Path) -> list[Path]:
    return sorted((Path(release) / "data").glob("*.parquet"))


def release_fingerprints(release: Path, batch_size: int) -> pa.Table:
    """Fingerprints of a release folder's published records."""
    return fingerprints(data_files(release), batch_size)


def withdrawal_reason(quarantine_reason: str | None) -> str:
    if quarantine_reason is None:
        return NOT_IN_SEEDS
    return DUPLICATE_REASONS.get(quarantine_reason, quarantine_reason)


def _one_chunk(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _differs(joined: pa.Table, column: str) -> pa.ChunkedArray:
    """Old and new values of `column` differ (both present)."""
    return pc.fill_null(pc.not_equal(joined[f"{column}_old"], joined[f"{column}_new"]), False)


def _change_kinds(joined: pa.Table) -> pa.ChunkedArray:
    """Per joined row: the first change kind that applies, or null when nothing changed."""
    added, withdrawn = pc.is_null(joined["content_old"]), pc.is_null(joined["content_new"])
    text, metadata = _differs(joined, "content"), _differs(joined, "metadata")
    other = pc.or_(_differs(joined, "annotations"), _differs(joined, "split"))
    conditions = pa.StructArray.from_arrays(
        [_one_chunk(c) for c in (added, withdrawn, text, metadata, other)], names=CHANGE_KINDS
    )
    return pc.case_when(conditions, *(pa.scalar(kind) for kind in CHANGE_KINDS))


def diff(old: pa.Table, new: pa.Table, quarantined: dict[str, str]) -> pa.Table:
    """Change rows (SCHEMA) from `old` to `new` fingerprints, sorted by id;
    `quarantined`: id -> reason in the new build, for the ids that are not published."""
    # One chunk a column: the Parquet file's bytes depend on the chunks, not only the rows.
    parts = diff_parts(old, new, quarantined)
    return pa.concat_tables([SCHEMA.empty_table(), *parts]).combine_chunks()


def diff_parts(old: pa.Table, new: pa.Table, quarantined: dict[str, str]) -> Iterator[pa.Table]:
    """`diff` a part at a time: the records whose ids start with the same character, in the
    order of that character, each part sorted by id (so the rows come out sorted by id, as from
    one join). A join copies every fingerprint of both releases, and whole, that copy set
    publish's peak (440 MiB at 80,000 records, 399 joining only the columns a change row keeps;
    bench/README.md, part 6)."""
    firsts = [_first_chars(old["id"]), _first_chars(new["id"])]
    parts = sorted(set().union(*(pc.unique(f).to_pylist() for f in firsts)))
    for c in parts:
        yield _diff_part(
            old.filter(pc.equal(firsts[0], c)), new.filter(pc.equal(firsts[1], c)), quarantined
        )


def _first_chars(ids: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.utf8_slice_codeunits(ids, 0, 1)


def _diff_part(old: pa.Table, new: pa.Table, quarantined: dict[str, str]) -> pa.Table:
    """`diff` of two tables; only the columns a change row keeps go past the change kinds."""
    joined = old.join(new, "id", join_type="full outer", left_suffix="_old", right_suffix="_new")
    change = _change_kinds(joined)
    kept = joined.select(["id", "content_old", "content_new"]).append_column("change", change)
    changed = kept.filter(pc.is_valid(change))
    changed = changed.take(pc.sort_indices(changed["id"]))
    withdrawn = pc.equal(changed["change"], "withdrawn").combine_chunks()
    withdrawn_ids = changed["id"].filter(withdrawn).to_pylist()  # few: ids no longer published
    reasons = pc.replace_with_mask(
        pa.nulls(changed.num_rows, pa.string()),
        withdrawn,
        pa.array([withdrawal_reason(quarantined.get(i)) for i in withdrawn_ids], pa.string()),
    )
    return pa.Table.from_arrays(
        [
            changed["id"].combine_chunks(),
            changed["change"].combine_chunks(),
            reasons,
            changed["content_old"].combine_chunks(),
            changed["content_new"].combine_chunks(),
        ],
        schema=SCHEMA,
    )


def write_changes(path: Path, parts: pa.Table | Iterable[pa.Table]) -> pa.Table:
    """The change rows as `path`, a row group per part (`diff_parts`): the rows of a first
    release are every record, and only one part of them is held at a time. Returns the columns
    `summarize` and `withdrawn_by_reason` read (change, reason)."""
    parts = [parts] if isinstance(parts, pa.Table) else parts
    kept = [SCHEMA.empty_table().select(["change", "reason"])]
    options = {"compression": "zstd", "use_dictionary": False, "write_statistics": True}
    with pq.ParquetWriter(path, SCHEMA, **options) as writer:
        for part in (p for p in parts if p.num_rows):
            writer.write_table(part)
            kept.append(part.select(["change", "reason"]))
        if len(kept) == 1:  # no change: one empty row group, as `pq.write_table` writes
            writer.write_table(SCHEMA.empty_table())
    return pa.concat_tables(kept)


def read_changes(release: Path) -> list[dict]:
    path = Path(release) / CHANGES_FILE
    return pq.read_table(path).to_pylist() if path.exists() else []


def _counts(values: pa.ChunkedArray | pa.Array) -> Counter:
    return Counter({c["values"]: c["counts"] for c in pc.value_counts(values).to_pylist()})


def summarize(changes: pa.Table) -> dict[str, int]:
    """Rows per change kind, every kind listed (0 when none)."""
    counts = _counts(changes["change"])
    return {kind: counts[kind] for kind in CHANGE_KINDS}


def withdrawn_by_reason(changes: pa.Table) -> dict[str, int]:
    withdrawn = changes.filter(pc.equal(changes["change"], "withdrawn"))
    return dict(sorted(_counts(withdrawn["reason"]).items()))
