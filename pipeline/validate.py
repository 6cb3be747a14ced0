"""Stage `validate`: every record checked on its own, then the whole table, and a report.

Reads:  `data/annotate/records/`.
Writes: `data/validate/records/` (the records that passed, unchanged), `data/quarantine/validate/`
        (the rest, each with its reason and the failing checks' names), `data/validate/data_docs/`
        (`validation.json`: each check and expectation, observed value, success, and the headline
        figures; `index.html`: the same as a self-contained page that opens offline),
        `metrics/validate.json` (counts and headline figures, tracked by git for
        `dvc metrics diff`) and, beside it, `metrics/validate_plots/` (word-count quantiles
        and language mix for `dvc plots diff`).
Params: `engine`, `validate`, `clean` (what the character check holds text to),
        `annotate.split` and `annotate.language_candidates`.

Record checks, each record on its own, quarantining with a reason:
1. `schema_violation`: the record against `schemas/record.schema.json` (jsonschema: types,
   required fields, enums, formats);
2. `inconsistent_record`: what a schema cannot say (pipeline/checks.py): spans inside the text
   and equal to their text, counts and hash that are the text's, no character left that clean
   removes, a language code the annotator knows;
3. `expectation_failed`: fewer words than `validate.min_word_count`;
4. `duplicate_id`: an id already accepted earlier in the corpus (the first one wins).
Table checks: one great-expectations run on the whole validated table (pipeline/table_checks.py);
a failed expectation stops the stage with a message naming it and the value observed, after
the report is written.

`validate_path` runs the same checks on a release folder or Parquet file (`corpus validate`).
"""

from __future__ import annotations

import json
import logging
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from jsonschema import Draft202012Validator

from pipeline import params as params_mod
from pipeline import quarantine as q
from pipeline import report, table_checks
from pipeline.checks import checks_for, record_problems
from pipeline.engine import StageCounts
from pipeline.precheck import compile_schema
from pipeline.quarantine import Rejected, quarantine_row
from pipeline.report import Problem, Report
from pipeline.schema import quarantine_schema, record_schema
from pipeline.shards import ShardWriter, count_rows, read_batches, reset_dir
from pipeline.stage import parse_args, progress_bar, write_metrics

STAGE = "validate"
DATA_DIR = "data"  # where a release keeps its record shards (pipeline/manifest.py)
# Lines per check that `validate_path` lists before it only counts the rest.
MAX_LINES_PER_CHECK = 10
log = logging.getLogger(__name__)


class TableCheckFailed(RuntimeError):
    """A table expectation failed: the release must not go out."""


class RecordChecks:
    """Every record check, in order, with a tally of the records each one failed.

    The stage stops at a record's first failing group of checks (it is quarantined for that) and
    lets the first record with an id win. `thorough` (for `validate_path`, which sets nothing
    aside but reports) runs every check a record's values allow and calls every repeated id a
    duplicate.
    """

    def __init__(self, params: params_mod.Params, thorough: bool = False) -> None:
        self.validator = Draft202012Validator(record_schema().json_schema)
        self.valid = compile_schema(record_schema().json_schema)  # True: surely valid
        self.checks = checks_for(params.clean, params.annotate)
        self.min_words = params.validate.min_word_count
        self.thorough = thorough
        self.seen: dict[str, str] = {}  # id -> source of the first record accepted with it
        self.failed: Counter = Counter()
        self.quarantined: Counter = Counter()

    def __call__(self, record: dict[str, Any]) -> tuple[Rejected, list[Problem]] | None:
        """None for a record that passes; else (its quarantine reason, what failed)."""
        found = []
        for reason, problems in self._find(record):
            found.append((reason, problems))
            if not self.thorough:
                break
        ident = record.get("id")
        if isinstance(ident, str) and (self.thorough or not found):
            self.seen.setdefault(ident, str(record.get("source")))
        if not found:
            return None
        problems = [p for _, group in found for p in group]
        self.failed.update({p.check for p in problems})
        reason = found[0][0]
        self.quarantined[reason] += 1
        detail = "; ".join(p.message if p.check == "schema" else str(p) for p in problems)
        return Rejected(reason, detail[:2000]), problems

    def _find(self, record: dict[str, Any]) -> Iterator[tuple[str, list[Problem]]]:
        """(quarantine reason, problems) for each group of checks the record fails, in order."""
        errors = [] if self.valid(record) else self.validator.iter_errors(record)
        errors = sorted(errors, key=lambda e: list(e.absolute_path))
        if errors:
            yield (
                q.SCHEMA_VIOLATION,
                [
                    Problem(
                        "schema",
                        f"{'/'.join(map(str, e.absolute_path)) or '(record)'}: {e.message}",
                    )
                    for e in errors
                ],
            )
        problems = [Problem(*p.split(": ", 1)) for p in self._consistency(record, bool(errors))]
        if problems:
            yield q.INCONSISTENT_RECORD, problems
        words = record.get("word_count")
        if isinstance(words, int) and words < self.min_words:
            message = f"{words} words, fewer than {self.min_words}"
            yield q.EXPECTATION_FAILED, [Problem("min_word_count", message)]
        if record.get("id") in self.seen:
            message = f"id already published for {self.seen[record['id']]}"
            yield q.DUPLICATE_ID, [Problem("duplicate_id", message)]

    def _consistency(self, record: dict[str, Any], malformed: bool) -> list[str]:
        if not malformed:
            return record_problems(record, self.checks)
        out = []  # a malformed record: each check that its values allow
        for name, check in self.checks.items():
            try:
                out += [f"{name}: {detail}" for detail in check(record)]
            except (KeyError, TypeError, AttributeError, IndexError):
                continue  # the schema error already names what is missing or mistyped
        return out


def evaluate(table: table_checks.Table, checks: RecordChecks, params: params_mod.Params) -> dict:
    """Run the table suite; the validation.json document of the whole validation."""
    schema = record_schema()
    return report.document(
        {"name": schema.name, "version": schema.version},
        dict(checks.failed),
        dict(sorted(checks.quarantined.items())),
        table_checks.run(table, params),
        table.figures(),
    )


def plots_folder(metrics: Path) -> Path:
    """Where the data of `dvc plots` goes: beside the metrics file, tracked by git like it."""
    return metrics.parent / f"{metrics.stem}_plots"


def write_plots(folder: Path, figures: dict[str, Any]) -> None:
    """The data of `dvc plots`: word-count quantiles and the language mix."""
    folder.mkdir(parents=True, exist_ok=True)
    plots = {
        "word_count_quantiles.json": [
            {"quantile": float(k), "words": v} for k, v in figures["word_count_quantiles"].items()
        ],
        "languages.json": [{"language": k, "share": v} for k, v in figures["languages"].items()],
    }
    for name, rows in plots.items():
        (folder / name).write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


def run(
    inp: Path,
    out: Path,
    quarantine: Path,
    metrics: Path,
    data_docs: Path,
    params: params_mod.Params,
) -> dict:
    checks, table, counts = RecordChecks(params), table_checks.Table(), StageCounts(STAGE)
    writer = ShardWriter(reset_dir(out), record_schema().arrow(), params.engine)
    qwriter = ShardWriter(reset_dir(quarantine), quarantine_schema().arrow(), params.engine)
    with progress_bar(STAGE, count_rows(inp)) as advance:
        for batch in read_batches(inp, params.engine.batch_size):
            accepted, rejected = [], []
            for record in batch.to_pylist():
                found = checks(record)
                if found is None:
                    accepted.append(record)
                    table.add(record)
                else:
                    rejected.append(quarantine_row(STAGE, found[0], record))
                    table.add_quarantined()
            writer.write_rows(accepted)
            qwriter.write_rows(rejected)
            advance(batch.num_rows)
    writer.close()
    qwriter.close()
    doc = evaluate(table, checks, params)
    reset_dir(data_docs)
    report.write(data_docs, doc)
    write_plots(plots_folder(metrics), doc["figures"])
    counts.records_in, counts.records_out = table.records_in, table.articles
    counts.quarantined = checks.quarantined
    failed = report.table_problems(doc["expectations"])
    summary = {
        **counts.as_dict(),
        "record_checks_failed": doc["records"]["failed_by_check"],
        "expectations": len(doc["expectations"]),
        "expectations_failed": len(failed),
        "expectations_skipped": sum(e["success"] is None for e in doc["expectations"]),
        "figures": doc["figures"],
    }
    write_metrics(metrics, summary)
    if failed:
        lines = "\n".join(f"  {p}" for p in failed)
        raise TableCheckFailed(f"{len(failed)} table expectation(s) failed:\n{lines}")
    return summary


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


def validate_path(path: Path, params: params_mod.Params) -> Report:
    """Record and table checks on a release folder or a Parquet file; nothing is written.

    `report.problems` has one readable line per problem (at most MAX_LINES_PER_CHECK per record
    check, then how many more); `report.ok` is true when there is none.
    """
    path = Path(path)
    files = parquet_files(path)
    if not files:
        return Report([str(Problem("input", f"no Parquet file at {path}"))])
    problems = column_problems(files, path)
    checks, table = RecordChecks(params, thorough=True), table_checks.Table()
    lines: dict[str, list[str]] = {}
    for file in files:
        where = file.relative_to(path).as_posix() if file != path else file.name
        row = 0
        for batch in pq.ParquetFile(file).iter_batches(batch_size=params.engine.batch_size):
            for record in batch.to_pylist():
                row += 1
                found = checks(record)
                if found is None:
                    table.add(record)
                    continue
                table.add_quarantined()
                ident = f" (id {record['id']})" if record.get("id") else ""
                for p in found[1]:
                    lines.setdefault(p.check, []).append(f"{where} row {row}{ident}: {p.message}")
    for check, found_lines in lines.items():
        problems += [Problem(check, line) for line in found_lines[:MAX_LINES_PER_CHECK]]
        if len(found_lines) > MAX_LINES_PER_CHECK:
            more = len(found_lines) - MAX_LINES_PER_CHECK
            problems.append(Problem(check, f"... and {more} more"))
    doc = evaluate(table, checks, params)
    problems += report.table_problems(doc["expectations"])
    return Report([str(p) for p in problems], doc)


def main(argv: list[str] | None = None) -> dict:
    paths = ["input", "out", "quarantine", "metrics", "data_docs"]
    args, params = parse_args(argv, __name__, __doc__, paths)
    try:
        return run(args.input, args.out, args.quarantine, args.metrics, args.data_docs, params)
    except TableCheckFailed as e:
        sys.exit(f"validate: {e}\nThe report is in {args.data_docs / 'index.html'}.")


if __name__ == "__main__":
    main()
