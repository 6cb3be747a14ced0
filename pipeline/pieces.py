"""One unit of work of the engine (a *piece*): one input batch through a stage's function.

A piece is (rows in, accepted batch, quarantined batch, extras), made by a pure function of the
batch, so any process can make it (`pipeline/engines/`) and the writing process only writes it
(`pipeline/engine.py`). With a reduce, the piece also carries each result's key.

A per-article bug must not stop a run: the exception becomes a `stage_error` quarantine row with
the error and where it was raised. A batch function that fails is retried record by record, so
the one article that broke it is found and quarantined, and the rest of its batch goes on.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable
from typing import Any

import pyarrow as pa

from pipeline.quarantine import STAGE_ERROR, Rejected, quarantine_row
from pipeline.schema import quarantine_schema

# A per-article function returns a record, a Rejected, or (for inputs holding several articles,
# such as a JSONL export) a list of those.
Result = dict[str, Any] | Rejected
RecordFn = Callable[[dict[str, Any]], "Result | list[Result]"]
BatchFn = Callable[[list[dict[str, Any]]], list[Result]]
# A batch function that also returns a dict of extras (keyed by record id: a batch retried
# record by record merges the extras of the records that succeed).
ExtrasFn = Callable[[list[dict[str, Any]]], tuple[list[Result], dict[str, Any]]]
KeyFn = Callable[[Result], Any]
# In a piece's extras: (the reduce's keys, the index of each key's result, which results were
# accepted). The writing process takes it out before anything else sees the extras.
KEYS = "_reduce_keys"


def call(fn: RecordFn, record: dict[str, Any]) -> list[Result]:
    """`fn(record)` as a list of results; an exception is one `stage_error` result."""
    try:
        result = fn(record)
    except Exception as exc:  # noqa: BLE001 - the policy is "quarantine and go on"
        where = traceback.extract_tb(exc.__traceback__)[-1]
        detail = f"{type(exc).__name__}: {exc} ({where.name}:{where.lineno})"
        return [Rejected(STAGE_ERROR, detail)]
    if isinstance(result, list):
        # An input must come out as something: an empty answer would lose it without a trace.
        return result or [Rejected(STAGE_ERROR, "the stage returned no record for this input")]
    return [result]


def call_batch(fn: BatchFn, records: list[dict[str, Any]]) -> list[Result]:
    """One result per record. If the batch fails, each record is retried alone, so one bad
    article costs only itself (and is quarantined with the error)."""
    try:
        results = fn(records)
        if len(results) != len(records):
            raise RuntimeError(f"{len(results)} results for {len(records)} records")
        return results
    except Exception:  # noqa: BLE001 - isolate the culprit below
        if len(records) == 1:
            return call(lambda r: fn([r])[0], records[0])
        return [result for record in records for result in call_batch(fn, [record])]


def call_batch_extras(
    fn: ExtrasFn, records: list[dict[str, Any]]
) -> tuple[list[Result], dict[str, Any]]:
    """`call_batch` for a function that also returns extras; a failed record adds none."""
    try:
        results, extras = fn(records)
        if len(results) != len(records):
            raise RuntimeError(f"{len(results)} results for {len(records)} records")
        return results, extras
    except Exception:  # noqa: BLE001 - isolate the culprit, as call_batch does
        if len(records) == 1:
            kept: dict[str, Any] = {}

            def one(record: dict[str, Any]) -> Result:
                results, extras = fn([record])
                kept.update(extras)
                return results[0]

            return call(one, records[0]), kept
        results, extras = [], {}
        for record in records:
            r, e = call_batch_extras(fn, [record])
            results.extend(r)
            extras.update(e)
        return results, extras


Pair = tuple[dict[str, Any], Result]


def _partition(
    pairs: Iterable[Pair], stage: str, out_schema: pa.Schema
) -> tuple[pa.RecordBatch, pa.RecordBatch]:
    """(input record, result) pairs -> (accepted batch, quarantine batch), order kept."""
    accepted: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    for record, result in pairs:
        if isinstance(result, Rejected):
            rejected.append(quarantine_row(stage, result, record))
        else:
            accepted.append(result)
    return (
        pa.RecordBatch.from_pylist(accepted, schema=out_schema),
        pa.RecordBatch.from_pylist(rejected, schema=quarantine_schema().arrow()),
    )


# One unit of work: an input batch -> (rows in, accepted batch, quarantined batch, extras).
# `extras` is a dict a batch function may return beside its results (annotate's first pass: the
# corpus annotator's per-record values); it goes back to the process that writes.
Piece = tuple[int, pa.RecordBatch, pa.RecordBatch, dict[str, Any]]
Splitter = Callable[[pa.RecordBatch], Piece]
_NOTHING = pa.schema([])


def _keyed(pairs: list[Pair], key: KeyFn) -> dict[str, Any]:
    """The reduce's part of a piece: each result's key, where it is, which results passed."""
    keys, where = [], []
    for i, (_, result) in enumerate(pairs):
        value = key(result)
        if value is not None:
            keys.append(value)
            where.append(i)
    return {KEYS: (keys, where, [not isinstance(r, Rejected) for _, r in pairs])}


def record_piece(
    fn: RecordFn, stage: str, out_schema: pa.Schema, key: KeyFn | None, batch: pa.RecordBatch
) -> Piece:
    """Run `fn` on every row of `batch`: (rows in, accepted rows, quarantined rows, the reduce's
    keys), input order kept. A module-level function: picklable as a partial.

    Accepted rows are cast to `out_schema`: keys it does not name are dropped, so a function
    may pass through fields of its input that the stage does not write.
    """
    pairs = [(record, result) for record in batch.to_pylist() for result in call(fn, record)]
    good, bad = _partition(pairs, stage, out_schema)
    return batch.num_rows, good, bad, _keyed(pairs, key) if key else {}


def batch_piece(
    fn: BatchFn | ExtrasFn,
    stage: str,
    out_schema: pa.Schema,
    with_extras: bool,
    key: KeyFn | None,
    batch: pa.RecordBatch,
) -> Piece:
    """`record_piece` for a function of the whole batch (one result per record); with
    `with_extras`, `fn` returns (results, extras)."""
    records = batch.to_pylist()
    if with_extras:
        results, extras = call_batch_extras(fn, records)  # type: ignore[arg-type]
    else:
        results, extras = call_batch(fn, records), {}  # type: ignore[arg-type]
    pairs = list(zip(records, results, strict=True))
    good, bad = _partition(pairs, stage, out_schema)
    return batch.num_rows, good, bad, {**extras, **_keyed(pairs, key)} if key else extras


def key_piece(key: KeyFn, batch: pa.RecordBatch) -> Piece:
    """A map that writes nothing: the reduce's key of every record of the batch."""
    empty = pa.RecordBatch.from_pylist([], schema=_NOTHING)
    return batch.num_rows, empty, empty, _keyed([(r, r) for r in batch.to_pylist()], key)


def apply_to_batch(
    fn: RecordFn, batch: pa.RecordBatch, stage: str, out_schema: pa.Schema
) -> tuple[pa.RecordBatch, pa.RecordBatch]:
    """`record_piece` without a reduce: (accepted rows, quarantined rows)."""
    _, good, bad, _ = record_piece(fn, stage, out_schema, None, batch)
    return good, bad
