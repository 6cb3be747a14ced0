"""The annotators' shortcuts (issue 10) give what the long way gives.

Each shortcut is compared with the computation it replaces, written here the long way: spaCy's
own `doc.sents`, `Span.text` and `doc.text`, a walk over every token, the words found once per
annotator. On hand-made texts, and (integration, skipped when the corpus is absent) on a few
hundred real BBC articles read by ingest's and clean's own functions.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from spacy.tokens import Doc, Span

from pipeline.annotators import WORDS_KEY, Context, load_all, nlp
from pipeline.annotators.counts import sentence_count
from pipeline.annotators.entity_fixes import (
    _NAME_LABELS,
    _PROPER,
    _one_label_per_name,
    _proper_tokens,
)
from pipeline.annotators.entity_rules import _name_span, _trim
from pipeline.annotators.names import name_of
from pipeline.annotators.quality import quality_signals
from pipeline.words import WORD, paragraph_count, word_count
from tests.defaults import PARAMS

ANNOTATORS = load_all()
_HAS_WORD = re.compile(r"[^\W_]")

TEXTS = [
    "The cat sat. The dog ran.\n\nIt rained all day.",
    "Chancellor Olaf Scholz met Emmanuel Macron in Paris. Scholz said: “We agree.”\n\n"
    "Macron, who arrived late, told reporters the talks had gone well. Mr Macron left.",
    "***\n\nA headline without a full stop\n\n***\n\n  Indented line.   \n\n- bullet one\n- two",
    "One",
    "",
    "   \n\n  ",
    "Smith scored twice. SMITH! smith? John Smith and Jane Smith's brother Smith-Jones won.",
    "\"It's over,\" said Ms Rowling. 'Really?' 'Yes.'\n\n“Nested ‘quote’ here,” she added.",
    "Prices rose 2.5% in 2004 - the highest since 1990 … Analysts were surprised...",
    "The Church of Scientology's leaders met the BBC's reporters and the United Nations' envoy.",
]


def word_list(text: str) -> list[str]:
    return WORD.findall(text)


def reference_sentence_count(doc: Doc) -> int:
    """`counts_v1`'s sentence count the long way: `Span.text` of every `doc.sents` span."""
    return sum(1 for sentence in doc.sents if _HAS_WORD.search(sentence.text))


def reference_proper_tokens(doc: Doc, words: set[str]) -> list[int]:
    return [t.i for t in doc if t.text in words and t.tag_ in _PROPER]


def reference_one_label_per_name(doc: Doc, ents: dict, fixed: set) -> None:
    """`entity_fixes._one_label_per_name` making every entity's name twice."""
    votes: dict[str, Counter[str]] = {}
    for (s, e), label in ents.items():
        if label in _NAME_LABELS:
            votes.setdefault(name_of(doc[s:e]), Counter())[label] += 1
    for key, label in list(ents.items()):
        if key in fixed or label not in _NAME_LABELS:
            continue
        ranked = votes[name_of(doc[key[0] : key[1]])].most_common(2)
        if len(ranked) == 2 and ranked[0][1] > ranked[1][1]:
            ents[key] = ranked[0][0]


def entity_state(doc: Doc) -> tuple:
    return [(e.start, e.end, e.label_) for e in doc.ents], doc.to_array(["ENT_IOB", "ENT_TYPE"])


def check_entity_repairs(doc: Doc) -> None:
    """The v2 repairs set their entities trimmed, as setting them and trimming after does; the
    majority vote gives what it gave making each name twice."""
    ents = {(e.start, e.end): e.label_ for e in doc.ents}
    untrimmed, trimmed = doc.copy(), doc.copy()
    untrimmed.ents = [Span(untrimmed, s, e, label=label) for (s, e), label in sorted(ents.items())]
    _trim(untrimmed)
    trimmed.ents = [_name_span(trimmed, s, e, label) for (s, e), label in sorted(ents.items())]
    before, after = entity_state(untrimmed), entity_state(trimmed)
    assert before[0] == after[0]
    assert (before[1] == after[1]).all()
    for fixed in (set(), set(list(ents)[::2])):
        ours, reference = dict(ents), dict(ents)
        _one_label_per_name(doc, ours, fixed)
        reference_one_label_per_name(doc, reference, fixed)
        assert list(ours.items()) == list(reference.items())


def check_docs(texts: list[str], docs: list[Doc]) -> None:
    """Every doc-level shortcut equals its long way on these parsed texts."""
    for text, doc in zip(texts, docs, strict=True):
        check_entity_repairs(doc)
        assert nlp.parsed_length(doc) == len(doc.text)
        assert sentence_count(doc, text) == reference_sentence_count(doc)
        # every token's spelling, and some that are in no article, as surnames to look for
        words = {t.text for t in doc} | {"Zzyzx", "smith", ""}
        for chosen in (words, {t.text for t in doc.ents}, {"Smith"}):
            assert _proper_tokens(doc, chosen) == reference_proper_tokens(doc, chosen)


def check_shared_words(records: list[dict[str, Any]], context: Context | None = None) -> None:
    """`counts_v1` and `quality_v1` on one context (the words found once) give the columns
    computed on their own, each finding the words itself."""
    texts = [r["text"] for r in records]
    context = context or Context(texts, PARAMS.annotate)
    counts = ANNOTATORS["counts_v1"].annotate(records, context)
    quality = ANNOTATORS["quality_v1"].annotate(records, context)
    docs = nlp.docs(context)
    per_text = PARAMS.annotate.words_per_minute
    assert counts == [
        {
            "char_count": len(t),
            "word_count": word_count(t),
            "sentence_count": reference_sentence_count(d),
            "paragraph_count": paragraph_count(t),
            "reading_time_minutes": round(word_count(t) / per_text, 2),
        }
        for t, d in zip(texts, docs, strict=True)
    ]
    assert quality == [{"quality": quality_signals(t)} for t in texts]


def test_doc_shortcuts_on_hand_made_texts():
    context = Context(TEXTS, PARAMS.annotate)
    docs = nlp.docs(context)
    # the texts hold names to trim ("the", "'s"), so the trimming comparison compares something
    assert any(_name_span(d, e.start, e.end, e.label_) != e for d in docs for e in d.ents)
    check_docs(TEXTS, docs)
    check_docs(TEXTS, nlp.entity_docs(context, "corpus_entity_fixes_v2"))


def test_parsed_length_of_a_truncated_parse():
    """A text longer than spaCy's limit is parsed on its first characters (`nlp.MAX_CHARS`)."""
    text = TEXTS[1] * 3
    doc = nlp.load(PARAMS.annotate.spacy_model)(text[:100])
    assert nlp.parsed_length(doc) == len(doc.text) == 100
    assert sentence_count(doc, text) == reference_sentence_count(doc)


def test_sentence_count_refuses_an_unparsed_doc_as_spacy_does():
    doc = nlp.load(PARAMS.annotate.spacy_model).make_doc("Two sentences. Here.")
    with pytest.raises(ValueError, match="E030"):
        reference_sentence_count(doc)
    with pytest.raises(ValueError, match="E030"):
        sentence_count(doc, "Two sentences. Here.")


def test_counts_and_quality_share_their_words_on_hand_made_texts():
    check_shared_words([{"text": t} for t in TEXTS])


def test_shared_words_are_found_once_per_context():
    context = Context(TEXTS[:2], PARAMS.annotate)
    records = [{"text": t} for t in TEXTS[:2]]
    ANNOTATORS["quality_v1"].annotate(records, context)
    found = context.get(WORDS_KEY, lambda: None)
    assert found == [word_list(t) for t in TEXTS[:2]]
    ANNOTATORS["counts_v1"].annotate(records, context)
    assert context.get(WORDS_KEY, lambda: None) is found


# --- the real thing -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def bbc_records() -> list[dict[str, Any]]:
    """250 clean-stage records of BBC articles (every topic), or a skip."""
    from bench.annotators import read_records
    from bench.make_corpus import CorpusMissing, bbc_dir

    try:  # bbc_dir only names the folder: reading it tells whether it is there
        records = read_records(2225, bbc_dir(None), PARAMS)
    except CorpusMissing as exc:
        pytest.skip(str(exc))
    return records[::8][:250]  # spread over the five topic folders


@pytest.mark.integration
def test_shortcuts_on_bbc_articles(bbc_records):
    assert len(bbc_records) == 250
    for start in range(0, len(bbc_records), PARAMS.engine.batch_size):
        batch = bbc_records[start : start + PARAMS.engine.batch_size]
        batch_texts = [r["text"] for r in batch]
        context = Context(batch_texts, PARAMS.annotate)
        check_docs(batch_texts, nlp.docs(context))
        check_docs(batch_texts, nlp.entity_docs(context, "corpus_entity_fixes_v2"))
        check_shared_words(batch, context)
