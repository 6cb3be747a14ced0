"""What every stage module shares at its edges: argument parsing, progress, metrics files."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from pipeline import params as params_mod
from pipeline.engine import BatchFn, RecordFn, Reduce, check_error_share, run_batches, run_local
from pipeline.schema import quarantine_schema, record_schema
from pipeline.shards import ShardWriter, count_rows, read_batches, reset_dir

# Progress goes to stderr: stdout stays clean for whoever pipes a stage's output.
_console = Console(stderr=True)


# What each path argument of a stage is (dvc.yaml gives the values).
PATH_HELP = {
    "seeds": "folder of raw articles to read",
    "input": "the previous stage's records (a folder of Parquet shards)",
    "out": "folder for this stage's records (emptied first)",
    "quarantine": "folder for the records this stage refuses, with reasons (emptied first)",
    "quarantine_root": "folder holding every stage's quarantine folder",
    "metrics": "JSON file for this stage's counts",
    "ingest_metrics": "ingest's metrics file (input hash, files read)",
    "annotate_metrics": "annotate's metrics file (annotators and models)",
    "data_docs": "folder for the great-expectations HTML report",
    "validation": "validate's report folder (validation.json, index.html)",
}


def module_name(name: str) -> str:
    """`pipeline.clean` for a stage module, also when it runs as `python -m` (`__main__`)."""
    if name == "__main__":
        spec = getattr(sys.modules["__main__"], "__spec__", None)
        return spec.name if spec is not None else name
    return name


def return_freed_memory() -> None:
    """Arrow memory a stage frees goes back to the system at once, rather than kept for reuse.

    pyarrow's default allocator (mimalloc) keeps freed pages to reuse them, and over a stage
    that reads and writes a batch at a time what it kept grew with the corpus: clean's peak was
    251 MiB at 20,000 articles and 293 at 80,000, while what clean holds grows by 49 bytes an
    article. jemalloc with no decay time hands freed pages back (226 and 237 MiB; bench/README.md,
    part 6). A pyarrow built without jemalloc keeps its default. What Arrow's C++ allocates on
    its own (the Parquet writer's buffers) follows ARROW_DEFAULT_MEMORY_POOL instead, which the
    package sets before pyarrow is imported (pipeline/__init__.py).
    """
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
        pa.jemalloc_set_decay_ms(0)
    except NotImplementedError:
        pass


def parse_args(
    argv: list[str] | None, module: str, doc: str | None, paths: list[str]
) -> tuple[argparse.Namespace, params_mod.Params]:
    """`--<path>` for each named path (all required, all written in dvc.yaml), plus `--params`."""
    parser = argparse.ArgumentParser(
        prog=f"python -m {module_name(module)}",
        description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for name in paths:
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            dest=name,
            type=Path,
            required=True,
            metavar="PATH",
            help=PATH_HELP[name],
        )
    parser.add_argument(
        "--params",
        type=Path,
        default=params_mod.DEFAULT_PATH,
        metavar="PATH",
        help="the params file (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    return_freed_memory()  # a stage's process starts here (tests call `run` directly)
    try:
        return args, params_mod.load(args.params)
    except params_mod.ParamsError as e:
        parser.exit(2, f"{parser.prog}: {args.params} is not valid:\n{e}\n")


@contextmanager
def progress_bar(stage: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A rich progress bar for one stage; yields `advance(n_articles)`."""
    columns = (
        TextColumn(f"[bold]{stage:<9}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("articles"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=_console, disable=not _console.is_terminal) as progress:
        task = progress.add_task(stage, total=total)
        yield lambda n: progress.advance(task, n)


def write_metrics(path: Path, metrics: dict[str, Any]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def read_metrics(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def map_stage(
    stage: str,
    fn: RecordFn | BatchFn,
    out: Path,
    quarantine: Path,
    params: params_mod.Params,
    batches: Iterable | None = None,
    total: int | None = None,
    inp: Path | None = None,
    reduce: Reduce | None = None,
    per_batch: bool = False,
) -> dict[str, Any]:
    """Run a per-article function over a stage's input; write records and quarantine afresh.

    The input is either a previous stage's shard folder (`inp`) or ready-made `batches`.
    `params.engine` chooses the workers (`pipeline.engines`); `fn` may be a closure: local
    workers are forked and Ray pickles functions with cloudpickle. With `per_batch`, `fn` takes
    a batch's records at once and returns one result per record (`pipeline.engine.run_batches`:
    clean looks its batch up in the results cache in one query). With `reduce`, its keys are
    made beside `fn` (see `pipeline.engine.Reduce`); the caller asks for its result.
    Returns the stage's counts (see `pipeline.engine.StageCounts`).
    """
    if inp is not None:
        batches, total = read_batches(inp, params.engine.batch_size), count_rows(inp)
    writer = ShardWriter(reset_dir(out), record_schema().arrow(stage), params.engine)
    qwriter = ShardWriter(reset_dir(quarantine), quarantine_schema().arrow(), params.engine)
    with progress_bar(stage, total) as advance:
        if per_batch:
            counts = run_batches(
                fn,  # type: ignore[arg-type]
                batches,
                stage,
                writer,
                qwriter,
                advance,
                engine=params.engine,
                reduce=reduce,
            )
            check_error_share(counts, params.engine.max_error_share)
            return counts.as_dict()
        counts = run_local(
            fn,
            batches,
            stage,
            writer,
            qwriter,
            advance,
            params.engine.max_error_share,
            engine=params.engine,
            reduce=reduce,
        )
    return counts.as_dict()
