"""Entities as names: what `people`, `organizations`, `places` and quote speakers are made of."""

from __future__ import annotations

import re
from collections import Counter

from spacy.tokens import Doc, Span

POSSESSIVE = re.compile(r"(?:['’]s?)$")
_THE = re.compile(r"^the\s+", re.IGNORECASE)


def name_of(span: Span) -> str:
    """An entity as a name: whitespace normalised, possessive "'s" and a leading "the" removed."""
    name = " ".join(span.text.split())
    name = POSSESSIVE.sub("", name).strip()
    return name if span.label_ == "PERSON" else _THE.sub("", name)


def person_names(doc: Doc) -> dict[str, str]:
    """Every PERSON name of `doc` -> its full form: "Scholz" -> "Olaf Scholz".

    A name merges into the one longer name that ends with it; with two ("John Smith", "Julianne
    Smith") "Smith" is ambiguous and stays as it is.
    """
    names = list(dict.fromkeys(name_of(e) for e in doc.ents if e.label_ == "PERSON"))
    split = {name: name.split() for name in names}
    full: dict[str, str] = {}
    for name, words in split.items():
        longer = [
            other
            for other, owords in split.items()
            if len(owords) > len(words) and owords[-len(words) :] == words
        ]
        # "King" in "Luther King" and "Martin Luther King": the longest that contains the others
        maximal = [a for a in longer if not any(a != b and b.endswith(" " + a) for b in longer)]
        full[name] = maximal[0] if len(maximal) == 1 else name
    return full


def ranked(names: list[str]) -> list[str]:
    """Distinct names, most mentioned first; ties in order of first mention."""
    counts = Counter(names)
    first = {name: i for i, name in reversed(list(enumerate(names)))}
    return sorted(counts, key=lambda name: (-counts[name], first[name]))
