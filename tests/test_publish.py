"""publish: shards, card, manifest; the counts add up and the same input gives the same bytes."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from pipeline.ids import file_sha256
from pipeline.manifest import hf_features
from pipeline.publish import AccountingError, run
from pipeline.publish_data import bucket_of, files_per_split, stable_splits, write_file
from pipeline.quarantine import Rejected, quarantine_row
from pipeline.schema import quarantine_schema, record_schema
from pipeline.shards import ShardWriter
from tests.defaults import PARAMS as DEFAULTS
from tests.test_validate import GOOD, article

PARAMS = DEFAULTS
# Splits set by hand (annotate decides them from a hash): three train, one of each other.
RECORDS = [
    {**record, "split": split}
    for record, split in zip(
        [GOOD]
        + [
            article(f"n{i}.txt", f"Story number {i} says the river rose {i} metres overnight.")
            for i in range(4)
        ],
        ["train", "test", "train", "validation", "train"],
        strict=True,
    )
]
ANNOTATORS = {"entities": {"annotator": "entities_v1", "model": "en_core_web_sm 3.8.0"}}


@pytest.fixture
def stage_outputs(tmp_path: Path) -> dict[str, Path]:
    """Publish input: 5 validated records, 2 quarantined at ingest, ingest metrics (7 found)."""
    validated = tmp_path / "validate"
    with ShardWriter(validated, record_schema().arrow(), PARAMS.engine) as writer:
        writer.write_rows(RECORDS)
    quarantine = tmp_path / "quarantine"
    with ShardWriter(quarantine / "ingest", quarantine_schema().arrow(), PARAMS.engine) as w:
        w.write_rows(
            [
                quarantine_row("ingest", Rejected("empty_input"), {"source": "e.txt"}),
                quarantine_row("ingest", Rejected("undecodable"), {"source": "b.txt"}),
            ]
        )
    with ShardWriter(quarantine / "clean", quarantine_schema().arrow(), PARAMS.engine) as w:
        pass  # a stage that quarantined nothing still has its (empty) folder
    metrics = tmp_path / "ingest-metrics.json"
    metrics.write_text(
        json.dumps(
            {"files_in": 6, "records_out": 5, "quarantined": 2, "unused_sidecars": 0}
            | {"input_hash": "ab" * 32}
        )
    )
    annotate_metrics = tmp_path / "annotate-metrics.json"
    annotate_metrics.write_text(json.dumps({"annotators": ANNOTATORS}))
    return {
        "input": validated,
        "quarantine": quarantine,
        "metrics": metrics,
        "annotate_metrics": annotate_metrics,
    }


def publish(outputs: dict[str, Path], out: Path, params=PARAMS) -> dict:
    paths = [outputs[k] for k in ("input", "quarantine", "metrics", "annotate_metrics")]
    return run(*paths, out, params)


def test_release_loads_with_schema_features(stage_outputs, tmp_path):
    publish(stage_outputs, tmp_path / "release")
    ds = datasets.load_dataset(str(tmp_path / "release"))
    assert list(ds) == ["train", "validation", "test"]
    for name, split in ds.items():
        assert split.features == hf_features(record_schema())
        expected = [r for r in RECORDS if r["split"] == name]
        assert sorted(split["source"]) == sorted(r["source"] for r in expected)


def test_manifest_counts_and_checksums(stage_outputs, tmp_path):
    manifest = publish(stage_outputs, tmp_path / "release")
    assert manifest["counts"] == {
        "files": 6,
        "articles": 7,
        "published": 5,
        "quarantined": 2,
        "quarantined_by_stage": {"clean": 0, "ingest": 2},
        "quarantined_by_reason": {"empty_input": 1, "undecodable": 1},
        "files_not_articles": {},
    }
    for entry in manifest["files"]:
        assert entry["sha256"] == file_sha256(tmp_path / "release" / entry["path"])
    assert manifest["schema"]["version"] == record_schema().version
    assert manifest["params"] == PARAMS.as_dict()
    assert manifest["input"]["sha256"] == "ab" * 32


def test_shards_are_buckets_of_ids_sorted_inside(stage_outputs, tmp_path):
    buckets = {"train": 4, "validation": 1, "test": 1}
    params = replace(PARAMS, publish=replace(PARAMS.publish, buckets=buckets))
    manifest = publish(stage_outputs, tmp_path / "release", params)
    expected: dict[str, int] = {}
    for record in RECORDS:
        n = buckets[record["split"]]
        name = f"data/{record['split']}-{bucket_of(record['id'], n):05d}-of-{n:05d}.parquet"
        expected[name] = expected.get(name, 0) + 1
    shards = {f["path"]: f["rows"] for f in manifest["files"] if f["path"].startswith("data/")}
    assert shards == expected
    for path in shards:
        ids = pq.read_table(tmp_path / "release" / path).column("id").to_pylist()
        assert ids == sorted(ids)
    assert manifest["splits"] == {"train": 3, "validation": 1, "test": 1}
    assert manifest["annotators"] == ANNOTATORS
    assert manifest["annotated_columns"] == {
        "entities": "entities_v1",
        "people": "entities_v1",
        "organizations": "entities_v1",
        "places": "entities_v1",
    }


def test_first_release_lists_every_record_as_added(stage_outputs, tmp_path):
    manifest = publish(stage_outputs, tmp_path / "release")
    rows = pq.read_table(tmp_path / "release" / "changes.parquet").to_pylist()
    assert [r["change"] for r in rows] == ["added"] * len(RECORDS)
    assert [r["id"] for r in rows] == sorted(r["id"] for r in RECORDS)
    assert manifest["changes"]["added"] == len(RECORDS) and manifest["changes"]["previous"] is None


def test_a_record_keeps_its_split_and_new_near_duplicates_join_it():
    records = pa.table(
        {
            "id": ["b", "c", "a", "d", "e", "f"],
            "near_duplicate_cluster": ["b", "a", "a", "d", "g", "g"],
            "split": ["test", "train", "validation", "x", "test", "train"],
        }
    )
    previous = pa.table({"id": ["b", "c", "f", "z"], "split": ["train", "test", "validation", "t"]})
    # b, c and f keep their old splits; a is new but clusters with c, published before: c's
    # split; d is new and alone: annotate's split; e joins f, its cluster's published member.
    expected = ["train", "test", "test", "x", "validation", "validation"]
    assert stable_splits(records, previous).to_pylist() == expected
    assert stable_splits(records, previous.slice(0, 0)).to_pylist() == records["split"].to_pylist()


def test_anchor_is_the_smallest_previously_published_id_of_the_cluster():
    records = pa.table(
        {"id": ["n", "m2", "m1"], "near_duplicate_cluster": ["k", "k", "k"], "split": ["a"] * 3}
    )
    previous = pa.table({"id": ["m2", "m1"], "split": ["second", "first"]})
    assert stable_splits(records, previous).to_pylist() == ["first", "second", "first"]


def test_files_double_until_each_holds_at_most_max_rows():
    splits = pa.chunked_array([["train"] * 100 + ["test"] * 5])
    params = replace(PARAMS.publish, buckets={"train": 3, "validation": 1, "test": 1})
    few = files_per_split(splits, replace(params, max_rows_per_file=50))
    assert few == {"train": 3, "validation": 1, "test": 1}
    assert files_per_split(splits, replace(params, max_rows_per_file=10))["train"] == 12
    # Doubling splits each file in two: a record of file b of n is in file b or b + n of 2n.
    ids = [f"{i:08x}" for i in range(0, 2**32, 2**32 // 997)]
    assert all(bucket_of(i, 24) in (bucket_of(i, 12), bucket_of(i, 12) + 12) for i in ids)


def test_a_file_is_written_a_row_group_at_a_time_as_one_sorted_table_would_be(tmp_path):
    schema = pa.schema([("id", pa.string()), ("text", pa.large_string())])
    ids = [f"{(i * 7919) % 5000:032x}" for i in range(5000)]
    table = pa.table({"id": ids, "text": [f"text {i} " * (i % 13) for i in range(5000)]}, schema)
    chunked = pa.concat_tables([table.slice(0, 1234), table.slice(1234)])
    engine = PARAMS.engine
    write_file(chunked, tmp_path / "a.parquet", schema, engine)
    pq.write_table(
        table.sort_by("id"),
        tmp_path / "b.parquet",
        row_group_size=engine.row_group_rows,
        compression=engine.compression,
        compression_level=engine.compression_level,
        write_statistics=True,
        use_dictionary=False,
        use_content_defined_chunking=True,
    )
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()


def test_card_header_configures_datasets(stage_outputs, tmp_path):
    publish(stage_outputs, tmp_path / "release")
    card = (tmp_path / "release" / "README.md").read_text()
    header = yaml.safe_load(card.split("---\n")[1])
    assert header["configs"][0]["data_files"] == [
        {"split": s, "path": f"data/{s}-*.parquet"} for s in ("train", "validation", "test")
    ]
    assert header["license"] == PARAMS.publish.license
    assert [s["num_examples"] for s in header["dataset_info"]["splits"]] == [3, 1, 1]
    assert "`entities_v1`" in card
    assert [f["name"] for f in header["dataset_info"]["features"]] == record_schema().names
    for field in record_schema().fields:
        assert f"| `{field.name}` |" in card


def test_same_input_gives_same_bytes(stage_outputs, tmp_path):
    a = publish(stage_outputs, tmp_path / "a")
    b = publish(stage_outputs, tmp_path / "b")
    assert a == b
    assert (tmp_path / "a" / "manifest.json").read_bytes() == (
        tmp_path / "b" / "manifest.json"
    ).read_bytes()


def test_missing_article_stops_the_release(stage_outputs, tmp_path):
    stage_outputs["metrics"].write_text(
        json.dumps(
            {"files_in": 6, "records_out": 6, "quarantined": 2, "unused_sidecars": 0}
            | {"input_hash": "0" * 64}
        )
    )
    with pytest.raises(AccountingError, match="8 articles != 5 published"):
        publish(stage_outputs, tmp_path / "release")
