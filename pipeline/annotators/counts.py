"""Slot `counts`: how long an article is.

`counts_v1` -> `char_count` (code points), `word_count`, `sentence_count`, `paragraph_count`
(blocks separated by a blank line), `reading_time_minutes` (word_count /
`annotate.words_per_minute`, rounded to 2 places). Params: `annotate.words_per_minute`, and for
sentences `annotate.spacy_model` and `spacy_batch_size`.

Words and paragraphs are the project's one definition of them, in `pipeline/words.py`.

Sentences are spaCy's (`doc.sents` of the batch's shared parse, `nlp.docs`, which the entities,
dates and quotes annotators use too): the pieces that contain a word, so a stray "***" or a
blank line is not a sentence. spaCy parses the first `nlp.MAX_CHARS` characters of a text, so
sentences beyond them are not counted. The spaCy model is recorded as this annotator's model.

The words are found once per batch and shared with `quality` (`annotators.shared_words`).
"""

from __future__ import annotations

import re
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from pipeline.annotators import Columns, Context, batch_annotator, shared_words
from pipeline.params import AnnotateParams
from pipeline.words import paragraph_count

if TYPE_CHECKING:
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
    starts, offsets = doc.to_array(["SENT_START", "IDX"]).T
    first = (starts == 1) | (np.arange(len(doc)) == 0)  # as `doc.sents` splits
    bounds = [*offsets[first].tolist(), _nlp().parsed_length(doc)]
    return sum(1 for a, b in zip(bounds, bounds[1:], strict=False) if _HAS_WORD.search(text, a, b))


def _nlp() -> ModuleType:
    # Imported on use, not above: registering the annotators must not load spaCy.
    from pipeline.annotators import nlp

    return nlp


def _model(params: AnnotateParams) -> str:
    return _nlp().model(params)


@batch_annotator("counts", "counts_v1", model=_model)
def counts_v1(records: list[dict[str, Any]], context: Context) -> list[Columns]:
    words_per_minute = context.params.words_per_minute
    if words_per_minute <= 0:
        raise ValueError(f"annotate.words_per_minute must be positive, not {words_per_minute}")
    out = []
    docs, words = _nlp().docs(context), shared_words(context)
    for record, doc, text_words in zip(records, docs, words, strict=True):
        text = record["text"]
        n_words = len(text_words)
        out.append(
            {
                "char_count": len(text),
                "word_count": n_words,
                "sentence_count": sentence_count(doc, text),
                "paragraph_count": paragraph_count(text),
                "reading_time_minutes": round(n_words / words_per_minute, 2),
            }
        )
    return out
