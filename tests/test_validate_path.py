"""`corpus validate PATH`: a built release, corrupted in several ways, is refused with each problem
named; the untouched release passes."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.publish import run as publish
from pipeline.quarantine import Rejected, quarantine_row
from pipeline.schema import quarantine_schema, record_schema
from pipeline.shards import ShardWriter
from pipeline.validate import validate_path
from tests.defaults import PARAMS
from tests.test_validate import article

REPO = Path(__file__).resolve().parent.parent
TEXTS = {
    "council.txt": "Budget approved\n\nThe council in Leeds approved the budget on Monday. "
    "“We had no choice,” said Jane Smith, the council leader.\n",
    "rail.txt": "Rail fares rise\n\nRail fares in England will rise by 4.6% from March, the "
    "Department for Transport said on Wednesday.\n",
    "river.txt": "River level\n\nThe River Severn rose two metres overnight in Shrewsbury, "
    "the Environment Agency said on Friday.\n",
}


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    """A release built by publish from three validated articles, all in one train shard."""
    root = tmp_path_factory.mktemp("built")
    records = [{**article(source, text), "split": "train"} for source, text in TEXTS.items()]
    assert all(r["entities"] for r in records)
    with ShardWriter(root / "validated", record_schema().arrow(), PARAMS.engine) as writer:
        writer.write_rows(records)
    with ShardWriter(
        root / "quarantine" / "ingest", quarantine_schema().arrow(), PARAMS.engine
    ) as w:
        w.write_rows([quarantine_row("ingest", Rejected("empty_input"), {"source": "e.txt"})])
    ingest = root / "ingest.json"
    ingest.write_text(
        json.dumps(
            {"files_in": 4, "records_out": 3, "quarantined": 1, "unused_sidecars": 0}
            | {"input_hash": "ab" * 32, "quarantined_by_reason": {"empty_input": 1}}
        )
    )
    annotate = root / "annotate.json"
    annotators = {slot: {"annotator": name} for slot, name in PARAMS.annotate.annotators.items()}
    annotate.write_text(json.dumps({"annotators": annotators}))
    out = root / "release"
    publish(root / "validated", root / "quarantine", ingest, annotate, out, PARAMS)
    return out


def shards(folder: Path) -> list[Path]:
    return sorted((folder / "data").glob("*.parquet"))


def rows_changed(change: Callable[[list[dict]], None]) -> Callable[[pa.Table], pa.Table]:
    def corrupt(table: pa.Table) -> pa.Table:
        rows = table.to_pylist()
        change(rows)
        return pa.Table.from_pylist(rows, schema=table.schema)

    return corrupt


def _duplicate_id(rows):
    rows[1]["id"] = rows[0]["id"]


def _empty_text(rows):
    rows[0]["text"] = ""


def _unknown_language(rows):
    rows[1]["language"] = "xx"


def _entity_past_end(rows):
    entity = rows[2]["entities"][0]
    entity["start"], entity["end"] = len(rows[2]["text"]) - 2, len(rows[2]["text"]) + 5


def _shifted_entity(rows):
    entity = rows[1]["entities"][-1]
    entity["start"], entity["end"] = entity["start"] + 1, entity["end"] + 1


def _dropped_column(table: pa.Table) -> pa.Table:
    return table.drop_columns(["title"])


def _wrong_type(table: pa.Table) -> pa.Table:
    i = table.schema.get_field_index("word_count")
    return table.set_column(i, "word_count", pc.cast(table.column("word_count"), pa.string()))


# corruption -> (what it does to the train shard, (check, words) every report must name)
CORRUPTIONS = {
    "duplicate_id": (rows_changed(_duplicate_id), ("duplicate_id", "id already published")),
    "empty_text": (rows_changed(_empty_text), ("schema", "text: '' should be non-empty")),
    "unknown_language": (rows_changed(_unknown_language), ("language_code", "'xx' is no language")),
    "entity_past_end": (rows_changed(_entity_past_end), ("span_offsets", "outside the text")),
    "shifted_entity": (rows_changed(_shifted_entity), ("span_offsets", ", not '")),
    "dropped_column": (_dropped_column, ("columns", "column 'title' is missing")),
    "wrong_type": (
        _wrong_type,
        ("columns", "column 'word_count' is string, the schema says int64"),
    ),
}


def corrupted(release: Path, target: Path, names: list[str]) -> Path:
    """A copy of the release whose record shards, read as one table, were corrupted."""
    shutil.copytree(release, target)
    paths = shards(target)
    tables = [pq.read_table(path) for path in paths]
    table = pa.concat_tables(tables)
    for name in names:
        table = CORRUPTIONS[name][0](table)
    offset = 0
    for path, original in zip(paths, tables, strict=True):
        pq.write_table(table.slice(offset, original.num_rows), path)
        offset += original.num_rows
    return target


def corpus_validate(path: Path, monkeypatch) -> tuple[int, str]:
    monkeypatch.chdir(REPO)  # params.yaml
    result = CliRunner().invoke(app, ["validate", str(path)], env={"COLUMNS": "250"})
    return result.exit_code, result.output


def test_the_untouched_release_passes(release, monkeypatch):
    code, output = corpus_validate(release, monkeypatch)
    assert code == 0, output
    # Words, not where rich wraps them: under pytest-xdist the console may be 80 columns wide.
    assert "3 records, every check passed" in " ".join(output.split())


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_each_corruption_is_named_and_fails(release, tmp_path, name):
    report = validate_path(corrupted(release, tmp_path / "r", [name]), PARAMS)
    check, words = CORRUPTIONS[name][1]
    assert not report.ok
    assert any(line.startswith(f"{check}: ") and words in line for line in report.problems), (
        report.problems
    )


def test_corpus_validate_names_every_problem_of_a_badly_damaged_release(
    release, tmp_path, monkeypatch
):
    damaged = corrupted(release, tmp_path / "r", list(CORRUPTIONS))
    code, output = corpus_validate(damaged, monkeypatch)
    assert code == 1
    lines = [line.strip() for line in output.splitlines()]
    for name, (_, (check, words)) in CORRUPTIONS.items():
        assert any(line.startswith(f"{check}: ") and words in line for line in lines), name
    assert "schema: data/train-" in output
    assert "'title' is a required property" in output
    assert "problem(s) in 3 records" in output


def test_a_single_parquet_file_can_be_validated(release):
    first = shards(release)[0]
    report = validate_path(first, PARAMS)
    assert report.ok, report.problems
    assert report.validation["records"]["checked"] == pq.ParquetFile(first).metadata.num_rows


def test_nothing_to_validate_is_a_problem(tmp_path):
    report = validate_path(tmp_path, PARAMS)
    assert report.problems == [f"input: no Parquet file at {tmp_path}"]


# A shard cut short, and an empty .parquet file added: Arrow cannot read either.
def _truncated(folder: Path) -> str:
    shard = shards(folder)[0]
    with shard.open("r+b") as f:
        f.truncate(100)
    return f"data/{shard.name}: sha256 differs from the manifest"


def _empty_extra(folder: Path) -> str:
    (folder / "data" / "extra.parquet").write_bytes(b"")
    return "data/extra.parquet: not in the manifest"


BROKEN_FILES = {"truncated": _truncated, "empty_extra": _empty_extra}


@pytest.mark.parametrize("damage", BROKEN_FILES)
@pytest.mark.parametrize("command", ["verify", "validate"])
def test_an_unreadable_parquet_file_is_a_reported_problem_not_a_crash(
    release, tmp_path, monkeypatch, command, damage
):
    copy = tmp_path / "r"
    shutil.copytree(release, copy)
    expected = BROKEN_FILES[damage](copy)
    monkeypatch.chdir(REPO)  # params.yaml
    result = CliRunner().invoke(app, [command, str(copy)], env={"COLUMNS": "250"})
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # no traceback
    assert expected in result.output
    if command == "validate":
        assert "not a readable Parquet file" in result.output
