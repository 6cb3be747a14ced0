"""Which side of the publication date a day or month without a year lies on, for `dates_v5`.

`dates_v2` to `dates_v4` took a day or a month before the publication date unless its clause
had "will", "shall" or "going to" (`relative_dates._future`). News speaks of what is to come in
more ways than that, and the audit of unseen articles found each one resolved a year or a week
into the past: "set to take place on May 16", "is expected to push rates up on Wednesday" (a
verb that "set", "expected" and the like put "to" before), "launches June 28", "runs through
March 11" (the present tense), "is taking place on Friday", "is scheduled for May" (present
progressive and passive). The words are in `rules/dates_v5.yaml`.

Either counts only for a date the verb governs itself ("launches June 28", "opens on Friday"),
not one inside a noun phrase ("says Tuesday's vote failed", "expected within weeks of an
October news conference"): reporting verbs are in the present tense in much news writing
about the past. And "was set to", "was due to" are no future: what was to come then may have
come by the publication date ("was due to be released in September").
"""

from __future__ import annotations

from spacy.tokens import Span, Token

from pipeline.annotators.date_guards import RULES_V5
from pipeline.annotators.relative_dates import auxiliaries, clause_verb, future_aux

FUTURE_TO = frozenset(RULES_V5["future_to"])
PRESENT_AUX = frozenset(RULES_V5["present_aux"])
_PRESENT = frozenset({"VBZ", "VBP"})


def future_v5(ent: Span) -> bool:
    """The clause of `ent` speaks of the future: v2's "will"/"shall"/"going to", a verb with
    "to" after one of `future_to`, or a present tense that governs the date."""
    verb = clause_verb(ent)
    if verb is None:
        return False
    aux = auxiliaries(verb)
    if future_aux(verb, aux):
        return True
    if not _governs(verb, ent):
        return False
    if any(a.lower_ == "to" for a in aux) and verb.head.lower_ in FUTURE_TO:
        return not _past(verb.head)
    return _present(verb, aux)


def _past(token: Token) -> bool:
    """ "was due to", "planned to": what was to come then may have come by the publication
    date ("was due to be released in September"); only "is set to" and the like say it has
    not."""
    helpers = [c for c in token.children if c.dep_ in ("aux", "auxpass", "cop")]
    if token.dep_ == "acomp":  # "was due to": "due" complements "was"
        helpers.append(token.head)
    return token.tag_ == "VBD" or any(h.tag_ == "VBD" for h in helpers)


def _present(verb: Token, aux: list[Token]) -> bool:
    """A present tense, simple ("launches"), progressive ("is taking") or passive ("is
    scheduled"); not a perfect ("has met": its verb is a participle after "has")."""
    if verb.tag_ in _PRESENT:
        return True
    return verb.tag_ in ("VBG", "VBN") and bool(aux) and all(a.lower_ in PRESENT_AUX for a in aux)


def _governs(verb: Token, ent: Span) -> bool:
    """`ent` hangs on `verb` itself, or through one preposition ("on Friday", "through March
    11", "for May")."""
    head = ent.root.head
    return head == verb or (head.dep_ == "prep" and head.head == verb)
