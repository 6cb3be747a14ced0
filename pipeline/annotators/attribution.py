"""Who said a quotation, the second step of `quotes` (see `quotes.py`): which quotes, their
cues, continuations (steps 2, 3 and 5 of `quotes.py`'s docstring); the speaker of a cue, step
4, is `speakers.py`'s.
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc, Token

from pipeline.annotators import Columns
from pipeline.annotators.names import person_names
from pipeline.annotators.nlp import parsed_length
from pipeline.annotators.quote_marks import QUOTE_MARKS, Node, quote_tree
from pipeline.annotators.speakers import (
    SENTENCE_END,
    WHO,
    Bound,
    SpeakerRules,
    Speakers,
    inside,
    is_cue,
)

MIN_UNATTRIBUTED_WORDS = 5


@dataclass
class Candidate:
    node: Node
    start: int  # the quoted words, without marks, spaces or a trailing comma
    end: int
    cue: Token | None = None
    speaker: str | None = None
    cue_text: str | None = None


def _is_verb(token: Token) -> bool:
    return token.tag_.startswith(("VB", "MD"))


def _words(text: str, start: int, end: int) -> Bound:
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] == ","):
        end -= 1
    return start, end


class _Article(Speakers):
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
                quoted = start <= ancestor.idx < end or inside(ancestor, masks)
                if not quoted and is_cue(ancestor):
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
        verb_seen = False
        for token in self.tokens(node.close + 1, min(bound[1], self.line(node.close)[1])):
            if token.idx <= node.close:
                continue
            if inside(token, masks) or token.text in SENTENCE_END:
                return None
            if is_cue(token, self.rules.frame_verbs) and not (verb_seen and self._framed(token)):
                return token
            verb_seen = verb_seen or _is_verb(token)
        return None

    def _cue_before(self, node: Node, bound: Bound, masks: list[Bound]) -> Token | None:
        """She said: “...”"""
        if not self.text[bound[0] : node.open].rstrip().endswith((":", ",")):
            return None
        found = None
        for token in self.tokens(max(bound[0], self.line(node.open)[0]), node.open):
            if token.idx >= node.open:
                break
            if inside(token, masks) or token.text in SENTENCE_END:
                found = None  # only the clause right before the quote
            else:
                found = self._latest_cue(token, found)
        return found

    def _cue_in_paragraph_before(self, node: Node) -> Token | None:
        """ "Politico reported:" ending the paragraph before one that opens with the quote."""
        line_start = self.line(node.open)[0]
        if self.text[line_start : node.open].strip(QUOTE_MARKS + " \t"):
            return None
        previous = self.text[:line_start].rstrip()
        if not previous.endswith((":", ",") if self.rules.comma_before_break else ":"):
            return None
        found = None
        for token in self.tokens(self.line(len(previous) - 1)[0], len(previous)):
            found = None if token.text in SENTENCE_END else self._latest_cue(token, found)
        return found

    def _framed(self, token: Token) -> bool:
        """A cue only where a quote frames it (`SpeakerRules.frame_verbs`)."""
        return not is_cue(token) and is_cue(token, self.rules.frame_verbs)

    def _latest_cue(self, token: Token, found: Token | None) -> Token | None:
        """The cue before a quote as of `token`: a framing verb stops being one when another
        verb follows it ("had agreed to play “...”")."""
        if is_cue(token, self.rules.frame_verbs):
            return token
        if found is not None and _is_verb(token) and self._framed(found):
            return None
        return found

    # -- speakers

    # -- everything

    def quotes(self) -> list[Columns]:
        tree = quote_tree(self.text, self.rules.lost_breaks, self.rules.closed_after_break)
        found = sorted(self.candidates(tree), key=lambda c: c.start)
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
        return between == "" or between[-1] in SENTENCE_END or between[-1] == ":"


def quotations(text: str, doc: Doc, rules: SpeakerRules = WHO) -> list[Columns]:
    """The quotes of one article (see `quotes.py`), in the part spaCy parsed."""
    text = text[: parsed_length(doc)]  # all of it, unless longer than nlp.MAX_CHARS
    if not any(mark in text for mark in QUOTE_MARKS):
        return []
    return _Article(text, doc, rules).quotes()
