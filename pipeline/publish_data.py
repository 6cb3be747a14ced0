"""publish's data files: each record's stable split, and the records of each split sorted into
`data/<split>-NNNNN-of-NNNNN.parquet` (pipeline/publish.py has the layout's why).

A record keeps the split it had in the previous release, and a new record joins the split of
the earliest-published member of its near-duplicate cluster (`stable_splits`). A record's file
is a hash of its id (`bucket_of`); the records go to one Arrow file per (split, bucket) on disk
(`partition`), and each is sorted by id and written a row group at a time (`write_file`), so
publish holds one file's records whatever the corpus size (`files_per_split`).
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline import params as params_mod
from pipeline.manifest import DATA_DIR, SplitFiles, hf_features
from pipeline.schema import record_schema
from pipeline.shards import read_batches
from pipeline.stage import progress_bar

STAGE = "publish"
SPLITS = ("train", "validation", "test")  # the order of the card and of load_dataset


def bucket_of(id_: str, buckets: int) -> int:
    """The file of a split that holds the record `id_` (ids are hex digests)."""
    return int(id_[:8], 16) % buckets


def stable_splits(records: pa.Table, previous: pa.Table) -> pa.ChunkedArray:
    """Each record's split, in the order of `records` (columns id, near_duplicate_cluster,
    split): the previous release's split for a record it had; for a new record, the previous
    split of the smallest previously published id of its near-duplicate cluster; else the split
    annotate gave it. `previous`: columns id, split. Joins on Arrow columns, no Python object
    per record."""
    if previous.num_rows == 0:
        return records["split"]
    prev = previous.select(["id", "split"]).rename_columns(["id", "previous_split"])
    rows = records.append_column("row", pa.array(np.arange(records.num_rows)))
    rows = rows.join(prev, "id", join_type="left outer")
    published = rows.filter(pc.is_valid(rows["previous_split"]))
    anchors = published.group_by("near_duplicate_cluster").aggregate([("id", "min")])
    anchors = anchors.join(prev, "id_min", right_keys="id", join_type="inner")
    anchors = anchors.select(["near_duplicate_cluster", "previous_split"])
    anchors = anchors.rename_columns(["near_duplicate_cluster", "anchor_split"])
    rows = rows.join(anchors, "near_duplicate_cluster", join_type="left outer").sort_by("row")
    return pc.coalesce(rows["previous_split"], rows["anchor_split"], rows["split"])


def read_clusters(inp: Path, batch_size: int) -> tuple[pa.Table, Counter]:
    """(id, near_duplicate_cluster, split of every record, in input order; rows per language).

    Four short columns as Arrow columns (about 100 bytes a record, no Python object per
    record); read in this process: shipping them to workers would cost more than it saves."""
    columns = ["id", "near_duplicate_cluster", "split", "language"]
    schema = pa.schema([record_schema().arrow().field(name) for name in columns])
    table = pa.Table.from_batches(list(read_batches(inp, batch_size, columns=columns)), schema)
    languages = Counter(
        {c["values"]: c["counts"] for c in pc.value_counts(table["language"]).to_pylist()}
    )
    return table.drop_columns(["language"]), languages


def files_per_split(splits: pa.ChunkedArray, params: params_mod.PublishParams) -> dict[str, int]:
    """Parquet files of each split: `publish.buckets[split]`, doubled until a file holds about
    `publish.max_rows_per_file` rows or fewer. Publish holds one file in memory while it sorts
    and writes it, so this bounds its memory whatever the corpus size. Doubling keeps the layout
    stable: a record of file b of n goes to file b or b + n of 2n."""
    rows = {c["values"]: c["counts"] for c in pc.value_counts(splits).to_pylist()}
    out = {}
    for split, floor in params.buckets.items():
        n = floor
        while rows.get(split, 0) > n * params.max_rows_per_file:
            n *= 2
        out[split] = n
    return out


def partition(
    inp: Path, tmp: Path, splits: pa.ChunkedArray, files: dict[str, int], params: params_mod.Params
) -> set:
    """publish's shuffle: the validated records, their split set, grouped into one Arrow file
    per (split, bucket), which `write_shards` sorts by id. The group-by holds one batch at a
    time and spills the rest to `tmp` (disk, not memory); on one machine."""
    schema = record_schema().arrow()
    writers: dict[tuple[str, int], pa.ipc.RecordBatchFileWriter] = {}
    offset = 0
    with progress_bar(STAGE, len(splits)) as advance:
        for batch in read_batches(inp, params.engine.batch_size):
            split = splits.slice(offset, batch.num_rows).combine_chunks()
            offset += batch.num_rows
            index = batch.schema.get_field_index("split")
            batch = batch.set_column(index, batch.schema.field(index), split)
            ids, names = batch.column("id").to_pylist(), split.to_pylist()
            keys = [(s, bucket_of(i, files[s])) for i, s in zip(ids, names, strict=True)]
            for key in sorted(set(keys)):
                mask = pa.array([k == key for k in keys])
                if key not in writers:
                    writers[key] = pa.ipc.new_file(tmp / f"{key[0]}-{key[1]}.arrow", schema)
                writers[key].write_table(pa.Table.from_batches([batch.filter(mask)], schema))
            advance(batch.num_rows)
    for writer in writers.values():
        writer.close()
    return set(writers)


def write_file(
    table: pa.Table, path: Path, schema: pa.Schema, engine: params_mod.EngineParams
) -> int:
    """`table` sorted by id as one Parquet file, a row group at a time: besides the table, only
    one row group's sorted copy is held (a whole sorted copy would double publish's peak).
    Returns the Arrow size of the rows written (the sum over row groups)."""
    size = 0
    order = pc.sort_indices(table["id"])
    with pq.ParquetWriter(
        path,
        schema,
        compression=engine.compression,
        compression_level=engine.compression_level,
        write_statistics=True,
        use_dictionary=False,
        # Page boundaries follow the content, not row counts: an insertion leaves the other
        # pages of the file byte-identical (deduplicating stores upload less).
        use_content_defined_chunking=True,
    ) as writer:
        for start in range(0, table.num_rows, engine.row_group_rows):
            rows = table.take(order.slice(start, engine.row_group_rows)).cast(schema)
            rows = rows.combine_chunks()
            writer.write_table(rows, row_group_size=engine.row_group_rows)
            size += rows.nbytes
    return size


def write_shards(
    inp: Path, release: Path, params: params_mod.Params, splits: pa.ChunkedArray
) -> list[SplitFiles]:
    """The validated records as `data/<split>-<bucket>-of-<buckets>.parquet`.

    The features go into the Parquet metadata under the key `datasets` reads, so a loader gets
    the schema's types rather than guessing them. An empty bucket gets no file.
    """
    hf_meta = {"info": {"features": hf_features(record_schema()).to_dict()}}
    schema = record_schema().arrow()
    schema = schema.with_metadata(
        {**schema.metadata, b"huggingface": json.dumps(hf_meta, sort_keys=True).encode()}
    )
    out = {name: SplitFiles(name, 0) for name in SPLITS}
    (release / DATA_DIR).mkdir(parents=True, exist_ok=True)
    files = files_per_split(splits, params.publish)
    with tempfile.TemporaryDirectory(prefix="corpus-publish-") as tmp:
        for split, bucket in sorted(partition(inp, Path(tmp), splits, files, params)):
            table = pa.ipc.open_file(Path(tmp) / f"{split}-{bucket}.arrow").read_all()
            n = files[split]
            path = release / DATA_DIR / f"{split}-{bucket:05d}-of-{n:05d}.parquet"
            split_files = out[split]
            split_files.num_bytes += write_file(table, path, schema, params.engine)
            split_files.rows += table.num_rows
            split_files.paths.append(path)
            del table  # before the next file is read
    return [files for files in out.values() if files.rows]


def write_data(
    inp: Path, release: Path, params: params_mod.Params, old: pa.Table
) -> tuple[list[SplitFiles], Counter]:
    """The data files, each record in its stable split; (their files, rows per language).
    The clusters and splits read for it are freed when it returns."""
    records, languages = read_clusters(inp, params.engine.batch_size)
    splits = stable_splits(records, old.select(["id", "split"]))
    return write_shards(inp, release, params, splits), languages
