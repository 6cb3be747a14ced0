"""`counts_v2`: the counts without a model (sentences by spaCy's rule-based sentencizer,
paragraph by paragraph), through the registry as annotate calls it."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.annotators import Context, load_all
from pipeline.annotators.counts import paragraph_sentences
from pipeline.words import paragraph_count, paragraphs, word_count
from tests.defaults import PARAMS

ANNOTATORS = load_all()


def counts(texts: list[str], params=None) -> list[dict]:
    records = [{"text": t} for t in texts]
    context = Context(texts, params or PARAMS.annotate)
    return ANNOTATORS["counts_v2"].annotate(records, context)


def sentences(text: str) -> int:
    return counts([text])[0]["sentence_count"]


def test_hand_computed():
    assert counts(["The cat sat. The dog ran.\n\nIt rained all day."]) == [
        {
            "char_count": 45,
            "word_count": 10,
            "sentence_count": 3,
            "paragraph_count": 2,
            "reading_time_minutes": 0.04,  # 10 / 238
        }
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("   \n\n  ", 0),
        ("One", 1),
        # A headline has no full stop: it is still a sentence, not the start of the next one.
        ("Ad sales boost Time Warner profit\n\nProfits rose. Sales fell.", 3),
        # The tokenizer's exceptions keep abbreviations whole: their full stop ends nothing.
        ("Mr. Smith met U.S. officials at 3 p.m. in St. Louis on Monday. They talked.", 2),
        ('"It\'s over," said Ms Rowling. "Really?" "Yes."', 3),
        # Pieces without a word are no sentences.
        ("First sentence here.\n\n***\n\nSecond one here.", 2),
        ("Words here. ... !!! Then more.", 2),
        # A single line break keeps the paragraph: the sentence goes on across it.
        ("A sentence that goes\non the next line.", 1),
    ],
)
def test_sentences(text, expected):
    assert sentences(text) == expected


def test_counts_other_than_sentences_are_the_projects_definitions():
    texts = ["Alpha beta. Gamma!\n\n\n  Delta  \n\n***", "isn't it wishful-thinking?", ""]
    for text, cols in zip(texts, counts(texts), strict=True):
        assert cols["char_count"] == len(text)
        assert cols["word_count"] == word_count(text)
        assert cols["paragraph_count"] == paragraph_count(text)


def test_batch_gives_what_each_text_alone_gives():
    texts = ["One. Two.\n\nThree", "", "Four? Five!", "***", "Six.\n\nSeven.\n\nEight."]
    assert [c["sentence_count"] for c in counts(texts)] == [sentences(t) for t in texts]
    assert paragraph_sentences(texts) == [3, 0, 2, 0, 3]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["Word", "word.", "Mr.", "U.S.", "?", "\n", "\n\n", " ", "***"])))
def test_every_paragraph_with_a_word_holds_a_sentence(pieces):
    text = " ".join(pieces)
    n = sentences(text)
    with_words = sum(1 for p in paragraphs(text) if word_count(p))
    assert with_words <= n <= max(word_count(text), with_words)


def test_reading_time_and_its_param():
    text = " ".join(["word"] * 500)
    assert (
        counts([text], replace(PARAMS.annotate, words_per_minute=200))[0]["reading_time_minutes"]
        == 2.5
    )
    with pytest.raises(ValueError, match="words_per_minute"):
        counts([text], replace(PARAMS.annotate, words_per_minute=0))


def test_no_model_is_recorded_but_the_rules():
    model = ANNOTATORS["counts_v2"].model(PARAMS.annotate)
    assert model.startswith("spaCy 3.") and "sentencizer" in model
