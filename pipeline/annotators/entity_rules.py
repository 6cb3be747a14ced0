"""`corpus_entity_fixes_v2`: the entity repairs `entities_v2`, `quotes_v2` to `quotes_v4` and
`dates_v2` see; `corpus_entity_fixes_v3` and `_v4`, which drop or cut spans that are no
names after these repairs, are `entity_names.py`.

Measured, not tuned: `bench/entities_eval.py` scores them against GUM's gold names on articles
they were not written on (README, "Entity evaluation"); each rule was kept only if it did not
lower F1 on the tuning part. Data (`rules/places.yaml`, `rules/organizations.yaml`,
`rules/titles.yaml`) is general-purpose: country and capital names, organisation head words,
titles; no article's names. In order:

1. Spans are names: a leading "the" and a trailing possessive "'s" are not part of them
   ("the Church of Scientology's" -> "Church of Scientology"), as in `people`/`places` already.
2. A spaCy `SpanRuler` adds gazetteer places and organisations (they replace the model's label
   unless a longer name contains them, "Berlin Wall", or a capitalised word before them makes
   them part of one, "Cycling UK"), and names made of capitalised words that end in an
   organisation head word ("Civil Defense Authority"), where the model found nothing.
3. A name headed by a place noun is a place ("the Baltic Countries" LOC, not ORG); one headed by
   an organisation or media word is an ORG ("told the Gazette": no PERSON).
4. From v1: "title + name" is a PERSON; a surname of a full PERSON name is that person; one
   label per name within an article (majority vote).
"""

from __future__ import annotations

from collections.abc import Iterable

from spacy.language import Language
from spacy.pipeline import SpanRuler
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from pipeline.annotators import rule_data
from pipeline.annotators.entity_fixes import _one_label_per_name, _surnames, _titles

PLACES = rule_data.read("places", version=1)
ORGS = rule_data.read("organizations", version=1)
TITLES = frozenset(rule_data.read("titles", version=1)["titles"])
PLACE_HEADS = frozenset(PLACES["place_heads"])
PLACE_MODIFIERS = frozenset(PLACES["place_modifiers"])
ORG_HEADS = frozenset(ORGS["org_heads"])
MEDIA_HEADS = frozenset(ORGS["media_heads"])
COUNTRIES = frozenset(PLACES["countries"])
CANONICAL = {alias: name for name, aliases in PLACES["canonical"].items() for alias in aliases}
_PROPER = ("NNP", "NNPS")
# Labels whose spans are names (trimmed of "the" and "'s"); dates, numbers and the rest are not.
_NAMES = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "PRODUCT", "WORK_OF_ART"})
GAZETTEER, HEADED = "gazetteer", "headed"


def canonical_place(name: str) -> str:
    """The name `places` lists a place under: "U.S." -> "United States"."""
    return CANONICAL.get(name, name)


def _patterns() -> list[dict]:
    gazetteer = [
        *({"label": "GPE", "pattern": n, "id": GAZETTEER} for n in PLACES["countries"]),
        *({"label": "GPE", "pattern": n, "id": GAZETTEER} for n in PLACES["capitals"]),
        *({"label": "ORG", "pattern": n, "id": GAZETTEER} for n in ORGS["organizations"]),
    ]
    word = {"IS_TITLE": True, "TAG": {"IN": list(_PROPER)}}
    head = {"LOWER": {"IN": sorted(ORG_HEADS)}, "TAG": {"IN": list(_PROPER)}}
    name = [word, {**word, "OP": "*"}, head]
    tail = [
        {"LOWER": {"IN": ["of", "for"]}},
        {"LOWER": "the", "OP": "?"},
        word,
        {**word, "OP": "*"},
    ]
    headed = [  # "Civil Defense Authority", "Joint Council for the Welfare of Immigrants"
        {"label": "ORG", "pattern": name, "id": HEADED},
        {"label": "ORG", "pattern": name + tail, "id": HEADED},
        {"label": "ORG", "pattern": name + tail + tail[:1] + tail[2:], "id": HEADED},
    ]
    return gazetteer + headed


def _name_before(doc: Doc, ents: dict, start: int, country: bool) -> int:
    """Where the capitalised proper nouns right before token `start` begin (`start` if none):
    words of no entity, no title, no place modifier ("Cycling" in "Cycling UK", not "North").
    Before a country, a one-word entity the model found counts too ("[Cycling]GPE UK"); before
    other places it does not: "[Valeska]GPE Paris" is more often a person (measured)."""
    owner = {i: key for key in ents for i in range(*key)}
    while start > 0:
        before = doc[start - 1]
        key = owner.get(before.i)
        if (
            before.tag_ not in _PROPER
            or not before.is_title
            or not before.whitespace_
            or (key is not None and not (country and key == (before.i, start)))
            or before.lower_ in TITLES | PLACE_MODIFIERS
        ):
            break
        ents.pop((before.i, start), None)
        start -= 1
    return start


def _places_in_names(doc: Doc, ents: dict, fixed: set) -> None:
    """A place right after capitalised words is part of an organisation's name: "Cycling UK"."""
    for (s, e), label in sorted(ents.items()):
        if (s, e) not in ents or label not in ("GPE", "LOC"):
            continue
        start = _name_before(doc, ents, s, doc[s:e].text in COUNTRIES)
        if start < s:
            del ents[(s, e)]
            fixed.discard((s, e))
            ents[(start, e)] = "ORG"
            fixed.add((start, e))


def ruler_filter(entities: Iterable[Span], matches: Iterable[Span]) -> list[Span]:
    """Merge the ruler's matches into the model's entities (module docstring, step 2)."""
    ents = {(e.start, e.end): e for e in entities}
    for span in filter_spans(matches):
        doc = span.doc
        overlapping = [e for e in ents.values() if e.start < span.end and span.start < e.end]
        if span.id_ == HEADED:
            if any(
                e.label_ != "ORG" or e.start < span.start or e.end > span.end for e in overlapping
            ):
                continue  # only new names, or an ORG the head word's name extends
        else:
            longer = [e for e in overlapping if e.start < span.start or e.end > span.end]
            if any(any(t.is_alpha for t in _outside(e, span)) for e in longer):
                continue  # part of a longer name: "Berlin Wall", "Kyiv Post"
        label = span.label_
        same = ents.get((span.start, span.end))
        if label == "GPE" and same is not None and same.label_ == "LOC":
            label = "LOC"
        for e in overlapping:
            del ents[(e.start, e.end)]
        ents[(span.start, span.end)] = Span(
            doc, span.start, span.end, label=label, span_id=span.id_
        )
    return sorted(ents.values())


def _outside(ent: Span, span: Span) -> list:
    return [t for t in ent if not span.start <= t.i < span.end]


def _trimmed(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """Without a leading "the" and a trailing possessive."""
    if end - start > 1 and doc[start].lower_ == "the":
        start += 1
    while end - start > 1 and doc[end - 1].tag_ == "POS":
        end -= 1
    return start, end


def _name_span(doc: Doc, start: int, end: int, label: str) -> Span:
    """The entity as a span, trimmed when it is a name."""
    s, t = _trimmed(doc, start, end) if label in _NAMES else (start, end)
    return Span(doc, s, t, label=label)


def _trim(doc: Doc) -> None:
    doc.ents = [_name_span(doc, e.start, e.end, e.label_) for e in doc.ents]


def _heads(doc: Doc, ents: dict, fixed: set) -> None:
    """Step 3: a name's head noun decides between place and organisation."""
    for (s, e), label in list(ents.items()):
        if (s, e) in fixed:
            continue
        head = doc[s:e].root.lower_
        if head in PLACE_HEADS and label == "ORG":
            ents[(s, e)] = "LOC"
            fixed.add((s, e))
        elif head in ORG_HEADS | MEDIA_HEADS and (
            label in ("GPE", "LOC") or (label == "PERSON" and s > 0 and doc[s - 1].lower_ == "the")
        ):  # a person's name is no "the Gazette"; "Margaret Court" is one
            ents[(s, e)] = "ORG"
            fixed.add((s, e))


def _first_names(doc: Doc, ents: dict, fixed: set) -> None:
    """A capitalised proper noun right before a one-word PERSON, in no entity or in a one-word
    entity the model labelled otherwise, is its first name: "[Dries]ORG [Mertens]PERSON"."""
    owner = {i: key for key in ents for i in range(*key)}
    for (s, e), label in sorted(ents.items()):
        if label != "PERSON" or e - s != 1 or s == 0 or (s, e) not in ents:
            continue
        before = doc[s - 1]
        key = owner.get(s - 1)
        if (
            before.tag_ in _PROPER
            and before.is_title
            and before.whitespace_
            and before.lower_ not in TITLES
            and (key is None or (key == (s - 1, s) and key not in fixed))
        ):
            ents.pop((s - 1, s), None)
            del ents[(s, e)]
            ents[(s - 1, e)] = "PERSON"
            # The joined name owns its tokens now: a one-word PERSON right after it must not
            # take its last word as a first name too ("[Feather Duvet] [Lung]", not two spans
            # sharing "Duvet", which spaCy refuses for the whole article).
            owner.update(dict.fromkeys(range(s - 1, e), (s - 1, e)))
            fixed.discard((s, e))
            fixed.add((s - 1, e))


@Language.factory("corpus_entity_fixes_v2")
class EntityRules:
    """Repairs `doc.ents` after `ner` (see the module docstring); deterministic rules only."""

    def __init__(self, nlp: Language, name: str):
        self.ruler = SpanRuler(
            nlp,
            name=f"{name}.ruler",
            spans_key=None,
            annotate_ents=True,
            ents_filter=ruler_filter,
            phrase_matcher_attr="ORTH",
        )
        self.ruler.add_patterns(_patterns())

    def __call__(self, doc: Doc) -> Doc:
        _trim(doc)
        self.ruler(doc)
        fixed = {(e.start, e.end) for e in doc.ents if e.id_}  # set by the ruler
        ents = {(e.start, e.end): e.label_ for e in doc.ents}
        _heads(doc, ents, fixed)
        _places_in_names(doc, ents, fixed)
        _titles(doc, ents, fixed, TITLES)
        _first_names(doc, ents, fixed)
        _surnames(doc, ents, fixed)
        _one_label_per_name(doc, ents, fixed)
        # Trimmed as they are set: setting them untrimmed and trimming after gives the same.
        doc.ents = [_name_span(doc, s, e, label) for (s, e), label in sorted(ents.items())]
        return doc
