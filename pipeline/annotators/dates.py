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

Params: those of the shared spaCy parse. v1 reads the entities of `corpus_entity_fixes_v1`, v2
those of `corpus_entity_fixes_v2` (the repairs rarely touch dates, but each version is whole).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from spacy.tokens import Doc, Span

from pipeline.annotators import Columns, Context, batch_annotator
from pipeline.annotators.entities import FIXES_V1, FIXES_V2
from pipeline.annotators.names import POSSESSIVE
from pipeline.annotators.nlp import entity_docs, languages, model

_MONTH_NAMES = [
    ("january", "jan"),
    ("february", "feb"),
    ("march", "mar"),
    ("april", "apr"),
    ("may",),
    ("june", "jun"),
    ("july", "jul"),
    ("august", "aug"),
    ("september", "sep", "sept"),
    ("october", "oct"),
    ("november", "nov"),
    ("december", "dec"),
]
MONTHS = {name: n for n, names in enumerate(_MONTH_NAMES, start=1) for name in names}
WEEKDAYS = {
    f"{stem}day": n
    for n, stem in enumerate(["mon", "tues", "wednes", "thurs", "fri", "satur", "sun"])
}
_WEEKDAY = r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_MONTH = r"(?P<month>[a-z]+)\.?"
_YEAR = r"(?P<year>[12]\d{3})"
_DATES = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        rf"{_WEEKDAY}(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}",  # (Tuesday) 5 March 2024
        rf"{_WEEKDAY}{_MONTH}\s+{_DAY},?\s+{_YEAR}",  # (Tuesday,) March 5(th), 2024
        rf"{_MONTH},?\s+{_YEAR}",  # March 2024
        rf"(?:the\s+year\s+)?{_YEAR}",  # 2004
        rf"{_YEAR}-(?P<mm>\d\d)-(?P<dd>\d\d)",  # 2024-03-05 (not "2003-04": a season)
    )
]


def _clean(text: str) -> str:
    return POSSESSIVE.sub("", " ".join(text.split())).strip()


def normalize_date(text: str) -> str | None:
    """ISO form of a date the text spells out ("5 March 2024" -> "2024-03-05"), else None.

    Relative ("last week"), partial ("March 5", "early 2024", "the 1990s") and numeric dates whose
    day and month order is unknown ("05/03/2024") are None: nothing here guesses.
    """
    text = _clean(text)
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


# --- relative dates (dates_v2) ------------------------------------------------------------

_WORDS = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
]
_NUMBERS = {"a": 1, "an": 1} | {word: n for n, word in enumerate(_WORDS, start=1)}
_DIRECTION = r"(?:(?P<dir>last|next|this|past|coming)\s+)?"
_MONTH_NAME = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_EARLY = r"(?:(?:earlier|later|early|late|the\s+end\s+of|the\s+start\s+of)\s+)?"
_RELATIVE = [
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("day", r"(?P<word>today|yesterday|tomorrow)"),
        ("weekday", rf"{_DIRECTION}(?P<weekday>(?:mon|tues|wednes|thurs|fri|satur|sun)day)"),
        ("month_day", rf"{_DIRECTION}{_MONTH_NAME}\s+{_DAY}"),  # March 5(th)
        (
            "month_day",
            rf"{_DIRECTION}(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH_NAME}",
        ),  # (the) 5(th of) March
        ("month", rf"{_EARLY}{_DIRECTION}{_MONTH_NAME}"),  # (early) (last) April
        ("unit", rf"{_EARLY}(?P<dir2>last|next|this)\s+(?P<unit>week|month|year)"),
        (
            "ago",
            rf"(?P<n>\d+|{'|'.join(_NUMBERS)})\s+"
            r"(?P<unit>day|week|month|year)s?\s+(?P<ago>ago|from\s+now)",
        ),
    )
]
_FUTURE_AUX = frozenset({"will", "'ll", "shall", "wo", "going"})


def _future(ent: Span) -> bool:
    """The clause the date belongs to speaks of the future: "will meet on Tuesday"."""
    verb = next(
        (t for t in (ent.root, *ent.root.ancestors) if t.tag_.startswith(("VB", "MD"))), None
    )
    if verb is None:
        return False
    aux = [c for c in verb.children if c.dep_ in ("aux", "auxpass")]
    return any(a.lower_ in _FUTURE_AUX for a in aux) or (
        verb.tag_ == "VB" and any(a.lower_ == "to" for a in aux) and verb.head.lower_ == "going"
    )


def _month_iso(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _week(start: date) -> str | None:
    """A week (Monday `start`) as its month, when all seven days lie within one month."""
    end = start + timedelta(days=6)
    return _month_iso(start.year, start.month) if start.month == end.month else None


def _shift_month(year: int, month: int, by: int) -> tuple[int, int]:
    n = year * 12 + month - 1 + by
    return n // 12, n % 12 + 1


def resolve_date(ent: Span, published: date) -> str | None:
    """ISO form of a DATE entity relative to the publication date, else None."""
    text = _THE_START.sub("", _clean(ent.text))
    for kind, pattern in _RELATIVE:  # noqa: B007 (kind is used after the loop)
        if match := pattern.fullmatch(text):
            break
    else:
        return None
    g = {k: (v.lower() if isinstance(v, str) else v) for k, v in match.groupdict().items()}
    direction = {"past": "last", "coming": "next"}.get(g.get("dir"), g.get("dir"))
    later = direction == "next" or (direction is None and _future(ent))
    if kind in ("unit", "ago"):
        return _unit_date(published, g, kind)
    if kind == "day":
        shift = {"today": 0, "yesterday": -1, "tomorrow": 1}[g["word"]]
        return (published + timedelta(days=shift)).isoformat()
    if kind == "weekday":
        back = (published.weekday() - WEEKDAYS[g["weekday"]]) % 7  # 0: the same weekday
        ahead = (WEEKDAYS[g["weekday"]] - published.weekday()) % 7
        if direction == "last":
            shift = -(back or 7)
        elif direction == "next":
            shift = ahead or 7
        else:
            shift = ahead if later else -back
        return (published + timedelta(days=shift)).isoformat()
    month = MONTHS.get(g["month"])
    if month is None:
        return None
    day = int(g["day"]) if g.get("day") else 1
    here, now = (month, day), (published.month, published.day if g.get("day") else 1)
    year = published.year
    if direction == "last":
        year -= here >= now
    elif direction == "next":
        year += here <= now
    elif direction is None:
        year += 1 if later and here < now else -1 if not later and here > now else 0
    try:
        found = date(year, month, day)
    except ValueError:
        return None
    return found.isoformat() if kind == "month_day" else _month_iso(year, month)


def _unit_date(published: date, g: dict[str, Any], kind: str) -> str | None:
    if kind == "unit":
        by = {"last": -1, "this": 0, "next": 1}[g["dir2"]]
    else:
        n = int(g["n"]) if g["n"].isdigit() else _NUMBERS[g["n"]]
        by = -n if g["ago"] == "ago" else n
    unit = g["unit"]
    if unit == "day":
        return (published + timedelta(days=by)).isoformat()
    if unit == "week":
        monday = published - timedelta(days=published.weekday()) + timedelta(weeks=by)
        return _week(monday)
    if unit == "month":
        return _month_iso(*_shift_month(published.year, published.month, by))
    return f"{published.year + by:04d}"


_THE_START = re.compile(r"^(?:on|in|the)\s+", re.IGNORECASE)


def _published(record: dict[str, Any]) -> date | None:
    value = record.get("published_date")
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def date_columns_v2(doc: Doc, published: date | None) -> Columns:
    out = []
    for e in doc.ents:
        if e.label_ != "DATE":
            continue
        iso = normalize_date(e.text)
        if iso is None and published is not None:
            iso = resolve_date(e, published)
        out.append({"text": e.text, "date": iso, "start": e.start_char, "end": e.end_char})
    return {"dates_mentioned": out}


@batch_annotator("dates", "dates_v2", model=model, languages=languages)
def dates_v2(records: list[dict[str, Any]], context: Context) -> list[Columns]:
    return [
        date_columns_v2(doc, _published(record))
        for record, doc in zip(records, entity_docs(context, FIXES_V2), strict=True)
    ]
