"""The annotators applied to records: which run in which pass (`plan`), each over the records it
describes (all, or those in its languages: `described`) with per-article results kept between
runs (`apply_annotators`, `pipeline.cache`), and the filters (`apply_filters`). The annotate
stage (pipeline/annotate.py) runs these over batches; `annotate_records` runs both passes over
records held in memory.
"""

from __future__ import annotations

from typing import Any

from pipeline import quarantine as q
from pipeline.annotators import (
    Annotator,
    BatchAnnotator,
    Context,
    CorpusAnnotator,
    chosen,
)
from pipeline.cache import INPUTS, Cache, annotator_key, content_key
from pipeline.engine import Result
from pipeline.ids import sha256_hex
from pipeline.params import AnnotateParams, Bounds
from pipeline.quarantine import Rejected
from pipeline.schema import record_schema


def plan(
    params: AnnotateParams,
) -> tuple[list[BatchAnnotator], CorpusAnnotator | None, list[BatchAnnotator]]:
    """(first-pass annotators, the corpus annotator, second-pass annotators), in params order,
    except that an annotator that rewrites text (PII redaction) comes first of all."""
    annotators: list[Annotator] = chosen(params)
    rewriters = [a for a in annotators if getattr(a, "rewrites_text", False)]
    if params.pii.redact and not rewriters:
        raise ValueError(
            f"annotate.pii.redact is true but {params.annotators.get('pii')} cannot redact "
            "before the other annotators run (their offsets would describe the old text): "
            "choose pii_v2 or pii_v3 in annotate.annotators"
        )
    annotators = rewriters + [a for a in annotators if a not in rewriters]
    corpus = [i for i, a in enumerate(annotators) if isinstance(a, CorpusAnnotator)]
    if len(corpus) > 1:
        raise ValueError(
            "one corpus annotator at most: " + ", ".join(annotators[i].name for i in corpus)
        )
    if not corpus:
        return annotators, None, []  # type: ignore[return-value]
    i = corpus[0]
    return annotators[:i], annotators[i], annotators[i + 1 :]  # type: ignore[return-value]


def apply_annotators(
    records: list[dict[str, Any]],
    annotators: list[BatchAnnotator],
    params: AnnotateParams,
    corpus: CorpusAnnotator | None = None,
    cache: Cache | None = None,
) -> tuple[list[dict[str, Any]], list[Any]]:
    """Each annotator's columns merged into each record, in order (later ones see earlier ones),
    and the corpus annotator's per-record values for its `finish` (empty when there is none).

    With a `cache`, each annotator runs only on the records whose result is not stored yet
    (`pipeline.cache`), and the shared spaCy parse is made only for those: records that every
    spaCy annotator finds in the cache are never parsed.
    """
    out = [dict(r) for r in records]
    # Records an annotator computes -> their Context: annotators missing the same records share
    # one (and so one parse); the contexts describe the text as it is now.
    contexts: dict[tuple[int, ...], Context] = {}

    def context(rows: tuple[int, ...]) -> Context:
        if rows not in contexts:
            contexts[rows] = Context([out[i]["text"] for i in rows], params, store=cache)
        return contexts[rows]

    # Content keys by the fields they hash: most annotators read the text alone, so each
    # record's text is hashed once per batch, not once per annotator. Dropped when an annotator
    # writes one of the fields.
    keys_of: dict[tuple[str, ...], list[str]] = {}

    def content_keys(annotator: Annotator) -> list[str]:
        fields = INPUTS.get(annotator.name)
        if fields is None:  # keyed by every field, as they are now
            return [content_key(annotator.name, r) for r in out]
        if fields not in keys_of:
            keys_of[fields] = [content_key(annotator.name, r) for r in out]
        return keys_of[fields]

    def run(annotator: Annotator, compute: Any) -> list[Any]:
        rows = described(annotator, out, params)
        if not rows:
            by_row = {}
        elif cache is None:
            by_row = dict(zip(rows, compute([out[i] for i in rows], context(rows)), strict=True))
        else:
            key = annotator_key(annotator, params)
            contents = content_keys(annotator)
            found = cache.get(key, [contents[i] for i in rows])
            todo = tuple(i for i in rows if contents[i] not in found)
            if todo:
                computed = compute([out[i] for i in todo], context(todo))
                new = dict(zip((contents[i] for i in todo), computed, strict=True))
                cache.put(key, new)
                found.update(new)
            by_row = {i: found[contents[i]] for i in rows}
        if len(by_row) == len(out):
            return [by_row[i] for i in range(len(out))]
        unread = dict.fromkeys(slot_fields({annotator.slot}))  # the slot's columns, null
        return [by_row.get(i, unread) for i in range(len(out))]

    for annotator in annotators:
        written: set[str] = set()
        for record, cols in zip(out, run(annotator, annotator.annotate), strict=True):
            record.update(cols)
            written.update(cols)
        for fields in [f for f in keys_of if written.intersection(f)]:
            del keys_of[fields]
        if getattr(annotator, "rewrites_text", False):  # PII redaction: the rest see new text
            contexts.clear()
    for record, before in zip(out, records, strict=True):
        if record["text"] != before["text"]:
            record["content_sha256"] = sha256_hex(record["text"])
    return out, run(corpus, corpus.prepare) if corpus is not None else []


def described(
    annotator: Annotator, records: list[dict[str, Any]], params: AnnotateParams
) -> tuple[int, ...]:
    """The rows of `records` an annotator describes: all, or for an annotator of some languages
    only (`BatchAnnotator.languages`: spaCy's English model) those whose `language` is one."""
    languages = getattr(annotator, "languages", None)
    if languages is None:
        return tuple(range(len(records)))
    if records and "language" not in records[0]:
        raise KeyError(
            f"{annotator.name} annotates only {sorted(languages(params))} articles: "
            "the language slot must run before it"
        )
    chosen = languages(params)
    return tuple(i for i, r in enumerate(records) if r["language"] in chosen)


def annotate_records(records: list[dict[str, Any]], params: AnnotateParams) -> list[dict[str, Any]]:
    """Both passes over records held in memory (a library call for small sets; the stage
    streams). Filters are not applied."""
    first, corpus, second = plan(params)
    annotated, values = apply_annotators(records, first, params, corpus)
    if corpus is not None:
        found = corpus.finish([r["id"] for r in annotated], values, params)
        for record in annotated:
            record.update(found[record["id"]])
    return apply_annotators(annotated, second, params)[0]


def field_value(record: dict[str, Any], dotted: str) -> Any:
    value: Any = record
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def apply_filters(record: dict[str, Any], filters: dict[str, Bounds]) -> Result:
    """Annotations describe; they drop a record only where `annotate.filters` says so."""
    for column, bounds in filters.items():
        value = field_value(record, column)
        low, high = bounds.min, bounds.max
        if (
            value is None
            or (low is not None and value < low)
            or (high is not None and value > high)
        ):
            return Rejected(q.FILTERED, f"{column}={value} outside {bounds}")
    return record


def slot_fields(slots: set[str]) -> set[str]:
    return {f.name for f in record_schema().fields if f.spec.get("x-annotator") in slots}
