"""The release's manifest: what is in it, with the sha256, size and rows of every file, the
counts, the schema, the params and the annotators, gathered once in `Release`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import datasets
import pyarrow.parquet as pq

from pipeline import __version__
from pipeline import params as params_mod
from pipeline.ids import file_sha256
from pipeline.schema import SCHEMA_DIR, RecordSchema, record_schema

DATA_DIR = "data"


def hf_features(schema: RecordSchema) -> datasets.Features:
    return datasets.Features.from_arrow_schema(schema.arrow())


@dataclass
class SplitFiles:
    name: str
    rows: int
    paths: list[Path] = field(default_factory=list)
    num_bytes: int = 0  # Arrow size of its rows: what the card's `num_bytes` means to `datasets`


@dataclass(frozen=True)
class Release:
    """What the card and the manifest describe, gathered once."""

    params: params_mod.Params
    counts: dict[str, Any]
    splits: list[SplitFiles]
    languages: Counter
    input_hash: str
    annotators: dict[str, dict[str, str]]


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
        "version": r.params.publish.build_version,
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
