"""How plausible a decoded text's characters are: `encoding.best_guess`'s evidence.

Each non-ASCII character of a reading is priced in the language of what the close readings
agree on: a letter by py3langid's per-language character statistics (the model inside the
package: the features of the letter's UTF-8 bytes), typographic punctuation and currency signs
at a fixed price, anything else at a high one; a word that mixes scripts ("Zoл") or a symbol
inside a word ("Z³rich") costs an anomaly. ASCII characters read the same in every
ASCII-compatible encoding, so they carry no evidence.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections import Counter

import numpy as np
from py3langid.langid import MODEL_FILE, LanguageIdentifier, visit_counts

# The prices of a reading's characters, in natural-log units like the model's letter
# probabilities (a letter common in the language costs about 5 to 8, an unseen one about 15).
SYMBOL_COST = 9.0  # punctuation, currency and other signs any text may use (£, “, –, €)
ODD_COST = 20.0  # other non-letters: box drawing, control pictures, private use...
ANOMALY_COST = 15.0  # per word mixing scripts, symbol between letters, capital after small
# Characters that join the parts of one word without being letters.
_IN_WORD = frozenset("’‘ʼ‐‑·–—")
_WORD = re.compile(r"[^\W\d_]+")


@functools.cache
def _model() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE)


@functools.cache
def _rowbase() -> list[int]:
    return [row << 8 for row in _model().tk_row]


@functools.cache
def _unseen() -> float:
    """The log-probability of a feature a language never showed: the model's floor."""
    return float(_model().nb_ptc.min())


def _features(text: str) -> Counter | None:
    model = _model()
    data = unicodedata.normalize("NFC", text).encode("utf-8", "surrogatepass")
    return visit_counts(model.tk_nextmove, _rowbase(), model.tk_output, data)


def log_posterior(text: str) -> np.ndarray:
    """log P(language | text) under py3langid's naive Bayes model (its prior for no text)."""
    model = _model()
    scores = model.nb_pc.astype(np.float64)
    counts = _features(text.lower()) if text.strip() else None
    if counts:
        weights = np.log1p(np.fromiter(counts.values(), dtype=np.float64))
        scores = scores + weights @ model.nb_ptc[list(counts)]
    scores = scores - scores.max()
    return scores - math.log(np.exp(scores).sum())


@functools.cache
def _letter_log_probs(char: str) -> np.ndarray | None:
    """log P(char | language) for every language, from the model's features inside the
    character's bytes; None when the model has none (a letter no language showed it)."""
    counts = _features(char.lower())
    return _model().nb_ptc[list(counts)].sum(axis=0) if counts else None


def _is_letter(char: str) -> bool:
    return char.isalpha() or unicodedata.category(char).startswith("M")


def _is_common_sign(char: str) -> bool:
    """Punctuation, currency and signs of running text: Latin-1's (¡ to ¿, ×, ÷), general
    punctuation (dashes, curly quotes, …), currency signs, ™, №, CJK and full-width punctuation."""
    code = ord(char)
    return (
        0xA0 <= code <= 0xBF
        or code in (0xD7, 0xF7, 0x2116, 0x2122)
        or 0x2010 <= code <= 0x205E
        or 0x20A0 <= code <= 0x20CF
        or 0x3000 <= code <= 0x303F
        or 0xFF01 <= code <= 0xFF65
    )


def _char_score(char: str, language: np.ndarray) -> float:
    if _is_letter(char):
        log_probs = _letter_log_probs(char)
        if log_probs is None:
            return _unseen()
        joint = log_probs + language
        top = float(joint.max())
        return top + math.log(float(np.exp(joint - top).sum()))
    return -SYMBOL_COST if _is_common_sign(char) else -ODD_COST


@functools.cache
def _script(char: str) -> str:
    name = unicodedata.name(char, "")
    script = name.split(" ", 1)[0]
    return "CJK" if script in ("HIRAGANA", "KATAKANA") else script


def _anomalies(text: str) -> int:
    """Words that mix scripts ("Zoл"), non-letters between two letters ("Z³rich"; apostrophes,
    hyphens and dashes join words), capitals after a small letter ("GarcÚa") and currency signs
    touching a letter ("£uvre"), counting only where a non-ASCII character is involved."""
    count = 0
    for word in _WORD.findall(text):
        if not word.isascii() and len({_script(c) for c in word}) > 1:
            count += 1
    for i in range(1, len(text) - 1):
        char, before, after = text[i], text[i - 1], text[i + 1]
        if char.isascii():
            continue
        between_letters = before.isalpha() and after.isalpha()
        if (
            (not _is_letter(char) and char not in _IN_WORD and between_letters)
            or (char.isupper() and before.islower())
            or (unicodedata.category(char) == "Sc" and (before.isalpha() or after.isalpha()))
        ):
            count += 1
    return count


def evidence(text: str, language: np.ndarray) -> float:
    """How plausible a reading's characters are in the language given as log-probabilities
    (higher is better): the sum of each non-ASCII character's log-probability (letters), or
    price (other characters), less the anomalies'. ASCII characters read the same in every
    ASCII-compatible encoding: they carry no evidence."""
    counts = Counter(c for c in text if not c.isascii() and not c.isspace())
    score = sum(n * _char_score(c, language) for c, n in counts.items())
    return score - ANOMALY_COST * _anomalies(text)
