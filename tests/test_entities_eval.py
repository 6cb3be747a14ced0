"""bench/entities_eval.py: the scorer, and (with the corpus) the acceptance bar of issue 7."""

from __future__ import annotations

import pytest

from bench import entities_eval as ev


def test_exact_and_overlap_scores():
    gold = {(0, 10, "ORG"), (20, 25, "PERSON"), (30, 35, "PLACE")}
    predicted = {(4, 10, "ORG"), (20, 25, "PERSON"), (30, 35, "ORG")}
    scores = ev.evaluate([gold], [predicted])
    assert scores["exact"]["PERSON"]["f1"] == 1.0
    assert scores["exact"]["ORG"]["p"] == 0.0  # (4, 10) and (30, 35) are not gold ORG spans
    assert scores["overlap"]["ORG"]["p"] == 0.5 and scores["overlap"]["ORG"]["r"] == 1.0
    assert scores["exact"]["PLACE"]["r"] == 0.0
    assert scores["exact"]["micro"]["f1"] == pytest.approx(2 * (1 / 3) * (1 / 3) / (2 / 3))


def test_labels_map_to_the_scored_classes():
    entities = [
        {"start": 0, "end": 2, "label": "GPE"},
        {"start": 3, "end": 5, "label": "LOC"},
        {"start": 6, "end": 8, "label": "NORP"},
    ]
    assert ev.scored(entities) == {(0, 2, "PLACE"), (3, 5, "PLACE")}


def test_split_is_fixed_by_the_ids():
    articles = [{"id": f"doc{i}", "gum_split": "train"} for i in range(9)] + [
        {"id": "d", "gum_split": "dev"},
        {"id": "t", "gum_split": "test"},
    ]
    parts = ev.part_of(articles)
    assert parts["d"] == parts["t"] == "held-out"
    assert sum(p == "held-out" for p in parts.values()) == 2 + 3  # a third of train
    assert parts == ev.part_of(list(reversed(articles)))  # not the input order


@pytest.fixture(scope="module")
def results():
    try:
        folder = ev.corpus_dir(None)
    except ev.CorpusMissing as exc:
        pytest.skip(str(exc))
    return ev.run(folder, ["entities_v3"])


@pytest.mark.integration
@pytest.mark.parametrize("part", ev.PARTS)
@pytest.mark.parametrize("mode", ["exact", "overlap"])
def test_f1_per_class_at_least_plain_spacy(results, part, mode):
    scores = results["parts"][part]
    for cls in (*ev.CLASSES, "micro"):
        ours, plain = scores["entities_v3"][mode][cls]["f1"], scores[ev.PLAIN][mode][cls]["f1"]
        assert ours >= plain, (part, mode, cls, ours, plain)


@pytest.mark.integration
def test_split_of_gum_news(results):
    assert len(results["articles"]["tuned"]) == 13
    assert len(results["articles"]["held-out"]) == 11
