"""Slot `counts`: how long an article is.

`counts_v2` and `counts_v1` -> `char_count` (code points), `word_count`, `sentence_count`,
`paragraph_count` (blocks separated by a blank line), `reading_time_minutes` (word_count /
`annotate.words_per_minute`, rounded to 2 places). Params: `annotate.words_per_minute`, and for
`counts_v1`'s sentences `annotate.spacy_model` and `spacy_batch_size`.

They differ in the sentences only. `counts_v2` (the default) needs no model: each paragraph is
split by spaCy's rule-based `sentencizer` on spaCy's English tokenizer (whose exceptions keep
"Mr." and "U.S." whole), so a headline or a caption without a full stop is a sentence of its own
and no sentence spans a blank line. It costs about 1.4 ms a 2 KB article, against the 60 ms of
the parse `counts_v1` reads, so a pipeline without entities, quotes and dates never loads a model,
and changing `words_per_minute` costs no parse.

Words and paragraphs are the project's one definition of them, in `pipeline/words.py`.

`counts_v1`'s sentences are spaCy's (`doc.sents` of the batch's shared parse, `nlp.docs`, which
the entities, dates and quotes annotators use too): the pieces that contain a word, so a stray
"***" or a blank line is not a sentence. spaCy parses the first `nlp.MAX_CHARS` characters of a
text, so sentences beyond them are not counted. The spaCy model is recorded as its model.

The words are found once per batch and shared with `quality` (`annotators.shared_words`).
"""

from __future__ import annotations

import functools
import re
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from pipeline.annotators import Columns, Context, batch_annotator, shared_words
from pipeline.params import AnnotateParams
from pipeline.words import paragraph_count, paragraphs

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

_HAS_WORD = re.compile(r"[^\W_]")


def sentence_count(doc: Doc, text: str) -> int:
    """The sentences of `doc.sents` that hold a word; `doc` is the parse of `text` (or of its
    first characters). Read off the token arrays: building each sentence's `Span.text` walks
    its tokens in Python and cost as much as the rest of this annotator. A sentence runs from
    its first token to the next one's first token: beyond `Span.text`, only its last token's
    trailing space, which holds no word."""
    if len(doc) == 0 or not doc.has_annotation("SENT_START"):
        return sum(1 for _ in doc.sents)  # 0, or spaCy's own error for an unparsed doc
    return _word_sentences(doc, text, _nlp().parsed_length(doc))


def _word_sentences(doc: Doc, text: str, end: int) -> int:
    """How many of `doc`'s sentences hold a word; `doc` is the tokens of `text[:end]`."""
    if len(doc) == 0:
        return 0
    starts, offsets = doc.to_array(["SENT_START", "IDX"]).T
    first = (starts == 1) | (np.arange(len(doc)) == 0)  # as `doc.sents` splits
    bounds = [*offsets[first].tolist(), end]
    return sum(1 for a, b in zip(bounds, bounds[1:], strict=False) if _HAS_WORD.search(text, a, b))


def _nlp() -> ModuleType:
    # Imported on use, not above: registering the annotators must not load spaCy.
    from pipeline.annotators import nlp

    return nlp


def _model(params: AnnotateParams) -> str:
    return _nlp().model(params)


def _columns(context: Context, sentences: list[int]) -> list[Columns]:
    """Both versions' columns: they differ in how `sentences` were counted, nothing else."""
    words_per_minute = context.params.words_per_minute
    if words_per_minute <= 0:
        raise ValueError(f"annotate.words_per_minute must be positive, not {words_per_minute}")
    return [
        {
            "char_count": len(text),
            "word_count": len(text_words),
            "sentence_count": n_sentences,
            "paragraph_count": paragraph_count(text),
            "reading_time_minutes": round(len(text_words) / words_per_minute, 2),
        }
        for text, text_words, n_sentences in zip(
            context.texts, shared_words(context), sentences, strict=True
        )
    ]


@batch_annotator("counts", "counts_v1", model=_model)
def counts_v1(records: list[dict[str, Any]], context: Context) -> list[Columns]:
    docs = zip(_nlp().docs(context), context.texts, strict=True)
    return _columns(context, [sentence_count(doc, text) for doc, text in docs])


@functools.cache
def sentencizer() -> Language:
    """spaCy's English tokenizer and rule-based sentencizer: no model, loaded once per process."""
    import spacy  # on use: registering the annotators must not load spaCy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    # Tokens and sentence starts only (no parser or NER, whose memory spaCy's default limit
    # guards): a paragraph as long as the largest seed ingest accepts is split, not refused.
    nlp.max_length = 10**9
    return nlp


def paragraph_sentences(texts: list[str]) -> list[int]:
    """Each text's sentences that hold a word, counted paragraph by paragraph
    (`pipeline.words.paragraphs`), all paragraphs of the batch in one `nlp.pipe`."""
    blocks = [[b for b in paragraphs(text) if _HAS_WORD.search(b)] for text in texts]
    flat = [b for bs in blocks for b in bs]
    counts = iter(
        _word_sentences(doc, block, len(block))
        for doc, block in zip(sentencizer().pipe(flat, batch_size=256), flat, strict=True)
    )
    return [sum(next(counts) for _ in bs) for bs in blocks]


def _sentencizer_model(params: AnnotateParams) -> str:
    from spacy import __version__

    return f"spaCy {__version__} sentencizer (rule-based, en tokenizer)"


@batch_annotator("counts", "counts_v2", model=_sentencizer_model)
def counts_v2(records: list[dict[str, Any]], context: Context) -> list[Columns]:
    return _columns(context, paragraph_sentences(context.texts))
