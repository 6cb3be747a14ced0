"""Who said a quotation: cues and speakers, the second step of `quotes` (see `quotes.py`).

Cue verbs are data (`rules/quote_cues.yaml`); the rules that find a quote's cue and speaker
are those of `quotes.py`'s docstring, steps 2 to 5.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from spacy.tokens import Doc, Token

from pipeline.annotators import Columns, rule_data
from pipeline.annotators.names import name_of, person_names
from pipeline.annotators.nlp import parsed_length
from pipeline.annotators.quote_marks import QUOTE_MARKS, Node, quote_tree

MIN_UNATTRIBUTED_WORDS = 5
CUES = rule_data.read("quote_cues", version=1)


def _regular_forms(verb: str) -> list[str]:
    stem = verb[:-1] if verb.endswith("e") else verb
    third = verb + ("es" if verb.endswith(("s", "sh", "ch", "x")) else "s")
    return [verb, third, stem + "ed", stem + "ing"]


CUE_VERBS = frozenset(
    form
    for forms in (*CUES["irregular"].values(), *(_regular_forms(v) for v in CUES["regular"]))
    for form in forms
)
_TELL = frozenset(CUES["irregular"]["tell"])
_PRONOUNS = frozenset({"he", "she", "they"})
_SUBJECTS = ("nsubj", "nsubjpass")
_NOT_IN_NAME = frozenset({"relcl", "acl", "appos", "advcl", "punct", "parataxis"})
_SENTENCE_END = frozenset(".!?")
_PROPER = ("NNP", "NNPS")


Bound = tuple[int, int]  # character offsets [start, end)


@dataclass
class Candidate:
    node: Node
    start: int  # the quoted words, without marks, spaces or a trailing comma
    end: int
    cue: Token | None = None
    speaker: str | None = None
    cue_text: str | None = None


def _words(text: str, start: int, end: int) -> Bound:
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] == ","):
        end -= 1
    return start, end


def _is_cue(token: Token) -> bool:
    if token.lower_ == "according":
        return token.i + 1 < len(token.doc) and token.doc[token.i + 1].lower_ == "to"
    return token.lower_ in CUE_VERBS and token.tag_.startswith("VB")


def _inside(token: Token, spans: list[Bound]) -> bool:
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


class _Article:
    """One parsed article and the lookups the attribution rules share."""

    def __init__(self, text: str, doc: Doc, rules: SpeakerRules):
        self.text, self.doc, self.rules = text, doc, rules
        self.full_names = person_names(doc)

    def tokens(self, start: int, end: int) -> list[Token]:
        span = self.doc.char_span(start, end, alignment_mode="expand")
        return [] if span is None else list(span)

    def line(self, i: int) -> Bound:
        end = self.text.find("\n", i)
        return self.text.rfind("\n", 0, i) + 1, len(self.text) if end == -1 else end

    # -- which quotes

    def candidates(self, nodes: list[Node], parent: Bound | None = None) -> list[Candidate]:
        """Quotes of `nodes`: an outer quote's inner ones instead when they are attributed."""
        out: list[Candidate] = []
        masks = [(n.open, n.close + 1) for n in nodes]
        for node in nodes:
            if node.children:
                inner = self.candidates(node.children, node.content)
                if any(c.cue is not None for c in inner):
                    out.extend(inner)  # the outer marks wrap a cited passage
                    continue
            start, end = _words(self.text, *node.content)
            if start < end:
                cue = self.cue(node, parent or self.line(node.open), masks, parent is None)
                out.append(Candidate(node, start, end, cue))
        return out

    # -- cues

    def cue(self, node: Node, bound: Bound, masks: list[Bound], top: bool) -> Token | None:
        """The speech verb attributing `node`, searched for within `bound` outside `masks`."""
        start, end = node.content
        for token in self.tokens(start, end):
            if not start <= token.idx < end or start <= token.head.idx < end:
                continue  # only the quote's roots: words whose head is outside it
            for ancestor in token.ancestors:
                if not bound[0] <= ancestor.idx < bound[1]:
                    break
                inside = start <= ancestor.idx < end or _inside(ancestor, masks)
                if not inside and _is_cue(ancestor):
                    return ancestor
        return (
            self._cue_after(node, bound, masks)
            or self._cue_before(node, bound, masks)
            or (self._cue_in_paragraph_before(node) if top else None)
        )

    def _cue_after(self, node: Node, bound: Bound, masks: list[Bound]) -> Token | None:
        """“...,” she said."""
        words = self.text[node.open + 1 : node.close].rstrip()
        after = self.text[node.close + 1 : bound[1]].lstrip()[:1]
        if words[-1:] not in (",", "?", "!", "—", "–", "…") and after not in (",", "—", "–"):
            return None
        for token in self.tokens(node.close + 1, min(bound[1], self.line(node.close)[1])):
            if token.idx <= node.close:
                continue
            if _inside(token, masks) or token.text in _SENTENCE_END:
                return None
            if _is_cue(token):
                return token
        return None

    def _cue_before(self, node: Node, bound: Bound, masks: list[Bound]) -> Token | None:
        """She said: “...”"""
        if not self.text[bound[0] : node.open].rstrip().endswith((":", ",")):
            return None
        found = None
        for token in self.tokens(max(bound[0], self.line(node.open)[0]), node.open):
            if token.idx >= node.open:
                break
            if _inside(token, masks) or token.text in _SENTENCE_END:
                found = None  # only the clause right before the quote
            elif _is_cue(token):
                found = token
        return found

    def _cue_in_paragraph_before(self, node: Node) -> Token | None:
        """ "Politico reported:" ending the paragraph before one that opens with the quote."""
        line_start = self.line(node.open)[0]
        if self.text[line_start : node.open].strip(QUOTE_MARKS + " \t"):
            return None
        previous = self.text[:line_start].rstrip()
        if not previous.endswith(":"):
            return None
        found = None
        for token in self.tokens(self.line(len(previous) - 1)[0], len(previous)):
            if token.text in _SENTENCE_END:
                found = None
            elif _is_cue(token):
                found = token
        return found

    # -- speakers

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
            if verb is cue or _is_cue(verb) or (inherits and verb.tag_.startswith("VB")):
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
            if any(stops(t) for t in ent):
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
            if t.text in _SENTENCE_END or _inside(t, crossing):
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
        speakers = [e for e in subjects if _is_cue(e.root.head)]
        name = name_of((speakers or subjects or ents)[-1])
        return self.full_names.get(name, name) if label == "PERSON" else name

    # -- everything

    def quotes(self) -> list[Columns]:
        found = sorted(self.candidates(quote_tree(self.text)), key=lambda c: c.start)
        masks = [(c.start, c.end) for c in found]
        kept: list[Candidate] = []
        for c in found:
            if c.cue is not None:
                c.cue_text, c.speaker = self.cue_text(c.cue), self.speaker(c.cue, masks)
            elif kept and self._continues(kept[-1], c):
                c.cue_text, c.speaker = kept[-1].cue_text, kept[-1].speaker
            words = len(self.text[c.start : c.end].split())
            if c.cue_text is not None or words >= MIN_UNATTRIBUTED_WORDS:
                kept.append(c)
        # A quote carried over paragraphs is attributed where it ends: back to its first parts.
        for c, following in reversed(list(zip(kept, kept[1:], strict=False))):
            if c.cue_text is None and c.node.carried and following.node.continued:
                c.cue_text, c.speaker = following.cue_text, following.speaker
        return [
            {
                "quote": self.text[c.start : c.end],
                "speaker": c.speaker,
                "cue": c.cue_text,
                "start": c.start,
                "end": c.end,
            }
            for c in kept
        ]

    def _continues(self, previous: Candidate, c: Candidate) -> bool:
        """`c` goes on with what `previous` quoted: “...,” she said. “...” (or a new paragraph)."""
        if previous.speaker is None:
            return False
        if c.node.continued:
            return previous.node.carried and previous.node.paragraph == c.node.paragraph - 1
        if c.node.paragraph != previous.node.paragraph:
            return False
        between = self.text[previous.node.close + 1 : c.node.open].strip(QUOTE_MARKS + " \t")
        return between == "" or between[-1] in _SENTENCE_END or between[-1] == ":"


@dataclass(frozen=True)
class SpeakerRules:
    """What differs between the versions of the speaker rules."""

    relatives: frozenset[str]  # Penn tags of relative pronouns that stand for their clause's noun
    unresolved_is_none: bool  # such a pronoun with no noun to stand for is no speaker
    # v4: a speaker is never words of a quote, nor a phrase across a quotation mark or sentence
    # end, nor part of a name; an apposed person is the speaker ("the coach, Ann Lee, said")
    outside_quotes: bool = False


# `quotes_v1`, `quotes_v2`: "who" only, and "which" itself was published as a speaker.
WHO = SpeakerRules(frozenset({"WP"}), unresolved_is_none=False)
# `quotes_v3`: "which" and "that" too ("Rightmove, which said ..." is Rightmove).
WHO_WHICH_THAT = SpeakerRules(frozenset({"WP", "WDT"}), unresolved_is_none=True)
# `quotes_v4`: v3's, outside quotes and whole names.
OUTSIDE_QUOTES = SpeakerRules(
    frozenset({"WP", "WDT"}), unresolved_is_none=True, outside_quotes=True
)


def quotations(text: str, doc: Doc, rules: SpeakerRules = WHO) -> list[Columns]:
    """The quotes of one article (see `quotes.py`), in the part spaCy parsed."""
    text = text[: parsed_length(doc)]  # all of it, unless longer than nlp.MAX_CHARS
    if not any(mark in text for mark in QUOTE_MARKS):
        return []
    return _Article(text, doc, rules).quotes()
