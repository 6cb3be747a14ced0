"""Slot `language`: which language an article is written in.

`language_v1` -> `language` (ISO 639 code) and `language_score` (py3langid's normalised
probability, rounded to 6 places). Params: `annotate.language_candidates` (empty: all 97
languages the model knows). The model ships inside the py3langid package: nothing is downloaded.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import version
from typing import Any

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from pipeline.annotators import Columns, Context, batch_annotator
from pipeline.params import AnnotateParams


@cache
def language_identifier(candidates: tuple[str, ...]) -> LanguageIdentifier:
    # Loading the model takes ~0.5 s: once per process and candidate set, not per article.
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    if candidates:
        identifier.set_languages(list(candidates))
    return identifier


def detect_language(text: str, candidates: tuple[str, ...] = ()) -> tuple[str, float]:
    """(ISO 639 code, normalised probability) of `text`, among `candidates` when given."""
    lang, prob = language_identifier(tuple(candidates)).classify(text)
    # Rounded so that the float is the same on every platform's BLAS.
    return lang, round(float(prob), 6)


def _model(params: AnnotateParams) -> str:
    return f"py3langid {version('py3langid')}"


@batch_annotator("language", "language_v1", model=_model)
def language_v1(records: list[dict[str, Any]], context: Context) -> list[Columns]:
    candidates = context.params.language_candidates
    out = []
    for record in records:
        language, score = detect_language(record["text"], candidates)
        out.append({"language": language, "language_score": score})
    return out
