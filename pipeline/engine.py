"""How a stage runs: a map of a per-article function over Arrow record batches, and the reduce
steps that need the whole corpus.

Stages know *what* to do with one article (a pure function returning a record or `Rejected`);
this module knows *how* to run it: batch by batch, writing accepted rows and quarantined rows to
their shard writers and counting both. The unit of work is a *piece*: a pure function from one
input batch to (rows in, accepted batch, quarantined batch, extras), which an engine
(`pipeline/engines/`: this process, local worker processes, Ray Data) maps over the batches;
the pieces come back in input order and are written here, so every engine writes the same bytes.

A corpus-wide step (exact duplicates, near-duplicate clusters, the first record of an id, the
table checks, publish's files) is a `Reduce`: the map computes a small key for each record,
where the record is (on a worker), and the writing process folds the keys in input order. Only
the keys cross to the writing process, never the text, so what a reduce holds is bounded by its
key's size times the number of articles (README, "Scale").
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from pipeline.params import EngineParams
from pipeline.pieces import (
    KEYS,
    BatchFn,
    ExtrasFn,
    KeyFn,
    Piece,
    RecordFn,
    Result,
    Splitter,
    apply_to_batch,
    batch_piece,
    key_piece,
    record_piece,
)
from pipeline.quarantine import STAGE_ERROR, Rejected, quarantine_row
from pipeline.shards import ShardWriter

# Re-exported: what stages, engines and tests use from here.
__all__ = [
    "BatchFn",
    "ExtrasFn",
    "Piece",
    "RecordFn",
    "Reduce",
    "Result",
    "Splitter",
    "apply_to_batch",
    "run_batches",
    "run_local",
    "run_reduce",
]
Progress = Callable[[int], None]
OnExtras = Callable[[dict[str, Any]], None]
OnOutput = Callable[[pa.RecordBatch], None]


class StageFailed(RuntimeError):
    """Too many articles hit unexpected errors: a bug in the stage, not bad articles."""


@dataclass
class StageCounts:
    """What a stage did with its input; written to `metrics/<stage>.json`."""

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


class Reduce:
    """A corpus-wide step: a small key per record from the map, folded in input order.

    - `key(result)`, in the map, wherever the record is: for a record the map accepted (or a
      `Rejected`), a small value (ids, hashes, a signature; never the text); None adds nothing.
      It must be a plain function: it is shipped to the workers, the keys are not.
      `key=None`: the keys are the items of the batch function's extras ({id: value}).
    - `add(keys)`, in the writing process, one batch's keys at a time, in input order. It may
      refuse records the map accepted ({index in `keys`: Rejected}): the engine then writes each
      of them to the quarantine in its place (the first record of an id wins, say).
    - `result()`: once every batch is in; by default `combine` of every key, in input order.
    """

    def __init__(
        self,
        name: str,
        key: KeyFn | None,
        combine: Callable[[list[Any]], Any] | None = None,
    ) -> None:
        self.name = name
        self.key = key
        self.combine = combine or (lambda keys: keys)
        self.keys: list[Any] = []

    def add(self, keys: list[Any]) -> dict[int, Rejected]:
        self.keys.extend(keys)
        return {}

    def result(self) -> Any:
        keys, self.keys = self.keys, []
        return self.combine(keys)


def _feed(
    reduce: Reduce, extras: dict[str, Any], good: pa.RecordBatch, bad: pa.RecordBatch, stage: str
) -> tuple[pa.RecordBatch, pa.RecordBatch]:
    """One piece's keys to the reduce; the records it refuses move to the quarantine batch."""
    if reduce.key is None:
        reduce.add(list(extras.items()))
        return good, bad
    keys, where, accepted = extras.pop(KEYS)
    refused = reduce.add(keys)
    if not refused:
        return good, bad
    refused = {where[j]: why for j, why in refused.items()}
    good_rows, bad_rows = iter(good.to_pylist()), iter(bad.to_pylist())
    kept, quarantined = [], []
    for i, ok in enumerate(accepted):  # in input order: a refused row takes its place
        row = next(good_rows) if ok else next(bad_rows)
        if not ok:
            quarantined.append(row)
        elif i in refused:
            quarantined.append(quarantine_row(stage, refused[i], row))
        else:
            kept.append(row)
    return (
        pa.RecordBatch.from_pylist(kept, schema=good.schema),
        pa.RecordBatch.from_pylist(quarantined, schema=bad.schema),
    )


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
    reduce: Reduce | None = None,
) -> StageCounts:
    """Map `split` over the batches with the chosen engine (`pipeline.engines.choose`), then
    feed the reduce, write and count its pieces here, in input order: whatever the engine and
    the number of workers, the writers see the same rows in the same order, so the bytes are
    the same."""
    from pipeline.engines import choose  # late: pipeline.engines imports this module

    counts = StageCounts(stage)
    for rows_in, good, bad, extras in choose(engine)(split, batches):
        if reduce is not None:
            good, bad = _feed(reduce, extras, good, bad, stage)
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


def run_local(
    fn: RecordFn,
    batches: Iterable[pa.RecordBatch],
    stage: str,
    out: ShardWriter,
    quarantine: ShardWriter,
    progress: Progress | None = None,
    max_error_share: float = 0.5,
    engine: EngineParams | None = None,
    reduce: Reduce | None = None,
) -> StageCounts:
    """Run a per-article function over the batches (see `_run`), then check the error share.

    `engine` (params.yaml's `engine` section) chooses the workers; None: this process alone.
    With `reduce`, its `key` runs beside `fn`; the caller asks `reduce.result()` afterwards.
    """
    key = reduce.key if reduce else None
    split = functools.partial(record_piece, fn, stage, out.schema, key)
    counts = _run(split, batches, stage, out, quarantine, progress, engine, reduce=reduce)
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
    reduce: Reduce | None = None,
) -> StageCounts:
    """Run a batch function over the batches (see `_run`); the caller checks the error share.

    With `on_extras`, or a `reduce` whose keys are the extras (`key=None`), `fn` returns
    (results, extras) and `on_extras` receives each batch's extras; `on_output` receives each
    accepted batch (both in the writing process, in order: the batch function itself may run in
    another process, where nothing it mutates is seen).
    """
    with_extras = on_extras is not None or (reduce is not None and reduce.key is None)
    key = reduce.key if reduce else None
    split = functools.partial(batch_piece, fn, stage, out.schema, with_extras, key)
    return _run(
        split, batches, stage, out, quarantine, progress, engine, on_extras, on_output, reduce
    )


def run_reduce(
    reduce: Reduce,
    batches: Iterable[pa.RecordBatch],
    engine: EngineParams | None = None,
    progress: Progress | None = None,
) -> Any:
    """A reduce alone, its keys computed by the engine's workers: `reduce.result()`."""
    from pipeline.engines import choose  # late: pipeline.engines imports this module

    assert reduce.key is not None, "a reduce alone computes its own keys"
    for rows_in, _, _, extras in choose(engine)(functools.partial(key_piece, reduce.key), batches):
        reduce.add(extras[KEYS][0])
        if progress:
            progress(rows_in)
    return reduce.result()


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
