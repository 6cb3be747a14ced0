"""ShardWriter and friends: deterministic Parquet shards, read back exactly as written."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.params import EngineParams
from pipeline.shards import (
    ShardWriter,
    count_rows,
    file_batches,
    read_batches,
    rebatched,
    reset_dir,
    shard_paths,
)
from tests.defaults import PARAMS

ROW_GROUP = 4


@pytest.fixture
def schema() -> pa.Schema:
    return pa.schema(
        [
            pa.field("n", pa.int64(), nullable=False),
            pa.field("text", pa.string(), nullable=True),
            pa.field("tags", pa.list_(pa.string()), nullable=False),
        ],
        metadata={"schema": "test"},
    )


@pytest.fixture
def engine() -> EngineParams:
    return replace(PARAMS.engine, row_group_rows=ROW_GROUP, compression="zstd", compression_level=3)


def make_rows(n: int) -> list[dict]:
    return [
        {"n": i, "text": None if i % 5 == 0 else f"row {i} é", "tags": ["a"] * (i % 3)}
        for i in range(n)
    ]


def write_in_batches(folder, schema, engine, rows, sizes, **kwargs) -> ShardWriter:
    assert sum(sizes) == len(rows)
    with ShardWriter(folder, schema, engine, **kwargs) as writer:
        start = 0
        for size in sizes:
            writer.write_rows(rows[start : start + size])
            start += size
    return writer


def read_all(folder) -> list[dict]:
    return [row for batch in read_batches(folder, 3) for row in batch.to_pylist()]


def row_groups(path) -> list[int]:
    meta = pq.ParquetFile(path).metadata
    return [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]


@pytest.mark.parametrize("sizes", [[1], [11], [3, 5, 3], [1, 1, 1, 7, 0, 1], [4, 4, 3]])
def test_round_trip_keeps_rows_and_order(tmp_path, schema, engine, sizes):
    rows = make_rows(sum(sizes))
    write_in_batches(tmp_path, schema, engine, rows, sizes)
    assert read_all(tmp_path) == rows
    assert count_rows(tmp_path) == len(rows)


@pytest.mark.parametrize(("n", "groups"), [(1, [1]), (4, [4]), (11, [4, 4, 3]), (12, [4, 4, 4])])
def test_row_groups_have_the_fixed_size_whatever_the_batches(tmp_path, schema, engine, n, groups):
    for sizes in ([n], [1] * n, [n - n // 2, n // 2]):
        folder = tmp_path / "-".join(map(str, sizes))
        write_in_batches(folder, schema, engine, make_rows(n), sizes)
        (path,) = shard_paths(folder)
        assert row_groups(path) == groups


def test_max_rows_splits_shards(tmp_path, schema, engine):
    rows = make_rows(13)
    writer = write_in_batches(tmp_path, schema, engine, rows, [6, 7], max_rows=5)
    paths = shard_paths(tmp_path)
    assert [p.name for p in paths] == [
        "part-00000.parquet",
        "part-00001.parquet",
        "part-00002.parquet",
    ]
    assert writer.paths == paths
    assert [row_groups(p) for p in paths] == [[4, 1], [4, 1], [3]]
    assert read_all(tmp_path) == rows
    assert writer.rows_written == 13


@pytest.mark.parametrize("sizes", [[5], [2, 3], [10], [5, 5]])
def test_rows_filling_whole_shards_leave_no_empty_shard(tmp_path, schema, engine, sizes):
    rows = make_rows(sum(sizes))
    write_in_batches(tmp_path, schema, engine, rows, sizes, max_rows=5)
    assert [pq.ParquetFile(p).metadata.num_rows for p in shard_paths(tmp_path)] == [5] * (
        len(rows) // 5
    )
    assert read_all(tmp_path) == rows


def test_custom_shard_names(tmp_path, schema, engine):
    write_in_batches(
        tmp_path, schema, engine, make_rows(7), [7], max_rows=3,
        name_shard=lambda i: f"train-{i:05d}-of-00003.parquet",
    )  # fmt: skip
    assert [p.name for p in sorted(tmp_path.iterdir())] == [
        "train-00000-of-00003.parquet",
        "train-00001-of-00003.parquet",
        "train-00002-of-00003.parquet",
    ]


def test_empty_writer_still_writes_one_shard_with_the_schema(tmp_path, schema, engine):
    with ShardWriter(tmp_path, schema, engine) as writer:
        writer.write_rows([])
    (path,) = shard_paths(tmp_path)
    assert pq.read_schema(path) == schema
    assert pq.read_schema(path).metadata == schema.metadata
    assert count_rows(tmp_path) == 0
    assert read_all(tmp_path) == []


def test_extra_metadata_is_added_to_the_schema(tmp_path, schema, engine):
    write_in_batches(tmp_path, schema, engine, make_rows(2), [2], metadata={b"release": b"0.1.0"})
    (path,) = shard_paths(tmp_path)
    assert pq.read_schema(path).metadata == {b"schema": b"test", b"release": b"0.1.0"}


def test_batches_in_another_column_order_or_type_are_cast_to_the_schema(tmp_path, schema, engine):
    batch = pa.RecordBatch.from_pydict(
        {
            "tags": pa.array([["x"], []], pa.list_(pa.string())),
            "text": pa.array(["a", None], pa.large_string()),
            "n": pa.array([1, 2], pa.int32()),
        }
    )
    with ShardWriter(tmp_path, schema, engine) as writer:
        writer.write_batch(batch)
    (path,) = shard_paths(tmp_path)
    assert pq.read_schema(path) == schema
    assert read_all(tmp_path) == [
        {"n": 1, "text": "a", "tags": ["x"]},
        {"n": 2, "text": None, "tags": []},
    ]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sizes_a=st.lists(st.integers(0, 9), min_size=1, max_size=6),
    data=st.data(),
)
def test_same_rows_in_other_batch_sizes_give_identical_bytes(
    tmp_path_factory, schema, engine, sizes_a, data
):
    n = sum(sizes_a)
    # Another way of cutting the same n rows into batches.
    cuts = sorted(data.draw(st.lists(st.integers(0, n), max_size=5)))
    sizes_b = [b - a for a, b in zip([0, *cuts], [*cuts, n], strict=True)]
    rows = make_rows(n)
    folders = [tmp_path_factory.mktemp("a"), tmp_path_factory.mktemp("b")]
    for folder, sizes in zip(folders, (sizes_a, sizes_b), strict=True):
        write_in_batches(folder, schema, engine, rows, sizes, max_rows=6)
    files_a, files_b = (shard_paths(f) for f in folders)
    assert [p.name for p in files_a] == [p.name for p in files_b]
    assert [p.read_bytes() for p in files_a] == [p.read_bytes() for p in files_b]


def test_an_exception_leaves_no_tmp_file_and_no_unfinished_shard(tmp_path, schema, engine):
    rows = make_rows(8)
    crash = pytest.raises(RuntimeError, match="stage crashed")
    with crash, ShardWriter(tmp_path, schema, engine, max_rows=5) as writer:
        writer.write_rows(rows)  # shard 0 is complete; shard 1 holds 3 pending rows
        writer.write_rows(make_rows(1))  # shard 1 now has a row group in its .tmp file
        assert (tmp_path / "part-00001.parquet.tmp").exists()
        raise RuntimeError("stage crashed")
    assert [p.name for p in tmp_path.iterdir()] == ["part-00000.parquet"]
    assert read_all(tmp_path) == rows[:5]


def test_an_exception_before_any_row_leaves_nothing(tmp_path, schema, engine):
    with pytest.raises(RuntimeError), ShardWriter(tmp_path, schema, engine):
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_reset_dir_empties_a_folder(tmp_path):
    folder = tmp_path / "out"
    (folder / "old").mkdir(parents=True)
    (folder / "old" / "part-00000.parquet").write_bytes(b"stale")
    assert reset_dir(folder) == folder
    assert list(folder.iterdir()) == []
    assert reset_dir(tmp_path / "new" / "nested").is_dir()


def test_read_batches_selects_columns_and_streams_every_shard(tmp_path, schema, engine):
    write_in_batches(tmp_path, schema, engine, make_rows(9), [9], max_rows=4)
    batches = list(read_batches(tmp_path, 2, columns=["n"]))
    assert all(b.schema.names == ["n"] and b.num_rows <= 2 for b in batches)
    assert [row["n"] for b in batches for row in b.to_pylist()] == list(range(9))


@pytest.mark.parametrize(("group", "batch", "rows"), [(4, 2, 9), (5, 3, 23), (3, 7, 20), (6, 6, 0)])
def test_file_batches_cut_rows_as_the_whole_file_reader_does(tmp_path, group, batch, rows):
    """Read a row group at a time, the batches are the ones Arrow's whole-file reader gives:
    `batch` rows across row-group edges, the last one shorter (annotate's spaCy batches and
    every engine's pieces follow them)."""
    table = pa.table({"n": list(range(rows)), "s": [f"r{i}" * (i % 4) for i in range(rows)]})
    path = tmp_path / "part-00000.parquet"
    pq.write_table(table, path, row_group_size=group)
    whole = list(pq.ParquetFile(path).iter_batches(batch_size=batch))
    ours = list(file_batches(path, batch))
    assert [b.num_rows for b in ours] == [b.num_rows for b in whole]
    assert all(a.equals(b) for a, b in zip(ours, whole, strict=True))


def test_rebatched_passes_whole_batches_on_and_joins_the_rest():
    first, second = pa.record_batch({"n": [0, 1, 2]}), pa.record_batch({"n": [3, 4, 5]})
    out = list(rebatched([first, second], 3))
    assert out[0] is first and out[1] is second
    assert [b.to_pydict()["n"] for b in rebatched([first, second], 4)] == [[0, 1, 2, 3], [4, 5]]


# Reads a Parquet file of 1,024-row groups of incompressible text and prints Arrow's peak pool
# memory, reading with `file_batches` or with Arrow's whole-file reader. `import pipeline`
# first: the Parquet reader's own buffers come from Arrow's C++ default pool, which the package
# sets to the one pyarrow reports on.
POOL_PROBE = """
import sys
import pipeline
import numpy as np, pyarrow as pa, pyarrow.parquet as pq
from pipeline.shards import file_batches
path, groups, how = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = np.random.default_rng(0)
with pq.ParquetWriter(path, pa.schema([("text", pa.string())]), compression="zstd") as w:
    for _ in range(groups):
        texts = [" ".join(map(str, row)) for row in rng.integers(0, 10**6, size=(1024, 40))]
        w.write_table(pa.table({"text": texts}), row_group_size=1024)
before = pa.default_memory_pool().max_memory()
f = pq.ParquetFile(path)
batches = file_batches(path, 256) if how == "groups" else f.iter_batches(batch_size=256)
for batch in batches:
    pass
print((pa.default_memory_pool().max_memory() - before) / 2**20)
"""


def test_reading_a_file_holds_no_more_for_more_row_groups(tmp_path):
    """Arrow's whole-file reader keeps something of every row group it has read until the
    file is done (its pool peak grows with the file), a row group at a time it does not."""

    def peak(groups: int, how: str) -> float:
        path = tmp_path / f"{groups}-{how}.parquet"
        argv = [sys.executable, "-c", POOL_PROBE, str(path), str(groups), how]
        return float(subprocess.run(argv, capture_output=True, text=True, check=True).stdout)

    small, large = peak(4, "groups"), peak(48, "groups")
    assert large < 1.2 * small + 0.5, (small, large)
    # The probe can tell: the whole-file reader's peak grows with the file.
    assert peak(48, "whole") > 3 * peak(4, "whole")
