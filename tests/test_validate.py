"""validate: record checks quarantine with the check's name; table checks on the whole table stop
the stage naming the expectation and the value observed; the report and metrics are written."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from pipeline.annotate_batch import annotate_records
from pipeline.clean import clean_record
from pipeline.ids import sha256_hex
from pipeline.ingest import parse_seed
from pipeline.schema import record_schema
from pipeline.shards import ShardWriter
from pipeline.validate import main
from tests.defaults import PARAMS as DEFAULTS

PARAMS = DEFAULTS
REPO_PARAMS = Path(__file__).resolve().parent.parent / "params.yaml"


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path, monkeypatch):
    """params.yaml's engine.cache_dir is relative to the working directory: keep it in tmp."""
    monkeypatch.chdir(tmp_path)


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
ZERO_WIDTH = {**GOOD, "id": "f" * 32, "source": "zw.txt", "title": "Budget\u200b approved"}


# Shares and quantiles checked from one article on, with bounds a one-line article meets.
EVERY_CHECK_RUNS = {
    "table__min_articles": 1,
    "table__max_empty_title_share": 1.0,
    "table__word_count_quantiles": [{"quantile": 0.5, "min": 1, "max": 1000}],
    "table__entities_per_1k_words": {"min": 0, "max": 1000},
}


def write_annotated(folder: Path, records: list[dict]) -> Path:
    with ShardWriter(folder, record_schema().arrow("annotate"), PARAMS.engine) as writer:
        writer.write_rows(records)
    return folder


def params_file(tmp_path: Path, **validate_changes) -> Path:
    """params.yaml with `validate` keys changed (nested keys joined by `__`: `table__max`)."""
    raw = yaml.safe_load(REPO_PARAMS.read_text())
    for key, value in validate_changes.items():
        node = raw["validate"]
        *path, last = key.split("__")
        for part in path:
            node = node[part]
        node[last] = value
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def run_validate(tmp_path: Path, records: list[dict], params: Path) -> tuple[dict, dict]:
    inp = write_annotated(tmp_path / "in", records)
    paths = {name: tmp_path / name for name in ("out", "quarantine", "docs")}
    paths["metrics"] = tmp_path / "metrics" / "validate.json"
    summary = main(
        [
            *("--input", str(inp), "--out", str(paths["out"])),
            *("--quarantine", str(paths["quarantine"]), "--metrics", str(paths["metrics"])),
            *("--data-docs", str(paths["docs"]), "--params", str(params)),
        ]
    )
    return summary, paths


@pytest.fixture
def validated(tmp_path: Path):
    """validate (min_word_count=3) on five records; (summary, paths)."""
    records = [GOOD, SHORT, BAD_LANGUAGE, DUPLICATE, ZERO_WIDTH]
    return run_validate(tmp_path, records, params_file(tmp_path, min_word_count=3))


def test_only_valid_records_pass(validated):
    _, paths = validated
    assert pq.read_table(paths["out"]).column("source").to_pylist() == ["a.txt"]


def test_each_failure_is_quarantined_with_its_reason_and_check(validated):
    _, paths = validated
    rows = {r["source"]: r for r in pq.read_table(paths["quarantine"]).to_pylist()}
    assert {s: r["reason"] for s, r in rows.items()} == {
        "b.txt": "expectation_failed",
        "c.txt": "schema_violation",
        "copy-of-a.txt": "duplicate_id",
        "zw.txt": "inconsistent_record",
    }
    assert rows["b.txt"]["detail"].startswith("min_word_count: 2 words")
    assert rows["c.txt"]["detail"].startswith("language:")
    assert "a.txt" in rows["copy-of-a.txt"]["detail"]
    assert rows["zw.txt"]["detail"] == "characters: title has U+200B at 6"
    # The record as it was is kept, so nothing is lost.
    assert json.loads(rows["c.txt"]["record"])["language"] == "EN"


def test_metrics_count_every_record_and_name_every_check(validated):
    summary, paths = validated
    assert json.loads(paths["metrics"].read_text()) == summary
    assert (summary["records_in"], summary["records_out"], summary["quarantined"]) == (5, 1, 4)
    assert summary["record_checks_failed"]["schema"] == 1
    assert summary["record_checks_failed"]["characters"] == 1
    assert summary["record_checks_failed"]["span_offsets"] == 0
    assert summary["figures"]["articles"] == 1
    assert summary["figures"]["quarantine_rate"] == 0.8
    # Too few articles for shares and quantiles: only uniqueness ran, the rest is listed.
    assert (summary["expectations_failed"], summary["expectations_skipped"]) == (0, 10)
    plots = paths["metrics"].parent / "validate_plots"
    assert json.loads((plots / "languages.json").read_text()) == [{"language": "en", "share": 1.0}]


def test_validation_json_lists_each_expectation_observed_value_and_success(validated):
    _, paths = validated
    doc = json.loads((paths["docs"] / "validation.json").read_text())
    assert doc["success"] is True
    expectations = {e["expectation"]: e for e in doc["expectations"]}
    unique = expectations["expect_column_values_to_be_unique(id)"]
    assert unique["success"] is True and unique["observed"]["unexpected"] == 0
    skipped = [e for e in doc["expectations"] if e["success"] is None]
    assert all(e["observed"].startswith("skipped: fewer than 100") for e in skipped)
    assert doc["records"]["quarantined_by_reason"]["duplicate_id"] == 1
    assert (paths["docs"] / "index.html").exists()


def test_same_input_same_report_bytes(tmp_path: Path):
    params = params_file(tmp_path, **EVERY_CHECK_RUNS)
    outputs = []
    for name in ("one", "two"):
        records = [GOOD, article("d.txt", "Ministers met in London on Tuesday to agree a deal.")]
        _, paths = run_validate(tmp_path / name, records, params)
        files = [paths["docs"] / "validation.json", paths["docs"] / "index.html", paths["metrics"]]
        outputs.append([f.read_bytes() for f in files])
    assert outputs[0] == outputs[1]


def test_a_failed_table_check_stops_the_stage_naming_expectation_and_observed(tmp_path: Path):
    # Every share is checked from 1 article on; no article has a quotation or a date.
    params = params_file(
        tmp_path,
        **EVERY_CHECK_RUNS,
        table__quotes_per_article={"min": 1, "max": 5},
        table__max_missing_date_share=0.5,
    )
    with pytest.raises(SystemExit) as stopped:
        run_validate(tmp_path, [GOOD], params)
    message = str(stopped.value)
    assert "expect_column_mean_to_be_between(quotes, min_value=1.0, max_value=5.0)" in message
    assert "observed 0.0" in message
    assert "expect_column_mean_to_be_between(date_missing, max_value=0.5) failed: observed 1.0" in (
        message
    )
    # The report is written all the same, to see what failed.
    doc = json.loads((tmp_path / "docs" / "validation.json").read_text())
    assert doc["success"] is False


def test_the_same_text_under_two_ids_fails_the_table(tmp_path: Path):
    twin = {**GOOD, "id": "e" * 32, "source": "twin.txt"}
    with pytest.raises(SystemExit, match=r"be_unique\(content_sha256, mostly=0.99\) failed"):
        run_validate(tmp_path, [GOOD, twin], params_file(tmp_path))
