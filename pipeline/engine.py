"""How a stage's per-article function is run over a stream of Arrow record batches.

Stages know *what* to do with one article (a pure function returning a record or `Rejected`);
this module knows *how* to run it: batch by batch, writing accepted rows and quarantined rows to
their shard writers and counting both. The unit of work is `apply_to_batch`, a pure function from
one input batch to (accepted batch, quarantined batch), so another engine (Ray Data's
`map_batches`) can run the same function and feed the same writers.
"""

from __future__ import annotations

import traceback
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

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


Splitter = Callable[[pa.RecordBatch], tuple[pa.RecordBatch, pa.RecordBatch]]


def _run(
    split: Splitter,
    batches: Iterable[pa.RecordBatch],
    stage: str,
    out: ShardWriter,
    quarantine: ShardWriter,
    progress: Progress | None,
) -> StageCounts:
    """The local engine: one process, batches in order, bounded memory (one batch at a time)."""
    counts = StageCounts(stage)
    for batch in batches:
        good, bad = split(batch)
        out.write_batch(good)
        quarantine.write_batch(bad)
        counts.records_in += batch.num_rows
        counts.records_out += good.num_rows
        counts.quarantined.update(bad.column("reason").to_pylist())
        if progress:
            progress(batch.num_rows)
    out.close()
    quarantine.close()
    return counts


def run_local(
    fn: RecordFn,
    batches: Iterable[pa.RecordBatch],
    stage: str,
    out: ShardWriter,
    quarantine: ShardWriter,
    progress: Progress | None = None,
    max_error_share: float = 0.5,
) -> StageCounts:
    """Run a per-article function over the batches (see `_run`), then check the error share."""
    counts = _run(
        lambda b: apply_to_batch(fn, b, stage, out.schema),
        batches,
        stage,
        out,
        quarantine,
        progress,
    )
    check_error_share(counts, max_error_share)
    return counts


def run_batches(
    fn: BatchFn,
    batches: Iterable[pa.RecordBatch],
    stage: str,
    out: ShardWriter,
    quarantine: ShardWriter,
    progress: Progress | None = None,
) -> StageCounts:
    """Run a batch function over the batches (see `_run`); the caller checks the error share."""
    return _run(
        lambda b: apply_batch_fn(fn, b, stage, out.schema),
        batches,
        stage,
        out,
        quarantine,
        progress,
    )


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
