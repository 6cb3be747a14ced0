"""croissant.json: mlcroissant validates it and reads the release's records through it."""

from __future__ import annotations

import json
from pathlib import Path

import mlcroissant as mlc
import pytest

from pipeline.ids import file_sha256
from pipeline.schema import record_schema
from tests.test_card import RECORDS, build_release, with_publish
from tests.test_publish import RECORDS as PUBLISHED
from tests.test_publish import publish, stage_outputs  # noqa: F401 (a fixture)


@pytest.fixture
def release(tmp_path: Path) -> Path:
    ids = sorted(r["id"] for r in RECORDS)
    changes = [
        {"id": ids[0], "change": "added", "reason": None}
        | {"old_content_sha256": None, "new_content_sha256": "a" * 64},
    ]
    build_release(tmp_path, RECORDS, with_publish(version="0.2.0", previous="0.1.0"), changes)
    return tmp_path


def croissant_of(release: Path) -> dict:
    return json.loads((release / "croissant.json").read_text(encoding="utf-8"))


def test_mlcroissant_validates_without_errors_or_warnings(release):
    dataset = mlc.Dataset(jsonld=release / "croissant.json")
    issues = dataset.metadata.ctx.issues
    assert not issues.errors and not issues.warnings, issues.report()
    assert dataset.metadata.version == "0.2.0"


def test_records_read_through_croissant_are_the_release(release):
    dataset = mlc.Dataset(jsonld=release / "croissant.json")
    records = list(dataset.records(record_set="records"))
    by_id = {r["records/id"].decode(): r for r in records}
    assert sorted(by_id) == sorted(r["id"] for r in RECORDS)
    for expected in RECORDS:
        got = by_id[expected["id"]]
        assert got["records/text"].decode() == expected["text"]
        assert got["records/word_count"] == expected["word_count"]
        assert got["records/split"].decode() == expected["split"]
        assert [p.decode() for p in got["records/places"]] == expected["places"]
        assert got["records/pii"]["records/pii/emails"] == expected["pii"]["emails"]
    changes = list(dataset.records(record_set="changes"))
    assert [(c["changes/id"].decode(), c["changes/change"].decode()) for c in changes] == [
        (min(by_id), "added")
    ]


def test_every_file_has_its_real_sha256(release):
    objects = [d for d in croissant_of(release)["distribution"] if d["@type"] == "cr:FileObject"]
    on_disk = sorted(
        p.relative_to(release).as_posix()
        for p in release.rglob("*")
        if p.is_file() and p.name not in ("croissant.json", "manifest.json")
    )
    assert [o["contentUrl"] for o in objects] == on_disk
    assert any(path.startswith("data/") for path in on_disk)
    for o in objects:
        path = release / o["contentUrl"]
        assert o["sha256"] == file_sha256(path)
        assert o["contentSize"] == f"{path.stat().st_size} B"


def test_fields_follow_the_schema(release):
    (records,) = [s for s in croissant_of(release)["recordSet"] if s["@id"] == "records"]
    schema = record_schema()
    assert [f["name"] for f in records["field"]] == schema.names
    for field, column in zip(records["field"], schema.fields, strict=True):
        assert field["description"] == column.description
        assert field.get("repeated", False) == (column.base_type == "array")
        if column.base_type == "object":
            assert [s["name"] for s in field["subField"]] == list(column.spec["properties"])


def test_same_release_same_bytes(tmp_path):
    build_release(tmp_path / "a", RECORDS)
    build_release(tmp_path / "b", RECORDS)
    a = (tmp_path / "a" / "croissant.json").read_bytes()
    assert a == (tmp_path / "b" / "croissant.json").read_bytes()
    assert str(tmp_path).encode() not in a


def test_a_release_made_by_publish_reads_through_croissant(stage_outputs, tmp_path):  # noqa: F811
    publish(stage_outputs, tmp_path / "release")
    dataset = mlc.Dataset(jsonld=tmp_path / "release" / "croissant.json")
    assert not dataset.metadata.ctx.issues.errors
    ids = sorted(r["records/id"].decode() for r in dataset.records(record_set="records"))
    assert ids == sorted(r["id"] for r in PUBLISHED)
    manifest = json.loads((tmp_path / "release" / "manifest.json").read_text())
    described = {
        d["contentUrl"]: d["sha256"]
        for d in croissant_of(tmp_path / "release")["distribution"]
        if d["@type"] == "cr:FileObject"
    }
    listed = {f["path"]: f["sha256"] for f in manifest["files"] if f["path"] != "croissant.json"}
    assert described == listed
