"""Slot `dates`: the dates an article mentions (spaCy DATE entities), in ISO form where known.

`dates_mentioned`: [{text, date, start, end}], `date` an ISO 8601 date (YYYY-MM-DD, YYYY-MM or
YYYY) or null.

- `dates_v1`: `date` only when the text spells it out ("5 March 2024", "March 2024", "2004").
- `dates_v2`: also relative dates, resolved against the record's `published_date` when it has
  one ("yesterday", "on Tuesday", "in April", "last week", "last year", "two days ago"). The
  resolution is as precise as the words: "in April" is a month, "last year" a year, a week is
  its month when it lies within one month (else null). Day and month names without a year
  ("Tuesday", "April", "5 March") take the occurrence before the publication date, or after it
  when their clause speaks of the future ("will meet on Tuesday"); "last"/"next" force the
  direction. Vague spans ("recent years", "the 1990s", "the past two weeks") stay null.
- `dates_v3`: v2 on the entities of `corpus_entity_fixes_v3`, without the spaces and
  punctuation a span ran on to ("November 4, 2019\n\n"), and null for what names no date
  (`date_guards.py`): a number that is no year (later than `annotate.dates.latest_year`, an
  address, a measure, "Flight 1549") and a weekday in a named day ("Black Friday"); a weekday
  or a day of a month in a clause without a verb (a tour's list of dates) is null too.
- `dates_v4`: v3 without the DATE entities that name no time on the calendar (ages, age bands,
  a match's halves, scores, identifiers: `date_guards.is_date`); v3 published them, with a
  null date. A span within one year ("the end of 2004", "mid-2005") has that year as its date
  (v3: null).
- `dates_v5`: v4 on the entities of `corpus_entity_fixes_v5` (no span across a paragraph break: a
  dateline's "Thursday, January 12, 2006\n\nThe Plains" was one null mention), without the
  ages v4 missed ("nine-month-old", "aged 17"), and with the future tenses of
  `date_tense.future_v5` ("set to take place on May 16", "launches June 28"), which v2 to v4
  resolved to the year or week before.

Params: those of the shared spaCy parse; v3 to v5 also `annotate.dates`. v1 reads the entities of
`corpus_entity_fixes_v1`, v2 those of `corpus_entity_fixes_v2` (the repairs rarely touch dates,
but each version is whole).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from spacy.tokens import Doc, Span

from pipeline.annotators import Columns, Context, batch_annotator
from pipeline.annotators.date_guards import (
    AGES,
    AGES_V5,
    date_span,
    is_date,
    names_no_date,
    year_within,
)
from pipeline.annotators.date_tense import future_v5
from pipeline.annotators.entities import FIXES_V1, FIXES_V2, FIXES_V3, FIXES_V5
from pipeline.annotators.nlp import entity_docs, languages, model
from pipeline.annotators.relative_dates import DAY, MONTHS, clean, resolve_date

_WEEKDAY = r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?"
_MONTH = r"(?P<month>[a-z]+)\.?"
_YEAR = r"(?P<year>[12]\d{3})"
_DATES = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        rf"{_WEEKDAY}(?:the\s+)?{DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}",  # (Tuesday) 5 March 2024
        rf"{_WEEKDAY}{_MONTH}\s+{DAY},?\s+{_YEAR}",  # (Tuesday,) March 5(th), 2024
        rf"{_MONTH},?\s+{_YEAR}",  # March 2024
        rf"(?:the\s+year\s+)?{_YEAR}",  # 2004
        rf"{_YEAR}-(?P<mm>\d\d)-(?P<dd>\d\d)",  # 2024-03-05 (not "2003-04": a season)
    )
]


def normalize_date(text: str) -> str | None:
    """ISO form of a date the text spells out ("5 March 2024" -> "2024-03-05"), else None.

    Relative ("last week"), partial ("March 5", "early 2024", "the 1990s") and numeric dates whose
    day and month order is unknown ("05/03/2024") are None: nothing here guesses.
    """
    text = clean(text)
    for pattern in _DATES:
        if match := pattern.fullmatch(text):
            break
    else:
        return None
    parts = match.groupdict()
    year = int(parts["year"])
    if parts.get("mm"):
        month, day = int(parts["mm"]), int(parts["dd"])
    elif parts.get("month"):
        month = MONTHS.get(parts["month"].lower())
        if month is None:
            return None
        day = int(parts["day"]) if parts.get("day") else None
    else:
        return f"{year:04d}"
    try:
        date(year, month, day or 1)
    except ValueError:
        return None
    return f"{year:04d}-{month:02d}" + (f"-{day:02d}" if day else "")


def date_columns(doc: Doc) -> Columns:
    return {
        "dates_mentioned": [
            {
                "text": e.text,
                "date": normalize_date(e.text),
                "start": e.start_char,
                "end": e.end_char,
            }
            for e in doc.ents
            if e.label_ == "DATE"
        ]
    }


@batch_annotator("dates", "dates_v1", model=model, languages=languages)
def dates_v1(records: list[dict[str, Any]], context: Context) -> list[Columns]:
    return [date_columns(doc) for doc in entity_docs(context, FIXES_V1)]


def _published(record: dict[str, Any]) -> date | None:
    value = record.get("published_date")
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class DateRules:
    """What a version of `dates` from v2 on reads and does (`mentioned_dates`)."""

    fixes: str  # the entity repairs whose DATE entities it reads
    # v3 on: spans trimmed, null for what names no date (`annotate.dates.latest_year`), and a
    # day placed only by a tense
    year_bound: bool = False
    calendar_only: bool = False  # v4 on: none for an entity that names no time on the calendar
    ages: re.Pattern[str] = AGES  # v5: AGES_V5, the ages v4 missed
    future: Callable[[Span], bool] | None = None  # v5: `future_v5`, the tenses v4 read as past


V2 = DateRules(FIXES_V2)
V3 = DateRules(FIXES_V3, year_bound=True)
V4 = dataclasses.replace(V3, calendar_only=True)
V5 = dataclasses.replace(V4, fixes=FIXES_V5, ages=AGES_V5, future=future_v5)


def mentioned_dates(
    doc: Doc, published: date | None, latest_year: int | None, rules: DateRules = V2
) -> Columns:
    """`dates_v2`'s columns, or with `latest_year` (`rules.year_bound`) those of `dates_v3` and
    later, as `rules` says."""
    out = []
    for ent in doc.ents:
        if ent.label_ != "DATE":
            continue
        e = ent if latest_year is None else date_span(ent)
        if e is None or (rules.calendar_only and not is_date(e, rules.ages)):
            continue
        iso = None
        if latest_year is None or not names_no_date(e, latest_year):
            iso = normalize_date(e.text)
            if iso is None and rules.calendar_only:  # v4: "the end of 2004" is 2004
                iso = year_within(e, latest_year)
            if iso is None and published is not None:
                iso = resolve_date(e, published, latest_year is not None, rules.future)
        out.append({"text": e.text, "date": iso, "start": e.start_char, "end": e.end_char})
    return {"dates_mentioned": out}


def _mentioned(context: Context, records: list[dict[str, Any]], rules: DateRules) -> list[Columns]:
    latest_year = context.params.dates.latest_year if rules.year_bound else None
    docs = entity_docs(context, rules.fixes)
    return [
        mentioned_dates(doc, _published(record), latest_year, rules)
        for record, doc in zip(records, docs, strict=True)
    ]


@batch_annotator("dates", "dates_v2", model=model, languages=languages)
def dates_v2(records: list[dict[str, Any]], context: Context) -> list[Columns]:
    return _mentioned(context, records, V2)


@batch_annotator("dates", "dates_v3", model=model, languages=languages)
def dates_v3(records: list[dict[str, Any]], context: Context) -> list[Columns]:
    return _mentioned(context, records, V3)


@batch_annotator("dates", "dates_v4", model=model, languages=languages)
def dates_v4(records: list[dict[str, Any]], context: Context) -> list[Columns]:
    return _mentioned(context, records, V4)


@batch_annotator("dates", "dates_v5", model=model, languages=languages)
def dates_v5(records: list[dict[str, Any]], context: Context) -> list[Columns]:
    return _mentioned(context, records, V5)
