"""Slot `quotes`: direct quotations and who said them.

`quotes`: [{quote, speaker, cue, start, end}] in text order; `start:end` are the quoted words in
`text`, without the quotation marks. Params: those of the shared spaCy parse
(`annotate.spacy_model`, `annotate.spacy_batch_size`, see `nlp.py`).

- `quotes_v1`: on the entities of `corpus_entity_fixes_v1` (those of `entities_v1`).
- `quotes_v2`: the same rules on the entities of `corpus_entity_fixes_v2` (those of
  `entities_v2`): speakers and pronoun antecedents follow the measured entity repairs.
- `quotes_v3`: `quotes_v2` with "which" and "that" read as "who" is in step 4: the subject of
  a relative clause's speech verb is the noun the clause belongs to ("the National Council for
  Adoption, which said ..." -> the council), and a relative pronoun with no such noun gives no
  speaker. v1 and v2 published "which" and "that" as speakers.
- `quotes_v4`: `quotes_v3` with the speaker outside the quotes, as step 4 says. A subject among
  the quoted words is no speaker (“He’s amazing. A gift to this community,” one user wrote: not
  "A gift to this community"); the speaker's phrase stops at a quotation mark or a sentence end
  and does not cut a name ("CEO of the Refugee Council Enver" is "... Enver Solomon"); a person
  in apposition to the subject is the speaker ("the team's coach, Alireza Mehraban, said").
- `quotes_v5`: `quotes_v4` with a quote continued where a paragraph break was lost in export
  (`said: "One. "Two."`: v4 dropped the first part, and the second had no speaker), and with
  the verbs of `rules/quote_frame_cues.yaml` ("agreed", "continued", "reckons") as cues right
  before or after a quote, where they are speech; up the dependency tree they are not.
- `quotes_v6`: `quotes_v5`'s rules on the entities of `corpus_entity_fixes_v5` (those of
  `entities_v5`): a speaker is no honorific alone ("Said Mr"), stops at a spaced dash and at a
  line break ("Joseph Cox\n\nCaudevilla" was a speaker). A title or a name in quotation
  marks is no quotation: words that are one entity the model found and do not end as speech
  does ("Super Mario Run", a song's or a report's title; not `"Turkey," said I`). A cue that
  ends the paragraph before a quote's with a comma counts, as one with a colon did. A quote
  left open at a paragraph's end goes on into the next paragraph when that one's first mark
  can only close it (`said, "One.\n\nTwo."`: v5 dropped it; `quote_marks.quote_tree`).

Step 1 is `quote_marks.py`, steps 2, 3 and 5 `attribution.py`, step 4 `speakers.py`; cue verbs
are `rules/quote_cues.yaml`.

1. Quotation marks are paired within a paragraph (a line): “ ” ‘ ’ « » „ ‹ › and straight " '.
   An apostrophe inside a word (isn’t, Kiev’s) is no mark; a possessive after -s (countries’)
   only closes a quote when no later mark can. A quote left open at the end of a paragraph
   continues when the next paragraph opens with the same mark (the newspaper convention);
   otherwise it is dropped. In v5, a quote open at a sentence end also continues where the same
   mark opens again after a space (a paragraph break lost in export).
2. Nested quotes: when the words around an inner quote attribute it (“... ‘I have ...’, Zelensky
   told reporters ...”), the outer marks wrap a cited passage and the inner quotes are reported;
   otherwise the inner marks are part of the outer quote (“We call it ‘a plan’,” she said).
3. The cue is a speech verb (said, told, according to, vowed, ...) outside the quote: the first
   one up the dependency tree from the quote's own words, else in the clause just after it
   (“...,” she said) or just before it (She said: “...”), or a paragraph ending in a colon just
   before a quote that opens its paragraph ("Politico reported:").
4. The speaker is the cue verb's subject (its noun phrase, without relative clauses); a person
   entity heading it gives the name ("Slovakia’s Robert Fico" -> "Robert Fico"), and a short
   name becomes the article's full one ("Scholz" -> "Olaf Scholz"). he/she/they stand for a
   PERSON mentioned before, outside quotes: in the last three sentences the latest subject of a
   speech verb, else of any verb, else the latest PERSON (gender is not checked); "it" for the
   latest organisation. A relative "who" (in v3 "which" and "that" too) is the noun its
   clause belongs to.
5. A quote with no cue that starts a sentence right after a quote of the same paragraph is its
   continuation (“...,” she said. “...”) and gets the same speaker. Other quotes without a cue
   are kept, with speaker and cue null, when they have at least MIN_UNATTRIBUTED_WORDS words;
   shorter ones are scare quotes or titles (a ‘victory plan’), not quotations.
"""

from __future__ import annotations

from typing import Any

from spacy.tokens import Doc

from pipeline.annotators import Columns, Context, batch_annotator
from pipeline.annotators.attribution import quotations
from pipeline.annotators.entities import FIXES_V1, FIXES_V2, FIXES_V5
from pipeline.annotators.entity_rules import _NAMES as NAME_LABELS
from pipeline.annotators.nlp import MAX_CHARS, entity_docs, languages, model
from pipeline.annotators.quote_marks import quote_tree
from pipeline.annotators.speakers import (
    FRAMES,
    FRAMES_V6,
    OUTSIDE_QUOTES,
    WHO,
    WHO_WHICH_THAT,
    SpeakerRules,
)

__all__ = ["quotations", "quote_tree"]


# Names the model labels that a title or a name in quotation marks may be: the entity repairs'
# names, and events and laws ("the Super Bowl", "the Patriot Act").
_NAME_LABELS = NAME_LABELS | {"EVENT", "LAW"}
# How speech may end inside its marks ("Turkey," said I); a title does not.
_SPOKEN_END = (",", ".", "!", "?", "…", ";", ":", "—", "–")


def _named(quote: Columns, doc: Doc, text: str) -> bool:
    """The quoted words are one name the model found ("Super Mario Run", a song, a report's
    title) and end as no speech does: a title in quotation marks, not a quotation. (`quote`
    leaves out a trailing comma: the text after its end tells.) `text` is what `doc` parsed
    from: read from it, as `doc.text` would be built again from every token at each call."""
    end = text[quote["start"] : min(quote["end"] + 1, MAX_CHARS)].rstrip()
    if end.endswith(_SPOKEN_END):
        return False
    return any(
        e.label_ in _NAME_LABELS and e.start_char <= quote["start"] and quote["end"] <= e.end_char
        for e in doc.ents
    )


def _quotes(
    context: Context, fixes: str, rules: SpeakerRules = WHO, titles_apart: bool = False
) -> list[Columns]:
    """The batch's quotes, on the entities of `fixes`, with the speaker rules `rules`; with
    `titles_apart` (v6), none that is a title or a name in quotation marks (`_named`)."""
    out = []
    for text, doc in zip(context.texts, entity_docs(context, fixes), strict=True):
        found = quotations(text, doc, rules)
        out.append({"quotes": [q for q in found if not (titles_apart and _named(q, doc, text))]})
    return out


@batch_annotator("quotes", "quotes_v1", model=model, languages=languages)
def quotes_v1(records: list[dict[str, Any]], context: Context) -> list[Columns]:
    return _quotes(context, FIXES_V1)


@batch_annotator("quotes", "quotes_v2", model=model, languages=languages)
def quotes_v2(records: list[dict[str, Any]], context: Context) -> list[Columns]:
    return _quotes(context, FIXES_V2)


@batch_annotator("quotes", "quotes_v3", model=model, languages=languages)
def quotes_v3(records: list[dict[str, Any]], context: Context) -> list[Columns]:
    return _quotes(context, FIXES_V2, WHO_WHICH_THAT)


@batch_annotator("quotes", "quotes_v4", model=model, languages=languages)
def quotes_v4(records: list[dict[str, Any]], context: Context) -> list[Columns]:
    return _quotes(context, FIXES_V2, OUTSIDE_QUOTES)


@batch_annotator("quotes", "quotes_v5", model=model, languages=languages)
def quotes_v5(records: list[dict[str, Any]], context: Context) -> list[Columns]:
    return _quotes(context, FIXES_V2, FRAMES)


@batch_annotator("quotes", "quotes_v6", model=model, languages=languages)
def quotes_v6(records: list[dict[str, Any]], context: Context) -> list[Columns]:
    return _quotes(context, FIXES_V5, FRAMES_V6, titles_apart=True)
