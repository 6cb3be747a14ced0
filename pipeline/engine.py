"""How a stage's per-article function is run over a stream of Arrow record batches.

Stages know *what* to do with one article (a pure function returning a record or `Rejected`);
this module knows *how* to run it: batch by batch, writing accepted rows and quarantined rows to
their shard writers and counting both. The unit of work is a *piece*: a pure function from one
input batch to (rows in, accepted batch, quarantined batch, extras), which an engine
(`pipeline/engines/`: this process, local worker processes, Ray Data) maps over the batches;
the pieces come back in input order and are written here, so every engine writes the same bytes.
"""

from __future__ import annotations

import functools
import traceback
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from pipeline.params import EngineParams
from pipeline.quarantine import STAGE_ERROR, Rejected, quarantine_row
from pipeline.schema import quarantine_schema
from pipeline.shards import ShardWriter

# A per-article function returns a record, a Rejected, or (for inputs holding several articles,
# such as a JSONL export) a list of those.
Result = dict[str, Any] | Rejected
RecordFn = Callable[[dict[str, Any]], "Result | list[Result]"]
Progress = Callable[[int], None]


class StageFailed(RuntimeError):
    """Too many articles hit unexpected errors: a bug in the stage, not bad articles."""


@dataclass
class StageCounts:
    """What a stage did with its input; written to `data/<stage>/metrics.json`."""

    stage: str
    records_in: int = 0
    records_out: int = 0
    quarantined: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "records_in": self.records_in,
            "records_out": self.records_out,
            "quarantined": sum(self.quarantined.values()),
            "quarantined_by_reason": dict(sorted(self.quarantined.items())),
        }


def _call(fn: RecordFn, record: dict[str, Any]) -> list[Result]:
    # A per-article bug must cost one article, not the run: it is quarantined with the error.
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


def _partition(
    pairs: Iterable[tuple[dict[str, Any], Result]], stage: str, out_schema: pa.Schema
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


def apply_to_batch(
    fn: RecordFn, batch: pa.RecordBatch, stage: str, out_schema: pa.Schema
) -> tuple[pa.RecordBatch, pa.RecordBatch]:
    """Run `fn` on every row of `batch`: (accepted rows, quarantined rows), input order kept.

    Accepted rows are cast to `out_schema`: keys it does not name are dropped, so a function
    may pass through fields of its input that the stage does not write.
    """
    pairs = ((record, result) for record in batch.to_pylist() for result in _call(fn, record))
    return _partition(pairs, stage, out_schema)


BatchFn = Callable[[list[dict[str, Any]]], list[Result]]


def apply_batch_fn(
    fn: BatchFn, batch: pa.RecordBatch, stage: str, out_schema: pa.Schema
) -> tuple[pa.RecordBatch, pa.RecordBatch]:
    """`apply_to_batch` for a function of the whole batch (one result per record)."""
    records = batch.to_pylist()
    return _partition(zip(records, _call_batch(fn, records), strict=True), stage, out_schema)


def _call_batch(fn: BatchFn, records: list[dict[str, Any]]) -> list[Result]:
    """One result per record. If the batch fails, each record is retried alone, so one bad
    article costs only itself (and is quarantined with the error)."""
    try:
        results = fn(records)
        if len(results) != len(records):
            raise RuntimeError(f"{len(results)} results for {len(records)} records")
        return results
    except Exception:  # noqa: BLE001 - isolate the culprit below
        if len(records) == 1:
            return _call(lambda r: fn([r])[0], records[0])
        return [result for record in records for result in _call_batch(fn, [record])]


# One unit of work: an input batch -> (rows in, accepted batch, quarantined batch, extras).
# `extras` is a dict a batch function may return beside its results (annotate's first pass: the
# corpus annotator's per-record values); it goes back to the process that writes.
Piece = tuple[int, pa.RecordBatch, pa.RecordBatch, dict[str, Any]]
Splitter = Callable[[pa.RecordBatch], Piece]
OnExtras = Callable[[dict[str, Any]], None]
OnOutput = Callable[[pa.RecordBatch], None]


def _run(
    split: Splitter,
    batches: Iterable[pa.RecordBatch],
    stage: str,
    out: ShardWriter,
    quarantine: ShardWriter,
    progress: Progress | None,
    engine: EngineParams | None,
    on_extras: OnExtras | None = None,
    on_output: OnOutput | None = None,
) -> StageCounts:
    """Map `split` over the batches with the chosen engine (`pipeline.engines.choose`), then
    write and count its pieces here, in input order: whatever the engine and the number of
    workers, the writers see the same rows in the same order, so the bytes are the same."""
    from pipeline.engines import choose  # late: pipeline.engines imports this module

    counts = StageCounts(stage)
    for rows_in, good, bad, extras in choose(engine)(split, batches):
        out.write_batch(good)
        quarantine.write_batch(bad)
        counts.records_in += rows_in
        counts.records_out += good.num_rows
        counts.quarantined.update(bad.column("reason").to_pylist())
        if on_extras and extras:
            on_extras(extras)
        if on_output:
            on_output(good)
        if progress:
            progress(rows_in)
    out.close()
    quarantine.close()
    return counts


def record_piece(fn: RecordFn, stage: str, out_schema: pa.Schema, batch: pa.RecordBatch) -> Piece:
    """`apply_to_batch` as a unit of work (a module-level function: picklable as a partial)."""
    good, bad = apply_to_batch(fn, batch, stage, out_schema)
    return batch.num_rows, good, bad, {}


def batch_piece(
    fn: BatchFn | ExtrasFn,
    stage: str,
    out_schema: pa.Schema,
    with_extras: bool,
    batch: pa.RecordBatch,
) -> Piece:
    """`apply_batch_fn` as a unit of work; with `with_extras`, `fn` returns (results, extras)."""
    records = batch.to_pylist()
    if with_extras:
        results, extras = _call_batch_extras(fn, records)  # type: ignore[arg-type]
    else:
        results, extras = _call_batch(fn, records), {}  # type: ignore[arg-type]
    good, bad = _partition(zip(records, results, strict=True), stage, out_schema)
    return batch.num_rows, good, bad, extras


# A batch function that also returns a dict of extras (keyed by record id: a batch retried
# record by record merges the extras of the records that succeed).
ExtrasFn = Callable[[list[dict[str, Any]]], tuple[list[Result], dict[str, Any]]]


def _call_batch_extras(
    fn: ExtrasFn, records: list[dict[str, Any]]
) -> tuple[list[Result], dict[str, Any]]:
    try:
        results, extras = fn(records)
        if len(results) != len(records):
            raise RuntimeError(f"{len(results)} results for {len(records)} records")
        return results, extras
    except Exception:  # noqa: BLE001 - isolate the culprit, as _call_batch does
        if len(records) == 1:
            kept: dict[str, Any] = {}

            def one(record: dict[str, Any]) -> Result:
                results, extras = fn([record])
                kept.update(extras)
                return results[0]

            return _call(one, records[0]), kept
        results, extras = [], {}
        for record in records:
            r, e = _call_batch_extras(fn, [record])
            results.extend(r)
            extras.update(e)
        return results, extras


def run_local(
    fn: RecordFn,
    batches: Iterable[pa.RecordBatch],
    stage: str,
    out: ShardWriter,
    quarantine: ShardWriter,
    progress: Progress | None = None,
    max_error_share: float = 0.5,
    engine: EngineParams | None = None,
) -> StageCounts:
    """Run a per-article function over the batches (see `_run`), then check the error share.

    `engine` (params.yaml's `engine` section) chooses the workers; None: this process alone.
    """
    split = functools.partial(record_piece, fn, stage, out.schema)
    counts = _run(split, batches, stage, out, quarantine, progress, engine)
    check_error_share(counts, max_error_share)
    return counts


def run_batches(
    fn: BatchFn | ExtrasFn,
    batches: Iterable[pa.RecordBatch],
    stage: str,
    out: ShardWriter,
    quarantine: ShardWriter,
    progress: Progress | None = None,
    engine: EngineParams | None = None,
    on_extras: OnExtras | None = None,
    on_output: OnOutput | None = None,
) -> StageCounts:
    """Run a batch function over the batches (see `_run`); the caller checks the error share.

    With `on_extras`, `fn` returns (results, extras) and `on_extras` receives each batch's
    extras; `on_output` receives each accepted batch (both in the writing process, in order:
    the batch function itself may run in another process, where nothing it mutates is seen).
    """
    split = functools.partial(batch_piece, fn, stage, out.schema, on_extras is not None)
    return _run(split, batches, stage, out, quarantine, progress, engine, on_extras, on_output)


def check_error_share(counts: StageCounts, max_error_share: float) -> None:
    """Bad articles are quarantined; a stage that fails on most articles is broken, and says so.

    Without this, a bug (a renamed library function, say) would quarantine the whole corpus and
    the run would "succeed" with an empty release.
    """
    errors = counts.quarantined.get(STAGE_ERROR, 0)
    if counts.records_in and errors > max_error_share * counts.records_in:
        raise StageFailed(
            f"stage {counts.stage}: {errors} of {counts.records_in} articles raised an error "
            f"(more than engine.max_error_share={max_error_share}); "
            f"see data/quarantine/{counts.stage}/"
        )
