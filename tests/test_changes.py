"""Record-level changes: fingerprints and the join of two fingerprint tables."""

from __future__ import annotations

import datetime

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import changes
from pipeline.changes import diff, fingerprint, fingerprint_table, summarize, withdrawn_by_reason


def record(**fields) -> dict:
    row = {c: None for c in (*changes.METADATA_COLUMNS, *changes.ANNOTATION_COLUMNS)}
    base = {"id": "a" * 32, "content_sha256": "c" * 64, "split": "train", "title": "T"}
    return {**row, **base, **fields}


def test_a_fingerprint_sees_values_not_key_order_or_object_identity():
    entities = [{"label": "PERSON", "start": 0, "end": 3, "text": "Ann"}]
    one = fingerprint(record(entities=entities, published_date=datetime.date(2026, 1, 2)))
    reordered = [dict(reversed(list(e.items()))) for e in entities]
    two = fingerprint(record(entities=reordered, published_date=datetime.date(2026, 1, 2)))
    assert one == two
    moved = [{**entities[0], "end": 4}]
    assert fingerprint(record(entities=moved))[3] != one[3]  # annotations digest
    assert fingerprint(record(title="U"))[2] != one[2]  # metadata digest
    assert fingerprint(record(published_date=datetime.date(2026, 1, 3)))[2] != one[2]


def test_diff_names_the_first_change_that_applies_sorted_by_id():
    m, n = b"m" * 32, b"n" * 32
    old = fingerprint_table(
        [
            ("b", "h2", m, m, "train"),  # annotations change
            ("c", "h3", m, m, "test"),  # withdrawn, quarantined as a duplicate
            ("d", "h4", m, m, "test"),  # withdrawn, gone from the seeds
            ("e", "h5", m, m, "test"),  # text and metadata change: text wins
            ("f", "h6", m, m, "test"),  # only its split moves: an annotation
            ("g", "h7", m, m, "test"),  # unchanged
        ]
    )
    new = fingerprint_table(
        [
            ("g", "h7", m, m, "test"),
            ("f", "h6", m, m, "train"),
            ("e", "h5x", n, m, "test"),
            ("b", "h2", m, n, "train"),
            ("a", "h1", m, m, "train"),
        ]
    )
    rows = diff(old, new, {"c": "exact_duplicate"})
    assert rows.schema == changes.SCHEMA
    assert [(r["id"], r["change"], r["reason"]) for r in rows.to_pylist()] == [
        ("a", "added", None),
        ("b", "annotations_changed", None),
        ("c", "withdrawn", "duplicate"),
        ("d", "withdrawn", "removed_from_seeds"),
        ("e", "text_changed", None),
        ("f", "annotations_changed", None),
    ]
    assert rows.to_pylist()[4]["old_content_sha256"] == "h5"
    assert rows.to_pylist()[4]["new_content_sha256"] == "h5x"
    assert summarize(rows) == {
        "added": 1,
        "withdrawn": 2,
        "text_changed": 1,
        "metadata_changed": 0,
        "annotations_changed": 2,
    }
    assert withdrawn_by_reason(rows) == {"duplicate": 1, "removed_from_seeds": 1}


def test_no_releases_no_changes():
    empty = fingerprint_table([])
    rows = diff(empty, empty, {})
    assert rows.num_rows == 0 and rows.schema == changes.SCHEMA
    assert set(summarize(rows).values()) == {0}
    assert isinstance(rows, pa.Table)


def test_diff_by_parts_is_one_join_sorted_by_id_in_one_chunk():
    # Ids of many first characters, shuffled, each table in several chunks: `diff` joins a
    # part (first character) at a time; the rows must come out as from one join, sorted by id.
    m, n = b"m" * 32, b"n" * 32
    ids = [f"{c}{i}" for c in "0a9fZ" for i in range(3)]
    old_rows = [(i, "h", m, m, "train") for i in ids[::2]]
    new_rows = [
        (i, "h" if k % 3 else "g", m, n if k % 4 else m, "train") for k, i in enumerate(ids[1:])
    ]
    old = pa.concat_tables(
        [fingerprint_table(old_rows[::-1][:3]), fingerprint_table(old_rows[::-1][3:])]
    )
    new = pa.concat_tables([fingerprint_table(new_rows[5:]), fingerprint_table(new_rows[:5])])
    got = diff(old, new, {"0a": "exact_duplicate"})
    one_part = changes._diff_part(old, new, {"0a": "exact_duplicate"})
    assert got.equals(one_part)
    assert got["id"].to_pylist() == sorted(got["id"].to_pylist())
    assert all(got[c].num_chunks == 1 for c in got.column_names)
    assert set(got["change"].to_pylist()) >= {"added", "withdrawn", "text_changed"}


def test_the_changes_file_is_written_a_part_at_a_time_with_the_rows_of_diff(tmp_path):
    """publish streams `diff_parts` into the file (a first release lists every record, so the
    whole table would grow with the corpus): a row group per part, the same rows as `diff`."""
    m, n = b"m" * 32, b"n" * 32
    old = fingerprint_table([(f"{c}1", "h", m, m, "train") for c in "0a9"])
    new = fingerprint_table([(f"{c}2", "h", m, n, "test") for c in "0ab"])
    path = tmp_path / changes.CHANGES_FILE
    summary = changes.write_changes(path, changes.diff_parts(old, new, {}))
    written = pq.read_table(path)
    assert written.equals(diff(old, new, {}))
    assert pq.ParquetFile(path).metadata.num_row_groups == len(set("0a9b"))
    assert summarize(summary) == summarize(written)
    assert summary.column_names == ["change", "reason"]
    empty = changes.write_changes(tmp_path / "empty.parquet", changes.diff_parts(old, old, {}))
    assert pq.read_table(tmp_path / "empty.parquet").schema == changes.SCHEMA
    assert pq.ParquetFile(tmp_path / "empty.parquet").metadata.num_row_groups == 1
    assert empty.num_rows == 0
