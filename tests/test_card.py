"""The dataset card: what a release says about itself, from its own files, in the same bytes on
every run. `build_release` (used by the Croissant, Hub and example tests too) lays out a release
as publish does, without publish's inputs."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from pipeline.card import write_card
from pipeline.changes import CHANGES_FILE, SCHEMA, write_changes
from pipeline.croissant import write_croissant
from pipeline.manifest import DATA_DIR, Release, SplitFiles, manifest
from pipeline.params import Bounds, Params
from pipeline.schema import record_schema
from tests.defaults import PARAMS
from tests.test_validate import article

ANNOTATORS = {
    "entities": {"annotator": "entities_v2", "model": "en_core_web_sm 3.8.0"},
    "pii": {"annotator": "pii_v2"},
}
LONG = " ".join(f"The minister said sentence {i} of the long report was clear." for i in range(40))
RECORDS = [
    {**record, "split": split}
    for record, split in [
        (
            article(
                "politics/001.txt",
                "Tony Blair met Gordon Brown in London on Monday to discuss the budget.",
            ),
            "train",
        ),
        (article("politics/002.txt", LONG), "train"),
        (
            article("tech/001.txt", "Write to news@example.com about the new phone from London."),
            "validation",
        ),
        (article("tech/002.txt", "Gordon Brown praised the software firms of London."), "test"),
    ]
]


def build_release(
    folder: Path,
    records: list[dict],
    params: Params | None = None,
    changes: list[dict] | None = None,
) -> Release:
    """A release as publish lays it out: one Parquet file per split, `changes.parquet` (when
    given), the card, `croissant.json`, then `manifest.json`. The params are a release's,
    1.0.0 (`RELEASED`), unless given."""
    params = params or RELEASED
    schema = record_schema().arrow()
    splits = []
    for name in ("train", "validation", "test"):
        rows = sorted((r for r in records if r["split"] == name), key=lambda r: r["id"])
        if not rows:
            continue
        path = folder / DATA_DIR / f"{name}-00000-of-00001.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pylist(rows, schema=schema)
        pq.write_table(table, path, compression="zstd")
        splits.append(SplitFiles(name, len(rows), [path], table.nbytes))
    if changes is not None:
        write_changes(folder / CHANGES_FILE, pa.Table.from_pylist(changes, schema=SCHEMA))
    reasons = {"empty_input": 1}
    info = Release(
        params,
        {
            "files": len(records) + 1,
            "articles": len(records) + 1,
            "published": len(records),
            "quarantined": 1,
            "quarantined_by_stage": {"ingest": 1},
            "quarantined_by_reason": reasons,
        },
        splits,
        Counter(r["language"] for r in records),
        "ab" * 32,
        ANNOTATORS,
    )
    write_card(folder, info)
    write_croissant(folder, info)
    (folder / "manifest.json").write_text(
        json.dumps(manifest(folder, info), indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return info


def with_publish(params: Params = PARAMS, **publish) -> Params:
    return replace(params, publish=replace(params.publish, **publish))


# The params `corpus release` builds version 1.0.0 with (params.yaml has no version: a build
# between releases is no release).
RELEASED = with_publish(version="1.0.0", released="2026-03-02")


def card_of(release: Path) -> tuple[dict, str]:
    text = (release / "README.md").read_text(encoding="utf-8")
    _, header, body = text.split("---\n", 2)
    return yaml.safe_load(header), body


def section(body: str, title: str) -> str:
    return body.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


@pytest.fixture
def release(tmp_path: Path) -> Path:
    build_release(tmp_path / "release", RECORDS)
    return tmp_path / "release"


def test_header_names_the_licence_and_sizes(release):
    header, _ = card_of(release)
    pub = PARAMS.publish
    assert (header["license"], header["license_name"], header["license_link"]) == (
        "other",
        pub.license_name,
        pub.license_link,
    )
    splits = header["dataset_info"]["splits"]
    assert [s["num_examples"] for s in splits] == [2, 1, 1]
    assert header["dataset_info"]["dataset_size"] == sum(s["num_bytes"] for s in splits) > 0


def test_an_open_licence_needs_no_name_or_link(tmp_path):
    params = with_publish(license="cc-by-4.0", license_name=None, license_link=None)
    build_release(tmp_path, RECORDS, params)
    header, _ = card_of(tmp_path)
    assert header["license"] == "cc-by-4.0"
    assert "license_name" not in header and "license_link" not in header


def test_version_and_previous_in_title_and_changelog(tmp_path):
    first = tmp_path / "first"
    build_release(first, RECORDS)
    _, body = card_of(first)
    assert body.lstrip().startswith(f"# {PARAMS.publish.name} 1.0.0\n")
    assert "the first release" in body
    assert section(body, "Changelog").strip() == "First release: 4 records."

    second = tmp_path / "second"
    ids = sorted(r["id"] for r in RECORDS)
    changes = [
        {"id": ids[0], "change": "added", "reason": None}
        | {"old_content_sha256": None, "new_content_sha256": "a" * 64},
        {"id": ids[1], "change": "withdrawn", "reason": "takedown"}
        | {"old_content_sha256": "b" * 64, "new_content_sha256": None},
        {"id": ids[2], "change": "text_changed", "reason": None}
        | {"old_content_sha256": "b" * 64, "new_content_sha256": "c" * 64},
    ]
    build_release(second, RECORDS, with_publish(version="1.1.0", previous="1.0.0"), changes)
    _, body = card_of(second)
    assert "# corpus-pipeline-news 1.1.0" in body and "follows 1.0.0" in body
    changelog = section(body, "Changelog")
    assert "1.1.0 against 1.0.0" in changelog
    for kind, n in [("added", 1), ("withdrawn", 1), ("text_changed", 1), ("metadata_changed", 0)]:
        assert f"| `{kind}` | {n} |" in changelog
    assert "`takedown` 1" in changelog


def test_load_snippets_work_as_written(release):
    _, body = card_of(release)
    load = section(body, "Load")
    assert 'load_dataset("parquet", data_dir="path/to/release/data")' in load
    assert "corpus pull 1.0.0 --to" in load
    assert 'revision="v1.0.0"' in load
    ds = datasets.load_dataset("parquet", data_dir=str(release / "data"))
    assert {name: len(split) for name, split in ds.items()} == {
        "train": 2,
        "validation": 1,
        "test": 1,
    }


def test_example_record_is_the_smallest_train_id_truncated(release):
    _, body = card_of(release)
    block = re.search(r"```json\n(.*?)\n```", section(body, "An example record"), re.S)
    shown = json.loads(block.group(1))
    train = [r for r in RECORDS if r["split"] == "train"]
    smallest = min(train, key=lambda r: r["id"])
    assert shown["id"] == smallest["id"]
    assert list(shown) == record_schema().names
    if len(smallest["text"]) > 300:
        assert shown["text"].startswith(smallest["text"][:300])
        assert shown["text"].endswith("more characters)")


def test_statistics_plots_exist_and_are_the_same_bytes_every_time(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    build_release(a, RECORDS)
    build_release(b, RECORDS)
    _, body = card_of(a)
    stats = section(body, "Statistics")
    images = re.findall(r"!\[[^\]]*\]\((images/[a-z]+\.png)\)", stats)
    assert images == ["images/lengths.png", "images/languages.png", "images/entities.png"]
    for image in images:
        png = (a / image).read_bytes()
        assert png.startswith(b"\x89PNG") and png == (b / image).read_bytes()
        assert b"Software" not in png and b"matplotlib" not in png
    for name in ("README.md", "CITATION.cff", "croissant.json", "manifest.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert "Words per article: min" in stats
    assert "`en` 4" in stats


def test_filters_and_redaction_are_stated(tmp_path):
    build_release(tmp_path / "off", RECORDS)
    text = section(card_of(tmp_path / "off")[1], "Filters and redaction")
    assert "Filters (`annotate.filters`): none" in text
    assert "off (`annotate.pii.redact: false`)" in text
    assert "Articles with at least one: e-mail addresses in 1." in text

    annotate = replace(
        PARAMS.annotate,
        filters={"word_count": Bounds(min=5)},
        pii=replace(PARAMS.annotate.pii, redact=True),
    )
    build_release(tmp_path / "on", RECORDS, replace(PARAMS, annotate=annotate))
    text = section(card_of(tmp_path / "on")[1], "Filters and redaction")
    assert "| `word_count` | 5.0 |  |" in text
    assert "on (`annotate.pii.redact: true`)" in text


def test_citation_has_version_year_and_url(release):
    pub = RELEASED.publish
    _, body = card_of(release)
    bibtex = section(body, "Citation")
    for value in (pub.version, str(pub.year), pub.homepage, *pub.authors):
        assert value in bibtex
    cff = yaml.safe_load((release / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "dataset"
    assert (cff["title"], cff["version"], cff["url"]) == (pub.name, pub.version, pub.homepage)
    assert [a["name"] for a in cff["authors"]] == list(pub.authors)
    assert cff["license-url"] == pub.license_link
    assert cff["date-released"] == pub.released.isoformat() == "2026-03-02"
    assert json.loads((release / "croissant.json").read_text())["datePublished"] == "2026-03-02"


def test_card_lists_limitations_and_every_column(release):
    _, body = card_of(release)
    assert section(body, "Limitations").count("\n- ") >= 4
    for field in record_schema().fields:
        assert f"| `{field.name}` |" in body


@pytest.mark.parametrize(
    ("previous", "version"), [(None, "0.0.0+unreleased"), ("1.2.0", "1.2.0+unreleased")]
)
def test_a_build_that_is_no_release_says_so_everywhere(tmp_path, previous, version):
    # Between two releases (or before the first) params.yaml has no version: a build with other
    # seeds must not carry the version of the release it follows.
    build_release(tmp_path, RECORDS, with_publish(version=None, previous=previous))
    _, body = card_of(tmp_path)
    assert body.lstrip().startswith(f"# {PARAMS.publish.name} {version}\n")
    load = section(body, "Load")
    assert "This build is no release" in load
    assert "corpus pull" not in load and "revision=" not in load
    assert json.loads((tmp_path / "manifest.json").read_text())["version"] == version
    assert json.loads((tmp_path / "croissant.json").read_text())["version"] == version
    cff = yaml.safe_load((tmp_path / "CITATION.cff").read_text())
    assert cff["version"] == version and "date-released" not in cff  # no release, no day
    assert "Unreleased build" in section(body, "Citation")
