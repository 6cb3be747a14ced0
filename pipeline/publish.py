"""Stage `publish`: the release, a folder anyone can load, verify, diff and cite.

Reads:  `data/validate/records/`, every stage's quarantine under `data/quarantine/`,
        `data/ingest/metrics.json` (how many inputs, and their hash),
        `data/annotate/metrics.json` (which annotator and model filled each column), and the
        previous release (`publish.previous`, from DVC's cache; see pipeline/versions.py).
Writes: `data/release/`:
          `data/<split>-NNNNN-of-NNNNN.parquet`  zstd Parquet, one Hugging Face split per value
                                                 of `split`, `publish.buckets[split]` files
                                                 or a doubling of it (`files_per_split`);
          `changes.parquet`                      record-level changes against the previous
                                                 release (pipeline/changes.py);
          `schema.json`                          the record schema of the data files;
          `validation/`                          validate's `validation.json` and its offline
                                                 Data Docs page (`index.html`);
          `README.md`                            the dataset card (YAML header for `datasets`);
          `manifest.json`                        sha256, size and rows of every file, the
                                                 counts, the schema, the params and the input
                                                 hash.
Params: `engine`, `publish` (and all sections, recorded in the manifest).

Stable layout: a record's file is a hash of its id (`bucket = int(id[:8], 16) % buckets`), rows
are sorted by id inside a file, and files are written with Parquet content-defined chunking, so
a record that did not change stays in the same file and a new article rewrites one file of its
split (and `dvc push` uploads little). A record keeps the split it had in the previous release,
and a new record joins the split of the earliest-published member of its near-duplicate cluster:
splits never move when unrelated articles arrive, and near duplicates stay together.

Nothing here depends on the clock, the host or the path of the checkout: the same inputs and
params give the same bytes.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline import changes as changes_mod
from pipeline import params as params_mod
from pipeline import quarantine as q
from pipeline import versions
from pipeline.card import write_card
from pipeline.croissant import write_croissant
from pipeline.engine import Reduce, run_reduce
from pipeline.manifest import DATA_DIR, Release, SplitFiles, hf_features, manifest
from pipeline.schema import SCHEMA_DIR, record_schema
from pipeline.shards import file_batches, read_batches, reset_dir, shard_paths
from pipeline.stage import parse_args, progress_bar, read_metrics

STAGE = "publish"
SCHEMA_FILE = "schema.json"  # the record schema, beside the data it describes
VALIDATION_DIR = "validation"  # validate's validation.json and offline Data Docs page
SPLITS = ("train", "validation", "test")  # the order of the card and of load_dataset


class AccountingError(RuntimeError):
    """Articles found != published + quarantined: one went missing, which must never happen."""


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


class Fingerprints(Reduce):
    """The changelog's reduce: each record's fingerprint (pipeline/changes.py), made by the
    engine's workers, folded here into Arrow columns one batch at a time."""

    def __init__(self) -> None:
        super().__init__("fingerprints", changes_mod.fingerprint)
        self.tables: list[pa.Table] = []

    def add(self, keys: list[changes_mod.Fingerprint]) -> dict:
        self.tables.append(changes_mod.fingerprint_table(keys))
        return {}

    def result(self) -> pa.Table:
        tables, self.tables = self.tables, []
        return pa.concat_tables([changes_mod.fingerprint_table([]), *tables])


def fingerprints(paths: list[Path], engine: params_mod.EngineParams) -> pa.Table:
    """The fingerprints (changes.FINGERPRINTS) of every record in these Parquet files."""
    batches = (b for path in paths for b in file_batches(path, engine.batch_size))
    return run_reduce(Fingerprints(), batches, engine)


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


def previous_release(params: params_mod.Params) -> dict[str, Path] | None:
    """Files of the release this one follows (`publish.previous`), from DVC's cache."""
    if params.publish.previous is None:
        return None
    return versions.release_files(Path.cwd(), params.publish.previous)


def previous_fingerprints(
    files: dict[str, Path] | None, engine: params_mod.EngineParams
) -> pa.Table:
    if files is None:
        return changes_mod.fingerprint_table([])
    paths = [
        path
        for rel, path in sorted(files.items())
        if rel.startswith(f"{DATA_DIR}/") and rel.endswith(".parquet")
    ]
    return fingerprints(paths, engine)


def quarantined_ids(quarantine_root: Path) -> dict[str, str]:
    """id -> reason, for every quarantined record that has an id (first reason wins)."""
    out: dict[str, str] = {}
    for folder in sorted(p for p in quarantine_root.iterdir() if p.is_dir()):
        for path in shard_paths(folder):
            rows = pq.read_table(path, columns=["id", "reason"]).to_pydict()
            for id_, reason in zip(rows["id"], rows["reason"], strict=True):
                if id_ is not None:
                    out.setdefault(id_, reason)
    return out


def quarantine_counts(quarantine_root: Path) -> dict[str, Counter]:
    """Quarantined rows per stage and reason, read from `data/quarantine/<stage>/`."""
    counts: dict[str, Counter] = {}
    for folder in sorted(p for p in quarantine_root.iterdir() if p.is_dir()):
        reasons: Counter = Counter()
        for path in shard_paths(folder):
            reasons.update(pq.read_table(path, columns=["reason"]).column("reason").to_pylist())
        counts[folder.name] = reasons
    return counts


def account(articles: int, published: int, quarantined: dict[str, Counter]) -> dict[str, Any]:
    """The counts of the card and manifest; articles = published + quarantined, or an error.

    Quarantine rows that are not articles (a sidecar no seed takes) are counted apart."""
    by_reason: Counter = Counter()
    for reasons in quarantined.values():
        by_reason.update(reasons)
    not_articles = {r: n for r, n in by_reason.items() if r in q.NOT_ARTICLES}
    total = sum(n for r, n in by_reason.items() if r not in q.NOT_ARTICLES)
    if articles != published + total:
        raise AccountingError(f"{articles} articles != {published} published + {total} quarantined")
    return {
        "articles": articles,
        "published": published,
        "quarantined": total,
        "quarantined_by_stage": {
            s: sum(n for r, n in c.items() if r not in q.NOT_ARTICLES)
            for s, c in quarantined.items()
        },
        "quarantined_by_reason": {
            r: n for r, n in sorted(by_reason.items()) if r not in q.NOT_ARTICLES
        },
        "files_not_articles": dict(sorted(not_articles.items())),
    }


def run(
    inp: Path,
    quarantine_root: Path,
    ingest_metrics: Path,
    annotate_metrics: Path,
    out: Path,
    params: params_mod.Params,
    validation: Path | None = None,
) -> dict:
    release = reset_dir(out)
    if validation is not None:  # what validate checked and found: part of the release
        shutil.copytree(validation, release / VALIDATION_DIR)
    old = previous_fingerprints(previous_release(params), params.engine)
    split_files, languages = write_data(inp, release, params, old)
    new = fingerprints([path for s in split_files for path in s.paths], params.engine)
    change_rows = changes_mod.write_changes(
        release / changes_mod.CHANGES_FILE,
        changes_mod.diff_parts(old, new, quarantined_ids(quarantine_root)),
    )
    del old, new
    ingest = read_metrics(ingest_metrics)
    published = sum(s.rows for s in split_files)
    # Articles, not files: a JSONL export is one file and many articles; a file ingest could
    # not read at all is one (quarantined) article.
    articles = ingest["records_out"] + ingest["quarantined"] - ingest["unused_sidecars"]
    counts = account(articles, published, quarantine_counts(quarantine_root))
    info = Release(
        params,
        {"files": ingest["files_in"], **counts},
        split_files,
        languages,
        ingest["input_hash"],
        read_metrics(annotate_metrics)["annotators"],
    )
    shutil.copyfile(SCHEMA_DIR / "record.schema.json", release / SCHEMA_FILE)
    write_card(release, info)
    write_croissant(release, info)
    result = manifest(release, info)
    result["changes"] = {
        "previous": params.publish.previous,
        **changes_mod.summarize(change_rows),
        "withdrawn_by_reason": changes_mod.withdrawn_by_reason(change_rows),
    }
    (release / "manifest.json").write_text(
        json.dumps(result, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return result


def main(argv: list[str] | None = None) -> dict:
    paths = ["input", "quarantine_root", "ingest_metrics", "annotate_metrics", "validation", "out"]
    args, params = parse_args(argv, __name__, __doc__, paths)
    return run(
        args.input,
        args.quarantine_root,
        args.ingest_metrics,
        args.annotate_metrics,
        args.out,
        params,
        args.validation,
    )


if __name__ == "__main__":
    main()
