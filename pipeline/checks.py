"""Record checks a JSON Schema cannot state: every derived value agrees with the text.

A schema says an entity's `start` is an integer; only the text can say that `text[start:end]`
is the entity. These checks recompute what is cheap to recompute (hashes, counts) and compare
every span (entities, dates, quotations) with the characters it points at, so that a step which
changes the text after the values were derived from it (a redaction, a repair) is caught before
a release. Each check has a name; a record that fails is quarantined with the names and details.

Three checks depend on params: `characters` holds the text and title to what clean promises with
its params (no control characters when `clean.strip_control_chars`, no zero-width ones when
`clean.strip_zero_width`, ...; whatever the params, no C0 control but tab, line feed and carriage
return), `language_code` to the codes the language annotator can answer, and
`language_annotations` the columns of an annotator that describes some languages only (spaCy's
English entities, quotes and dates) to being null exactly for the articles in other languages
(`checks_for`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from pipeline.ids import sha256_hex
from pipeline.params import AnnotateParams, CleanParams
from pipeline.words import paragraph_count, word_count

Record = dict[str, Any]
# (column, key of the span's own text): spans whose text[start:end] must equal that key.
SPAN_COLUMNS = (("entities", "text"), ("dates_mentioned", "text"), ("quotes", "quote"))


def _spans(record: Record) -> Iterator[str]:
    text = record["text"]
    for column, key in SPAN_COLUMNS:
        for i, span in enumerate(record.get(column) or []):
            start, end, expected = span["start"], span["end"], span[key]
            where = f"{column}[{i}] [{start}:{end}]"
            if not 0 <= start <= end <= len(text):
                yield f"{where} outside the text ({len(text)} characters)"
            elif text[start:end] != expected:
                yield f"{where} is {text[start:end]!r}, not {expected!r}"


def _content_hash(record: Record) -> Iterator[str]:
    if record.get("content_sha256") not in (None, sha256_hex(record["text"])):
        yield "content_sha256 is not the sha256 of text"


def _counts(record: Record) -> Iterator[str]:
    text = record["text"]
    words = word_count(text)
    for column, actual in (
        ("char_count", len(text)),
        ("word_count", words),
        ("paragraph_count", paragraph_count(text)),
    ):
        value = record.get(column)
        if isinstance(value, int) and value != actual:
            yield f"{column} is {record[column]}, the text has {actual}"
    # Sentences come from a model or rules (the counts annotator's version), so they are held to
    # bounds every version keeps: a sentence counts only if it holds a word.
    sentences = record.get("sentence_count")
    if isinstance(sentences, int) and ((sentences == 0) != (words == 0) or sentences > words):
        yield f"sentence_count is {sentences} for a text of {words} words"


Check = Callable[[Record], Iterator[str]]

# Characters clean removes, by the param that makes it remove them (pipeline/clean.py): C0 and
# C1 controls but tab, line feed and carriage return; zero-width space, word joiner and U+FEFF;
# the soft hyphen; every white space but the space and the line feed (normalize_whitespace
# turns line separators into line feeds and runs of other spaces into one space).
PROMISES = {
    "strip_control_chars": "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f",
    "strip_zero_width": "\u200b\u2060\ufeff",
    "remove_soft_hyphens": "\u00ad",
    "normalize_whitespace": "\t\r\x0b\x0c\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028"
    "\u2029\u202f\u205f\u3000",
}
# Whatever clean's params: a C0 control other than tab, line feed and carriage return is never
# text.
ALWAYS = "\x00-\x08\x0b\x0c\x0e-\x1f"


@cache
def forbidden_characters(clean: CleanParams | None) -> re.Pattern[str]:
    ranges = ALWAYS + "".join(
        chars for param, chars in PROMISES.items() if clean and getattr(clean, param)
    )
    return re.compile(f"[{ranges}]")


def characters_check(clean: CleanParams | None) -> Check:
    """No character left in text or title that clean (with these params) removes."""
    pattern = forbidden_characters(clean)

    def check(record: Record) -> Iterator[str]:
        for column in ("text", "title"):
            value = record.get(column)
            found = sorted(set(pattern.findall(value))) if value else []
            if found:
                names = ", ".join(f"U+{ord(c):04X}" for c in found)
                yield f"{column} has {names} at {pattern.search(value).start()}"

    return check


@cache
def known_languages(candidates: tuple[str, ...]) -> frozenset[str]:
    """Codes the language annotator can answer: its candidates, else every language of the
    py3langid model."""
    if candidates:
        return frozenset(candidates)
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # late: loading takes ~0.5 s

    return frozenset(LanguageIdentifier.from_model_file(MODEL_FILE).nb_classes)


def language_check(known: frozenset[str]) -> Check:
    def check(record: Record) -> Iterator[str]:
        if "language" in record and record["language"] not in known:
            yield f"{record['language']!r} is no language the annotator knows"

    return check


def language_annotations_check(annotate: AnnotateParams) -> Check | None:
    """The chosen annotators that describe some languages only (`BatchAnnotator.languages`):
    their slot's columns are null exactly where the record's language is not one of those
    (`annotate_batch.described`). None when no chosen annotator is one."""
    from pipeline.annotate_batch import slot_fields
    from pipeline.annotators import chosen  # late: imports the chosen annotators' modules

    bound = [
        (a.name, a.languages(annotate), sorted(slot_fields({a.slot})))
        for a in chosen(annotate)
        if getattr(a, "languages", None) is not None
    ]
    if not bound:
        return None

    def check(record: Record) -> Iterator[str]:
        language = record.get("language")
        for name, languages, columns in bound:
            described = language in languages
            for column in (c for c in columns if c in record):
                if (record[column] is not None) != described:
                    state = "set" if record[column] is not None else "null"
                    only = ", ".join(sorted(languages))
                    yield f"{column} is {state} for a {language!r} article ({name}: {only} only)"

    return check


CHECKS: dict[str, Check] = {
    "span_offsets": _spans,
    "content_hash": _content_hash,
    "counts": _counts,
    "characters": characters_check(None),
}


def checks_for(clean: CleanParams, annotate: AnnotateParams) -> dict[str, Check]:
    """Every record check, held to what clean and annotate promise with these params."""
    known = known_languages(tuple(annotate.language_candidates))
    checks = {
        **CHECKS,
        "characters": characters_check(clean),
        "language_code": language_check(known),
    }
    bound = language_annotations_check(annotate)
    return {**checks, "language_annotations": bound} if bound else checks


def record_problems(record: Record, checks: dict[str, Check] = CHECKS) -> list[str]:
    """`check: detail` for every disagreement between `record` and its text; [] when none."""
    return [f"{name}: {detail}" for name, check in checks.items() for detail in check(record)]
