"""The dataset card of a release: `README.md` (a YAML header that the Hugging Face Hub and
`datasets` read, then what a person needs to load, trust and cite the release), its plots in
`images/` and `CITATION.cff`.

`write_card` reads the release's own Parquet files (already written) for the statistics, the
plots and the example record, and `changes.parquet` (if any) for the changelog
(`pipeline.card_stats`), and draws the plots (`pipeline.card_plots`). Nothing depends
on the clock, the host or the checkout: the citation year is a param, the example record is the
smallest id of the first split, and the PNGs are drawn with matplotlib's Agg renderer at a fixed
size and DPI, with its default style and no `Software` chunk, so the same release gives the same
bytes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from pipeline import __version__
from pipeline.card_plots import write_plots
from pipeline.card_stats import (
    EXAMPLE_LIST_ITEMS,
    EXAMPLE_TEXT_CHARS,
    PII_KINDS,
    Stats,
    read_stats,
    truncate,
)
from pipeline.changes import CHANGE_KINDS, CHANGES_FILE
from pipeline.citation import bibtex, citation_cff
from pipeline.manifest import DATA_DIR, Release, hf_features
from pipeline.schema import RecordSchema, record_schema
from pipeline.versions import tag  # the git tag, and the Hub revision, of a version


def card_yaml(r: Release) -> str:
    pub = r.params.publish
    header: dict[str, Any] = {
        "pretty_name": pub.name,
        "license": pub.license,
    }
    if pub.license == "other":
        header["license_name"] = pub.license_name
        header["license_link"] = pub.license_link
    header |= {
        "language": sorted(r.languages),
        "size_categories": [size_category(r.counts["published"])],
        "task_categories": ["text-generation", "text-classification"],
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
            "dataset_size": sum(s.num_bytes for s in r.splits),
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


def load_section(r: Release) -> str:
    pub = r.params.publish
    return f"""## Load

This folder is a Hugging Face dataset: the YAML header above names its splits and features.

```python
import datasets

ds = datasets.load_dataset("parquet", data_dir="path/to/release/data")  # splits from file names
ds = datasets.load_dataset("path/to/release")  # the same, through this card's `configs`
ds = datasets.load_dataset("REPO_ID", revision="{tag(pub.version)}")  # from the Hub, this version
```

Or get this version's files from the project's DVC remote (git tag `{tag(pub.version)}`):

```bash
corpus pull {pub.version} --to path/to/release  # in a checkout; verified against manifest.json
dvc get GIT_REPO_URL data/release --rev {tag(pub.version)} -o path/to/release  # DVC alone
```

`croissant.json` describes the same files in [Croissant](https://mlcommons.org/croissant/)
1.0, for tools that read it:

```python
import mlcroissant as mlc

records = mlc.Dataset(jsonld="path/to/release/croissant.json").records(record_set="records")
```
"""


def example_section(stats: Stats) -> str:
    if stats.example is None:
        return "## An example record\n\nThis release has no records.\n"
    # One line per column: nested values stay compact, and the block is still valid JSON.
    lines = [
        f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}"
        for k, v in truncate(stats.example).items()
    ]
    shown = "{\n" + ",\n".join(lines) + "\n}"
    return f"""## An example record

The record with the smallest `id` of the first split; strings longer than
{EXAMPLE_TEXT_CHARS} characters and lists longer than {EXAMPLE_LIST_ITEMS} items are cut here (not
in the data).

```json
{shown}
```
"""


def statistics_section(r: Release, stats: Stats, images: dict[str, str]) -> str:
    counts, words = r.counts, stats.word_counts
    reasons = (
        "\n".join(f"| `{reason}` | {n} |" for reason, n in counts["quarantined_by_reason"].items())
        or "| (none) | 0 |"
    )
    splits = ", ".join(f"`{s.name}` {s.rows}" for s in r.splits) or "none"
    languages = ", ".join(
        f"`{lang}` {n}" for lang, n in sorted(r.languages.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    if len(words):
        q = np.percentile(words, [0, 25, 50, 75, 100]).tolist()
        lengths = (
            f"Words per article: min {q[0]:.0f}, quartiles {q[1]:.0f} / {q[2]:.0f} / {q[3]:.0f}, "
            f"max {q[4]:.0f}, mean {float(np.mean(words)):.1f}; {int(words.sum())} words in all."
        )
    else:
        lengths = "No articles."
    return f"""## Statistics

| | articles |
|---|---|
| found in `seeds/` ({counts["files"]} files) | {counts["articles"]} |
| published | {counts["published"]} |
| quarantined | {counts["quarantined"]} |

Quarantined by reason:

| reason | articles |
|---|---|
{reasons}

Splits (from a hash of each record's near-duplicate cluster, so near duplicates share a split):
{splits}.

{lengths}

![Length distribution]({images["lengths"]})

Languages (py3langid): {languages or "none"}.

![Languages]({images["languages"]})

The most frequent people, organisations and places (`people`, `organizations`, `places`;
counted once per article):

![Top named entities]({images["entities"]})
"""


def filters_section(r: Release, stats: Stats) -> str:
    annotate = r.params.annotate
    if annotate.filters:
        rows = "\n".join(
            f"| `{column}` | {'' if b.min is None else b.min} | {'' if b.max is None else b.max} |"
            for column, b in sorted(annotate.filters.items())
        )
        filters = (
            "Records outside these bounds were quarantined as `filtered` "
            f"({r.counts['quarantined_by_reason'].get('filtered', 0)} articles):\n\n"
            f"| column | min | max |\n|---|---|---|\n{rows}"
        )
    else:
        filters = "none; the annotations describe the articles, none was dropped for them."
    found = ", ".join(
        f"{PII_KINDS[kind]} in {stats.pii[kind]}" for kind in PII_KINDS if stats.pii[kind]
    )
    pii_annotator = r.annotators.get("pii", {}).get("annotator", annotate.annotators.get("pii"))
    if annotate.pii.redact:
        redaction = (
            "on (`annotate.pii.redact: true`): the e-mail addresses, phone numbers and IP\n"
            f"addresses `{pii_annotator}` found were replaced in `text` by `[EMAIL]`, `[PHONE]`,\n"
            f"`[IP]` ({stats.redacted} articles)."
        )
    else:
        redaction = (
            "off (`annotate.pii.redact: false`): the e-mail addresses, phone numbers and IP\n"
            f"addresses `{pii_annotator}` found are counted in the `pii` column, left in `text`."
        )
    return f"""## Filters and redaction

Filters (`annotate.filters`): {filters}

Redaction: {redaction}
Articles with at least one: {found or "none"}.

Exact duplicates (same title and text) and id duplicates (same canonical URL) are set aside at
the clean stage and listed in the kept record's `duplicates`; near duplicates are kept, marked
by `near_duplicate_cluster`, and always share a split.
"""


LIMITATIONS = """## Limitations

- The articles are what `seeds/` held: their selection, topics, time span and outlets are not
  a sample of the news, and the card's statistics describe this release only.
- The annotations are automatic. Named entities come from a small spaCy model with rules
  (about 0.77 exact-match micro F1 on 24 GUM news articles, lowest on organisations); quotes,
  speakers and resolved dates inherit its mistakes. The language of very short texts is
  often wrong, and readability is only computed for English.
- PII detection is pattern-based (e-mails, phone numbers, IP addresses): names, addresses and
  other personal data are not detected, let alone redacted.
- Near duplicates are found by MinHash at one threshold; paraphrases below it can fall in
  different splits.
- The articles keep their publishers' copyright; the licence below covers the release's
  annotations and layout, not the texts.
"""


def changelog_section(r: Release, stats: Stats) -> str:
    pub = r.params.publish
    if pub.previous is None:
        return f"## Changelog\n\nFirst release: {r.counts['published']} records.\n"
    if stats.changes is None:
        return f"## Changelog\n\nFollows {pub.previous}; no record-level changes were recorded.\n"
    rows = "\n".join(f"| `{kind}` | {stats.changes.get(kind, 0)} |" for kind in CHANGE_KINDS)
    withdrawn = ", ".join(f"`{reason}` {n}" for reason, n in sorted(stats.withdrawn.items()))
    text = f"""## Changelog

{pub.version} against {pub.previous}; one row per changed record, with the reason and both
content hashes, in `{CHANGES_FILE}`:

| change | records |
|---|---|
{rows}
"""
    return text + (f"\nWithdrawn, by reason: {withdrawn}.\n" if withdrawn else "")


def card_text(r: Release, stats: Stats, images: dict[str, str]) -> str:
    pub, schema = r.params.publish, record_schema()
    previous = f"follows {pub.previous}" if pub.previous else "the first release"
    annotators = "\n".join(
        f"| {slot} | `{a['annotator']}` | {a.get('model', '')} |"
        for slot, a in r.annotators.items()
    )
    licence = f"`{pub.license}`"
    if pub.license == "other":
        licence = f"`other`: {pub.license_name}, see <{pub.license_link}>"
    return f"""---
{card_yaml(r)}---

# {pub.name} {pub.version}

Version **{pub.version}** ({previous}). News and opinion articles, cleaned, annotated and
validated by corpus-pipeline {__version__}, record schema `{schema.name}` {schema.version}. Every
article that went in is either here or quarantined with a reason (exact duplicates included);
the counts below add up.

{load_section(r)}
{example_section(stats)}
{statistics_section(r, stats, images)}
{filters_section(r, stats)}
## Annotators

Each annotated column names its slot in the schema; this release filled the slots with:

| slot | annotator | model |
|---|---|---|
{annotators}

## Columns

{column_table(schema)}

{LIMITATIONS}
## Provenance and integrity

- Input hash (sha256 over every seed's path and raw-bytes sha256): `{r.input_hash}`.
- `manifest.json` lists the sha256, size and row count of every file of this release, the
  params every stage ran with, and the schema version; `croissant.json` gives the sha256 of
  every Parquet file too. Check a copy with `sha256sum` against them.
- Rerunning the pipeline on the same seeds with the same params gives byte-identical files.

## Licence

{licence}. The articles keep their publishers' copyright; see each record's `url`, `license`
and `metadata` for its origin.

## Citation

```bibtex
{bibtex(r)}
```

`CITATION.cff` in this folder says the same for GitHub and Zenodo.

{changelog_section(r, stats)}"""


def write_card(release: Path, r: Release) -> None:
    """Write `README.md`, `images/*.png` and `CITATION.cff` into the release folder, whose
    `data/*.parquet` (and `changes.parquet`, if any) are written already."""
    stats = read_stats(release, r)
    images = write_plots(release, r, stats)
    (release / "README.md").write_text(card_text(r, stats, images), encoding="utf-8")
    (release / "CITATION.cff").write_text(citation_cff(r), encoding="utf-8")
