"""Slot `pii`: e-mail addresses, phone numbers and IP addresses in an article.

`pii_v2` -> `pii` {emails, phone_numbers, ip_addresses, redacted}: the counts are of the text.
With `annotate.pii.redact`, each one found is replaced by `[EMAIL]`, `[PHONE]` or `[IP]` in the
text and in the other free-text fields (title, author, publisher, metadata), and the annotator
returns the fields it changed. It rewrites text, so the stage runs it before every other
annotator: offsets, counts and entities all describe the redacted text, and no original string
survives in them (the stage recomputes content_sha256). `redacted` is true when something was
replaced.

`pii_v1` (kept so that releases made with it stay reproducible) counts the same things but
cannot redact: it ran after the other annotators, whose offsets then pointed at the wrong
characters. annotate refuses `redact: true` with it.

`pii_v3` is `pii_v2` without national numbers that start with "00": that is the international
prefix, never a trunk prefix ("Versions: 00 01 02 03 04" of an IETF draft was a phone number).
"0044 20 7946 0958" is still one, read as international.

What counts (kinds are matched in this order; a span already taken is not matched again):
- e-mail: local@domain.tld, the domain with at least one dot and an alphabetic top-level domain.
- IP: IPv4 dotted quads and IPv6 addresses that `ipaddress` accepts (no leading zeros, octets up
  to 255); IPv6 needs at least three groups, so "::", "a::b" and times like "10:30:00" are not.
- phone: international ("+44 20 7946 0958", "+1 (555) 123-4567", "0044 20 ..."), with 8 to 15
  digits; national with a trunk prefix ("020 7946 0958", "(030) 1234567", "07700 900123"), 9 to
  11 digits starting with 0, one kind of separator throughout; North American ("(555) 123-4567",
  "555-123-4567", "1-800-555-0199"). Groups are separated by one space, hyphen or dot.
  Years, year ranges ("2004-2005"), dates ("01.02.2005": 8 digits), prices ("£2,171",
  "$11.1bn"), scores ("2-1"), thousands ("1 234 567") and ISBNs (after "ISBN") are not phone
  numbers.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from pipeline.annotators import Columns, Context, batch_annotator

_EMAIL = re.compile(
    r"(?<![\w.%+-])[\w.%+-]*\w@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,}(?![\w-]|\.\w)"
)
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\w|\.\d)")
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?!\w|:\w|\.\d)"
)
# Phone groups: digits, or digits in brackets, separated by at most one space, hyphen or dot.
_SEP = r"[ .\-]"
_PHONE = re.compile(
    rf"""(?<![\w+.,/:£$€¥%-])  # not inside a number, word, price or date
    (?:
        (?P<intl>(?:\+|\b00)[1-9]\d{{0,2}}(?:{_SEP}?\(0\))?(?:{_SEP}?(?:\(\d{{1,5}}\)|\d{{1,5}})){{1,6}})
      | (?P<trunk>(?:\(0\d{{1,4}}\)|\b0\d{{1,4}})(?:{_SEP}?\d{{1,8}}){{1,5}}|\b0\d{{8,10}})
      | (?P<nanp>(?:\b1[ .\-])?(?:\(\d{{3}}\)[ ]?|\b\d{{3}}(?P<s>[.\-]))
                 \d{{3}}(?(s)(?P=s)|[ .\-])\d{{4}})
    )
    (?![\w%£$€]|[.,/:\-]\d)  # not followed by more of a number""",
    re.VERBOSE,
)
_ISBN_BEFORE = re.compile(r"ISBN(?:-1[03])?:?\s*\Z", re.IGNORECASE)
# Digits a phone number may have, by kind (E.164: at most 15).
_DIGITS = {"intl": (8, 15), "trunk": (9, 11), "nanp": (10, 11)}
PLACEHOLDERS = {"email": "[EMAIL]", "phone": "[PHONE]", "ip": "[IP]"}


def _valid_ip(candidate: str) -> bool:
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return ":" not in candidate or sum(1 for g in candidate.split(":") if g) >= 3


def find_pii(text: str, trunk_00: bool = True) -> list[tuple[int, int, str]]:
    """Sorted, non-overlapping (start, end, kind) spans; kind in `PLACEHOLDERS`. `trunk_00`
    (v1, v2): a national number may start with "00"."""
    spans: list[tuple[int, int, str]] = []
    taken = bytearray(len(text))

    def add(start: int, end: int, kind: str) -> None:
        if not any(taken[start:end]):
            spans.append((start, end, kind))
            taken[start:end] = b"\x01" * (end - start)

    for m in _EMAIL.finditer(text):
        add(m.start(), m.end(), "email")
    for pattern in (_IPV4, _IPV6):
        for m in pattern.finditer(text):
            if _valid_ip(m.group()):
                add(m.start(), m.end(), "ip")
    for m in _PHONE.finditer(text):
        kind = next(k for k in _DIGITS if m.group(k))
        low, high = _DIGITS[kind]
        digits = sum(c.isdigit() for c in m.group())
        if not low <= digits <= high:
            continue
        # "05.06.2004 12": a national number keeps one separator throughout.
        if kind == "trunk" and len(set(m.group()) & set(" .-")) > 1:
            continue
        if kind == "trunk" and not trunk_00 and m.group().lstrip("(").startswith("00"):
            continue
        if _ISBN_BEFORE.search(text, max(0, m.start() - 12), m.start()):
            continue
        add(m.start(), m.end(), "phone")
    return sorted(spans)


def redact(text: str, spans: list[tuple[int, int, str]]) -> str:
    parts, position = [], 0
    for start, end, kind in spans:
        parts += [text[position:start], PLACEHOLDERS[kind]]
        position = end
    parts.append(text[position:])
    return "".join(parts)


def pii_counts(spans: list[tuple[int, int, str]], redacted: bool) -> dict[str, Any]:
    kinds = [kind for _, _, kind in spans]
    return {
        "emails": kinds.count("email"),
        "phone_numbers": kinds.count("phone"),
        "ip_addresses": kinds.count("ip"),
        "redacted": redacted,
    }


def pii_columns(text: str, redact_text: bool) -> Columns:
    spans = find_pii(text)
    kinds = [kind for _, _, kind in spans]
    columns: Columns = {
        "pii": {
            "emails": kinds.count("email"),
            "phone_numbers": kinds.count("phone"),
            "ip_addresses": kinds.count("ip"),
            "redacted": redact_text,
        }
    }
    if redact_text and spans:
        columns["text"] = redact(text, spans)
    return columns


@batch_annotator("pii", "pii_v1")
def pii_v1(records: list[dict[str, Any]], context: Context) -> list[Columns]:
    redact_text = context.params.pii.redact
    return [pii_columns(record["text"], redact_text) for record in records]


# Free-text fields besides `text` where PII is replaced too (url and source are provenance).
REDACTED_FIELDS = ("title", "author", "publisher", "metadata")


def redacted_fields(
    record: dict[str, Any], text_spans: list[tuple[int, int, str]], trunk_00: bool = True
) -> Columns:
    """The fields of `record` that change when their PII is replaced; {} when none does."""
    changed: Columns = {"text": redact(record["text"], text_spans)} if text_spans else {}
    for name in REDACTED_FIELDS:
        value = record.get(name)
        spans = find_pii(value, trunk_00) if isinstance(value, str) else []
        if spans:
            changed[name] = redact(value, spans)
    return changed


def _pii(records: list[dict[str, Any]], context: Context, trunk_00: bool) -> list[Columns]:
    out = []
    for record in records:
        spans = find_pii(record["text"], trunk_00)
        changed = redacted_fields(record, spans, trunk_00) if context.params.pii.redact else {}
        out.append({"pii": pii_counts(spans, redacted=bool(changed)), **changed})
    return out


@batch_annotator("pii", "pii_v2", rewrites_text=True)
def pii_v2(records: list[dict[str, Any]], context: Context) -> list[Columns]:
    return _pii(records, context, trunk_00=True)


@batch_annotator("pii", "pii_v3", rewrites_text=True)
def pii_v3(records: list[dict[str, Any]], context: Context) -> list[Columns]:
    return _pii(records, context, trunk_00=False)
