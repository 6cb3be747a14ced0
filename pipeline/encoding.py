"""Bytes to text, safely: strict UTF-8 first, then the most plausible legacy encoding.

Bytes nothing can decode, and "text" that is mostly control characters, are `undecodable`:
never replaced by U+FFFD in silence.

An HTML page's declared charset is read as browsers read it (pipeline/encoding_declared.py, the
WHATWG Encoding Standard's labels): "iso-8859-1", "latin1" and "us-ascii" mean Windows-1252.

A legacy encoding is decided by evidence (`best_guess`). The candidates are charset-normalizer's,
the preferred encodings (`ingest.preferred_encodings`), the Windows and ISO 8859 code pages
(`CODE_PAGES`) and UTF-8 with its few stray bytes read in a preferred encoding
(pipeline/encoding_mixed.py), each decoding the bytes strictly; charset-normalizer alone never
proposes some of them (Windows-1252 for a short English text with "Zoë", whose Baltic reading
"Zoė" it offers instead; ISO-8859-2 for Polish). Each reading is then judged by its
characters: how common its non-ASCII letters are in the language of what all the close
readings agree on (py3langid's per-language character statistics, from the model inside the
package), typographic punctuation and currency signs at a fixed price, anything else at a
high one, and a word that mixes scripts ("Zoл") or a symbol inside a word ("Z³rich") as an
anomaly. A preferred encoding wins unless another reading is clearly more plausible.
"""

from __future__ import annotations

import codecs
import functools
import re
from dataclasses import dataclass

import charset_normalizer
from charset_normalizer.cd import coherence_ratio
from charset_normalizer.md import mess_ratio

from pipeline import quarantine as q
from pipeline.encoding_declared import declared_codec
from pipeline.encoding_evidence import ANOMALY_COST, evidence, log_posterior
from pipeline.encoding_mixed import codecs_of, decode_mixed, foreign_runs, is_mixed, mixed_name
from pipeline.quarantine import Rejected

# Decoded text with more than this share of C0/C1 control characters is binary, not an article.
MAX_CONTROL_SHARE = 0.01
# Readings this close to the least chaotic one are plausible: a share of the text, or a number
# of characters (one odd character is a large share of a short text).
CHAOS_TOLERANCE = 0.02
CHAOS_TOLERANCE_CHARS = 3
# Long files are judged on this many bytes of their lines with non-ASCII bytes (`excerpt`).
EVIDENCE_BYTES = 16_384
# A preferred encoding keeps its place unless another reading is this much more plausible
# (e^5: about 150 times): a foreign letter in an English text ("naïve") is rare in any reading.
PREFERRED_MARGIN = 5.0
# Code pages judged whether or not charset-normalizer proposes them (the Windows ones and the
# ISO 8859 parts for European scripts): once a code page fits well, it tries only seven more of
# its family, in alphabetical order, so ISO-8859-2 (after iso8859_10 to iso8859_16) was never
# judged for a Polish or Czech text. KOI8 is left to charset-normalizer: its reading of an
# English "œuvre", "°uvre", would cost less than the rare letter.
CODE_PAGES = (
    *(f"cp{n}" for n in range(1250, 1259)),
    *(f"iso8859_{n}" for n in (2, 3, 4, 5, 7, 9, 10, 13, 14, 15, 16)),
)
# (byte order mark, codec for the bytes after it, name recorded: the Python codec that reads
# the whole file, mark included).
_BOMS = (
    (codecs.BOM_UTF8, "utf-8", "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_PRINTABLE_ASCII = bytes(range(0x20, 0x7F))


def decode(
    raw: bytes, preferred: tuple[str, ...] = (), declared: str | None = None
) -> tuple[str, str] | Rejected:
    """(text, encoding) of raw bytes, or why they cannot be read as text.

    `declared` is what the document says it is (an HTML <meta charset> label): its codec
    (`declared_codec`) is tried, strictly, right after UTF-8 and before any guessing.
    """
    text, encoding = _decode_text(raw, preferred, declared)
    if text is None:
        return Rejected(q.UNDECODABLE, "no text encoding fits these bytes")
    # Control characters are valid UTF-8 (and valid in every 8-bit code page): text that is
    # full of them is a binary file that happens to decode.
    controls = _controls(text)
    if controls > MAX_CONTROL_SHARE * max(len(text), 1):
        return Rejected(
            q.UNDECODABLE, f"binary content: {controls} control characters as {encoding}"
        )
    return text, encoding


def _controls(text: str) -> int:
    return len(_CONTROL.findall(text))


def _decode_text(
    raw: bytes, preferred: tuple[str, ...], declared: str | None
) -> tuple[str | None, str]:
    # A byte order mark is the file saying what it is; UTF-32 first (its LE BOM starts
    # with UTF-16's).
    for bom, codec, name in _BOMS:
        if raw.startswith(bom):
            try:
                return raw[len(bom) :].decode(codec), name
            except UnicodeDecodeError:
                break
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    codec = declared_codec(declared) if declared else None
    if codec:
        try:
            return raw.decode(codec), codec
        except UnicodeDecodeError:
            pass
    guess = best_guess(raw, preferred)
    return (guess.text, guess.encoding) if guess is not None else (None, "")


@dataclass(frozen=True)
class Reading:
    """The bytes decoded with one encoding, and what charset-normalizer's measures say of it."""

    encoding: str
    text: str
    sample: str  # the excerpt the reading is judged on (`excerpt`), decoded the same way
    chaos: float  # charset-normalizer's mess ratio of the sample: 0 is clean
    coherence: float  # how well its letters match a language's frequencies; 0: none found
    switches: int = 0  # runs of the sample's bytes a mixed reading reads in its fallback


def readings(raw: bytes, preferred: tuple[str, ...]) -> list[Reading]:
    """charset-normalizer's candidates, the preferred encodings, `CODE_PAGES` and UTF-8 with its
    invalid bytes read in a preferred encoding (`encoding_mixed`) that decode `raw` strictly,
    one per distinct text (named after the preferred encoding that gives it, if any)."""
    found: dict[str, tuple[str, float]] = {}  # text -> (encoding, coherence)
    for match in charset_normalizer.from_bytes(raw):
        found.setdefault(str(match), (match.encoding, match.coherence))
    part = excerpt(raw)
    # The first preferred name wins a shared text, then a code page's; a mixed reading with no
    # UTF-8 sequence in it is its fallback's reading, and named so.
    own = [*preferred, *CODE_PAGES, *(mixed_name(encoding) for encoding in preferred)]
    for encoding in reversed(own):
        try:
            text = _decoded(raw, encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        if text in found:
            coherence = found[text][1]
        else:
            ratios = coherence_ratio(_decoded(part, encoding, errors="ignore"))
            coherence = ratios[0][1] if ratios else 0.0
        found[text] = (encoding, coherence)
    out = []
    for text, (encoding, coherence) in found.items():
        sample = text if part is raw else _decoded(part, encoding, errors="ignore")
        switches = foreign_runs(part) if is_mixed(encoding) else 0
        out.append(Reading(encoding, text, sample, mess_ratio(sample, 1.0), coherence, switches))
    return out


def _decoded(raw: bytes, encoding: str, errors: str = "strict") -> str:
    if is_mixed(encoding):
        return decode_mixed(raw, codecs_of(encoding)[1], errors)
    return raw.decode(encoding, errors)


def excerpt(raw: bytes) -> bytes:
    """What readings are judged on: the whole of a short file; of a long one, its lines that
    hold non-ASCII bytes (the only ones where readings differ), up to `EVIDENCE_BYTES`."""
    if len(raw) <= EVIDENCE_BYTES:
        return raw
    lines, size = [], 0
    for line in raw.split(b"\n"):
        if line.isascii():
            continue
        lines.append(line[: EVIDENCE_BYTES - size])
        size += len(lines[-1]) + 1
        if size >= EVIDENCE_BYTES:
            break
    return b"\n".join(lines) or raw[:EVIDENCE_BYTES]


def best_guess(raw: bytes, preferred: tuple[str, ...]) -> Reading | None:
    """The most plausible reading of bytes that are not UTF-8, or None if nothing decodes them.

    1. Plausible readings: not binary-looking (control characters), from an ASCII-compatible
       encoding if any (EBCDIC reads "ø" as "8"; BOM-less UTF-16 is left when every other
       reading is binary), and, when charset-normalizer recognises a language in some reading
       (the text is long enough for its measures to mean anything), about as little chaos as
       the least chaotic one.
    2. Evidence: each reading's characters are priced (`evidence`) in the language of what the
       close readings (the leader's family: same length, differing only in some non-ASCII
       characters) agree on: for "Zoë said" read as cp1252, cp1250 and cp1257, English.
    3. The most plausible reading wins, but a preferred encoding within `PREFERRED_MARGIN` of
       it is taken instead (Windows-1252 by default: "Zoë" and "Zoė" are equally foreign in
       English); then charset-normalizer's coherence, then the encoding's name.
    """
    candidates = _plausible(readings(raw, preferred))
    if not candidates:
        return None
    rank = {name: i for i, name in enumerate(preferred)}
    leader = _ranked(candidates, candidates, rank)[0][1]
    family = [r for r in candidates if _close(r.sample, leader.sample)]
    contenders = [r for r in candidates if r in family or r.encoding in rank]
    ranked = _ranked(contenders, family, rank)
    best_score = ranked[0][0]
    preferred_close = [
        (rank[r.encoding], r)
        for score, r in ranked
        if r.encoding in rank and score >= best_score - PREFERRED_MARGIN
    ]
    return min(preferred_close, key=lambda x: x[0])[1] if preferred_close else ranked[0][1]


def _plausible(candidates: list[Reading]) -> list[Reading]:
    def keep(rows: list[Reading], test) -> list[Reading]:
        return [r for r in rows if test(r)] or rows

    candidates = keep(
        candidates, lambda r: _controls(r.sample) <= MAX_CONTROL_SHARE * max(len(r.sample), 1)
    )
    candidates = keep(candidates, lambda r: _ascii_compatible(r.encoding))
    if any(r.coherence > 0 for r in candidates):
        least = min(r.chaos for r in candidates)
        candidates = [
            r
            for r in candidates
            if r.chaos
            <= least + max(CHAOS_TOLERANCE, CHAOS_TOLERANCE_CHARS / max(len(r.sample), 1))
        ]
    return candidates


@functools.cache
def _ascii_compatible(encoding: str) -> bool:
    try:
        return all(
            _PRINTABLE_ASCII.decode(codec) == _PRINTABLE_ASCII.decode("ascii")
            for codec in codecs_of(encoding)
        )
    except (UnicodeDecodeError, LookupError):
        return False


def _close(text: str, leader: str) -> bool:
    """Same length, and differing from the leader in at most half its non-ASCII characters."""
    if len(text) != len(leader):
        return False
    differ = sum(a != b for a, b in zip(text, leader, strict=True))
    return differ <= max(1, sum(not c.isascii() for c in leader) // 2)


def _ranked(
    rows: list[Reading], family: list[Reading], rank: dict[str, int]
) -> list[tuple[float, Reading]]:
    """(evidence, reading), best first, the evidence taken in the language of `family`."""
    language = log_posterior(_shared([r.sample for r in family]))
    scored = [(round(evidence(r.sample, language) - ANOMALY_COST * r.switches, 6), r) for r in rows]
    return sorted(
        scored,
        key=lambda x: (-x[0], rank.get(x[1].encoding, len(rank)), -x[1].coherence, x[1].encoding),
    )


def _shared(texts: list[str]) -> str:
    """What every reading agrees on (the other characters as spaces); for readings of different
    lengths (multi-byte encodings), the ASCII characters of the first."""
    if len({len(t) for t in texts}) == 1:
        return "".join(cs[0] if len(set(cs)) == 1 else " " for cs in zip(*texts, strict=True))
    return "".join(c if c.isascii() else " " for c in texts[0])
