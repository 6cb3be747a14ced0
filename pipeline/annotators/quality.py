"""Slot `quality`: the heuristic quality signals of Gopher and C4, as numbers to filter on.

`quality_v1` -> `quality`, a struct of 14 signals (floats rounded to 6 places). Sources: Rae et
al. 2021, "Scaling Language Models: Methods, Analysis & Insights from Training Gopher", appendix
A.1.1 (quality filter) and table A1 (repetition); Raffel et al. 2020 (C4) for line-ending
punctuation; datatrove's `GopherQualityFilter`, `GopherRepetitionFilter` and `C4QualityFilter`
and dolma's `gopher_v1` tagger for the details the paper leaves open. Where those differ, this
module chooses, and says so:

- Word: the project's word (`counts.WORD`, the words `word_count` counts). Punctuation is not a
  word, so `alpha_word_fraction` is the share of words with a letter (a word character that is
  not a digit), i.e. that are not numbers ("2004", "1.5" is two), and `mean_word_length` is not
  inflated by attached commas.
- Line: a non-empty line, stripped. Texts separate paragraphs by a blank line, and blank lines
  are neither lines nor duplicates of each other.
- Characters of n-grams: the characters of the words they cover, over the characters of all
  words (separators are not counted), each word counted once however many n-grams cover it, so
  every fraction lies in [0, 1].
- `top_{n}gram_char_fraction`: the words covered by every occurrence of the most frequent word
  n-gram (as written); among equally frequent n-grams, the one covering most characters. A text
  whose n-grams are all distinct still has a top n-gram (its longest).
- `duplicate_{n}gram_char_fraction`: words covered by an occurrence of an n-gram that already
  occurred earlier in the text (the first occurrence is the original, as for lines).
- `stop_word_count`: occurrences, case-insensitive, of Gopher's eight stop words (the paper keeps
  documents containing "at least two of" them; datatrove and dolma count occurrences).
- `symbol_to_word_ratio`: ('#' + '...' + '…') occurrences per word; Gopher bounds the hash and
  the ellipsis ratios separately.
- `end_punctuation_line_fraction` (C4): lines ending in . ! ? or a straight or curly closing
  quote, not in "..." (as datatrove's C4 filter).
- `bullet_line_fraction`: lines starting with a bullet character (•, ‣, ◦, ▪, ● ...) or with
  -, *, –, — followed by a space.

Per-word and per-line ratios of a text without words or lines are 0.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from pipeline.annotators import Columns, Context, batch_annotator, shared_words
from pipeline.words import WORD

STOP_WORDS = frozenset(("the", "be", "to", "of", "and", "that", "have", "with"))
TOP_NGRAMS = (2, 3, 4)
DUPLICATE_NGRAMS = (5, 10)
_END_PUNCTUATION = (".", "!", "?", '"', "'", "”", "’")
_ELLIPSES = ("...", "…")
_LETTER = re.compile(r"[^\W\d_]")  # a word character that is neither a digit nor "_"
_BULLET = re.compile(r"[•‣◦⁃▪▫●○■□·∙]|[-*–—](?=\s)")
PLACES = 6


def _ngram_ids(word_ids: np.ndarray, max_n: int) -> dict[int, np.ndarray]:
    """{n: id of the n-gram starting at each position}, exact (no hashing), for n in 2..max_n."""
    vocabulary = int(word_ids.max()) + 1 if word_ids.size else 1
    ids = {1: word_ids}
    for n in range(2, max_n + 1):
        previous = ids[n - 1]
        if previous.size < 2:
            break
        pairs = previous[:-1] * vocabulary + word_ids[n - 1 :]
        ids[n] = np.unique(pairs, return_inverse=True)[1].astype(np.int64)
    return ids


def _covered_chars(starts: np.ndarray, n: int, cumulative: np.ndarray) -> int:
    """Characters of the words covered by n-grams starting at sorted `starts`, each once."""
    if starts.size == 0:
        return 0
    ends = starts + n
    # Intervals have equal length, so the previous interval reaches furthest right.
    previous_end = np.concatenate(([0], ends[:-1]))
    fresh_from = np.maximum(starts, previous_end)
    return int((cumulative[ends] - cumulative[np.minimum(fresh_from, ends)]).sum())


def _top_ngram_chars(gram_ids: np.ndarray, n: int, cumulative: np.ndarray) -> int:
    counts = np.bincount(gram_ids)
    top = counts.max()
    if top == 1:  # all distinct: the top n-gram is the one with most characters
        return int((cumulative[n:] - cumulative[:-n]).max())
    positions = np.flatnonzero(counts[gram_ids] == top)
    # Group the occurrences of each most frequent n-gram (positions stay sorted in a group).
    order = np.argsort(gram_ids[positions], kind="stable")
    positions, groups = positions[order], gram_ids[positions][order]
    ends = positions + n
    same = np.concatenate(([False], groups[1:] == groups[:-1]))
    previous_end = np.where(same, np.concatenate(([0], ends[:-1])), 0)
    fresh_from = np.minimum(np.maximum(positions, previous_end), ends)
    fresh = cumulative[ends] - cumulative[fresh_from]
    _, group_index = np.unique(groups, return_inverse=True)
    return int(np.bincount(group_index, weights=fresh).max())


def _duplicate_ngram_chars(gram_ids: np.ndarray, n: int, cumulative: np.ndarray) -> int:
    _, first = np.unique(gram_ids, return_index=True)
    first_of = np.empty(int(gram_ids.max()) + 1, dtype=np.int64)
    first_of[gram_ids[first]] = first
    repeats = np.flatnonzero(first_of[gram_ids] != np.arange(gram_ids.size))
    return _covered_chars(repeats, n, cumulative)


def _line_signals(text: str) -> dict[str, float]:
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    n_lines = max(len(lines), 1)
    seen: set[str] = set()
    duplicates = duplicate_chars = 0
    for line in lines:
        if line in seen:
            duplicates += 1
            duplicate_chars += len(line)
        else:
            seen.add(line)
    return {
        "end_punctuation_line_fraction": sum(
            line.endswith(_END_PUNCTUATION) and not line.endswith("...") for line in lines
        )
        / n_lines,
        "bullet_line_fraction": sum(bool(_BULLET.match(line)) for line in lines) / n_lines,
        "ellipsis_line_fraction": sum(line.endswith(_ELLIPSES) for line in lines) / n_lines,
        "duplicate_line_fraction": duplicates / n_lines,
        "duplicate_line_char_fraction": duplicate_chars / max(sum(map(len, lines)), 1),
    }


def _ngram_signals(words: list[str]) -> dict[str, float]:
    index = {word: i for i, word in enumerate(dict.fromkeys(words))}
    word_ids = np.fromiter(map(index.__getitem__, words), np.int64, len(words))
    lengths = np.fromiter(map(len, words), np.int64, len(words))
    cumulative = np.concatenate(([0], np.cumsum(lengths)))
    total = max(int(cumulative[-1]), 1)
    ids = _ngram_ids(word_ids, max(DUPLICATE_NGRAMS))
    out = {}
    for n in TOP_NGRAMS:
        chars = _top_ngram_chars(ids[n], n, cumulative) if n in ids else 0
        out[f"top_{n}gram_char_fraction"] = chars / total
    for n in DUPLICATE_NGRAMS:
        chars = _duplicate_ngram_chars(ids[n], n, cumulative) if n in ids else 0
        out[f"duplicate_{n}gram_char_fraction"] = chars / total
    return out


def quality_signals(text: str, words: list[str] | None = None) -> dict[str, Any]:
    """The `quality` struct of `text`, by the definitions in this module's docstring; `words`
    are its words (`WORD.findall(text)`) when the caller has found them already."""
    if words is None:
        words = WORD.findall(text)
    n_words = max(len(words), 1)
    symbols = text.count("#") + text.count("...") + text.count("…")
    signals: dict[str, Any] = {
        "mean_word_length": sum(map(len, words)) / n_words,
        "symbol_to_word_ratio": symbols / n_words,
        "alpha_word_fraction": sum(1 for _ in filter(_LETTER.search, words)) / n_words,
        "stop_word_count": sum(map(STOP_WORDS.__contains__, map(str.lower, words))),
        **_line_signals(text),
        **_ngram_signals(words),
    }
    return {k: v if isinstance(v, int) else round(float(v), PLACES) for k, v in signals.items()}


@batch_annotator("quality", "quality_v1")
def quality_v1(records: list[dict[str, Any]], context: Context) -> list[Columns]:
    words = shared_words(context)  # found once per batch, for `counts` too
    return [
        {"quality": quality_signals(record["text"], text_words)}
        for record, text_words in zip(records, words, strict=True)
    ]
