"""Integration: the stable release layout on the real BBC News corpus (skipped when absent).

Acceptance of the versioned-releases issue: adding one article to a release built from the
2,225 BBC articles changes at most two data files, and no record changes split.

The records are the real ingest and clean output, with the real near-duplicate clusters and
splits (minhash_v1, split_v1), which are all the layout depends on. The other annotation columns
are filled with empty values of their schema types: computing them needs the spaCy parse
(about 35 minutes here for this corpus) and publish does not read them.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline import clean, ingest, publish
from pipeline.annotate_batch import annotate_records
from pipeline.schema import record_schema
from pipeline.shards import ShardWriter
from tests.defaults import PARAMS
from tests.test_corpus_bbc import BBC, TOPICS

pytestmark = pytest.mark.integration
NEW = (
    "Lighthouse keepers return\n\n"
    "Volunteers have restored a Victorian lighthouse on the Northumberland coast and will keep "
    "its lamp lit through the winter, the trust that owns it said on Wednesday. The light was "
    "switched off in 1994 when ships stopped needing it, but walkers asked for it back.\n"
)
CHEAP = {"near_duplicates": "minhash_v1", "split": "split_v1"}


def empty(kind: pa.DataType) -> Any:
    if pa.types.is_list(kind):
        return []
    if pa.types.is_struct(kind):
        return {f.name: empty(f.type) for f in kind}
    if pa.types.is_string(kind):
        return ""
    if pa.types.is_boolean(kind):
        return False
    return 0


def annotated(cleaned: list[dict]) -> list[dict]:
    params = replace(PARAMS.annotate, annotators=CHEAP)
    records = annotate_records(cleaned, params)
    later = [f for f in record_schema().arrow() if f.name not in records[0]]
    return [{**r, **{f.name: empty(f.type) for f in later}, "language": "en"} for r in records]


def build(root: Path, seeds: Path, previous: dict[str, Path] | None) -> Path:
    paths = {
        s: (root / s, root / "quarantine" / s, root / f"{s}.json") for s in ("ingest", "clean")
    }
    ingest.run(seeds, *paths["ingest"], PARAMS)
    clean.run(paths["ingest"][0], *paths["clean"], PARAMS)
    records = annotated(pq.read_table(paths["clean"][0]).to_pylist())
    validated = root / "validate"
    with ShardWriter(validated, record_schema().arrow(), PARAMS.engine) as writer:
        writer.write_rows(records)
    (root / "quarantine" / "annotate").mkdir(parents=True)
    (root / "annotate.json").write_text('{"annotators": {}}')
    old = publish.previous_release
    publish.previous_release = lambda params: previous  # the seam that reads DVC's cache
    try:
        publish.run(
            validated,
            root / "quarantine",
            root / "ingest.json",
            root / "annotate.json",
            root / "release",
            PARAMS,
        )
    finally:
        publish.previous_release = old
    return root / "release"


def files_of(release: Path) -> dict[str, bytes]:
    return {p.relative_to(release).as_posix(): p.read_bytes() for p in release.rglob("*.parquet")}


def splits_of(release: Path) -> dict[str, str]:
    table = pq.ParquetDataset(sorted((release / "data").glob("*.parquet"))).read(["id", "split"])
    return dict(zip(table.column("id").to_pylist(), table.column("split").to_pylist(), strict=True))


@pytest.fixture(scope="module")
def releases(tmp_path_factory) -> tuple[Path, Path]:
    if not (BBC / "business").is_dir():
        pytest.skip(f"BBC corpus not found at {BBC}")
    root = tmp_path_factory.mktemp("layout")
    seeds = root / "seeds"
    for topic in TOPICS:
        shutil.copytree(BBC / topic, seeds / topic)
    first = build(root / "a", seeds, None)
    (seeds / "business" / "new-lighthouse.txt").write_text(NEW, encoding="utf-8")
    previous = {p.relative_to(first).as_posix(): p for p in first.rglob("*") if p.is_file()}
    return first, build(root / "b", seeds, previous)


def test_one_new_article_rewrites_at_most_two_data_files(releases):
    first, second = files_of(releases[0]), files_of(releases[1])
    data = [name for name in first.keys() | second.keys() if name.startswith("data/")]
    changed = [name for name in data if first.get(name) != second.get(name)]
    assert 1 <= len(changed) <= 2, changed
    assert len(data) > 2  # the corpus is spread over several files


def test_no_record_changes_split(releases):
    before, after = splits_of(releases[0]), splits_of(releases[1])
    assert len(after) == len(before) + 1
    assert {i: after[i] for i in before} == before


def test_changes_file_lists_the_one_added_article(releases):
    rows = pq.read_table(releases[1] / "changes.parquet").to_pylist()
    assert [r["change"] for r in rows] == ["added"]
