"""The dataset card (`README.md` of a release): a YAML header that the Hugging Face Hub and
`datasets` read, then what a person needs to load, trust and cite the release."""

from __future__ import annotations

import yaml

from pipeline import __version__
from pipeline.manifest import DATA_DIR, Release, hf_features
from pipeline.schema import RecordSchema, record_schema


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
