"""Stage `publish`: the release, a folder anyone can load, verify, diff and cite.

Reads:  `data/validate/records/`, every stage's quarantine under `data/quarantine/`,
        `metrics/ingest.json` (how many inputs, and their hash),
        `metrics/annotate.json` (which annotator and model filled each column), and the
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
from pipeline.manifest import DATA_DIR, Release, manifest
from pipeline.publish_data import write_data
from pipeline.schema import SCHEMA_DIR
from pipeline.shards import reset_dir, shard_paths
from pipeline.stage import parse_args, read_metrics

STAGE = "publish"
SCHEMA_FILE = "schema.json"  # the record schema, beside the data it describes
VALIDATION_DIR = "validation"  # validate's validation.json and offline Data Docs page


class AccountingError(RuntimeError):
    """Articles found != published + quarantined: one went missing, which must never happen."""


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
    return changes_mod.fingerprints(paths, engine.batch_size, engine)


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
    paths = [path for s in split_files for path in s.paths]
    new = changes_mod.fingerprints(paths, params.engine.batch_size, params.engine)
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
