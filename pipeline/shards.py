"""Reading and writing stage outputs: folders of Parquet shards, streamed as Arrow batches.

Writers are deterministic: rows are cut into row groups of a fixed size whatever the size of the
batches they arrive in, files are named by their index, and nothing time- or host-dependent is
written. The same rows in the same order give the same bytes, whichever engine produced them.
Files are written under a temporary name and renamed once complete, so a crashed stage never
leaves a truncated shard that looks finished.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.params import EngineParams

SHARD_GLOB = "*.parquet"


def shard_paths(folder: Path) -> list[Path]:
    return sorted(Path(folder).glob(SHARD_GLOB))


def count_rows(folder: Path) -> int:
    return sum(pq.ParquetFile(p).metadata.num_rows for p in shard_paths(folder))


def read_batches(
    folder: Path, batch_size: int, columns: list[str] | None = None
) -> Iterator[pa.RecordBatch]:
    """Stream every row of a shard folder, in shard order, `batch_size` rows at a time."""
    for path in shard_paths(folder):
        yield from file_batches(path, batch_size, columns)


def file_batches(
    path: Path, batch_size: int, columns: list[str] | None = None
) -> Iterator[pa.RecordBatch]:
    """Every row of one Parquet file, `batch_size` rows at a time, read a row group at a time.

    Arrow's reader over a whole file holds more the more row groups the file has (its pool
    peaked at 11 MiB over a shard of 20 row groups, 18 over 79, 23 over 80 of the same rows as
    the 20), one row group's reader does not (7 to 8 MiB). The batches are the ones the
    whole-file reader gives: `batch_size` rows across row groups, the last one shorter.
    """
    with pq.ParquetFile(path) as f:
        groups = (
            f.iter_batches(batch_size=batch_size, row_groups=[i], columns=columns)
            for i in range(f.num_row_groups)
        )
        yield from rebatched(itertools.chain.from_iterable(groups), batch_size)


def rebatched(batches: Iterable[pa.RecordBatch], size: int) -> Iterator[pa.RecordBatch]:
    """The rows of `batches` in order, `size` at a time (the last batch fewer). A batch that
    arrives whole is passed on as it is; rows from two batches are joined into new buffers (a
    slice carries its parent's buffers when a batch is pickled to a worker). Only the rows left
    at the end of a file's last row group can go on as a slice of one batch."""
    parts: list[pa.RecordBatch] = []
    rows = 0
    for batch in batches:
        while batch.num_rows:
            take = min(size - rows, batch.num_rows)
            parts.append(batch if take == batch.num_rows else batch.slice(0, take))
            batch = batch.slice(take)
            rows += take
            if rows == size:
                yield _joined(parts)
                parts, rows = [], 0
    if rows:
        yield _joined(parts)


def _joined(parts: list[pa.RecordBatch]) -> pa.RecordBatch:
    if len(parts) == 1:
        return parts[0]
    return pa.Table.from_batches(parts).combine_chunks().to_batches()[0]


def reset_dir(folder: Path) -> Path:
    """Empty a stage output folder: a stage rebuilds its outputs from scratch."""
    folder = Path(folder)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


class ShardWriter:
    """Write rows with a fixed schema to `<folder>/<prefix>-NNNNN.parquet`.

    A new shard starts every `max_rows` rows (None: one shard). `name_shard` can name shards
    (publish uses the Hugging Face `train-00000-of-00003` convention); it gets the index.
    """

    def __init__(
        self,
        folder: Path,
        schema: pa.Schema,
        engine: EngineParams,
        prefix: str = "part",
        max_rows: int | None = None,
        metadata: dict[bytes, bytes] | None = None,
        name_shard: Callable[[int], str] | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.schema = schema.with_metadata({**(schema.metadata or {}), **(metadata or {})})
        self.engine = engine
        self.max_rows = max_rows
        self.name_shard = name_shard or (lambda i: f"{prefix}-{i:05d}.parquet")
        self.rows_written = 0
        self.paths: list[Path] = []
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0
        self._writer: pq.ParquetWriter | None = None
        self._shard_rows = 0

    def write_rows(self, rows: list[dict]) -> None:
        if rows:
            self.write_batch(pa.RecordBatch.from_pylist(rows, schema=self.schema))

    def write_batch(self, batch: pa.RecordBatch) -> None:
        if batch.num_rows == 0:
            return
        if batch.schema != self.schema:
            batch = pa.Table.from_batches([batch]).select(self.schema.names).cast(self.schema)
            batch = batch.combine_chunks().to_batches()[0]
        self._pending.append(batch)
        self._pending_rows += batch.num_rows
        while self._pending_rows >= self._next_group_size():
            self._flush_group(self._next_group_size())

    def _next_group_size(self) -> int:
        size = self.engine.row_group_rows
        if self.max_rows is not None:
            size = min(size, self.max_rows - self._shard_rows)
        return size

    def _flush_group(self, n: int) -> None:
        table = pa.Table.from_batches(self._pending, schema=self.schema)
        group, rest = table.slice(0, n), table.slice(n)
        self._pending = rest.combine_chunks().to_batches() if rest.num_rows else []
        self._pending_rows = rest.num_rows
        writer = self._writer or self._open()
        writer.write_table(group.combine_chunks(), row_group_size=n)
        self._shard_rows += n
        self.rows_written += n
        if self.max_rows is not None and self._shard_rows >= self.max_rows:
            self._close_shard()

    def _open(self) -> pq.ParquetWriter:
        final = self.folder / self.name_shard(len(self.paths))
        self._tmp = final.with_name(final.name + ".tmp")
        self._final = final
        self._writer = pq.ParquetWriter(
            self._tmp,
            self.schema,
            compression=self.engine.compression,
            compression_level=self.engine.compression_level,
            # Statistics and page index make readers skip data; keep them, they are deterministic.
            write_statistics=True,
            use_dictionary=False,
        )
        self._shard_rows = 0
        return self._writer

    def _close_shard(self) -> None:
        assert self._writer is not None
        self._writer.close()
        os.replace(self._tmp, self._final)
        self.paths.append(self._final)
        self._writer = None
        self._shard_rows = 0  # the next shard starts empty (else its first row group is 0 rows)

    def close(self) -> None:
        if self._pending_rows:
            self._flush_group(self._pending_rows)
        if self._writer is None and not self.paths:
            self._open()  # no rows: still one shard, so readers and DVC see the schema
        if self._writer is not None:
            self._close_shard()

    def __enter__(self) -> ShardWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        elif self._writer is not None:
            self._writer.close()
            Path(self._tmp).unlink(missing_ok=True)
