"""Reduce steps: keys made by the map wherever the record is, folded in input order here; a
record a reduce refuses is quarantined in its place. The same records win on any number of
workers: validate's duplicate_id (the first record that passes with an id) and clean's copies."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline import validate
from pipeline.engine import Reduce, run_local, run_reduce
from pipeline.quarantine import Rejected
from pipeline.schema import quarantine_schema
from pipeline.shards import ShardWriter
from tests.defaults import PARAMS
from tests.test_engine_local import SCHEMA, output_bytes
from tests.test_validate import GOOD, SHORT, article, write_annotated


class FirstTextWins(Reduce):
    """Refuses a record whose text an earlier accepted record had."""

    def __init__(self) -> None:
        super().__init__("first_text", lambda r: None if isinstance(r, Rejected) else r["text"])
        self.seen: set[str] = set()

    def add(self, keys: list[str]) -> dict[int, Rejected]:
        refused = {}
        for i, text in enumerate(keys):
            if text in self.seen:
                refused[i] = Rejected("repeat", f"{text} again")
            self.seen.add(text)
        return refused


def refuse_odd(record: dict) -> dict | Rejected:
    return Rejected("odd") if record["text"] == "odd" else record


def run_first_text(folder: Path, texts: list[str], workers: int) -> list[tuple[str, str]]:
    rows = [{"id": f"a{i}", "text": t} for i, t in enumerate(texts)]
    batches = [pa.RecordBatch.from_pylist(rows[i : i + 2], schema=SCHEMA) for i in range(0, 8, 2)]
    engine = replace(PARAMS.engine, workers=workers)
    out = ShardWriter(folder / "out", SCHEMA, engine)
    quarantine = ShardWriter(folder / "quarantine", quarantine_schema().arrow(), engine)
    run_local(refuse_odd, batches, "x", out, quarantine, engine=engine, reduce=FirstTextWins())
    bad = pq.read_table(folder / "quarantine").to_pylist()
    return [(r["id"], r["reason"]) for r in bad]


@pytest.mark.parametrize("workers", [1, 2])
def test_refused_records_are_quarantined_in_their_place(tmp_path, workers, monkeypatch):
    monkeypatch.delenv("CORPUS_ENGINE", raising=False)
    monkeypatch.delenv("CORPUS_WORKERS", raising=False)
    texts = ["x", "odd", "y", "x", "odd", "y", "z", "x"]
    assert run_first_text(tmp_path, texts, workers) == [
        ("a1", "odd"),
        ("a3", "repeat"),
        ("a4", "odd"),
        ("a5", "repeat"),
        ("a7", "repeat"),
    ]
    assert pq.read_table(tmp_path / "out").column("id").to_pylist() == ["a0", "a2", "a6"]


def test_a_reduce_alone_sees_every_key_in_input_order(monkeypatch):
    monkeypatch.setenv("CORPUS_WORKERS", "2")
    monkeypatch.delenv("CORPUS_ENGINE", raising=False)
    rows = [{"id": f"a{i}", "text": "t" * i} for i in range(9)]
    batches = [pa.RecordBatch.from_pylist(rows[i : i + 2], schema=SCHEMA) for i in range(0, 9, 2)]
    reduce = Reduce("lengths", lambda r: (r["id"], len(r["text"])), dict)
    assert run_reduce(reduce, batches, PARAMS.engine) == {f"a{i}": i for i in range(9)}


def validate_twice(tmp_path: Path, records: list[dict]) -> dict[int, Path]:
    """validate on 1 and on 2 workers (batches of 2, min_word_count 3); workers -> root."""
    inp = write_annotated(tmp_path / "in", records)
    params = replace(
        PARAMS,
        engine=replace(PARAMS.engine, batch_size=2, cache_dir=None),
        validate=replace(PARAMS.validate, min_word_count=3),
    )
    roots = {}
    for workers in (1, 2):
        root = roots[workers] = tmp_path / str(workers)
        validate.run(
            inp,
            root / "out",
            root / "quarantine",
            root / "metrics.json",
            root / "docs",
            replace(params, engine=replace(params.engine, workers=workers)),
        )
    return roots


def test_validate_first_record_that_passes_holds_its_id_on_any_workers(tmp_path, monkeypatch):
    monkeypatch.delenv("CORPUS_ENGINE", raising=False)
    monkeypatch.delenv("CORPUS_WORKERS", raising=False)
    other = article("o.txt", "Ministers met in London on Tuesday to agree a new trade deal.")
    third = article("t.txt", "The river burst its banks after a week of heavy rain in Wales.")
    records = [
        {**SHORT, "id": GOOD["id"], "source": "short-first.txt"},  # fails: claims no id
        GOOD,  # the first with this id that passes: it wins
        other,
        {**GOOD, "source": "copy-1.txt"},  # in the next batch: a duplicate
        {**other, "source": "copy-2.txt", "language": "EN"},  # fails the schema first
        third,
        {**third, "source": "copy-3.txt"},
    ]
    roots = validate_twice(tmp_path, records)
    quarantined = pq.read_table(roots[2] / "quarantine").to_pylist()
    assert [(r["source"], r["reason"]) for r in quarantined] == [
        ("short-first.txt", "expectation_failed"),
        ("copy-1.txt", "duplicate_id"),
        ("copy-2.txt", "schema_violation"),
        ("copy-3.txt", "duplicate_id"),
    ]
    assert quarantined[1]["detail"] == "duplicate_id: id already published for a.txt"
    published = pq.read_table(roots[2] / "out").column("source").to_pylist()
    assert published == ["a.txt", "o.txt", "t.txt"]
    assert output_bytes(roots[1]) == output_bytes(roots[2])
