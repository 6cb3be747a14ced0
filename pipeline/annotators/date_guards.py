"""When a DATE entity names no date, or a date its words do not fix (`dates_v3`).

The model tags numbers that are no years DATE ("1119 Eighth St.", "1080 pixels by 1920
pixels", a table's "| 2339 |" points), and a weekday that is part of a named day ("Black
Friday") was read as the nearest such weekday. The words around the entity decide, with the
word lists of `rules/dates_v3.yaml`; `relative_dates.clause_verb` finds a clause's tense.

`dates_v4` also drops a DATE entity that names no time on the calendar at all (`is_date`):
ages ("31-year-old", "Mr Jacobsen, 21,"), age bands ("under 30"), a match's "first half",
scores and identifiers, by the words and shapes of `rules/date_words.yaml`.
"""

from __future__ import annotations

import re

from spacy.tokens import Span

from pipeline.annotators import rule_data
from pipeline.annotators.relative_dates import WEEKDAYS

RULES = rule_data.read("dates_v3", version=1)
NAMED_DAYS = frozenset(RULES["named_days"])
STREET_TYPES = frozenset(RULES["street_types"])
NUMBER_NOUNS = frozenset(RULES["number_nouns"])
UNITS = frozenset(RULES["units"])
WORDS = rule_data.read("date_words", version=1)
DATE_WORDS = frozenset(WORDS["words"])
DATE_SHAPES = re.compile("|".join(WORDS["shapes"]), re.IGNORECASE)
AGES = re.compile("|".join(WORDS["ages"]), re.IGNORECASE)
WITHIN_YEAR = frozenset(WORDS["within_year"])
# dates_v5's words (its ages here, its tenses in `date_tense`): the ages v4 missed, spelled or
# spaced ("nine-month-old", "aged 17").
RULES_V5 = rule_data.read("dates_v5", version=1)
AGES_V5 = re.compile("|".join([*WORDS["ages"], *RULES_V5["ages"]]), re.IGNORECASE)
_YEAR = re.compile(r"\d{4}")
_WORD = re.compile(r"[a-z]+\d?|\d+")  # "mid-2005": mid, 2005; "Q3": q3
BARE_YEAR = re.compile(r"(?:the\s+year\s+)?(?P<year>\d{4})", re.IGNORECASE)
_STREET_NAME_WORDS = 3  # "1600 Pennsylvania Avenue", "10 Downing Street", "1 Old Kent Road"


def date_span(ent: Span) -> Span | None:
    """`ent` without the spaces and punctuation the model ran it on to ("November 4, 2019\\n\\n",
    "Monday,"); None when nothing else is left."""
    end = ent.end
    while end > ent.start and (ent.doc[end - 1].is_space or ent.doc[end - 1].is_punct):
        end -= 1
    return Span(ent.doc, ent.start, end, label=ent.label_) if end > ent.start else None


def names_no_date(ent: Span, latest_year: int) -> bool:
    """`ent` is a number that is no year, or a weekday that is part of a named day."""
    if match := BARE_YEAR.fullmatch(ent.text):
        return not _year(ent, int(match["year"]), latest_year)
    return _named_day(ent)


def _year(ent: Span, year: int, latest_year: int) -> bool:
    """A bare four-digit number is a year unless it is later than `latest_year`, numbers a thing
    ("Flight 1549"), measures ("1920 pixels") or starts a street address ("1119 Eighth St.")."""
    doc = ent.doc
    before = doc[ent.start - 1].lower_ if ent.start > 0 else ""
    after = doc[ent.end : ent.end + _STREET_NAME_WORDS + 1]
    return not (
        year > latest_year
        or before in NUMBER_NOUNS
        or (len(after) > 0 and after[0].lower_ in UNITS)
        or _street(after)
    )


def _street(tokens: Span) -> bool:
    """`tokens` start with a street's name and type: capitalised words or ordinals ("Eighth",
    "5th"), then a street type ("St.", "Avenue")."""
    for i, token in enumerate(tokens):
        if i > 0 and token.lower_ in STREET_TYPES and token.text[0].isupper():
            return True
        if not (token.is_title or (token.text[0].isdigit() and token.text[-1].isalpha())):
            return False
    return False


def _named_day(ent: Span) -> bool:
    """A weekday entity after the first word of a named day: "Black Friday", "Super Tuesday"."""
    first = ent[0]
    if first.lower_ not in WEEKDAYS or ent.start == 0:
        return False
    return f"{ent.doc[ent.start - 1].lower_} {first.lower_}" in NAMED_DAYS


def is_date(ent: Span, ages: re.Pattern[str] = AGES) -> bool:
    """`ent` names a time on the calendar: a date word or a date in figures, and no age."""
    if ages.search(ent.text):
        return False
    if DATE_SHAPES.search(ent.text):
        return True
    words = [token.lower_ for token in ent]
    pairs = {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}
    return not DATE_WORDS.isdisjoint(words) or not NAMED_DAYS.isdisjoint(pairs)


def year_within(ent: Span, latest_year: int) -> str | None:
    """The year ("2004") of a span that lies within one year: one four-digit year up to
    `latest_year`, every other word one of `within_year` ("the end of 2004", "mid-2005")."""
    words = _WORD.findall(ent.text.lower())
    years = [w for w in words if _YEAR.fullmatch(w) and int(w) <= latest_year]
    if len(years) != 1 or not all(w in WITHIN_YEAR for w in words if w != years[0]):
        return None
    return years[0]
