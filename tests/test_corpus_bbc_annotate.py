"""Integration: the annotators over the real BBC News corpus (skipped when it is absent).

Each `<topic>/NNN.txt` is read as the clean stage would hand it over, roughly: bytes decoded by
`pipeline.encoding.decode`, the first line the title, the rest the text. spaCy-based annotators
(counts, entities) are left out: parsing 2,225 articles takes minutes.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from pipeline.annotators import Context, load_all
from pipeline.annotators.near_duplicates import shingles
from pipeline.encoding import decode
from pipeline.ids import record_id
from pipeline.quarantine import Rejected
from tests.defaults import PARAMS as DEFAULTS

pytestmark = pytest.mark.integration
BBC = Path(
    os.environ.get(
        "CORPUS_BBC", Path(__file__).resolve().parents[2] / "shared" / "corpora" / "bbc-news"
    )
)
TOPICS = ("business", "entertainment", "politics", "sport", "tech")
BATCH = 256
PARAMS = DEFAULTS.annotate
ANNOTATORS = load_all()


def read_articles() -> list[dict[str, Any]]:
    articles = []
    for path in sorted(p for topic in TOPICS for p in (BBC / topic).glob("*.txt")):
        raw = path.read_bytes()
        decoded = decode(raw, DEFAULTS.ingest.preferred_encodings)
        assert not isinstance(decoded, Rejected), path
        title, _, text = decoded[0].partition("\n")
        source = path.relative_to(BBC).as_posix()
        articles.append(
            {
                "id": record_id(None, source),
                "source": source,
                "raw_sha256": hashlib.sha256(raw).hexdigest(),
                "title": title.strip(),
                "text": text.strip(),
            }
        )
    return articles


def batches(records: list[dict[str, Any]]):
    for start in range(0, len(records), BATCH):
        batch = records[start : start + BATCH]
        yield batch, Context([r["text"] for r in batch], PARAMS)


def run(name: str, records: list[dict[str, Any]]) -> None:
    """Annotate `records` in place with the batch annotator `name`, batch by batch."""
    for batch, context in batches(records):
        for record, columns in zip(batch, ANNOTATORS[name].annotate(batch, context), strict=True):
            record.update(columns)


@pytest.fixture(scope="module")
def corpus() -> dict[str, Any]:
    if not (BBC / "business").is_dir():
        pytest.skip(f"BBC corpus not found at {BBC}")
    records = read_articles()
    run("language_v1", records)
    near_duplicates = ANNOTATORS["minhash_v1"]
    signatures = [s for b, c in batches(records) for s in near_duplicates.prepare(b, c)]
    clusters = near_duplicates.finish([r["id"] for r in records], signatures, PARAMS)
    for record in records:
        record.update(clusters[record["id"]])
    run("split_v1", records)
    return {"records": records, "signatures": signatures}


def groups(records: list[dict[str, Any]], key: str) -> list[list[dict[str, Any]]]:
    found = defaultdict(list)
    for record in records:
        found[record[key]].append(record)
    return [group for group in found.values() if len(group) > 1]


def jaccard(a: str, b: str) -> float:
    size = PARAMS.near_duplicates.shingle_words
    x, y = shingles(a, size), shingles(b, size)
    return len(x & y) / len(x | y)


def test_language_is_english(corpus):
    records = corpus["records"]
    assert len(records) == 2225
    english = sum(r["language"] == "en" for r in records)
    assert english / len(records) >= 0.995
    assert all(0.0 <= r["language_score"] <= 1.0 for r in records)


def test_byte_identical_copies_share_a_cluster(corpus):
    copies = groups(corpus["records"], "raw_sha256")
    assert sum(len(g) - 1 for g in copies) == 98
    for group in copies:
        assert len({r["near_duplicate_cluster"] for r in group}) == 1, group[0]["source"]


def test_reheadlined_copies_share_a_cluster(corpus):
    same_text = [g for g in groups(corpus["records"], "text") if len({r["title"] for r in g}) > 1]
    assert same_text  # e.g. business/267.txt and business/365.txt
    for group in same_text:
        assert len({r["near_duplicate_cluster"] for r in group}) == 1, group[0]["source"]


def test_same_headline_clusters_by_text(corpus):
    """Articles sharing a title: revised copies cluster, different stories do not."""
    pairs = [
        (a, b)
        for group in groups(corpus["records"], "title")
        for a, b in itertools.combinations(group, 2)
        if a["text"] != b["text"]
    ]
    similar = [(a, b) for a, b in pairs if jaccard(a["text"], b["text"]) >= 0.9]
    different = [(a, b) for a, b in pairs if jaccard(a["text"], b["text"]) < 0.5]
    assert similar and different  # e.g. tech/019.txt ~ tech/329.txt; politics/111 vs 293
    for a, b in similar:
        assert a["near_duplicate_cluster"] == b["near_duplicate_cluster"], (
            a["source"],
            b["source"],
        )
    for a, b in different:
        assert a["near_duplicate_cluster"] != b["near_duplicate_cluster"], (
            a["source"],
            b["source"],
        )


def test_cluster_is_named_by_its_smallest_member(corpus):
    members = defaultdict(list)
    for record in corpus["records"]:
        members[record["near_duplicate_cluster"]].append(record["id"])
    assert all(cluster == min(ids) for cluster, ids in members.items())


def test_clusters_do_not_depend_on_record_order(corpus):
    records, signatures = corpus["records"], corpus["signatures"]
    order = list(reversed(range(len(records))))
    finished = ANNOTATORS["minhash_v1"].finish(
        [records[i]["id"] for i in order], [signatures[i] for i in order], PARAMS
    )
    assert {r["id"]: finished[r["id"]]["near_duplicate_cluster"] for r in records} == {
        r["id"]: r["near_duplicate_cluster"] for r in records
    }


def test_near_duplicates_never_straddle_splits(corpus):
    for group in groups(corpus["records"], "near_duplicate_cluster"):
        assert len({r["split"] for r in group}) == 1
    assert {r["split"] for r in corpus["records"]} == {"train", "validation", "test"}


def test_pii_finds_the_three_phone_numbers_and_nothing_else(corpus):
    records = [dict(r) for r in corpus["records"]]
    run("pii_v1", records)
    found = {
        r["source"]: r["pii"]
        for r in records
        if r["pii"]["emails"] or r["pii"]["phone_numbers"] or r["pii"]["ip_addresses"]
    }
    flags = {"emails": 0, "ip_addresses": 0, "redacted": False}
    assert found == {
        "entertainment/141.txt": {**flags, "phone_numbers": 2},  # 0845 8 505 505, 0800 555 111
        "tech/015.txt": {**flags, "phone_numbers": 1},  # 0800 028 9276
    }


def test_readability_and_quality_stay_in_range(corpus):
    records = [dict(r) for r in corpus["records"]]
    run("readability_v1", records)
    run("quality_v1", records)
    for record in records:
        assert record["flesch_reading_ease"] is not None or record["language"] != "en"
        for name, value in record["quality"].items():
            if name.endswith("fraction"):
                assert 0.0 <= value <= 1.0, (record["source"], name)
        # News prose: Gopher's quality rules keep it.
        assert 3 <= record["quality"]["mean_word_length"] <= 10, record["source"]
        assert record["quality"]["stop_word_count"] >= 2, record["source"]
