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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import datasets
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from pipeline import __version__
from pipeline import params as params_mod
from pipeline.ids import file_sha256
from pipeline.schema import SCHEMA_DIR, RecordSchema, record_schema
from pipeline.shards import ShardWriter, read_batches, reset_dir, shard_paths
from pipeline.stage import parse_args, progress_bar, read_metrics

STAGE = "publish"
DATA_DIR = "data"
SPLITS = ("train", "validation", "test")  # the order of the card and of load_dataset


class AccountingError(RuntimeError):
    """Articles found != published + quarantined: one went missing, which must never happen."""


def hf_features(schema: RecordSchema) -> datasets.Features:
    return datasets.Features.from_arrow_schema(schema.arrow())


@dataclass
class SplitFiles:
    name: str
    rows: int
    paths: list[Path] = field(default_factory=list)
    num_bytes: int = 0  # Arrow size of its rows: what the card's `num_bytes` means to `datasets`


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


@dataclass(frozen=True)
class Release:
    """What the card and the manifest describe, gathered once."""

    params: params_mod.Params
    counts: dict[str, Any]
    splits: list[SplitFiles]
    languages: Counter
    input_hash: str
    annotators: dict[str, dict[str, str]]


def card_yaml(r: Release) -> str:
    pub = r.params.publish
    header = {
        "pretty_name": pub.name,
        "license": pub.license,
        "language": sorted(r.languages),
        "size_categories": [size_category(r.counts["published"])],
        "task_categories": ["text-generation"],
        "configs": [
            {
                "config_name": "default",
                "data_files": [
                    {"split": s.name, "path": f"{DATA_DIR}/{s.name}-*.parquet"} for s in r.splits
                ],
            }
        ],
        "dataset_info": {
            "features": hf_features(record_schema())._to_yaml_list(),
            "splits": [
                {"name": s.name, "num_bytes": s.num_bytes, "num_examples": s.rows} for s in r.splits
            ],
        },
    }
    return yaml.safe_dump(header, sort_keys=False, allow_unicode=True, width=100)


def size_category(n: int) -> str:
    """The Hub's size buckets: n<1K, 1K<n<10K, ... (one tag, from the published row count)."""
    bounds = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")]
    bounds += [(1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M")]
    return next((tag for limit, tag in bounds if n < limit), "n>10M")


def column_table(schema: RecordSchema) -> str:
    lines = ["| column | type | nullable | description |", "|---|---|---|---|"]
    for f in schema.fields:
        nullable = "yes" if f.nullable else "no"
        lines.append(f"| `{f.name}` | `{f.arrow_type()}` | {nullable} | {f.description} |")
    return "\n".join(lines)


def card(r: Release) -> str:
    """The dataset card: YAML header for the Hub and `datasets`, then a human description."""
    pub, schema, counts = r.params.publish, record_schema(), r.counts
    reasons = (
        "\n".join(f"| `{reason}` | {n} |" for reason, n in counts["quarantined_by_reason"].items())
        or "| (none) | 0 |"
    )
    languages = ", ".join(f"`{lang}` {n}" for lang, n in r.languages.most_common())
    splits = ", ".join(f"`{s.name}` {s.rows}" for s in r.splits) or "none"
    annotators = "\n".join(
        f"| {slot} | `{a['annotator']}` | {a.get('model', '')} |"
        for slot, a in r.annotators.items()
    )
    return f"""---
{card_yaml(r)}---

# {pub.name} {pub.version}

News and opinion articles, cleaned, annotated and validated by
corpus-pipeline {__version__}, record schema
`{schema.name}` {schema.version}. Every article that went in is either here or quarantined with
a reason (exact duplicates included); the counts below add up.

## Load

```python
import datasets

ds = datasets.load_dataset("path/to/release")  # this folder
```

## Counts

| | articles |
|---|---|
| found in `seeds/` ({counts["files"]} files) | {counts["articles"]} |
| published | {counts["published"]} |
| quarantined | {counts["quarantined"]} |

Quarantined by reason:

| reason | articles |
|---|---|
{reasons}

Languages (py3langid): {languages or "none"}.

Splits (from a hash of each record's near-duplicate cluster, so near duplicates share a split):
{splits}.

## Annotators

Each annotated column names its slot in the schema; this release filled the slots with:

| slot | annotator | model |
|---|---|---|
{annotators}

## Columns

{column_table(schema)}

## Provenance and integrity

- Input hash (sha256 over every seed's path and raw-bytes sha256): `{r.input_hash}`.
- `manifest.json` lists the sha256, size and row count of every file of this release, the
  params every stage ran with, and the schema version. Check a copy with
  `sha256sum` against it.
- Rerunning the pipeline on the same seeds with the same params gives byte-identical files.

## Licence

`{pub.license}`: the articles keep their publishers' copyright; see each record's `url` and
`metadata` for its origin.

## Citation

```bibtex
@misc{{{pub.name.replace("-", "_")}_{pub.version.replace(".", "_")},
  title   = {{{pub.name}}},
  version = {{{pub.version}}},
  note    = {{corpus-pipeline release, input hash {r.input_hash[:16]}}},
}}
```
"""


def annotated_columns(annotators: dict[str, dict[str, str]]) -> dict[str, str]:
    """{column: the annotator that produced it}, through each column's slot in the schema."""
    return {
        f.name: annotators[f.spec["x-annotator"]]["annotator"]
        for f in record_schema().fields
        if f.spec.get("x-annotator") in annotators
    }


def manifest(release: Path, r: Release) -> dict:
    schema = record_schema()
    files = []
    for path in sorted(p for p in release.rglob("*") if p.is_file()):
        rel = path.relative_to(release).as_posix()
        entry = {"path": rel, "sha256": file_sha256(path), "bytes": path.stat().st_size}
        if path.suffix == ".parquet":
            entry["rows"] = pq.ParquetFile(path).metadata.num_rows
        files.append(entry)
    return {
        "name": r.params.publish.name,
        "version": r.params.publish.version,
        "pipeline_version": __version__,
        "schema": {
            "name": schema.name,
            "version": schema.version,
            "sha256": file_sha256(SCHEMA_DIR / "record.schema.json"),
        },
        "input": {"files": r.counts["files"], "sha256": r.input_hash},
        "counts": r.counts,
        "splits": {s.name: s.rows for s in r.splits},
        "annotators": r.annotators,
        "annotated_columns": annotated_columns(r.annotators),
        "params": r.params.as_dict(),
        "files": files,
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
