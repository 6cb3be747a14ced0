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
Cache:  `<engine.cache_dir>/results.sqlite` (read and written; none when `engine.cache_dir` is
        null): each record's verdict, by the checks' code, the schema, params and the whole
        record (pipeline/validate_cache.py).

Record checks, each record on its own, quarantining with a reason:
1. `schema_violation`: the record against `schemas/record.schema.json` (jsonschema: types,
   required fields, enums, formats);
2. `inconsistent_record`: what a schema cannot say (pipeline/checks.py): spans inside the text
   and equal to their text, counts and hash that are the text's, no character left that clean
   removes, a language code the annotator knows;
3. `expectation_failed`: fewer words than `validate.min_word_count`;
4. `duplicate_id`: an id already accepted earlier in the corpus (the first one wins).
Checks 1-3 are the map (pipeline/record_checks.py: `CheckRecord`), run by the engine on its
workers, batch by batch, with each record's verdict kept in the results store between runs
(pipeline/validate_cache.py: a record seen before, unchanged, is not checked again); 4 and the
table are its reduce (`FirstIdWins`), fed in input order in this process.
Table checks: one great-expectations run on the whole validated table (pipeline/table_checks.py);
a failed expectation stops the stage with a message naming it and the value observed, after
the report is written.

`validate_path` (pipeline/validate_path.py) runs the same checks on a release folder or Parquet
file (`corpus validate`).
"""

from __future__ import annotations

import json
import logging
import sys
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipeline import engines, figures, report, table_checks
from pipeline import params as params_mod
from pipeline.record_checks import FirstIdWins
from pipeline.schema import record_schema
from pipeline.shards import reset_dir
from pipeline.stage import map_stage, parse_args, write_metrics
from pipeline.validate_cache import CheckBatch
from pipeline.validate_path import validate_path

__all__ = ["main", "run", "validate_path"]
STAGE = "validate"
log = logging.getLogger(__name__)


class TableCheckFailed(RuntimeError):
    """A table expectation failed: the release must not go out."""


def evaluate(
    table: figures.Table,
    failed: Counter,
    quarantined: Mapping[str, int],
    params: params_mod.Params,
    call: table_checks.Call = table_checks.in_process,
) -> dict:
    """Run the table suite; the validation.json document of the whole validation.

    `failed`: records per failed check; `quarantined`: records per quarantine reason; `call`:
    where the suite runs (`table_checks.run`)."""
    schema = record_schema()
    return report.document(
        {"name": schema.name, "version": schema.version},
        dict(failed),
        dict(sorted(quarantined.items())),
        table_checks.run(table, params, call),
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
    first_id_wins = FirstIdWins()
    # great-expectations (table_checks' library, needed after the map) is imported meanwhile, in
    # a process of its own that then runs the table suite; one worker: here, after the map.
    with engines.Ahead(params.engine, "great_expectations") as ahead:
        counts = map_stage(
            STAGE,
            CheckBatch(params),  # per-record verdicts kept between runs (validate_cache.py)
            out,
            quarantine,
            params,
            inp=inp,
            reduce=first_id_wins,
            per_batch=True,
        )
        table = first_id_wins.result()
        quarantined = counts["quarantined_by_reason"]
        doc = evaluate(table, first_id_wins.failed, quarantined, params, ahead.call)
    reset_dir(data_docs)
    report.write(data_docs, doc)
    write_plots(plots_folder(metrics), doc["figures"])
    failed = report.table_problems(doc["expectations"])
    summary = {
        **counts,
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


def main(argv: list[str] | None = None) -> dict:
    paths = ["input", "out", "quarantine", "metrics", "data_docs"]
    args, params = parse_args(argv, __name__, __doc__, paths)
    try:
        return run(args.input, args.out, args.quarantine, args.metrics, args.data_docs, params)
    except TableCheckFailed as e:
        sys.exit(f"validate: {e}\nThe report is in {args.data_docs / 'index.html'}.")


if __name__ == "__main__":
    main()
