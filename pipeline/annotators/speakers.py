"""Who said a quotation, once its cue is found: the cue's subject, a pronoun's antecedent, the
speaker's phrase (`quotes.py`'s docstring, step 4), and the cue verbs (`rules/quote_cues.yaml`).

`Speakers` holds the rules `attribution._Article` applies; `SpeakerRules` what differs between
the versions of `quotes`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from spacy.tokens import Doc, Token

from pipeline.annotators import rule_data
from pipeline.annotators.names import name_of
from pipeline.annotators.quote_marks import QUOTE_MARKS

Bound = tuple[int, int]  # character offsets [start, end)

CUES = rule_data.read("quote_cues", version=1)


def _regular_forms(verb: str) -> list[str]:
    stem = verb[:-1] if verb.endswith("e") else verb
    third = verb + ("es" if verb.endswith(("s", "sh", "ch", "x")) else "s")
    return [verb, third, stem + "ed", stem + "ing"]


def _verb_forms(rules: dict) -> frozenset[str]:
    """Every form of a cue file's verbs: irregular ones as listed, regular ones by rule."""
    return frozenset(
        form
        for forms in (*rules["irregular"].values(), *(_regular_forms(v) for v in rules["regular"]))
        for form in forms
    )


CUE_VERBS = _verb_forms(CUES)
# v5: speech verbs only right before or after a quote (see the file)
FRAME_CUE_VERBS = _verb_forms(rule_data.read("quote_frame_cues", version=1))
_TELL = frozenset(CUES["irregular"]["tell"])
_PRONOUNS = frozenset({"he", "she", "they"})
_SUBJECTS = ("nsubj", "nsubjpass")
_NOT_IN_NAME = frozenset({"relcl", "acl", "appos", "advcl", "punct", "parataxis"})
SENTENCE_END = frozenset(".!?")
_PROPER = ("NNP", "NNPS")


def is_cue(token: Token, frame_verbs: frozenset[str] = frozenset()) -> bool:
    """A speech verb; with `frame_verbs`, one of those too (where a quote frames it)."""
    if token.lower_ == "according":
        return token.i + 1 < len(token.doc) and token.doc[token.i + 1].lower_ == "to"
    return (token.lower_ in CUE_VERBS or token.lower_ in frame_verbs) and token.tag_.startswith(
        "VB"
    )


def inside(token: Token, spans: list[Bound]) -> bool:
    return any(s <= token.idx < e for s, e in spans)


def _quoted(token: Token, masks: list[Bound]) -> bool:
    """`token` is among the words of a quote, unless the quote is a title inside its phrase: a
    quote that phrase wholly holds, beside words of its own ("detainee 'A' in Woodhill said")."""
    for s, e in masks:
        if s <= token.idx < e:
            phrase = list(token.subtree)
            held = phrase[0].idx <= s and e <= phrase[-1].idx + len(phrase[-1])
            return not (held and any(not t.is_punct and not s <= t.idx < e for t in phrase))
    return False


@dataclass(frozen=True)
class SpeakerRules:
    """What differs between the versions of the speaker rules."""

    relatives: frozenset[str]  # Penn tags of relative pronouns that stand for their clause's noun
    unresolved_is_none: bool  # such a pronoun with no noun to stand for is no speaker
    # v4: a speaker is never words of a quote, nor a phrase across a quotation mark or sentence
    # end, nor part of a name; an apposed person is the speaker ("the coach, Ann Lee, said")
    outside_quotes: bool = False
    # v5: a quote open at a sentence end goes on where the same mark opens again (quote_marks)
    lost_breaks: bool = False
    frame_verbs: frozenset[str] = frozenset()  # v5: FRAME_CUE_VERBS
    # v6: a cue ending the paragraph before a quote's may end with a comma, as with a colon
    # ("Rathbun stated,\n\n“Daniel was ...”")
    comma_before_break: bool = False
    # v6: a quote open at a paragraph's end goes on where the next one's first mark closes it
    closed_after_break: bool = False


# `quotes_v1`, `quotes_v2`: "who" only, and "which" itself was published as a speaker.
WHO = SpeakerRules(frozenset({"WP"}), unresolved_is_none=False)
# `quotes_v3`: "which" and "that" too ("Rightmove, which said ..." is Rightmove).
WHO_WHICH_THAT = SpeakerRules(frozenset({"WP", "WDT"}), unresolved_is_none=True)
# `quotes_v4`: v3's, outside quotes and whole names.
OUTSIDE_QUOTES = SpeakerRules(
    frozenset({"WP", "WDT"}), unresolved_is_none=True, outside_quotes=True
)
# `quotes_v5`: v4's, with quotes continued over paragraph breaks lost in export, and the
# verbs that are speech right before or after a quote ("agreed Mr Lee").
FRAMES = SpeakerRules(
    frozenset({"WP", "WDT"}),
    unresolved_is_none=True,
    outside_quotes=True,
    lost_breaks=True,
    frame_verbs=FRAME_CUE_VERBS,
)
# `quotes_v6`: v5's, and a cue before a paragraph break that ends with a comma.
FRAMES_V6 = dataclasses.replace(FRAMES, comma_before_break=True, closed_after_break=True)


class Speakers:
    """The speaker rules of one parsed article (`attribution._Article` is one)."""

    text: str
    doc: Doc
    rules: SpeakerRules
    full_names: dict[str, str]

    def cue_text(self, cue: Token) -> str:
        """The cue as written: "said", "according to", "told reporters"."""
        if cue.lower_ == "according":
            return "according to"
        if cue.lower_ in _TELL:
            for child in cue.rights:
                if child.dep_ == "dobj" and child.left_edge.i == cue.i + 1:
                    return self.doc[cue.i : child.right_edge.i + 1].text
        return cue.text

    def speaker(self, cue: Token, masks: list[Bound]) -> str | None:
        outside = masks if self.rules.outside_quotes else []
        subject = self._subject(cue, outside)
        if subject is None:
            return None
        if subject.lower_ in _PRONOUNS:
            return self._antecedent(subject, "PERSON", masks)
        if subject.lower_ == "it":
            return self._antecedent(subject, "ORG", masks)
        if subject.tag_ in self.rules.relatives and cue.dep_ == "relcl":  # "Smith, who said"
            subject = cue.head
        elif subject.tag_ in self.rules.relatives and self.rules.unresolved_is_none:
            return None  # a "which" whose noun the parse does not give: no speaker, not "which"
        if self.rules.outside_quotes and subject.ent_type_ != "PERSON":
            # "the team's coach, Alireza Mehraban, said": the name
            subject = next(
                (c for c in subject.children if c.dep_ == "appos" and c.ent_type_ == "PERSON"),
                subject,
            )
        if subject.ent_type_ == "PERSON":
            ent = next(e for e in self.doc.ents if e.start <= subject.i < e.end)
            whole = not self.rules.outside_quotes or not any(
                map(self._stops(ent.start, ent.end, outside), ent)
            )  # v4: not a "name" across a sentence end or a quote ('I. "Sitting')
            if whole:
                return self.full_names.get(name_of(ent), name_of(ent))
        return self._phrase(subject, outside) or None

    def _subject(self, cue: Token, masks: list[Bound]) -> Token | None:
        if cue.lower_ == "according":
            to = cue.doc[cue.i + 1]
            return next((c for c in to.children if c.dep_ == "pobj"), None)
        # Without a subject of its own, the cue takes that of the next speech verb up the tree,
        # or a conjunct or gerund that of its verb: "Fico says ... and vowed", "said Roddick,
        # adding that", "is on record as saying".
        inherits = cue.dep_ == "conj" or cue.tag_ == "VBG"
        for verb in (cue, *cue.ancestors):
            if verb is cue or is_cue(verb) or (inherits and verb.tag_.startswith("VB")):
                subject = next(
                    (c for c in verb.children if c.dep_ in _SUBJECTS and not _quoted(c, masks)),
                    None,
                )
                if subject is not None:
                    return subject
                inherits = inherits and verb is cue
        if cue.lower_ not in _TELL:  # “...”, said a spokesman (parsed as an object)
            for child in cue.rights:
                if (
                    child.dep_ in ("dobj", "attr", "npadvmod", "dep")
                    and child.tag_.startswith(("NN", "PRP"))
                    and not _quoted(child, masks)
                ):
                    return child
        return None

    def _phrase(self, head: Token, masks: list[Bound]) -> str:
        """The noun phrase headed by `head`, without relative clauses, appositions or commas.
        With `masks` (v4), only its words around `head` outside quotes and within one sentence,
        and a name it cuts is whole ("CEO of the Refugee Council Enver" + "Solomon")."""
        dropped = {t.i for c in head.children if c.dep_ in _NOT_IN_NAME for t in c.subtree}
        kept = [t.i for t in head.subtree if t.i not in dropped]
        start, end = min(kept), max(kept) + 1
        if self.rules.outside_quotes:
            start, end = self._bounded(head, start, end, masks)
        while start < end and (self.doc[start].is_punct or self.doc[start].is_space):
            start += 1
        while end > start and (self.doc[end - 1].is_punct or self.doc[end - 1].is_space):
            end -= 1
        name = " ".join(self.doc[start:end].text.split())
        return self.full_names.get(name, name)

    def _bounded(self, head: Token, start: int, end: int, masks: list[Bound]) -> Bound:
        """`start:end` (token indices) cut to the words around `head` before a sentence end, a
        quote the phrase runs into or its mark (a quote wholly inside it stays: the "Pose"
        actor), then widened over the proper nouns of a name it cuts."""
        stops = self._stops(start, end, masks)
        left = next((i + 1 for i in range(head.i - 1, start - 1, -1) if stops(self.doc[i])), start)
        right = next((i for i in range(head.i + 1, end) if stops(self.doc[i])), end)
        for ent in self.doc.ents:
            cut = ent.start < left < ent.end or ent.start < right < ent.end
            if not cut or any(stops(t) for t in ent):  # only the names the phrase cuts
                continue
            while ent.start < right < ent.end and self.doc[right].tag_ in _PROPER:
                right += 1
            while ent.start < left < ent.end and self.doc[left - 1].tag_ in _PROPER:
                left -= 1
        return left, right

    def _stops(self, start: int, end: int, masks: list[Bound]) -> Callable[[Token], bool]:
        """Whether a token of the phrase `start:end` ends it (see `_bounded`)."""
        lo, hi = self.doc[start].idx, self.doc[end - 1].idx + len(self.doc[end - 1])
        within = [(s, e) for s, e in masks if lo <= s and e <= hi]
        crossing = [m for m in masks if m not in within]

        def stops(t: Token) -> bool:
            if t.text in SENTENCE_END or inside(t, crossing):
                return True
            if t.text not in QUOTE_MARKS or t.tag_ == "POS":  # "Mr Eavis' daughter"
                return False
            return not any(s - 2 <= t.idx <= e + 1 for s, e in within)

        return stops

    def _antecedent(self, pronoun: Token, label: str, masks: list[Bound]) -> str | None:
        """The entity a pronoun stands for: the latest one before it, outside quotes. Within the
        last three sentences, one that is the subject of a speech verb, else of any verb, comes
        first ("Herron said he was not convinced by Mallon's arguments. “...,” he said")."""
        ents = [
            e
            for e in self.doc.ents
            if e.label_ == label
            and e.end_char <= pronoun.idx
            and not any(s <= e.start_char < end for s, end in masks)
        ]
        if not ents:
            return None
        recent = list(self.doc[: pronoun.sent.end].sents)[-3:][0].start_char
        subjects = [e for e in ents if e.start_char >= recent and e.root.dep_ in _SUBJECTS]
        speakers = [e for e in subjects if is_cue(e.root.head)]
        name = name_of((speakers or subjects or ents)[-1])
        return self.full_names.get(name, name) if label == "PERSON" else name
