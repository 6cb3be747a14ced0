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

from pathlib import Path
from typing import Any

import yaml

from pipeline import __version__
from pipeline.card_plots import write_plots
from pipeline.card_sections import (
    LIMITATIONS,
    changelog_section,
    example_section,
    filters_section,
    statistics_section,
)
from pipeline.card_stats import (
    Stats,
    read_stats,
)
from pipeline.citation import bibtex, citation_cff
from pipeline.manifest import DATA_DIR, Release, hf_features
from pipeline.params import PublishParams
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
{_hub_line(pub)}```

{_version_files(pub)}

`croissant.json` describes the same files in [Croissant](https://mlcommons.org/croissant/)
1.0, for tools that read it:

```python
import mlcroissant as mlc

records = mlc.Dataset(jsonld="path/to/release/croissant.json").records(record_set="records")
```
"""


def _hub_line(pub: PublishParams) -> str:
    if pub.version is None:
        return ""
    return f'ds = datasets.load_dataset("REPO_ID", revision="{tag(pub.version)}")  # from the Hub\n'


def _version_files(pub: PublishParams) -> str:
    """Where a release's files are kept; for a build that is no release, that it is none."""
    if pub.version is None:
        after = f"release {pub.previous}" if pub.previous else "no release yet"
        return (
            f"**This build is no release.** It follows {after} with changes that no version "
            "holds: train on it, cite it or share it as a version only once `corpus release` "
            "has made one (`corpus releases` lists them)."
        )
    return f"""Or get this version's files from the project's DVC remote (tag `{tag(pub.version)}`):

```bash
corpus pull {pub.version} --to path/to/release  # in a checkout; verified against manifest.json
dvc get GIT_REPO_URL data/release --rev {tag(pub.version)} -o path/to/release  # DVC alone
```"""


def card_text(r: Release, stats: Stats, images: dict[str, str]) -> str:
    pub, schema = r.params.publish, record_schema()
    previous = f"follows {pub.previous}" if pub.previous else "the first release"
    if pub.version is None:
        previous = f"a build after {pub.previous}, no release" if pub.previous else "no release"
    annotators = "\n".join(
        f"| {slot} | `{a['annotator']}` | {a.get('model', '')} |"
        for slot, a in r.annotators.items()
    )
    licence = f"`{pub.license}`"
    if pub.license == "other":
        licence = f"`other`: {pub.license_name}, see <{pub.license_link}>"
    return f"""---
{card_yaml(r)}---

# {pub.name} {pub.build_version}

Version **{pub.build_version}** ({previous}). News and opinion articles, cleaned, annotated and
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
