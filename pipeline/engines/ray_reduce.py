"""A reduce whose keys stay on the Ray cluster: what takes over when they outgrow one process.

On the local engine a reduce's keys are folded in the stage's process (`pipeline.engine.Reduce`),
so the largest of them bounds the corpus one machine can take (README, "Scale"). On Ray, a reduce
that has a distributed form is an `ObjectStoreReduce` instead: each batch's keys go to Ray's object
store as Arrow tables (id, value), `BLOCK_ROWS` keys at a time (the store spills to disk and
is the cluster's, not the stage's heap), and once every batch is in, `finish`
gets them all as one Ray Dataset, on which it runs Ray Data's own shuffle (a sort): the stage
keeps only an object reference per block of keys, and what `finish` returns.

The reduces on Ray sort their keys and read each sorted block on its own (`sorted_by`, `runs`):
MinHash clusters by LSH bucket (pipeline/annotators/near_duplicates_ray.py), clean's duplicates
by id and by content digest (pipeline/duplicates_ray.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.engine import KeyFn, Reduce

KEYS = pa.schema([("id", pa.string()), ("value", pa.binary())])
# Keys per object (one block of the Ray Dataset): the group-by's sort shuffle tracks, in this
# process, a block for every (input block, output partition), about 150 bytes each; at one
# block per batch of 256 keys that grew with the square of the corpus (224 bytes an article
# at 100,000 articles). 8,192 keys (about 4.5 MB of MinHash keys) keep it a few bytes an article.
BLOCK_ROWS = 8192

# (every record's key as a Ray Dataset, or None for a corpus of no records) -> result
Finish = Callable[[Any], Any]
# (a block's keys, the corpus position of its first) -> the block as an Arrow table
KeyTable = Callable[[list[Any], int], pa.Table]


def id_value_table(keys: list[tuple[str, bytes]], start: int) -> pa.Table:
    """(id, bytes) keys, a batch function's extras, as `KEYS` rows."""
    ids, values = zip(*keys, strict=True)
    return pa.table([list(ids), list(values)], schema=KEYS)


class ObjectStoreReduce(Reduce):
    """A reduce whose keys are held in Ray's object store `block_rows` at a time, each block one
    Arrow table (`key_table`), and handed to `finish` (the reduce's `combine`) as one Ray
    Dataset. Its keys are the batch function's extras ({id: bytes}), or with `key`, what that
    makes of each record in the map (`pipeline.engine.Reduce`)."""

    def __init__(
        self,
        name: str,
        finish: Finish,
        block_rows: int = BLOCK_ROWS,
        key: KeyFn | None = None,
        key_table: KeyTable = id_value_table,
    ) -> None:
        super().__init__(name, key, finish)
        self.block_rows = block_rows
        self.key_table = key_table
        self.pending: list[Any] = []
        self.refs: list[Any] = []
        self.stored = 0  # keys in the object store: the next block's first position

    def add(self, keys: list[Any]) -> dict:
        self.pending += keys
        if len(self.pending) >= self.block_rows:
            self._put()
        return {}

    def _put(self) -> None:
        import ray

        if self.pending:
            self.refs.append(ray.put(self.key_table(self.pending, self.stored)))
            self.stored += len(self.pending)
            self.pending = []

    def result(self) -> Any:
        import ray.data

        self._put()
        refs, self.refs = self.refs, []
        return self.combine(ray.data.from_arrow_refs(refs) if refs else None)


def sorted_by(dataset: Any, column: str) -> Any:
    """`dataset` sorted by `column` with Ray Data's sort-based shuffle: the default (hash
    shuffle) starts aggregator actors first, about 10 s more for a small corpus. The dataset's
    own context is set, not the process's."""
    from ray.data.context import ShuffleStrategy

    dataset.context.shuffle_strategy = ShuffleStrategy.SORT_SHUFFLE_PULL_BASED
    return dataset.sort(column)


def runs(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of the runs of equal values in a sorted column of at least one row."""
    n = len(values)
    changes = ~pc.equal(values[1:], values[:-1]).to_numpy(zero_copy_only=False)
    starts = np.flatnonzero(np.concatenate([[True], changes]))
    return starts, np.append(starts[1:], n)
