"""clean's per-article results in the results store (`pipeline.cache.Cache`), beside annotate's.

- The *stage key* hashes what decides clean's output besides the article: clean's code (the
  source of `pipeline.clean` and of every `pipeline` module it imports, transitively:
  `pipeline.cache.code_hash`) and the whole `clean` params section. Its own namespace: the
  hashed value names the stage, an annotator's names the annotator.
- The *content key* hashes what clean reads of a record: its `text` and `title`
  (`pipeline.clean.clean_text`). Every other field passes through untouched.

The value stored is only what clean derives, (text, title, clean_log), or the `Rejected` of an
article with no text left: never a pass-through field. A text or title clean left as it was is
stored as None (`compact`): most articles need no repair, and their rows stay a few dozen bytes
rather than a second copy of the corpus. The output record is rebuilt from the input record and
the stored value (`expand`, then `pipeline.clean.cleaned_record`, `content_sha256` hashed again
from the text), the same function a fresh computation goes through: a warm cache writes the
cold cache's bytes. The duplicate reduce's keys are made from the rebuilt records, cached or not.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from pipeline import cache as store
from pipeline.params import CleanParams
from pipeline.quarantine import Rejected

STAGE = "clean"


def stage_key(params: CleanParams) -> str:
    return store.digest(
        {
            "stage": STAGE,
            "code": store.code_hash("pipeline.clean"),
            "params": dataclasses.asdict(params),
        }
    )


def content_key(record: dict[str, Any]) -> str:
    return store.digest([["text", record["text"]], ["title", record["title"]]])


def compact(record: dict[str, Any], cleaned: Any) -> Any:
    """What is stored of `clean_text`'s answer for `record`: (text, [title], clean_log), each of
    text and [title] None when clean did not change it; a `Rejected` as it is."""
    if isinstance(cleaned, Rejected):
        return cleaned
    text, title, clean_log = cleaned
    return (
        None if text == record["text"] else text,  # a cleaned text is never None nor empty
        None if title == record["title"] else [title],  # a title may be None: in a list
        clean_log,
    )


def expand(record: dict[str, Any], stored: Any) -> Any:
    """`compact`'s inverse: `clean_text`'s answer again, for a record of the same content key."""
    if isinstance(stored, Rejected):
        return stored
    text, title, clean_log = stored
    return (
        record["text"] if text is None else text,
        record["title"] if title is None else title[0],
        clean_log,
    )


def cached(
    cache: store.Cache,
    key: str,
    records: list[dict[str, Any]],
    compute: Callable[[dict[str, Any]], Any],
) -> list[Any]:
    """`compute(record)` (clean_text's answer) for each record: one look-up for the batch, then
    `compute` on the records whose content is not stored yet (once per content), stored in one
    transaction before the batch is written."""
    contents = [content_key(r) for r in records]
    stored = cache.cached(key, contents, records, lambda r: compact(r, compute(r)))
    return [expand(r, value) for r, value in zip(records, stored, strict=True)]
