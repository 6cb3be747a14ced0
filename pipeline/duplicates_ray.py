"""clean's exact and id duplicates on the Ray cluster (two Ray Data sorts), for the Ray engine:
the same copies as `duplicates.FindDuplicates`, with no process holding every record's key.

`FindDuplicates` holds every record's 48-byte key in the stage's process (49 bytes an article,
140 while it sorts them: README, "Scale"). On Ray, `FindDuplicatesOnRay` puts the keys in the
object store as the batches are written, `BLOCK_ROWS` to an object, each with its position in
corpus order (`key_table`), and once every batch is in:

1. two sorts of the keys, by id and by content digest (Ray Data's sort shuffle); on each sorted
   block, numpy finds the runs of two or more equal values, and their rows come back
   (`shared_in_block`). A block's first and last run may go on in the blocks before and after:
   their rows come back marked as cut, and `gathered` keeps those whose value has more than one
   row once every block is in.
2. the stage's process folds the rows found, in corpus order, with the local rule
   (`duplicates.fold`).

A record is folded here when its id or its content digest is another record's too, on either
engine, and the fold sees those records in the same order, so the copies are the same
(tests/test_duplicates_ray.py, tests/test_ray_engine.py). The stage's process holds an object
reference per `BLOCK_ROWS` records, then the keys of the records that share a value (the copies
and those they copy) and of the runs a block's edge cuts (at most two per block).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import pyarrow as pa

from pipeline.duplicates import Duplicate, duplicate_key, fold
from pipeline.engines.ray_reduce import BLOCK_ROWS, ObjectStoreReduce, runs, sorted_by

KEYS = pa.schema(
    [
        ("position", pa.int64()),  # in corpus order: the staged record's row
        ("id", pa.binary()),
        ("content", pa.binary()),
        ("own", pa.binary()),
    ]
)
# What a sorted block sends back: rows of runs of two or more, and of its first and last run
# (`whole` false: the run may go on in another block).
BLOCK = KEYS.append(pa.field("whole", pa.bool_()))


def key_table(keys: list[bytes], start: int) -> pa.Table:
    """48-byte keys (`duplicates.duplicate_key`) as `KEYS` rows, the first at `start`."""
    n = len(keys)
    parts = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(n, 3, 16)

    def column(i: int) -> pa.Array:
        data = pa.py_buffer(np.ascontiguousarray(parts[:, i]).tobytes())
        # Variable-size binary, as the MinHash buckets: what Ray Data's sort is known to take.
        return pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), n, [None, data]).cast(
            pa.binary()
        )

    positions = pa.array(np.arange(start, start + n, dtype=np.int64))
    return pa.table([positions, column(0), column(1), column(2)], schema=KEYS)


def shared_in_block(column: str, table: pa.Table) -> pa.Table:
    """A block sorted by `column` -> the rows of its runs of two or more equal values, and,
    marked as cut, the rows of its first and last run."""
    if table.num_rows == 0:
        return BLOCK.empty_table()
    starts, ends = runs(table[column].combine_chunks())
    sizes = ends - starts
    run = np.repeat(np.arange(len(starts)), sizes)  # each row's run
    cut = (run == 0) | (run == len(starts) - 1)
    keep = cut | (sizes[run] > 1)
    rows = table.select(KEYS.names).filter(pa.array(keep))
    return rows.append_column(BLOCK.field("whole"), pa.array(~cut[keep]))


def gathered(blocks: Iterable[pa.Table], column: str) -> Iterator[tuple[int, bytes]]:
    """(position, 48-byte key) of every record whose `column` value another record has."""
    cut: dict[bytes, list[tuple[int, bytes]]] = {}
    for block in blocks:
        columns = (block[name].to_pylist() for name in BLOCK.names)
        for position, id_, content, own, whole in zip(*columns, strict=True):
            key = id_ + content + own
            if whole:
                yield position, key
            else:
                value = id_ if column == "id" else content
                cut.setdefault(value, []).append((position, key))
    for rows in cut.values():
        if len(rows) > 1:
            yield from rows


def copies(dataset: Any) -> dict[int, Duplicate]:
    """`FindDuplicates.result` from every record's key as a Ray Dataset of `KEYS` rows (None: no
    records): two sorts on the cluster, then the fold, here, of the records that share a value."""
    if dataset is None:
        return {}
    shared: dict[int, bytes] = {}
    for column in ("id", "content"):
        blocks = sorted_by(dataset, column).map_batches(
            functools.partial(shared_in_block, column),
            batch_size=None,
            batch_format="pyarrow",
        )
        batches = blocks.iter_batches(batch_size=None, batch_format="pyarrow")
        shared.update(gathered(batches, column))
    return fold(sorted(shared.items()))


class FindDuplicatesOnRay(ObjectStoreReduce):
    """clean's duplicate reduce whose keys wait in Ray's object store, `block_rows` to an
    object, and are matched by Ray Data sorts on the cluster (`copies`): only the records that
    share a value reach this process."""

    def __init__(self, block_rows: int = BLOCK_ROWS) -> None:
        super().__init__("duplicates", copies, block_rows, duplicate_key, key_table)
