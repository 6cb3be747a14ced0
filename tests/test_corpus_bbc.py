"""Integration: ingest and clean the real BBC News corpus (skipped when it is absent).

The corpus lives in ../shared/corpora/bbc-news and may not be copied into this repository; its
PROVENANCE.md lists the oddities checked here.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import shutil
import unicodedata
from collections import defaultdict
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline import clean, ingest
from tests.defaults import PARAMS

pytestmark = pytest.mark.integration
BBC = Path(
    os.environ.get(
        "CORPUS_BBC", Path(__file__).resolve().parents[2] / "shared" / "corpora" / "bbc-news"
    )
)
WORD = re.compile(r"\w+")


TOPICS = ("business", "entertainment", "politics", "sport", "tech")


@pytest.fixture(scope="module")
def bbc(tmp_path_factory) -> dict:
    if not (BBC / "business").is_dir():
        pytest.skip(f"BBC corpus not found at {BBC}")
    out = tmp_path_factory.mktemp("bbc")
    # The articles only, copied to a temporary seed folder: beside them lie the corpus's own
    # README, PROVENANCE and MANIFEST, which are not articles.
    seeds = out / "seeds"
    for topic in TOPICS:
        shutil.copytree(BBC / topic, seeds / topic)
    params = PARAMS
    paths = {
        s: (out / s / "records", out / "quarantine" / s, out / s / "metrics.json")
        for s in ("ingest", "clean")
    }
    ingested = ingest.run(seeds, *paths["ingest"], params)
    cleaned = clean.run(paths["ingest"][0], *paths["clean"], params)
    records = {r["source"]: r for r in pq.read_table(paths["clean"][0]).to_pylist()}
    quarantined = [r for s in ("ingest", "clean") for r in pq.read_table(paths[s][1]).to_pylist()]
    return {
        "ingested": ingested,
        "cleaned": cleaned,
        "records": records,
        "quarantined": quarantined,
    }


def corpus_files() -> list[Path]:
    return sorted(p for topic in TOPICS for p in (BBC / topic).glob("*.txt"))


def test_every_file_is_published_or_quarantined(bbc):
    files = {p.relative_to(BBC).as_posix() for p in corpus_files()}
    assert len(files) == 2225
    published = set(bbc["records"])
    quarantined = {r["source"] for r in bbc["quarantined"]}
    assert published | quarantined == files
    assert not published & quarantined
    assert {r["reason"] for r in bbc["quarantined"]} == {"exact_duplicate"}
    assert bbc["ingested"]["files_in"] == 2225


def test_byte_identical_copies_are_marked_duplicates_of_the_first(bbc):
    groups: dict[str, list[str]] = defaultdict(list)
    for path in corpus_files():
        groups[hashlib.sha256(path.read_bytes()).hexdigest()].append(
            path.relative_to(BBC).as_posix()
        )
    copies = {later: group[0] for group in groups.values() if len(group) > 1 for later in group[1:]}
    assert len(copies) == 98
    ids = {source: r["id"] for source, r in bbc["records"].items()}
    duplicates = {r["source"]: r["detail"] for r in bbc["quarantined"]}
    for later, first in copies.items():
        assert duplicates[later] == f"same title and text as {ids[first]}"
        assert ingest.record_id(None, later) in bbc["records"][first]["duplicates"]


def test_latin1_pound_sign_is_repaired(bbc):
    record = bbc["records"]["sport/199.txt"]
    assert record["encoding"] == "cp1252"
    assert "£15.8m" in record["text"] and "Ł" not in record["text"]


def test_html_entities_are_decoded(bbc):
    record = bbc["records"]["tech/048.txt"]
    assert "José Manuel Barroso" in record["text"] and "&#" not in record["text"]
    assert not any("&#" in r["text"] for r in bbc["records"].values())


def test_no_word_is_lost_or_changed(bbc):
    """Words of title + text equal the words of the file once entities are decoded."""
    for source, record in bbc["records"].items():
        raw = (BBC / source).read_bytes().decode(record["encoding"])
        expected = WORD.findall(unicodedata.normalize("NFC", html.unescape(raw)))
        got = WORD.findall(f"{record['title'] or ''}\n{record['text']}")
        assert got == expected, source


def test_clean_metrics_count_each_fix(bbc):
    steps = bbc["cleaned"]["changes_by_step"]
    assert steps["unescape_html_entities"]["records"] >= 20
    assert steps["normalize_whitespace"]["records"] >= 25  # trailing spaces, blank-line runs
    assert bbc["cleaned"]["exact_duplicates"] == 98
