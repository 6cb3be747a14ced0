"""Stage `clean`: repair each article's text without losing a word, and record what changed.

Reads:  `data/ingest/records/`.
Writes: `data/clean/records/` (adds `content_sha256`, `clean_log`, `duplicates`; `text` and
        `title` repaired), `data/quarantine/clean/` (including duplicates),
        `metrics/clean.json` (counts per step and per quarantine reason).
Params: `engine`, `clean`.
Cache:  `<engine.cache_dir>/results.sqlite` (read and written; none when `engine.cache_dir` is
        null): each article's cleaned text, title and clean_log (or why it was refused), keyed
        by clean's code and params and the article's text and title (pipeline/clean_cache.py),
        so a rerun cleans only new or changed articles. It never changes what is written.

Each repair is a small named step (str -> str). A step runs only if its param is on, and it goes
into the record's `clean_log`, with the characters it removed, when it changed the text or the
title, so a user can filter on (or audit) exactly what the pipeline did to an article.

Duplicates are found by a reduce beside the cleaning, all of them here (pipeline/duplicates.py):
records with the same id (same canonical URL), quarantined as `duplicate_id`, and records with
the same title and cleaned text, quarantined as `exact_duplicate`. The first in corpus order is
kept and lists the others in `duplicates`; each quarantined copy's detail names the kept id.
On the Ray engine the keys stay on the cluster and two sorts find the records that share an id
or a text (pipeline/duplicates_ray.py): the same copies.
"""

from __future__ import annotations

import functools
import html
import html.entities
import re
import shutil
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ftfy

from pipeline import clean_cache
from pipeline import params as params_mod
from pipeline import quarantine as q
from pipeline.cache import Cache
from pipeline.duplicates import find_duplicates, mark_duplicates
from pipeline.engine import Result
from pipeline.ids import sha256_hex
from pipeline.params import CleanParams
from pipeline.quarantine import Rejected
from pipeline.shards import reset_dir
from pipeline.stage import map_stage, parse_args, write_metrics

STAGE = "clean"

# Entities with their terminating semicolon only: "AT&T" and "R&D" are words, not entities,
# and html.unescape alone would turn a bare "&para" into a pilcrow.
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# C0 and C1 controls except tab, line feed, carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Zero-width space, word joiner, and U+FEFF (a byte order mark in mid-text is a zero-width
# no-break space).
_ZERO_WIDTH = re.compile(r"[\u200b\u2060\ufeff]")
# The controls among them that separate words (vertical tab, form feed, file/group/record
# separators: line breaks to str.splitlines; unit separator: a space) become white space, not
# nothing: "page\x0cNext" must stay two words.
_CONTROL_LINE_BREAK = re.compile(r"[\x0b\x0c\x1c-\x1e]")
_CONTROL_SPACE = re.compile(r"\x1f")
# apply_steps repeats the steps until the text is stable; more rounds than this would mean two
# steps undo each other, so it stops rather than loop forever.
_MAX_ROUNDS = 8
_LINE_BREAK = re.compile(r"\r\n?|[\u2028\u2029\x85]")
# Horizontal white space: every Unicode space separator and the tab, but not the line feed.
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def fix_mojibake(text: str) -> str:
    """UTF-8 read as Windows-1252 and similar (ftfy's encoding repair only)."""
    # Mojibake needs non-ASCII characters; most articles have none, and ftfy is the costliest step.
    return text if text.isascii() else ftfy.fix_encoding(text)


def unescape_html_entities(text: str) -> str:
    """`Jos&#233;` -> `José`: literal entities left behind by HTML-to-text exports."""
    return _ENTITY.sub(_unescape_entity, text)


def _unescape_entity(match: re.Match[str]) -> str:
    entity = match.group(0)
    # Only a whole known name: html.unescape("&notanentity;") would still turn the legacy
    # prefix "&not" into "¬".
    if entity[1] != "#" and entity[1:] not in html.entities.html5:
        return entity
    return html.unescape(entity)


def strip_control_chars(text: str) -> str:
    text = _CONTROL_SPACE.sub(" ", _CONTROL_LINE_BREAK.sub("\n", text))
    return _CONTROL.sub("", text)


def normalize_whitespace(text: str) -> str:
    """One space between words, no trailing spaces, one blank line between paragraphs.

    Single line breaks inside a paragraph are kept: they may be verse, lists or addresses.
    """
    text = _LINE_BREAK.sub("\n", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def strip_zero_width(text: str) -> str:
    """Zero-width spaces and word joiners: invisible, and they split words for a tokenizer.

    ZWJ and ZWNJ are kept: they change how Persian, Indic scripts and emoji are written.
    """
    return _ZERO_WIDTH.sub("", text)


def remove_soft_hyphens(text: str) -> str:
    """U+00AD marks where a word may break; it is not part of the word."""
    return text.replace("\u00ad", "")


Step = tuple[str, Callable[[str], str]]


def steps(params: CleanParams) -> list[Step]:
    """The enabled steps, in the order they run. Mojibake first: later steps need real chars."""
    candidates: list[tuple[str, bool, Callable[[str], str]]] = [
        ("fix_mojibake", params.fix_mojibake, fix_mojibake),
        ("unescape_html_entities", params.unescape_html_entities, unescape_html_entities),
        (
            "normalize_unicode",
            bool(params.unicode_form),
            lambda t: unicodedata.normalize(params.unicode_form, t),
        ),
        ("strip_control_chars", params.strip_control_chars, strip_control_chars),
        ("strip_zero_width", params.strip_zero_width, strip_zero_width),
        ("remove_soft_hyphens", params.remove_soft_hyphens, remove_soft_hyphens),
        ("normalize_whitespace", params.normalize_whitespace, normalize_whitespace),
    ]
    return [(name, fn) for name, enabled, fn in candidates if enabled]


def apply_steps(text: str, pipeline: list[Step]) -> tuple[str, dict[str, int]]:
    """Run the steps until the text stops changing: (text, {step: characters removed}).

    One pass is not enough for clean to be idempotent: a later step can expose work for an
    earlier one (stripping a control char joins a letter to its combining accent, which NFC then
    composes; `&amp;#233;` unescapes to `&#233;`). Only steps that changed something are in the
    log, in pipeline order; a step that rewrote without shortening (tabs to spaces) logs 0.
    """
    removed: dict[str, int] = {}
    for _ in range(_MAX_ROUNDS):
        before = text
        for name, fn in pipeline:
            fixed = fn(text)
            if fixed != text:
                removed[name] = removed.get(name, 0) + len(text) - len(fixed)
                text = fixed
        if text == before:
            break
    return text, {name: removed[name] for name, _ in pipeline if name in removed}


Cleaned = tuple[str, str | None, list[dict[str, Any]]]  # (text, title, clean_log)


def clean_text(text: str, title: str | None, params: CleanParams) -> Cleaned | Rejected:
    """All that clean derives from an article: it reads its text and title, nothing else (so
    they are the results cache's content key, pipeline/clean_cache.py)."""
    pipeline = steps(params)
    text, removed = apply_steps(text, pipeline)
    if not text:
        done = ", ".join(removed) or "cleaning"
        return Rejected(q.EMPTY_AFTER_CLEAN, f"no text left after {done}")
    if title is not None:
        title, title_removed = apply_steps(title, pipeline)
        for name, n in title_removed.items():
            removed[name] = removed.get(name, 0) + n
        removed = {name: removed[name] for name, _ in pipeline if name in removed}
        title = title or None
    return text, title, [{"step": name, "chars_removed": n} for name, n in removed.items()]


def cleaned_record(record: dict[str, Any], cleaned: Cleaned | Rejected) -> Result:
    """The output record: the input's other fields as they are, with what clean derived."""
    if isinstance(cleaned, Rejected):
        return cleaned
    text, title, clean_log = cleaned
    return {
        **record,
        "text": text,
        "title": title,
        "content_sha256": sha256_hex(text),
        "clean_log": [dict(entry) for entry in clean_log],
        "duplicates": [],  # filled by mark_duplicates once the whole corpus has been seen
    }


def clean_record(record: dict[str, Any], params: CleanParams) -> Result:
    return cleaned_record(record, clean_text(record["text"], record["title"], params))


def clean_batch(
    params: CleanParams, cache: Cache | None, key: str, records: list[dict[str, Any]]
) -> list[Result]:
    """`clean_record` of each record; with a `cache`, one look-up for the batch, and only the
    texts not stored yet are cleaned (and stored, before the batch is written)."""
    if cache is None:
        return [clean_record(r, params) for r in records]
    found = clean_cache.cached(
        cache, key, records, lambda r: clean_text(r["text"], r["title"], params)
    )
    return [cleaned_record(r, c) for r, c in zip(records, found, strict=True)]


def run(inp: Path, out: Path, quarantine: Path, metrics: Path, params: params_mod.Params) -> dict:
    # The first pass cleans article by article; whether a text is a duplicate is only known
    # once every text has been seen, so the second pass reads the staged result back.
    # The duplicate reduce's keys are made by the map, beside the cleaning.
    staged = out.with_name(out.name + ".staging")
    duplicates = find_duplicates()
    # Per-article results kept between runs (pipeline/clean_cache.py), looked up per batch.
    cache = Cache(params.engine.cache_dir) if params.engine.cache_dir else None
    key = clean_cache.stage_key(params.clean) if cache else ""
    counts = map_stage(
        STAGE,
        functools.partial(clean_batch, params.clean, cache, key),
        staged,
        quarantine,
        params,
        inp=inp,
        reduce=duplicates,
        per_batch=True,
    )
    dedup = mark_duplicates(staged, reset_dir(out), quarantine, params, duplicates.result())
    shutil.rmtree(staged)
    by_reason = counts["quarantined_by_reason"]
    for reason, key in ((q.EXACT_DUPLICATE, "exact_duplicates"), (q.DUPLICATE_ID, "id_duplicates")):
        counts["records_out"] -= dedup[key]
        counts["quarantined"] += dedup[key]
        if dedup[key]:
            by_reason[reason] = dedup[key]
    counts["quarantined_by_reason"] = dict(sorted(by_reason.items()))
    result = {**counts, **dedup}
    write_metrics(metrics, result)
    return result


def main(argv: list[str] | None = None) -> dict:
    args, params = parse_args(argv, __name__, __doc__, ["input", "out", "quarantine", "metrics"])
    return run(args.input, args.out, args.quarantine, args.metrics, params)


if __name__ == "__main__":
    main()
