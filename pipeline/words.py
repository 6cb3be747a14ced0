"""The project's one definition of a word and a paragraph (no model, no spaCy).

`counts` reports them, `quality` and `near_duplicates` count and shingle the same words, and
validate recomputes them to check that a record's counts are its text's.
"""

from __future__ import annotations

import re

# A word: letters or digits (any script), with inner apostrophes or hyphens ("isn't",
# "wishful-thinking" are one word each). Underscore is not a letter.
WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n\s*")


def word_count(text: str) -> int:
    return len(WORD.findall(text))


def paragraphs(text: str) -> list[str]:
    """Blocks separated by a blank line that hold more than white space."""
    return [block for block in _BLANK_LINE.split(text) if block.strip()]


def paragraph_count(text: str) -> int:
    return len(paragraphs(text))
