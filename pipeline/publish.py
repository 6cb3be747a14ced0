"""Stage `publish`: the release, a folder anyone can load, verify, diff and cite.

Reads:  `data/validate/records/`, every stage's quarantine under `data/quarantine/`,
        `data/ingest/metrics.json` (how many inputs, and their hash),
        `data/annotate/metrics.json` (which annotator and model filled each column), and the
        previous release (`publish.previous`, from DVC's cache; see pipeline/versions.py).
Writes: `data/release/`:
          `data/<split>-NNNNN-of-NNNNN.parquet`  zstd Parquet, one Hugging Face split per value
                                                 of `split`, `publish.buckets[split]` files;
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

import pyarrow as pa
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
from pipeline.shards import read_batches, reset_dir, shard_paths
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


def stable_splits(records: dict[str, tuple[str, str]], previous: dict[str, str]) -> dict[str, str]:
    """id -> split: the previous release's split for a record it had; for a new record, the
    previous split of the smallest previously published id of its near-duplicate cluster; else
    the split annotate gave it. `records`: id -> (cluster, annotated split)."""
    anchor: dict[str, str] = {}  # cluster -> smallest previously published member
    for id_, (cluster, _) in sorted(records.items()):
        if id_ in previous and cluster not in anchor:
            anchor[cluster] = id_
    return {
        id_: previous.get(id_) or previous.get(anchor.get(cluster, ""), split)
        for id_, (cluster, split) in records.items()
    }


def _cluster_key(row: dict[str, Any]) -> tuple[str, str, str, str]:
    return row["id"], row["near_duplicate_cluster"], row["split"], row["language"]


def _clusters(keys: list[tuple[str, str, str, str]]) -> tuple[dict[str, tuple[str, str]], Counter]:
    records = {id_: (cluster, split) for id_, cluster, split, _ in keys}
    return records, Counter(language for *_, language in keys)


def read_clusters(inp: Path, batch_size: int) -> tuple[dict[str, tuple[str, str]], Counter]:
    """(id -> (near-duplicate cluster, annotated split), rows per language), in one pass.

    A reduce over four short columns (about 200 bytes a record held); it runs in this process:
    the keys are the columns read, and shipping them to workers would cost more than it saves."""
    columns = ["id", "near_duplicate_cluster", "split", "language"]
    reduce = Reduce("clusters", _cluster_key, _clusters)
    return run_reduce(reduce, read_batches(inp, batch_size, columns=columns), engine=None)


def fingerprints(
    paths: list[Path], engine: params_mod.EngineParams
) -> dict[str, changes_mod.Fingerprint]:
    """id -> fingerprint of every record in these Parquet files: two SHA-256 of each whole
    record, made by the engine's workers; ids and digests come back (about 400 bytes a record)."""
    batches = (b for path in paths for b in pq.ParquetFile(path).iter_batches(engine.batch_size))
    return run_reduce(Reduce("fingerprints", changes_mod.fingerprint, dict), batches, engine)


def partition(inp: Path, tmp: Path, splits: dict[str, str], params: params_mod.Params) -> set:
    """publish's shuffle: the validated records, their split set, grouped into one Arrow file
    per (split, bucket), which `write_shards` sorts by id. The group-by holds one batch at a
    time and spills the rest to `tmp` (disk, not memory); on one machine."""
    schema = record_schema().arrow()
    writers: dict[tuple[str, int], pa.ipc.RecordBatchFileWriter] = {}
    with progress_bar(STAGE, len(splits)) as advance:
        for batch in read_batches(inp, params.engine.batch_size):
            ids = batch.column("id").to_pylist()
            split = pa.array([splits[i] for i in ids], pa.string())
            index = batch.schema.get_field_index("split")
            batch = batch.set_column(index, batch.schema.field(index), split)
            keys = [(splits[i], bucket_of(i, params.publish.buckets[splits[i]])) for i in ids]
            for key in sorted(set(keys)):
                mask = pa.array([k == key for k in keys])
                if key not in writers:
                    writers[key] = pa.ipc.new_file(tmp / f"{key[0]}-{key[1]}.arrow", schema)
                writers[key].write_table(pa.Table.from_batches([batch.filter(mask)], schema))
            advance(batch.num_rows)
    for writer in writers.values():
        writer.close()
    return set(writers)


def write_shards(
    inp: Path, release: Path, params: params_mod.Params, splits: dict[str, str]
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
    with tempfile.TemporaryDirectory(prefix="corpus-publish-") as tmp:
        for split, bucket in sorted(partition(inp, Path(tmp), splits, params)):
            table = pa.ipc.open_file(Path(tmp) / f"{split}-{bucket}.arrow").read_all()
            table = table.sort_by("id").cast(schema).combine_chunks()
            n = params.publish.buckets[split]
            path = release / DATA_DIR / f"{split}-{bucket:05d}-of-{n:05d}.parquet"
            pq.write_table(
                table,
                path,
                row_group_size=params.engine.row_group_rows,
                compression=params.engine.compression,
                compression_level=params.engine.compression_level,
                write_statistics=True,
                use_dictionary=False,
                # Page boundaries follow the content, not row counts: an insertion leaves the
                # other pages of the file byte-identical (deduplicating stores upload less).
                use_content_defined_chunking=True,
            )
            files = out[split]
            files.rows += table.num_rows
            files.num_bytes += table.nbytes
            files.paths.append(path)
    return [files for files in out.values() if files.rows]


def previous_release(params: params_mod.Params) -> dict[str, Path] | None:
    """Files of the release this one follows (`publish.previous`), from DVC's cache."""
    if params.publish.previous is None:
        return None
    return versions.release_files(Path.cwd(), params.publish.previous)


def previous_fingerprints(
    files: dict[str, Path] | None, engine: params_mod.EngineParams
) -> dict[str, changes_mod.Fingerprint]:
    if files is None:
        return {}
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
    previous_files = previous_release(params)
    old = previous_fingerprints(previous_files, params.engine)
    records, languages = read_clusters(inp, params.engine.batch_size)
    splits = stable_splits(records, {id_: f.split for id_, f in old.items()})
    split_files = write_shards(inp, release, params, splits)
    new = fingerprints([path for s in split_files for path in s.paths], params.engine)
    change_rows = changes_mod.diff(old, new, quarantined_ids(quarantine_root))
    changes_mod.write_changes(release / changes_mod.CHANGES_FILE, change_rows)
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
