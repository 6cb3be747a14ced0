"""Stage `validate`: the record schema and a great-expectations suite, with a readable report.

Reads:  `data/annotate/records/`.
Writes: `data/validate/records/` (the records that passed, unchanged), `data/quarantine/validate/`
        (the rest, each with its reason), `data/validate/metrics.json` (counts, and per
        expectation: rows evaluated, rows failed), and `data/validate/data_docs/` (the
        great-expectations HTML Data Docs, one validation run per chunk; open `index.html`).
        The Data Docs are not a DVC output: GX stamps them with wall-clock times and random
        element ids, and every DVC output of this pipeline is byte-identical across reruns.
Params: `engine`, `validate`.

Four checks, each quarantining with its own reason:
1. `schema_violation`: the record against `schemas/record.schema.json` (jsonschema);
2. `inconsistent_record`: a derived value disagrees with the text it describes: a span whose
   `text[start:end]` is not its text, a count or hash that is not the text's (pipeline/checks.py);
3. `duplicate_id`: an id already accepted earlier in the corpus (the first one wins);
4. `expectation_failed`: a row-level expectation of the suite derived from the same schema
   (plus `validate.min_word_count`), run by a great-expectations checkpoint.
Records are validated `validate.chunk_rows` at a time, so memory stays bounded.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

# great-expectations phones home unless told not to; there is no network here to wait for.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx  # noqa: E402
from great_expectations.core.run_identifier import RunIdentifier  # noqa: E402
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402
from jsonschema import Draft202012Validator  # noqa: E402

from pipeline import params as params_mod  # noqa: E402
from pipeline import quarantine as q  # noqa: E402
from pipeline.checks import record_problems  # noqa: E402
from pipeline.engine import StageCounts  # noqa: E402
from pipeline.params import ValidateParams  # noqa: E402
from pipeline.quarantine import Rejected, quarantine_row  # noqa: E402
from pipeline.schema import RecordSchema, expectations, quarantine_schema, record_schema  # noqa: E402
from pipeline.shards import ShardWriter, count_rows, read_batches, reset_dir  # noqa: E402
from pipeline.stage import parse_args, progress_bar, write_metrics  # noqa: E402

STAGE = "validate"
SUITE = "record"
# Data Docs show a run time; a fixed one keeps the report identical across identical runs.
RUN_TIME = datetime(2000, 1, 1, tzinfo=UTC)
log = logging.getLogger(__name__)


def suite_expectations(schema: RecordSchema, params: ValidateParams) -> list[tuple[str, dict]]:
    """The suite: what the schema says, plus the thresholds set in params."""
    extra = [
        (
            "ExpectColumnValuesToBeBetween",
            {"column": "word_count", "min_value": params.min_word_count},
        ),
    ]
    return expectations(schema) + extra


def schema_errors(validator: Draft202012Validator, record: dict[str, Any]) -> Rejected | None:
    errors = sorted(validator.iter_errors(record), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    detail = "; ".join(
        f"{'/'.join(map(str, e.absolute_path)) or '(record)'}: {e.message}" for e in errors
    )
    return Rejected(q.SCHEMA_VIOLATION, detail[:2000])


def consistency_errors(record: dict[str, Any]) -> Rejected | None:
    problems = record_problems(record)
    return Rejected(q.INCONSISTENT_RECORD, "; ".join(problems)[:2000]) if problems else None


class Suite:
    """A great-expectations checkpoint over one in-memory chunk of records at a time.

    The GX project lives in a temporary folder for the duration of the stage (nothing stale
    from an earlier run can leak in); its Data Docs are copied to the report at the end.
    """

    def __init__(self, specs: list[tuple[str, dict]]) -> None:
        self._root = Path(tempfile.mkdtemp(prefix="corpus-gx-"))
        self.context = gx.get_context(mode="file", project_root_dir=self._root)
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.context.variables.save()
        asset = self.context.data_sources.add_pandas("corpus").add_dataframe_asset("records")
        batch = asset.add_batch_definition_whole_dataframe("chunk")
        suite = self.context.suites.add(gx.ExpectationSuite(name=SUITE))
        self.labels: dict[str, str] = {}  # GX expectation id -> readable label
        for name, kwargs in specs:
            added = suite.add_expectation(getattr(gx.expectations, name)(**kwargs))
            self.labels[str(added.id)] = label(name, kwargs)
        definition = self.context.validation_definitions.add(
            gx.ValidationDefinition(data=batch, suite=suite, name=SUITE)
        )
        self.checkpoint = self.context.checkpoints.add(
            gx.Checkpoint(
                name=SUITE,
                validation_definitions=[definition],
                actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs")],
                result_format={"result_format": "COMPLETE"},
            )
        )

    def run(self, records: list[dict[str, Any]], run_name: str) -> list[dict[str, Any]]:
        """Validate one chunk; one result per expectation with its failing row indices."""
        frame = pa.Table.from_pylist(records).to_pandas()
        result = self.checkpoint.run(
            batch_parameters={"dataframe": frame},
            run_id=RunIdentifier(run_name=run_name, run_time=RUN_TIME),
        )
        (validation,) = result.run_results.values()
        return [
            {
                "expectation": self.labels[str(r.expectation_config.id)],
                "success": bool(r.success),
                "unexpected": list(r.result.get("unexpected_index_list") or []),
                "exception": r.exception_info.get("exception_message")
                if r.exception_info and r.exception_info.get("raised_exception")
                else None,
            }
            for r in validation.results
        ]

    def export_docs(self, target: Path) -> None:
        site = self._root / "gx" / "uncommitted" / "data_docs" / "local_site"
        shutil.copytree(site, target, dirs_exist_ok=True)

    def close(self) -> None:
        shutil.rmtree(self._root, ignore_errors=True)


def chunks(inp: Path, rows: int) -> Iterator[list[dict[str, Any]]]:
    buffer: list[dict[str, Any]] = []
    for batch in read_batches(inp, rows):
        buffer.extend(batch.to_pylist())
        while len(buffer) >= rows:
            yield buffer[:rows]
            buffer = buffer[rows:]
    if buffer:
        yield buffer


class Report:
    """Per-expectation tallies over all chunks: the readable summary next to the Data Docs."""

    def __init__(self, specs: list[tuple[str, dict]]) -> None:
        self.checks = {
            label(n, k): {"evaluated": 0, "unexpected": 0, "errors": []} for n, k in specs
        }
        self.chunks = 0

    def add(self, results: list[dict[str, Any]], rows: int) -> None:
        for r in results:
            check = self.checks[r["expectation"]]
            check["evaluated"] += rows
            check["unexpected"] += len(r["unexpected"])
            if r["exception"]:
                check["errors"].append(r["exception"])

    def as_dict(self) -> dict[str, Any]:
        checks = [
            {
                "expectation": label,
                **tally,
                "success": not tally["unexpected"] and not tally["errors"],
            }
            for label, tally in self.checks.items()
        ]
        return {"suite": SUITE, "chunks": self.chunks, "expectations": checks}


def label(name: str, kwargs: dict) -> str:
    """`expect_column_values_to_be_between(word_count, min_value=1)`: unique within the suite."""
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
    args = [kwargs["column"]] if "column" in kwargs else []
    args += [f"{k}={v}" for k, v in kwargs.items() if k not in ("column", "column_list")]
    return f"{snake}({', '.join(map(str, args))})"


def validate_chunk(
    records: list[dict[str, Any]],
    validator: Draft202012Validator,
    seen: dict[str, str],
    suite: Suite,
    run_name: str,
    report: Report,
) -> tuple[list[dict[str, Any]], list[tuple[Rejected, dict[str, Any]]]]:
    """(accepted records, (reason, record) pairs) for one chunk, input order kept."""
    report.chunks += 1
    rejected: dict[int, Rejected] = {}
    for i, record in enumerate(records):
        problem = schema_errors(validator, record) or consistency_errors(record)
        if problem is None and record["id"] in seen:
            problem = Rejected(q.DUPLICATE_ID, f"id already published for {seen[record['id']]}")
        if problem:
            rejected[i] = problem
        else:
            seen[record["id"]] = record["source"]
    candidates = [i for i in range(len(records)) if i not in rejected]
    if candidates:
        results = suite.run([records[i] for i in candidates], run_name)
        report.add(results, len(candidates))
        failed: dict[int, list[str]] = {}
        for r in results:
            for row in r["unexpected"]:
                failed.setdefault(candidates[row], []).append(r["expectation"])
        for i, labels in failed.items():
            rejected[i] = Rejected(q.EXPECTATION_FAILED, "; ".join(labels))
            seen.pop(records[i]["id"], None)
    accepted = [r for i, r in enumerate(records) if i not in rejected]
    return accepted, [(rejected[i], records[i]) for i in sorted(rejected)]


def run(
    inp: Path,
    out: Path,
    quarantine: Path,
    metrics: Path,
    data_docs: Path,
    params: params_mod.Params,
) -> dict:
    schema = record_schema()
    specs = suite_expectations(schema, params.validate)
    validator = Draft202012Validator(schema.json_schema)
    writer = ShardWriter(reset_dir(out), schema.arrow(), params.engine)
    qwriter = ShardWriter(reset_dir(quarantine), quarantine_schema().arrow(), params.engine)
    counts, report, seen = StageCounts(STAGE), Report(specs), {}
    suite = Suite(specs)
    try:
        with progress_bar(STAGE, count_rows(inp)) as advance:
            for n, records in enumerate(chunks(inp, params.validate.chunk_rows)):
                accepted, rejected = validate_chunk(
                    records, validator, seen, suite, f"chunk-{n:05d}", report
                )
                writer.write_rows(accepted)
                qwriter.write_rows([quarantine_row(STAGE, why, rec) for why, rec in rejected])
                counts.records_in += len(records)
                counts.records_out += len(accepted)
                counts.quarantined.update(why.reason for why, _ in rejected)
                advance(len(records))
        writer.close()
        qwriter.close()
        suite.export_docs(reset_dir(data_docs))
    finally:
        suite.close()
    summary = {**counts.as_dict(), **report.as_dict()}
    write_metrics(metrics, summary)
    return summary


def main(argv: list[str] | None = None) -> dict:
    args, params = parse_args(
        argv, __name__, __doc__, ["input", "out", "quarantine", "metrics", "data_docs"]
    )
    return run(args.input, args.out, args.quarantine, args.metrics, args.data_docs, params)


if __name__ == "__main__":
    main()
