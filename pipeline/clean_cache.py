"""clean's per-article results in the results store (`pipeline.cache.Cache`), beside annotate's.

- The *stage key* hashes what decides clean's output besides the article: clean's code (the
  source of `pipeline.clean` and of every `pipeline` module it imports, transitively:
  `pipeline.cache.code_hash`) and the whole `clean` params section. Its own namespace: the
  hashed value names the stage, an annotator's names the annotator.
- The *content key* hashes what clean reads of a record: its `text` and `title`
  (`pipeline.clean.clean_text`). Every other field passes through untouched.

The value stored is only what clean derives, (text, title, clean_log), or the `Rejected` of an
article with no text left: never a pass-through field. The output record is rebuilt from the
input record and the stored value (`pipeline.clean.cleaned_record`, `content_sha256` hashed
again from the text), the same function a fresh computation goes through: a warm cache writes
the cold cache's bytes. The duplicate reduce's keys are made from the rebuilt records, cached or
not.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from pipeline import cache as store
from pipeline.params import CleanParams

STAGE = "clean"


def stage_key(params: CleanParams) -> str:
    return store._digest(
        {
            "stage": STAGE,
            "code": store.code_hash("pipeline.clean"),
            "params": dataclasses.asdict(params),
        }
    )


def content_key(record: dict[str, Any]) -> str:
    return store._digest([["text", record["text"]], ["title", record["title"]]])


def cached(
    cache: store.Cache,
    key: str,
    records: list[dict[str, Any]],
    compute: Callable[[dict[str, Any]], Any],
) -> list[Any]:
    """`compute(record)` for each record: one look-up for the batch, then `compute` on the
    records whose content is not stored yet (once per content), stored in one transaction."""
    contents = [content_key(r) for r in records]
    found = cache.get(key, contents)
    missing = {c: r for c, r in zip(contents, records, strict=True) if c not in found}
    new = {c: compute(r) for c, r in missing.items()}
    cache.put(key, new)
    found.update(new)
    return [found[c] for c in contents]
