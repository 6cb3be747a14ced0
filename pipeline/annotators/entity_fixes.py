"""`corpus_entity_fixes_v1`: the entity repairs `entities_v1`, `quotes_v1` and `dates_v1` see.

The small English model mislabels names news is full of ("Politico" PERSON, "Kiev" PERSON,
"Scholz" GPE, "Hungarian PM Viktor Orbán" WORK_OF_ART). This component repairs spaCy's entities
with rules: a gazetteer of countries, capitals and news organisations; "title + name" is a
PERSON; a surname of a full PERSON name is that person; one label per name within an article
(majority vote). Its data is `rules/entities_v1.yaml`, frozen with it; `entity_rules.py` holds
the measured successor (`corpus_entity_fixes_v2`).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from pipeline.annotators import rule_data
from pipeline.annotators.names import name_of

RULES = rule_data.read("entities_v1", version=1)
TITLES = frozenset(RULES["titles"])

# Organisation-like labels are left alone: "General Motors" is no General called Motors.
_NO_TITLE_LABELS = frozenset({"ORG", "FAC", "PRODUCT", "LAW", "EVENT"})
_NAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "WORK_OF_ART", "PRODUCT"})
_PROPER = ("NNP", "NNPS")


@Language.factory("corpus_entity_fixes_v1")
class EntityFixes:
    """Repairs `doc.ents` after `ner` (see the module docstring); deterministic rules only."""

    def __init__(self, nlp: Language, name: str):
        self.matcher = PhraseMatcher(nlp.vocab)
        self.matcher.add("GPE", list(nlp.tokenizer.pipe(RULES["countries"] + RULES["capitals"])))
        self.matcher.add("ORG", list(nlp.tokenizer.pipe(RULES["organizations"])))

    def __call__(self, doc: Doc) -> Doc:
        ents = {(e.start, e.end): e.label_ for e in doc.ents}
        fixed: set[tuple[int, int]] = set()  # set by a rule: the majority vote leaves them
        self._gazetteer(doc, ents, fixed)
        _titles(doc, ents, fixed)
        _surnames(doc, ents, fixed)
        _one_label_per_name(doc, ents, fixed)
        doc.ents = [Span(doc, s, e, label=label) for (s, e), label in sorted(ents.items())]
        return doc

    def _gazetteer(self, doc: Doc, ents: dict, fixed: set) -> None:
        owner = _owners(doc, ents)
        for span in filter_spans(self.matcher(doc, as_spans=True)):
            s, e, label = span.start, span.end, span.label_
            overlapping = {owner[i] for i in range(s, e) if owner[i] is not None}
            if any(k[0] < s or k[1] > e for k in overlapping):
                continue  # part of a longer name: "Berlin Wall", "Kyiv Post"
            if label == "GPE" and ents.get((s, e)) == "LOC":
                label = "LOC"
            for k in overlapping:
                del ents[k]
            ents[(s, e)] = label
            owner[s:e] = [(s, e)] * (e - s)
            fixed.add((s, e))


def _owners(doc: Doc, ents: dict) -> list[tuple[int, int] | None]:
    """Token i -> the key of the entity covering it (entities never overlap)."""
    owner: list[tuple[int, int] | None] = [None] * len(doc)
    for s, e in ents:
        owner[s:e] = [(s, e)] * (e - s)
    return owner


def _titles(doc: Doc, ents: dict, fixed: set, words: frozenset[str] = TITLES) -> None:
    for (s, e), label in list(ents.items()):
        titles = [i for i in range(s, e) if doc[i].lower_ in words]
        if not titles and label != "PERSON" and s > 0 and doc[s - 1].lower_ in words:
            # "Chancellor [Olaf Scholz]ORG": a capitalised title right before a proper name
            if doc[s - 1].is_title and all(t.tag_ in _PROPER + ("POS",) for t in doc[s:e]):
                ents[(s, e)] = "PERSON"
                fixed.add((s, e))
            continue
        if label in _NO_TITLE_LABELS or not titles:
            continue
        end = e
        while end > s and doc[end - 1].tag_ == "POS":
            end -= 1
        name = range(titles[-1] + 1, end)
        if not name or any(doc[i].tag_ not in _PROPER for i in name):
            continue
        del ents[(s, e)]
        fixed.discard((s, e))
        ents[(name.start, name.stop)] = "PERSON"
        fixed.add((name.start, name.stop))
        nationality = s  # "Hungarian" in "Hungarian PM ..." is a NORP
        while nationality < titles[0] and doc[nationality].tag_ == "JJ":
            nationality += 1
        if nationality > s and doc[s].is_title:
            ents[(s, nationality)] = "NORP"


def _surnames(doc: Doc, ents: dict, fixed: set) -> None:
    surnames = {
        words[-1]
        for (s, e), label in ents.items()
        if label == "PERSON" and len(words := [t.text for t in doc[s:e] if t.tag_ != "POS"]) > 1
    }
    if not surnames:
        return
    owner = _owners(doc, ents)
    for i in _proper_tokens(doc, surnames):
        if owner[i] in (None, (i, i + 1)):  # not inside a longer name
            ents[(i, i + 1)] = "PERSON"
            fixed.add((i, i + 1))


def _proper_tokens(doc: Doc, words: set[str]) -> list[int]:
    """Indices of the tokens written as one of `words` and tagged as proper nouns, in order.
    Compared as string hashes over the token arrays: a Python walk over every token of every
    article cost more than the other repairs together."""
    strings = doc.vocab.strings
    orth, tag = doc.to_array(["ORTH", "TAG"]).T
    wanted = np.isin(orth, np.array([strings[w] for w in words], dtype=np.uint64))
    proper = np.isin(tag, np.array([strings[t] for t in _PROPER], dtype=np.uint64))
    return np.flatnonzero(wanted & proper).tolist()


def _one_label_per_name(doc: Doc, ents: dict, fixed: set) -> None:
    votes: dict[str, Counter[str]] = {}
    names = {}  # each entity's name, made once (a Span and two regex passes each)
    for (s, e), label in ents.items():
        if label in _NAME_LABELS:
            names[(s, e)] = name = name_of(doc[s:e])
            votes.setdefault(name, Counter())[label] += 1
    for key, label in list(ents.items()):
        if key in fixed or label not in _NAME_LABELS:
            continue
        ranked = votes[names[key]].most_common(2)
        if len(ranked) == 2 and ranked[0][1] > ranked[1][1]:
            ents[key] = ranked[0][0]
