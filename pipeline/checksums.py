"""A release folder's files against its manifest: sizes, sha256, then rows. Its own module,
with nothing but pyarrow and hashing, because `corpus validate DIR` (validate's stage) checks a
release's checksums too and must not depend on the release code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.ids import file_sha256

MANIFEST = "manifest.json"
# What Arrow raises for a file that is not Parquet: cut short, empty, or something else.
UNREADABLE = (pa.ArrowException, OSError)


def checksum_problems(release: Path, manifest: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Files missing, extra, or not the bytes the manifest lists (size, sha256, then rows), and
    the listed files that are intact. A Parquet file is opened only once its sha256 matched: a
    truncated or foreign file is reported as different, never read."""
    listed = {entry["path"]: entry for entry in manifest["files"]}
    present = {p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file()} - {
        MANIFEST
    }
    problems = [f"{path}: not in the manifest" for path in sorted(present - set(listed))]
    intact = []
    for path, entry in sorted(listed.items()):
        found = file_problems(release / path, path, entry)
        problems += found
        if not found:
            intact.append(path)
    return problems, intact


def file_problems(file: Path, path: str, entry: dict[str, Any]) -> list[str]:
    """How one file differs from its manifest entry ([] when it does not)."""
    if not file.exists():
        return [f"{path}: missing"]
    problems = []
    if file.stat().st_size != entry["bytes"]:
        problems.append(f"{path}: {file.stat().st_size} bytes, manifest says {entry['bytes']}")
    if file_sha256(file) != entry["sha256"]:
        return [*problems, f"{path}: sha256 differs from the manifest"]
    if "rows" in entry:
        try:
            rows = pq.ParquetFile(file).metadata.num_rows
        except UNREADABLE as e:  # the manifest's own checksum names a broken file
            return [*problems, f"{path}: not a readable Parquet file ({e})"]
        if rows != entry["rows"]:
            problems.append(f"{path}: row count differs from the manifest")
    return problems
