"""Which key of an export row, a Markdown front matter or a sidecar holds which record field, and
its value as the record wants it.

Exports name their columns every way (`headline`, `link`, `source_url`, `byline`, `authors`,
`date_created`, ...), so `ingest.fields` lists, for each field, the keys that may hold it. Keys
match ignoring case and surrounding spaces ("Title" is `title`). A value is taken only when it
is one the field can hold:

- text (exports only): a string with something in it;
- title, url, publisher, license: a string or a number;
- author: a string, or a list of names (strings, or objects with a `name`: schema.org's
  `Person`), joined with "; " (`AUTHOR_SEPARATOR`);
- published_date: a date in a spelling `export_date` reads without guessing.

The first of a field's keys that has a value decides; when the field cannot hold that value, the
field is left empty rather than filled from a later key.

A key whose value was not taken stays in the record's `metadata` with every other key the file
carries (`unused`), so nothing a file says is lost: an export's "Date: 03/04/2024" (March or
April?) is kept as written, not published as a guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from pipeline.params import FieldParams, key_spelling
from pipeline.readers import AUTHOR_SEPARATOR, normalize_date
from pipeline.readers.byline import byline_names
from pipeline.readers.markup import is_markup, markup_text

# The record fields that metadata keys can set, beside an export's text.
FIELDS = ("title", "url", "author", "published_date", "publisher", "license")

# Spellings with the month written out: unambiguous in every locale that writes English.
_MONTH_FORMATS = ("%B %d %Y", "%d %B %Y", "%b %d %Y", "%d %b %Y", "%Y %B %d", "%Y %b %d")
_WEEKDAY = re.compile(
    r"^(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?,?\s+", re.IGNORECASE
)
# Day ordinals ("21st") and punctuation between the parts ("July 21, 2017", "Sept. 5 2017").
_ORDINAL = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b", re.IGNORECASE)
_SEPARATORS = re.compile(r"[,.]|\s+")
# A time after the date ("July 21, 2017 10:30 AM", "21 July 2017 at 10:30 GMT"): the day is kept,
# as ISO and RFC 2822 dates keep their own (a clock time does not move it here).
_TIME_TAIL = re.compile(r"(?:\s+at)?\s+\d{1,2}[:.]\d{2}\b.*$", re.IGNORECASE)
_SEPT = re.compile(r"\bsept\b", re.IGNORECASE)
# Unix time, 10 digits of seconds or 13 of milliseconds; read between 2000 and 2100 only, so a
# number that is no time (an id, a count) is not taken for one.
_UNIX_TIME = re.compile(r"\d{10}|\d{13}")
_UNIX_FIRST = datetime(2000, 1, 1, tzinfo=UTC).timestamp()
_UNIX_END = datetime(2100, 1, 1, tzinfo=UTC).timestamp()
_YEAR_FIRST = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?=$|[ T])")


def export_date(value: Any) -> str | None:
    """`YYYY-MM-DD` from the date spellings exports use, else None: ISO 8601, RFC 2822, a
    YAML date, a day with its month written out ("July 21, 2017", "Friday, 21st July 2017",
    "Jul 21 2017 10:30"), year first with slashes ("2024/03/05"), or Unix time in seconds or
    milliseconds (an API's 1709596800; the day in UTC, the only zone it implies). Numeric
    day/month orders ("03/04/2024") are not read: which is the month cannot be told from the
    value."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        return _unix_date(value)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if _UNIX_TIME.fullmatch(text):
        return _unix_date(int(text))
    text = _YEAR_FIRST.sub(lambda m: f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}", text)
    return normalize_date(text) or _month_spelled(text)


def _unix_date(value: int) -> str | None:
    """The UTC day of Unix time `value`, in seconds or milliseconds, in 2000-2099; else None."""
    for seconds in (value, value / 1000):
        if _UNIX_FIRST <= seconds < _UNIX_END:
            return datetime.fromtimestamp(seconds, tz=UTC).date().isoformat()
    return None


def _month_spelled(text: str) -> str | None:
    text = _TIME_TAIL.sub("", _WEEKDAY.sub("", text))
    text = _SEPT.sub("Sep", _ORDINAL.sub(r"\1", text))
    words = " ".join(w for w in _SEPARATORS.split(text) if w)
    for fmt in _MONTH_FORMATS:
        try:
            return datetime.strptime(words, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return str(value).strip() or None


def _named(value: Any) -> str | None:
    """A name given as text or as an object with a `name` (schema.org's Person and
    Organization, NewsAPI's `source`, WordPress's author); anything else is no name."""
    return _text(value.get("name") if isinstance(value, Mapping) else value)


def _names(value: Any) -> str | None:
    """An export's author(s) as the HTML reader gives them: names only (`byline.py`: no job
    titles or wire services after them), joined with AUTHOR_SEPARATOR."""
    names = [_named(v) for v in (value if isinstance(value, list) else [value])]
    if not names or None in names:
        return None  # a list holding something that is not a name: kept in metadata as it is
    return AUTHOR_SEPARATOR.join(person for name in names for person in byline_names(name, None))


def _article_text(value: Any) -> str | None:
    """An export's text as written (ingest strips nothing from a text), if it has any; a text
    written as HTML is rendered to plain text first (`markup.py`), or its tags would be words."""
    if isinstance(value, str) and is_markup(value):
        value = markup_text(value)
    return value if isinstance(value, str) and value.strip() else None


_VALUE = {
    "text": _article_text,
    "author": _names,
    "published_date": export_date,
    "publisher": _named,
}


def value_of(field: str, value: Any) -> str | None:
    """`value` as record field `field` holds it, or None when the field cannot hold it."""
    return _VALUE.get(field, _text)(value)


def folded(meta: Mapping[str, Any]) -> dict[str, str]:
    """Each key of `meta` by its `key_spelling` (the first of equal spellings)."""
    keys: dict[str, str] = {}
    for key in meta:
        if isinstance(key, str):
            keys.setdefault(key_spelling(key), key)
    return keys


def take(
    meta: Mapping[str, Any], keys: tuple[str, ...], field: str, spellings: dict[str, str]
) -> tuple[str, str | None] | None:
    """(key, value) for field `field`: the first of `keys` that `meta` has with a value decides,
    and value is None when the field cannot hold it (the next key is not tried: a created date
    is not published for an unreadable published one). None when no key has a value.
    `spellings` is `folded(meta)`."""
    for name in keys:
        key = spellings.get(key_spelling(name))
        if key is not None and meta[key] not in (None, "", [], {}):
            return key, value_of(field, meta[key])
    return None


def metadata_fields(
    meta: Mapping[str, Any], fields: FieldParams, spellings: dict[str, str] | None = None
) -> tuple[dict[str, str], set[str]]:
    """The record fields `meta` sets (only those it has a value for) and the keys they used;
    `spellings`: `folded(meta)`, when the caller has it already."""
    keys = folded(meta) if spellings is None else spellings
    found: dict[str, str] = {}
    used: set[str] = set()
    for field in FIELDS:
        hit = take(meta, getattr(fields, field), field, keys)
        if hit is not None and hit[1] is not None:
            used.add(hit[0])
            found[field] = hit[1]
    return found, used


def unused(meta: Mapping[str, Any], used: set[str]) -> dict[str, Any]:
    """The keys of `meta` no field took, with a value: the record's `metadata`."""
    return {k: v for k, v in meta.items() if k not in used and v not in (None, "")}
