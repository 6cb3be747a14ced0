"""Spans that are no names, dropped or cut after `corpus_entity_fixes_v2`'s repairs
(`entity_rules.py`): `corpus_entity_fixes_v3` (`entities_v3`, and the entities `dates_v3` and
`dates_v4` read), `corpus_entity_fixes_v4` (`entities_v4`) and `corpus_entity_fixes_v5`
(`entities_v5`, and the entities `quotes_v6` and `dates_v5` read).

- v3 (`_as_name`): lower-case stop words, web and e-mail addresses, a name run into a bracket
  it does not close, spaces and punctuation a name ran on to.
- v4: v3, then no PERSON that is an honorific alone (`_title_only`, `rules/honorifics.yaml`),
  a name ends before a dash set off by spaces, and a person, organisation or place needs a
  letter (`_before_dash`).
- v5: v4, then no entity (a date included) across a line break (`_one_line`).
"""

from __future__ import annotations

from collections.abc import Callable

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from pipeline.annotators import rule_data
from pipeline.annotators.entity_rules import _NAMES, EntityRules

HONORIFICS = frozenset(rule_data.read("honorifics", version=1)["honorifics"])


def _names(doc: Doc) -> Doc:
    """v3's step: spans that are no names dropped or cut (`_as_name`)."""
    doc.ents = [span for e in doc.ents if (span := _as_name(e)) is not None]
    return doc


def _no_titles_or_dashes(doc: Doc) -> Doc:
    """v4's step: no PERSON that is only a title, a name ends before a spaced dash."""
    named = (_before_dash(e) for e in doc.ents if not _title_only(e))
    doc.ents = [e for e in named if e is not None]
    return doc


def _within_lines(doc: Doc) -> Doc:
    """v5's step: no entity across a paragraph break (`_one_line`)."""
    doc.ents = [span for e in doc.ents if (span := _one_line(e)) is not None]
    return doc


class _Steps(EntityRules):
    """A version of the repairs that is v2's, then `steps` in order: each version is the one
    before it plus a step of its own (`added`, on the docs of `adds_to`). Where one batch needs
    several versions, `nlp.entity_docs` applies each step once to a copy of the version below,
    instead of running v2's rules (the SpanRuler, most of the cost) again for every version."""

    adds_to: str
    steps: tuple[Callable[[Doc], Doc], ...]

    def __call__(self, doc: Doc) -> Doc:
        doc = EntityRules.__call__(self, doc)
        for step in self.steps:
            doc = step(doc)
        return doc

    def added(self, doc: Doc) -> Doc:
        """This version's own step, on a doc that `adds_to` repaired."""
        return self.steps[-1](doc)


@Language.factory("corpus_entity_fixes_v3")
class EntityRulesV3(_Steps):
    """`corpus_entity_fixes_v2`, then spans that are no names dropped or cut (`entities_v3`)."""

    adds_to, steps = "corpus_entity_fixes_v2", (_names,)


@Language.factory("corpus_entity_fixes_v4")
class EntityRulesV4(_Steps):
    """`corpus_entity_fixes_v3`, then no PERSON that is only a title (`entities_v4`)."""

    adds_to, steps = "corpus_entity_fixes_v3", (*EntityRulesV3.steps, _no_titles_or_dashes)


@Language.factory("corpus_entity_fixes_v5")
class EntityRulesV5(_Steps):
    """`corpus_entity_fixes_v4`, then no entity across a line break (`entities_v5`)."""

    adds_to, steps = "corpus_entity_fixes_v4", (*EntityRulesV4.steps, _within_lines)


# A line of at least this many characters before a single line break is wrapped prose (plain
# text, e-mail, RFCs wrap at 60 to 80): a name may go on after it ("Anne van Kesteren and
# Ben\nKelly"). Shorter lines are a list, a menu or a table's cells ("Color\nA12X Bionic").
WRAPPED_LINE = 40


def _one_line(ent: Span) -> Span | None:
    """`ent` up to its first line break, or after it when nothing is before it: the model runs
    a name or a date on into the next paragraph ("Joseph Cox\n\nCaudevilla", a dateline's
    "Thursday, January 12, 2006\n\nThe Plains of Arafat") or the next item of a list, and no
    name or date holds a paragraph break. v3 only trimmed one at a span's end."""
    breaks = [t.i for t in ent if t.is_space and "\n" in t.text and not _wrapped(t)]
    if not breaks:
        return ent
    pieces = zip((ent.start, *(i + 1 for i in breaks)), (*breaks, ent.end), strict=True)
    for start, end in pieces:
        if any(not t.is_space for t in ent.doc[start:end]):
            return _cut(Span(ent.doc, start, end, label=ent.label_), end)
    return None


def _wrapped(space: Token) -> bool:
    """`space` is a single line break after a long line: wrapped prose, not a new item."""
    if space.text.count("\n") > 1:
        return False
    return space.idx - _line_start(space) >= WRAPPED_LINE


def _line_start(token: Token) -> int:
    """Where the line of `token` starts: after the last line break of the tokens before it
    (`doc.text` would be built again from every token of the article at each call)."""
    for before in reversed(token.doc[: token.i]):
        if "\n" in (ws := before.text_with_ws):
            return before.idx + ws.rindex("\n") + 1
    return 0


_DASHES = frozenset("-–—")
_LETTERED = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC"})


def _before_dash(ent: Span) -> Span | None:
    """A name ends before a dash set off by spaces ("Jerry Springer - The" -> "Jerry Springer":
    no name holds one; "Jean-Paul" has none); a person, organisation or place with no letter is
    none ("7:39.89", an ISBN; products and works may be numbers: "747", "1984")."""
    if ent.label_ not in _NAMES:
        return ent
    end = next(
        (t.i for t in ent[1:] if t.text in _DASHES and ent.doc[t.i - 1].whitespace_), ent.end
    )
    span = _cut(ent, end)
    if span is None or (ent.label_ in _LETTERED and not any(c.isalpha() for c in span.text)):
        return None
    return span


def _title_only(ent: Span) -> bool:
    """A PERSON with no name in it: honorifics (`rules/honorifics.yaml`), and the verb the
    model ran into one ("Mr" of "Mr Fogg", whose "Fogg" the model tagged apart; "Said Mr" at a
    sentence's start). The person's name, when the model found it, is its own entity."""
    words = [t for t in ent if not t.is_punct]
    return (
        ent.label_ == "PERSON"
        and any(t.lower_ in HONORIFICS for t in words)
        and all(t.lower_ in HONORIFICS or t.tag_.startswith("VB") for t in words)
    )


def _as_name(ent: Span) -> Span | None:
    """`ent` as a name (dates, numbers and amounts are left as they are), or None when it is
    none: lower-case stop words only (the model tags a curly "n’t" before a full stop GPE), or
    a web address, an e-mail address or "someone @ somewhere" among its words ("Twitter
    @handle", "NJ @ PNC Bank Arts Center"; a handle alone, "@POTUS", and a domain, "Gawker.com",
    name an account and a site and stay). A name the model ran into a bracket it does not close
    ends before it ("Shanghai Composite (SHCOMP"), and spaces and punctuation it ran on to are
    not part of it ("MacBook Pro\n\n", "King Edward IV.")."""
    if ent.label_ not in _NAMES:
        return ent
    if all(t.is_stop and t.is_lower for t in ent if not t.is_punct):
        return None
    if any(_address(t) for t in ent) or (len(ent) > 1 and any(t.text[0] == "@" for t in ent)):
        return None
    unclosed: list[int] = []  # token indices of the brackets still open
    for t in ent:
        if t.text in _OPENING:
            unclosed.append(t.i)
        elif t.text in _CLOSING and unclosed:
            unclosed.pop()
    return _cut(ent, unclosed[0] if unclosed else ent.end)


def _cut(ent: Span, end: int) -> Span | None:
    """`ent` ended at token `end`, without the spaces and punctuation before it (`_trailing`);
    None when nothing is left."""
    while end > ent.start and _trailing(ent.doc[end - 1], ent):
        end -= 1
    return Span(ent.doc, ent.start, end, label=ent.label_) if end > ent.start else None


def _address(token: Token) -> bool:
    text = token.lower_
    return token.like_email or "://" in text or text.startswith("www.")


def _trailing(token: Token, ent: Span) -> bool:
    """Space or punctuation the name does not end with. "!" and "?" may ("Kerrang!"); so may a
    closing bracket or quotation mark whose opening one is written before it in the name
    ("'Look Around You'", "Representatives.[72]": "[" is inside a token)."""
    if token.is_space:
        return True
    if not token.is_punct or set(token.text) <= set("!?"):
        return False
    before = ent.doc.text[ent.start_char : token.idx]
    return not any(mark in before for mark in _PAIRS.get(token.text, ""))


# A closing mark -> the marks that open it.
_PAIRS = {")": "(", "]": "[", "}": "{", "'": "'‘", '"': '"“', "’": "‘'", "”": '“"'}
_OPENING, _CLOSING = frozenset("([{"), frozenset(")]}")
