"""Stage `publish`: the release, a folder anyone can load, verify and cite.

Reads:  `data/validate/records/`, every stage's quarantine under `data/quarantine/`,
        `data/ingest/metrics.json` (how many inputs, and their hash) and
        `data/annotate/metrics.json` (which annotator and model filled each column).
Writes: `data/release/`:
          `data/<split>-NNNNN-of-NNNNN.parquet`  zstd Parquet shards, one Hugging Face split per
                                                 value of the `split` column;
          `README.md`                            the dataset card (YAML header for `datasets`);
          `manifest.json`                        sha256, size and rows of every file, the
                                                 counts, the schema version, the params and
                                                 the input hash.
Params: `engine`, `publish` (and all sections, recorded in the manifest).

Nothing here depends on the clock, the host or the path of the checkout: the same inputs and
params give the same bytes.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline import params as params_mod
from pipeline.card import card
from pipeline.manifest import DATA_DIR, Release, SplitFiles, hf_features, manifest
from pipeline.schema import record_schema
from pipeline.shards import ShardWriter, read_batches, reset_dir, shard_paths
from pipeline.stage import parse_args, progress_bar, read_metrics

STAGE = "publish"
SPLITS = ("train", "validation", "test")  # the order of the card and of load_dataset


class AccountingError(RuntimeError):
    """Articles found != published + quarantined: one went missing, which must never happen."""


def count_values(inp: Path, batch_size: int) -> tuple[dict[str, int], Counter]:
    """(rows per split, rows per language) of the validated records, in one pass.

    The split counts are needed before writing (shard names say how many shards a split has).
    """
    splits: Counter = Counter()
    languages: Counter = Counter()
    for batch in read_batches(inp, batch_size, columns=["split", "language"]):
        splits.update(batch.column("split").to_pylist())
        languages.update(batch.column("language").to_pylist())
    return {name: splits[name] for name in SPLITS if splits[name]}, languages


def write_shards(
    inp: Path, release: Path, params: params_mod.Params, split_rows: dict[str, int]
) -> list[SplitFiles]:
    """The validated records as `data/<split>-i-of-n.parquet`, one Hugging Face split each.

    The features go into the Parquet metadata under the key `datasets` reads, so a loader gets
    the schema's types rather than guessing them. A split with no record gets no file.
    """
    schema = record_schema().arrow()
    hf_meta = {"info": {"features": hf_features(record_schema()).to_dict()}}
    per_shard = params.publish.shard_max_rows
    splits = {name: SplitFiles(name, rows) for name, rows in split_rows.items()}
    writers = {
        name: ShardWriter(
            release / DATA_DIR,
            schema,
            params.engine,
            max_rows=per_shard,
            metadata={b"huggingface": json.dumps(hf_meta, sort_keys=True).encode()},
            name_shard=shard_namer(name, max(1, math.ceil(split.rows / per_shard))),
        )
        for name, split in splits.items()
    }
    with progress_bar(STAGE, sum(s.rows for s in splits.values())) as advance:
        for batch in read_batches(inp, params.engine.batch_size):
            column = batch.column("split")
            for name, writer in writers.items():
                part = batch.filter(pc.equal(column, name))
                writer.write_batch(part)
                splits[name].num_bytes += part.nbytes
            advance(batch.num_rows)
    for name, writer in writers.items():
        writer.close()
        splits[name].paths = writer.paths
    return list(splits.values())


def shard_namer(split: str, n: int):
    return lambda i: f"{split}-{i:05d}-of-{n:05d}.parquet"


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
    by_reason: Counter = Counter()
    for reasons in quarantined.values():
        by_reason.update(reasons)
    total = sum(by_reason.values())
    if articles != published + total:
        raise AccountingError(f"{articles} articles != {published} published + {total} quarantined")
    return {
        "articles": articles,
        "published": published,
        "quarantined": total,
        "quarantined_by_stage": {s: sum(c.values()) for s, c in quarantined.items()},
        "quarantined_by_reason": dict(sorted(by_reason.items())),
    }


def run(
    inp: Path,
    quarantine_root: Path,
    ingest_metrics: Path,
    annotate_metrics: Path,
    out: Path,
    params: params_mod.Params,
) -> dict:
    release = reset_dir(out)
    split_rows, languages = count_values(inp, params.engine.batch_size)
    splits = write_shards(inp, release, params, split_rows)
    ingest = read_metrics(ingest_metrics)
    published = sum(s.rows for s in splits)
    # Articles, not files: a JSONL export is one file and many articles; a file ingest could
    # not read at all is one (quarantined) article.
    articles = ingest["records_out"] + ingest["quarantined"]
    counts = account(articles, published, quarantine_counts(quarantine_root))
    info = Release(
        params,
        {"files": ingest["files_in"], **counts},
        splits,
        languages,
        ingest["input_hash"],
        read_metrics(annotate_metrics)["annotators"],
    )
    (release / "README.md").write_text(card(info), encoding="utf-8")
    result = manifest(release, info)
    (release / "manifest.json").write_text(
        json.dumps(result, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return result


def main(argv: list[str] | None = None) -> dict:
    paths = ["input", "quarantine_root", "ingest_metrics", "annotate_metrics", "out"]
    args, params = parse_args(argv, __name__, __doc__, paths)
    return run(
        args.input,
        args.quarantine_root,
        args.ingest_metrics,
        args.annotate_metrics,
        args.out,
        params,
    )


if __name__ == "__main__":
    main()
