"""The local engine: per-article functions over record batches, rejects kept with a reason."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace

import pyarrow as pa
import pytest

from pipeline.engine import StageCounts, StageFailed, apply_to_batch, check_error_share, run_local
from pipeline.quarantine import STAGE_ERROR, Rejected
from pipeline.schema import quarantine_schema
from pipeline.shards import ShardWriter
from tests.defaults import PARAMS

SCHEMA = pa.schema([pa.field("id", pa.string(), nullable=False), ("text", pa.string())])


def shout(record: dict) -> dict | Rejected:
    """Upper-cases text; refuses "skip" articles and raises on "boom" ones."""
    if record["text"] == "skip":
        return Rejected("too_quiet", "nothing to shout")
    if record["text"] == "boom":
        raise ValueError(f"cannot shout {record['id']}")
    return {**record, "text": record["text"].upper()}


def batch_of(*texts: str, start: int = 0) -> pa.RecordBatch:
    rows = [{"id": f"a{start + i}", "text": t} for i, t in enumerate(texts)]
    return pa.RecordBatch.from_pylist(rows, schema=SCHEMA)


@pytest.fixture
def writers(tmp_path):
    engine = replace(PARAMS.engine, row_group_rows=2)
    out = ShardWriter(tmp_path / "out", SCHEMA, engine)
    quarantine = ShardWriter(tmp_path / "quarantine", quarantine_schema().arrow(), engine)
    return out, quarantine


def test_apply_to_batch_splits_accepted_and_quarantined_in_input_order():
    good, bad = apply_to_batch(shout, batch_of("one", "boom", "two", "skip", "three"), "x", SCHEMA)
    assert good.to_pylist() == [
        {"id": "a0", "text": "ONE"},
        {"id": "a2", "text": "TWO"},
        {"id": "a4", "text": "THREE"},
    ]
    assert [(r["id"], r["reason"]) for r in bad.to_pylist()] == [
        ("a1", STAGE_ERROR),
        ("a3", "too_quiet"),
    ]
    assert good.schema == SCHEMA
    assert bad.schema == quarantine_schema().arrow()


def split_lines(record: dict) -> list[dict | Rejected]:
    """One input, many articles (as a JSONL export is to ingest): one per line; blank: refused."""
    return [
        {"id": f"{record['id']}.{n}", "text": line}
        if line
        else Rejected("blank_line", f"line {n} is blank", row=n)
        for n, line in enumerate(record["text"].split("\n"), start=1)
    ]


def test_a_function_may_return_several_articles_for_one_input():
    good, bad = apply_to_batch(split_lines, batch_of("a\nb", "c\n\nd", "e"), "x", SCHEMA)
    assert good.to_pylist() == [
        {"id": "a0.1", "text": "a"},
        {"id": "a0.2", "text": "b"},
        {"id": "a1.1", "text": "c"},
        {"id": "a1.3", "text": "d"},
        {"id": "a2.1", "text": "e"},
    ]
    (row,) = bad.to_pylist()
    # The input's id, and the row of the input that failed.
    assert (row["id"], row["reason"], row["detail"], row["source_row"]) == (
        "a1",
        "blank_line",
        "line 2 is blank",
        2,
    )


def test_run_local_counts_inputs_in_and_articles_out(writers, read_rows):
    out, quarantine = writers
    counts = run_local(split_lines, [batch_of("a\nb", "c\n\nd")], "x", out, quarantine)
    assert counts.as_dict() == {
        "stage": "x",
        "records_in": 2,
        "records_out": 4,
        "quarantined": 1,
        "quarantined_by_reason": {"blank_line": 1},
    }
    assert [r["id"] for r in read_rows(out.folder)] == ["a0.1", "a0.2", "a1.1", "a1.3"]


def test_fields_the_output_schema_does_not_name_are_dropped():
    good, _ = apply_to_batch(lambda r: {**r, "raw": b"bytes"}, batch_of("one"), "x", SCHEMA)
    assert good.to_pylist() == [{"id": "a0", "text": "one"}]
    assert good.schema == SCHEMA


def test_an_exception_becomes_a_stage_error_row_with_its_detail():
    _, bad = apply_to_batch(shout, batch_of("boom"), "annotate", SCHEMA)
    (row,) = bad.to_pylist()
    assert row["stage"] == "annotate"
    assert row["reason"] == STAGE_ERROR
    assert row["detail"].startswith("ValueError: cannot shout a0 (shout:")
    assert json.loads(row["record"]) == {"id": "a0", "text": "boom"}


def test_a_rejection_keeps_its_reason_and_detail():
    _, bad = apply_to_batch(shout, batch_of("skip"), "clean", SCHEMA)
    (row,) = bad.to_pylist()
    assert (row["stage"], row["reason"], row["detail"]) == (
        "clean",
        "too_quiet",
        "nothing to shout",
    )
    # What the input did not have is empty, not invented.
    assert (row["source"], row["source_sha256"], row["id"]) == ("", "", "a0")
    assert row["source_row"] is None


def test_a_quarantined_article_keeps_the_row_it_came_from():
    schema = pa.schema([("id", pa.string()), ("source", pa.string()), ("source_row", pa.int64())])
    rows = [{"id": "a", "source": "feed.jsonl", "source_row": 7}]
    batch = pa.RecordBatch.from_pylist(rows, schema)
    _, bad = apply_to_batch(lambda r: Rejected("too_short"), batch, "clean", SCHEMA)
    (row,) = bad.to_pylist()
    assert (row["source"], row["source_row"], row["id"]) == ("feed.jsonl", 7, "a")


def test_raw_bytes_in_a_quarantined_record_are_described_not_dumped():
    schema = pa.schema([("source", pa.string()), ("raw", pa.large_binary())])
    batch = pa.RecordBatch.from_pylist([{"source": "a.txt", "raw": b"\x00\xff" * 10}], schema)
    _, bad = apply_to_batch(lambda r: Rejected("binary"), batch, "ingest", SCHEMA)
    (row,) = bad.to_pylist()
    assert row["source"] == "a.txt"
    assert row["id"] is None
    assert json.loads(row["record"]) == {"raw": "<20 bytes>", "source": "a.txt"}


def test_run_local_writes_both_outputs_and_counts_them(writers, read_rows):
    out, quarantine = writers
    batches = [batch_of("one", "skip", "two", start=0), batch_of("boom", "three", start=3)]
    seen: list[int] = []
    counts = run_local(shout, batches, "x", out, quarantine, progress=seen.append)

    assert counts.as_dict() == {
        "stage": "x",
        "records_in": 5,
        "records_out": 3,
        "quarantined": 2,
        "quarantined_by_reason": {"stage_error": 1, "too_quiet": 1},
    }
    assert seen == [3, 2]
    assert [r["text"] for r in read_rows(out.folder)] == ["ONE", "TWO", "THREE"]
    assert [r["id"] for r in read_rows(quarantine.folder)] == ["a1", "a3"]


def test_run_local_with_no_input_writes_empty_shards(writers, read_rows):
    out, quarantine = writers
    counts = run_local(shout, [], "x", out, quarantine)
    assert (counts.records_in, counts.records_out) == (0, 0)
    assert len(out.paths) == len(quarantine.paths) == 1
    assert read_rows(out.folder) == read_rows(quarantine.folder) == []


def test_most_articles_raising_fails_the_stage_after_writing_the_quarantine(writers, read_rows):
    out, quarantine = writers
    batches = [batch_of("boom", "boom", "one", "boom")]
    with pytest.raises(StageFailed, match=r"stage x: 3 of 4 articles raised"):
        run_local(shout, batches, "x", out, quarantine, max_error_share=0.5)
    # The evidence is on disk for whoever debugs the stage.
    assert [r["reason"] for r in read_rows(quarantine.folder)] == [STAGE_ERROR] * 3


@pytest.mark.parametrize(
    ("reasons", "records_in", "share", "fails"),
    [
        ({STAGE_ERROR: 2}, 4, 0.5, False),  # exactly the share: still allowed
        ({STAGE_ERROR: 3}, 4, 0.5, True),
        ({STAGE_ERROR: 1}, 4, 0.0, True),
        ({"empty_input": 4}, 4, 0.5, False),  # bad data is not a bug
        ({STAGE_ERROR: 1, "empty_input": 3}, 4, 0.5, False),
        ({}, 0, 0.5, False),
    ],
)
def test_check_error_share(reasons, records_in, share, fails):
    counts = StageCounts("x", records_in=records_in, quarantined=Counter(reasons))
    if fails:
        with pytest.raises(StageFailed):
            check_error_share(counts, share)
    else:
        check_error_share(counts, share)


def test_stage_counts_list_reasons_sorted():
    counts = StageCounts("x", 5, 2, Counter({"zeta": 2, "alpha": 1}))
    assert list(counts.as_dict()["quarantined_by_reason"]) == ["alpha", "zeta"]
    assert counts.as_dict()["quarantined"] == 3
