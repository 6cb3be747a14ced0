"""A reduce whose keys stay on the Ray cluster: what takes over when they outgrow one process.

On the local engine a reduce's keys are folded in the stage's process (`pipeline.engine.Reduce`),
so the largest of them bounds the corpus one machine can take (README, "Scale"). On Ray, a reduce
that has a distributed form is an `ObjectStoreReduce` instead: each batch's keys go to Ray's object
store as one small Arrow table (id, value) as soon as the batch is written (the store spills to
disk and lives on the cluster, not in the stage's heap), and once every batch is in, `finish`
gets them all as one Ray Dataset, on which it runs Ray Data's own shuffle (a group-by): the stage
keeps only the object references, one per batch, and what `finish` returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa

from pipeline.engine import Reduce

KEYS = pa.schema([("id", pa.string()), ("value", pa.binary())])

# (every record's key as a Ray Dataset of `KEYS` rows, or None for a corpus of no records) -> result
Finish = Callable[[Any], Any]


class ObjectStoreReduce(Reduce):
    """A reduce whose keys are the batch function's extras ({id: bytes}), held in Ray's object
    store a batch at a time and handed to `finish` as one Ray Dataset."""

    def __init__(self, name: str, finish: Finish) -> None:
        super().__init__(name, None)
        self.finish = finish
        self.refs: list[Any] = []

    def add(self, keys: list[tuple[str, bytes]]) -> dict:
        import ray

        if keys:
            ids, values = zip(*keys, strict=True)
            self.refs.append(ray.put(pa.table([list(ids), list(values)], schema=KEYS)))
        return {}

    def result(self) -> Any:
        import ray.data

        refs, self.refs = self.refs, []
        return self.finish(ray.data.from_arrow_refs(refs) if refs else None)
