"""`corpus validate PATH`: validate's record and table checks on a release folder or a Parquet
file, without writing anything.

Unlike the stage, which sets a record aside at its first failing group of checks, this reports
every check a record's values allow, and calls every repeated id a duplicate: it describes a
table someone hands over, it decides nothing.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from pipeline import figures, report
from pipeline import params as params_mod
from pipeline import quarantine as q
from pipeline.checksums import MANIFEST, UNREADABLE, checksum_problems
from pipeline.record_checks import Found, RecordChecks
from pipeline.report import Problem, Report
from pipeline.schema import record_schema
from pipeline.shards import file_batches

DATA_DIR = "data"  # where a release keeps its record shards (pipeline/manifest.py)
# Lines per check that `validate_path` lists before it only counts the rest.
MAX_LINES_PER_CHECK = 10


def parquet_files(path: Path) -> list[Path]:
    """The record shards of a release (`data/` in it), a folder of shards, or the one file given."""
    path = Path(path)
    if path.is_file():
        return [path]
    folder = path / DATA_DIR if (path / DATA_DIR).is_dir() else path
    return sorted(folder.rglob("*.parquet"))


def column_problems(files: list[Path], root: Path) -> list[Problem]:
    """Columns missing, unexpected, of another type or out of order, grouped over files."""
    expected = record_schema().arrow()
    found: dict[str, list[str]] = {}
    for file in files:
        actual = pq.read_schema(file)
        where = file.relative_to(root).as_posix() if file != root else file.name
        messages = [f"column {n!r} is missing" for n in expected.names if n not in actual.names]
        messages += [f"unexpected column {n!r}" for n in actual.names if n not in expected.names]
        for f in expected:
            if f.name in actual.names and not actual.field(f.name).type.equals(f.type):
                messages.append(
                    f"column {f.name!r} is {actual.field(f.name).type}, the schema says {f.type}"
                )
        shared = [n for n in actual.names if n in expected.names]
        if not messages and shared != expected.names:
            messages.append("columns are not in the schema's order")
        for message in messages:
            found.setdefault(message, []).append(where)
    return [
        Problem("columns", f"{message} ({', '.join(where)})") for message, where in found.items()
    ]


def manifest_problems(path: Path) -> list[Problem]:
    """A release folder's files against its manifest's sha256, sizes and rows ([] for a folder
    or a file without a manifest): a truncated shard is named as altered, not just unreadable."""
    if not (path / MANIFEST).is_file():
        return []
    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    problems, _ = checksum_problems(path, manifest)
    return [Problem("manifest", line) for line in problems]


def unreadable(files: list[Path], root: Path) -> dict[Path, Problem]:
    """The files Arrow cannot read as Parquet (cut short, empty, not Parquet), each with its
    problem; the checks then read the others."""
    broken = {}
    for file in files:
        try:
            pq.read_metadata(file)
        except UNREADABLE as e:
            where = file.relative_to(root).as_posix() if file != root else file.name
            broken[file] = Problem("unreadable", f"{where}: not a readable Parquet file ({e})")
    return broken


class Thorough:
    """Every check on every record, and every repeated id a duplicate, with a tally."""

    def __init__(self, params: params_mod.Params) -> None:
        self.checks = RecordChecks(params)
        self.seen: dict[str, str] = {}  # id -> source of the first record with it
        self.failed: Counter = Counter()
        self.quarantined: Counter = Counter()

    def __call__(self, record: dict[str, Any]) -> Found:
        found = self.checks.find(record, thorough=True)
        ident = record.get("id")
        if isinstance(ident, str):
            if ident in self.seen:
                message = f"id already published for {self.seen[ident]}"
                found.append((q.DUPLICATE_ID, [Problem("duplicate_id", message)]))
            self.seen.setdefault(ident, str(record.get("source")))
        if found:
            self.failed.update({p.check for _, group in found for p in group})
            self.quarantined[found[0][0]] += 1
        return found


def validate_path(path: Path, params: params_mod.Params) -> Report:
    """Record and table checks on a release folder or a Parquet file; nothing is written.

    `report.problems` has one readable line per problem (at most MAX_LINES_PER_CHECK per record
    check, then how many more); `report.ok` is true when there is none.
    """
    from pipeline.validate import evaluate  # late: pipeline.validate re-exports this module

    path = Path(path)
    files = parquet_files(path)
    if not files:
        return Report([str(Problem("input", f"no Parquet file at {path}"))])
    problems = manifest_problems(path)  # before any Parquet file is opened
    broken = unreadable(files, path)
    problems += broken.values()
    files = [f for f in files if f not in broken]
    problems += column_problems(files, path)
    checks, table = Thorough(params), figures.Table()
    lines: dict[str, list[str]] = {}
    for file in files:
        where = file.relative_to(path).as_posix() if file != path else file.name
        row = 0
        for batch in file_batches(file, params.engine.batch_size):
            for record in batch.to_pylist():
                row += 1
                found = checks(record)
                if not found:
                    table.add(record)
                    continue
                table.add_quarantined()
                ident = f" (id {record['id']})" if record.get("id") else ""
                for p in (p for _, group in found for p in group):
                    lines.setdefault(p.check, []).append(f"{where} row {row}{ident}: {p.message}")
    for check, found_lines in lines.items():
        problems += [Problem(check, line) for line in found_lines[:MAX_LINES_PER_CHECK]]
        if len(found_lines) > MAX_LINES_PER_CHECK:
            more = len(found_lines) - MAX_LINES_PER_CHECK
            problems.append(Problem(check, f"... and {more} more"))
    doc = evaluate(table, checks.failed, checks.quarantined, params)
    problems += report.table_problems(doc["expectations"])
    return Report([str(p) for p in problems], doc)
