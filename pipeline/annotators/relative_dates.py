"""Relative dates ("on Tuesday", "last year", "two days ago") resolved against a publication
date, and the month and weekday names every `dates` version reads (`dates.py`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from spacy.tokens import Span, Token

from pipeline.annotators.names import POSSESSIVE

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
DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"


def clean(text: str) -> str:
    return POSSESSIVE.sub("", " ".join(text.split())).strip()


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
        ("month_day", rf"{_DIRECTION}{_MONTH_NAME}\s+{DAY}"),  # March 5(th)
        (
            "month_day",
            rf"{_DIRECTION}(?:the\s+)?{DAY}\s+(?:of\s+)?{_MONTH_NAME}",
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
_DAYS = ("weekday", "month_day")  # dates_v3: days a verbless clause does not place
_FUTURE_AUX = frozenset({"will", "'ll", "shall", "wo", "going"})


def clause_verb(ent: Span) -> Token | None:
    """The verb (or modal) of the clause `ent` belongs to: its root's nearest verbal ancestor.
    None in a clause without one: a list line ("June 26 -- PPL Center, Allentown, PA") or a
    caption has no tense to tell a past date from a future one."""
    return next(
        (t for t in (ent.root, *ent.root.ancestors) if t.tag_.startswith(("VB", "MD"))), None
    )


def _future(ent: Span) -> bool:
    """The clause the date belongs to speaks of the future: "will meet on Tuesday"."""
    verb = clause_verb(ent)
    return verb is not None and future_aux(verb, auxiliaries(verb))


def auxiliaries(verb: Token) -> list[Token]:
    return [c for c in verb.children if c.dep_ in ("aux", "auxpass")]


def future_aux(verb: Token, aux: list[Token]) -> bool:
    """`verb`, with its auxiliaries `aux`, is a future: "will meet", "is going to meet"."""
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


def resolve_date(
    ent: Span,
    published: date,
    tense_required: bool = False,
    future: Callable[[Span], bool] | None = None,
) -> str | None:
    """ISO form of a DATE entity relative to the publication date, else None. With
    `tense_required` (`dates_v3`), a weekday or a day of a month without "last" or "next" in
    a clause without a verb is None: nothing tells which side of the publication date it lies
    (a tour's list of dates). A month alone keeps the past: "Clinching in November", a
    caption's "in early November" speak of one just gone far more often than of one to come.
    `future` tells a clause about the future (`date_tense.future_v5`; default `_future`)."""
    text = _THE_START.sub("", clean(ent.text))
    for kind, pattern in _RELATIVE:  # noqa: B007 (kind is used after the loop)
        if match := pattern.fullmatch(text):
            break
    else:
        return None
    g = {k: (v.lower() if isinstance(v, str) else v) for k, v in match.groupdict().items()}
    direction = {"past": "last", "coming": "next"}.get(g.get("dir"), g.get("dir"))
    if tense_required and direction is None and kind in _DAYS and clause_verb(ent) is None:
        return None
    later = direction == "next" or (direction is None and (future or _future)(ent))
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
