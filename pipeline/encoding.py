"""Bytes to text, safely: strict UTF-8 first, then the most plausible legacy encoding.

Bytes nothing can decode, and "text" that is mostly control characters, are `undecodable`:
never replaced by U+FFFD in silence.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer

from pipeline import quarantine as q
from pipeline.quarantine import Rejected

# Decoded text with more than this share of C0/C1 control characters is binary, not an article.
MAX_CONTROL_SHARE = 0.01
# Candidate decodings this close to the least chaotic one are equally plausible.
CHAOS_TOLERANCE = 0.02
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


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def declared_charset(raw: bytes) -> str | None:
    """The charset an HTML page declares in a <meta> tag near its start, if any."""
    match = _META_CHARSET.search(raw[:4096])
    return match.group(1).decode("ascii").lower() if match else None


def decode(
    raw: bytes, preferred: tuple[str, ...] = (), declared: str | None = None
) -> tuple[str, str] | Rejected:
    """(text, encoding) of raw bytes, or why they cannot be read as text.

    `declared` is what the document says it is (an HTML <meta charset>): tried, strictly, right
    after UTF-8 and before any guessing.
    """
    text, encoding = _decode_text(raw, preferred, declared)
    if text is None:
        return Rejected(q.UNDECODABLE, "no text encoding fits these bytes")
    # Control characters are valid UTF-8 (and valid in every 8-bit code page): text that is
    # full of them is a binary file that happens to decode.
    controls = len(_CONTROL.findall(text))
    if controls > MAX_CONTROL_SHARE * max(len(text), 1):
        return Rejected(
            q.UNDECODABLE, f"binary content: {controls} control characters as {encoding}"
        )
    return text, encoding


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
    guess = _strict(raw, declared) if declared else None
    if guess is None:
        guess = best_guess(charset_normalizer.from_bytes(raw), preferred)
    if guess is None or guess.coherence == 0:
        # No candidate reads as any language: too short to tell ("Total: £5"). Then the
        # preferred encodings, if they decode the bytes at all, are the best bet.
        guess = next(filter(None, (_strict(raw, enc) for enc in preferred)), guess)
    return (str(guess), guess.encoding) if guess is not None else (None, "")


@dataclass(frozen=True)
class _Decoded:
    """A decoding made here rather than by charset-normalizer (the attributes used above)."""

    text: str
    encoding: str
    coherence: float = 1.0  # chosen on purpose (declared or preferred), not guessed

    def __str__(self) -> str:
        return self.text


def _strict(raw: bytes, encoding: str) -> _Decoded | None:
    try:
        return _Decoded(raw.decode(encoding), encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def best_guess(matches: charset_normalizer.CharsetMatches, preferred: tuple[str, ...]):
    """The most plausible decoding among charset-normalizer's candidates.

    Its own `best()` ranks by "chaos" alone and picks, for an English article with one Latin-1
    pound sign, a Japanese code page with no recognisable language. Here candidates in which it
    recognises a language win over those in which it does not; among the least chaotic of
    those, the `preferred` encodings (Windows-1252 by default: what legacy Western news pages
    are) win, then the most coherent.
    """
    candidates = list(matches)
    if not candidates:
        return None
    with_language = [m for m in candidates if m.coherence > 0]
    candidates = with_language or candidates
    least = min(m.chaos for m in candidates)
    plausible = [m for m in candidates if m.chaos <= least + CHAOS_TOLERANCE]
    rank = {name: i for i, name in enumerate(preferred)}
    return min(plausible, key=lambda m: (rank.get(m.encoding, len(rank)), -m.coherence, m.encoding))
