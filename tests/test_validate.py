"""validate: schema violations, duplicate ids and failed expectations are quarantined."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.annotate import annotate_records
from pipeline.clean import clean_record
from pipeline.ids import sha256_hex
from pipeline.ingest import parse_seed
from pipeline.schema import record_schema
from pipeline.shards import ShardWriter
from pipeline.validate import label, main, suite_expectations
from tests.defaults import PARAMS as DEFAULTS

PARAMS = DEFAULTS


def article(source: str, text: str) -> dict:
    """A record as annotate writes it, made by the real stage functions."""
    raw = text.encode()
    seed = {"source": source, "source_sha256": sha256_hex(raw), "raw": raw, "sidecar": None}
    (ingested,) = parse_seed(seed, PARAMS.ingest)
    record = clean_record(ingested, PARAMS.clean)
    (annotated,) = annotate_records([record], PARAMS.annotate)
    return annotated


GOOD = article("a.txt", "The council approved the budget on Monday after a long debate.")
SHORT = article("b.txt", "Brief note.")
BAD_LANGUAGE = {
    **article("c.txt", "Rain is expected across the north on Friday."),
    "language": "EN",
}
DUPLICATE = {**GOOD, "source": "copy-of-a.txt"}


def write_annotated(folder: Path, records: list[dict]) -> Path:
    with ShardWriter(folder, record_schema().arrow("annotate"), PARAMS.engine) as writer:
        writer.write_rows(records)
    return folder


@pytest.fixture
def validated(tmp_path: Path):
    """Run validate (min_word_count=3, chunks of 2 rows) on four records; return the paths."""
    params_file = tmp_path / "params.yaml"
    text = (Path(__file__).resolve().parent.parent / "params.yaml").read_text()
    params_file.write_text(
        text.replace("min_word_count: 1", "min_word_count: 3").replace(
            "chunk_rows: 5000", "chunk_rows: 2"
        )
    )
    inp = write_annotated(tmp_path / "in", [GOOD, SHORT, BAD_LANGUAGE, DUPLICATE])
    paths = {name: tmp_path / name for name in ("out", "quarantine", "docs")}
    paths["metrics"] = tmp_path / "metrics.json"
    summary = main(
        [
            *("--input", str(inp), "--out", str(paths["out"])),
            *("--quarantine", str(paths["quarantine"]), "--metrics", str(paths["metrics"])),
            *("--data-docs", str(paths["docs"]), "--params", str(params_file)),
        ]
    )
    return summary, paths


def test_only_valid_records_pass(validated):
    _, paths = validated
    assert pq.read_table(paths["out"]).column("source").to_pylist() == ["a.txt"]


def test_each_failure_is_quarantined_with_its_reason(validated):
    _, paths = validated
    rows = {r["source"]: r for r in pq.read_table(paths["quarantine"]).to_pylist()}
    assert {s: r["reason"] for s, r in rows.items()} == {
        "b.txt": "expectation_failed",
        "c.txt": "schema_violation",
        "copy-of-a.txt": "duplicate_id",
    }
    assert "word_count" in rows["b.txt"]["detail"]
    assert rows["c.txt"]["detail"].startswith("language:")
    assert "a.txt" in rows["copy-of-a.txt"]["detail"]
    # The record as it was is kept, so nothing is lost.
    assert json.loads(rows["c.txt"]["record"])["language"] == "EN"


def test_metrics_count_every_record_and_every_expectation(validated):
    summary, paths = validated
    assert json.loads(paths["metrics"].read_text()) == summary
    assert summary["records_in"] == 4
    assert summary["records_out"] + summary["quarantined"] == 4
    assert summary["chunks"] == 2
    checks = {c["expectation"]: c for c in summary["expectations"]}
    min_words = checks["expect_column_values_to_be_between(word_count, min_value=3)"]
    assert (min_words["unexpected"], min_words["success"]) == (1, False)
    assert checks["expect_column_values_to_not_be_null(id)"]["success"]


def test_data_docs_are_written(validated):
    _, paths = validated
    index = paths["docs"] / "index.html"
    assert index.exists() and "record" in index.read_text()


def test_suite_is_derived_from_schema_and_params():
    specs = suite_expectations(record_schema(), replace(PARAMS.validate, min_word_count=7))
    labels = [label(name, kwargs) for name, kwargs in specs]
    assert "expect_column_values_to_match_regex(id, regex=^[0-9a-f]{32}$)" in labels
    assert "expect_column_values_to_be_unique(id)" in labels
    assert "expect_column_values_to_be_between(word_count, min_value=7)" in labels
    assert len(labels) == len(set(labels))
