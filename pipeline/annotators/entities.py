"""Slot `entities`: named entities and the people, organisations and places they name.

Both versions write `entities` (spaCy-labelled spans {text, label, start, end}, character offsets
into `text`, `text[start:end] == text`), `people`, `organizations` and `places` (GPE + LOC):
distinct names, most mentioned first, possessive "'s" and a leading "the" stripped, a person's
short form ("Scholz") merged into the full name used elsewhere in the article ("Olaf Scholz").

- `entities_v1`: spaCy's entities repaired by `corpus_entity_fixes_v1` (`entity_fixes.py`).
- `entities_v2`: repaired by `corpus_entity_fixes_v2` (`entity_rules.py`, measured by
  `bench/entities_eval.py`); `places` lists each place once under its canonical name ("U.S.",
  "US" and "the United States" are "United States"; `rules/entities_v2.yaml`), while `entities`
  keeps the text as written.
- `entities_v3`: repaired by `corpus_entity_fixes_v3`: v2's repairs, then spans that are no
  names go ("n’t" as a place, "Twitter @handle" as a person, a URL) and a name the model ran
  into an unclosed bracket ends before it ("Shanghai Composite (SHCOMP" -> "Shanghai
  Composite"). `quotes` and `dates` keep v2's entities.
- `entities_v4`: v3 without a PERSON that is a title alone: the model tags "Mr" of "Mr Fogg"
  apart from "Fogg", and "Said Mr" at a sentence's start; v3 listed "Mr" and "Said Mr" among
  `people`. A name ends before a dash set off by spaces ("Jerry Springer - The"), and a
  person, organisation or place without a letter is none ("½", an ISBN, "7:39.89").
- `entities_v5`: v4 with no entity across a line break: "Joseph Cox\n\nCaudevilla" is
  "Joseph Cox" (`corpus_entity_fixes_v5`).

Params: those of the shared spaCy parse (`annotate.spacy_model`, `annotate.spacy_batch_size`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spacy.tokens import Doc

from pipeline.annotators import (
    Columns,
    Context,
    batch_annotator,
    entity_fixes,
    entity_names,
    entity_rules,
)
from pipeline.annotators.names import name_of, person_names, ranked
from pipeline.annotators.nlp import entity_docs, languages, model

FIXES_V1 = "corpus_entity_fixes_v1"
FIXES_V2 = "corpus_entity_fixes_v2"
FIXES_V3 = "corpus_entity_fixes_v3"
FIXES_V4 = "corpus_entity_fixes_v4"
FIXES_V5 = "corpus_entity_fixes_v5"
assert entity_fixes and entity_rules and entity_names  # imported for their spaCy factories


def entity_columns(doc: Doc, place_name: Callable[[str], str] = lambda name: name) -> Columns:
    full = person_names(doc)
    labelled: dict[str, list[str]] = {"PERSON": [], "ORG": [], "PLACE": []}
    for ent in doc.ents:
        name = name_of(ent)
        if not name:
            continue
        if ent.label_ == "PERSON":
            labelled["PERSON"].append(full[name])
        elif ent.label_ == "ORG":
            labelled["ORG"].append(name)
        elif ent.label_ in ("GPE", "LOC"):
            labelled["PLACE"].append(place_name(name))
    return {
        "entities": [
            {"text": e.text, "label": e.label_, "start": e.start_char, "end": e.end_char}
            for e in doc.ents
        ],
        "people": ranked(labelled["PERSON"]),
        "organizations": ranked(labelled["ORG"]),
        "places": ranked(labelled["PLACE"]),
    }


@batch_annotator("entities", "entities_v1", model=model, languages=languages)
def entities_v1(records: list[dict[str, Any]], context: Context) -> list[Columns]:
    return [entity_columns(doc) for doc in entity_docs(context, FIXES_V1)]


def _canonical_places(context: Context, fixes: str) -> list[Columns]:
    """The batch's entity columns on the repairs `fixes`, each place under its canonical name."""
    return [entity_columns(d, entity_rules.canonical_place) for d in entity_docs(context, fixes)]


@batch_annotator("entities", "entities_v2", model=model, languages=languages)
def entities_v2(records: list[dict[str, Any]], context: Context) -> list[Columns]:
    return _canonical_places(context, FIXES_V2)


@batch_annotator("entities", "entities_v3", model=model, languages=languages)
def entities_v3(records: list[dict[str, Any]], context: Context) -> list[Columns]:
    return _canonical_places(context, FIXES_V3)


@batch_annotator("entities", "entities_v4", model=model, languages=languages)
def entities_v4(records: list[dict[str, Any]], context: Context) -> list[Columns]:
    return _canonical_places(context, FIXES_V4)


@batch_annotator("entities", "entities_v5", model=model, languages=languages)
def entities_v5(records: list[dict[str, Any]], context: Context) -> list[Columns]:
    return _canonical_places(context, FIXES_V5)
