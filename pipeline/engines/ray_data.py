"""The Ray engine: the same splitter as the local engine, mapped by Ray Data's `map_batches`.

Each input batch becomes one row (its sequence number and the batch as Arrow IPC bytes) of a
`ray.data.from_items` dataset; `map_batches` runs the splitter on each row in Ray tasks (at most
`workers` at once, one CPU each) and returns the piece as IPC bytes again; the driver, which is
the stage's process, reads the pieces back in input order (`preserve_order`, and a check of the
sequence numbers) and writes them with the same writers as the local engine: byte-identical
output. Batches are sent a window at a time (`WINDOW` batches per dataset), so the driver never
holds the whole corpus.

The cluster: `RAY_ADDRESS` when set (the pipeline package and the schemas it reads are shipped
to it as the job's `working_dir`; the workers need the same locked environment), else a local
cluster of `workers` CPUs started by the stage and stopped when its process exits. A cluster
started on this machine from this environment for a whole run (`corpus run --engine ray`, the
bench) says so with `CORPUS_RAY_SAME_ENV=1` beside its address: its workers import this package
from where the stage does, so nothing is shipped, and each task checks that they did. A process
that already called `ray.init` (a test, a notebook) keeps its own cluster. Workers keep what they
load between tasks, so spaCy is loaded once per worker process, and allocate Arrow memory as
the stage's process does (`worker_env`).
"""

from __future__ import annotations

import atexit
import functools
import itertools
import logging
import os
import pickle
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow as pa

from pipeline import ARROW_ALLOCATOR
from pipeline.engine import Piece, Splitter
from pipeline.schema import SCHEMA_DIR

# Set, with RAY_ADDRESS, by whoever started that cluster on this machine from this environment.
SAME_ENV = "CORPUS_RAY_SAME_ENV"
WINDOW = 256  # input batches per Ray dataset: 65,536 articles at the default batch size
_PIECE = pa.schema(
    [
        ("seq", pa.int64()),
        ("rows_in", pa.int64()),
        ("good", pa.large_binary()),
        ("bad", pa.large_binary()),
        ("extras", pa.large_binary()),
    ]
)


def _to_ipc(batch: pa.RecordBatch) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_batch(batch)
    return sink.getvalue().to_pybytes()


def _from_ipc(data: bytes) -> pa.RecordBatch:
    table = pa.ipc.open_stream(pa.py_buffer(data)).read_all()
    batches = table.combine_chunks().to_batches()
    # A batch of no rows has no chunks: rebuild it empty, with its schema.
    return batches[0] if batches else pa.RecordBatch.from_pylist([], schema=table.schema)


def _same_env() -> bool:
    return bool(os.environ.get("RAY_ADDRESS")) and os.environ.get(SAME_ENV) == "1"


def _package() -> str:
    """Where this process imports the pipeline package from."""
    return str(Path(__file__).resolve().parent.parent)


def _apply(split: Splitter, package: str | None, table: pa.Table) -> pa.Table:
    """The Ray Data UDF: each row's batch through the splitter, each piece as one row. With
    `package`, the worker must import the pipeline from there, as the stage does."""
    if package is not None and _package() != package:
        raise RuntimeError(
            f"{SAME_ENV}=1, but this Ray worker imports the pipeline from {_package()} "
            f"where the stage does from {package}: start the cluster from the stage's "
            f"environment and folder, or unset {SAME_ENV} to ship the package to it"
        )
    rows = []
    for seq, data in zip(table["seq"].to_pylist(), table["batch"].to_pylist(), strict=True):
        rows_in, good, bad, extras = split(_from_ipc(data))
        rows.append(
            {
                "seq": seq,
                "rows_in": rows_in,
                "good": _to_ipc(good),
                "bad": _to_ipc(bad),
                "extras": pickle.dumps(extras),
            }
        )
    return pa.Table.from_pylist(rows, schema=_PIECE)


def _job_files(folder: Path) -> str:
    """What the cluster's workers need of the repository, laid out as in it: the `pipeline`
    package and the `schemas/` it reads (`pipeline.schema`), copied into `folder`, which Ray
    uploads when the job starts (`ray.init`) and puts on the workers' path."""
    package = Path(__file__).resolve().parent.parent
    skip = shutil.ignore_patterns("__pycache__")
    shutil.copytree(package, folder / package.name, ignore=skip)
    shutil.copytree(SCHEMA_DIR, folder / SCHEMA_DIR.name, ignore=skip)
    return str(folder)


def worker_env() -> dict[str, str]:
    """The Arrow allocator of this process, for the job's workers: they import pyarrow (Ray Data
    does) before this package, so only their environment can choose it (pipeline/__init__.py)."""
    return {name: os.environ[name] for name in ARROW_ALLOCATOR if name in os.environ}


def connect(workers: int) -> None:
    """Join the cluster at RAY_ADDRESS, else start a local one of `workers` CPUs (once)."""
    import ray

    if ray.is_initialized():
        return
    address = os.environ.get("RAY_ADDRESS")
    quiet = {"log_to_driver": False, "include_dashboard": False, "configure_logging": False}
    if _same_env():
        # Its workers inherit the environment of the `ray start` that began it, and Ray puts
        # this process's working folder first on their path: no runtime_env, so no
        # setup_worker.py before each worker and no upload (bench/README.md).
        ray.init(address=address, **quiet)
    elif address:
        with tempfile.TemporaryDirectory(prefix="corpus-ray-") as folder:
            job = {"working_dir": _job_files(Path(folder)), "env_vars": worker_env()}
            ray.init(address=address, runtime_env=job, **quiet)
    else:
        # "local": a new cluster of its own, never one another program started on this machine.
        # Its processes inherit this one's environment, the Arrow allocator (`worker_env`)
        # included, so the job needs no runtime_env. With one, Ray started each of the job's
        # workers through its setup_worker.py (one more Python, importing Ray first), and none of
        # the workers the cluster starts with itself (one a CPU) could serve the job: 5 worker
        # processes started after ingest joined, against 2 without (bench/README.md).
        ray.init(address="local", num_cpus=workers, **quiet)
    # Leave the cluster at exit before Ray's own exit hook does (atexit runs the last registered
    # first): that hook sleeps 0.5 s before it disconnects, to let the workers' last log lines
    # reach the driver, which this job does not forward (log_to_driver=False). Then it finds
    # nothing left to do. Registered once however often a process joins (tests do).
    atexit.unregister(ray.shutdown)
    atexit.register(ray.shutdown)


def ordered_map(
    split: Splitter, batches: Iterable[pa.RecordBatch], workers: int
) -> Iterator[Piece]:
    """The pieces of every batch, in input order, computed by Ray Data tasks."""
    import ray

    connect(workers)
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)  # one INFO line per dataset
    udf = functools.partial(_apply, split, _package() if _same_env() else None)
    seq = 0
    iterator = iter(batches)
    while window := list(itertools.islice(iterator, WINDOW)):
        items = [{"seq": seq + i, "batch": _to_ipc(b)} for i, b in enumerate(window)]
        dataset = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
            udf,
            batch_size=1,
            batch_format="pyarrow",
            num_cpus=1,
            compute=ray.data.TaskPoolStrategy(size=workers),
        )
        del window, items
        for table in dataset.iter_batches(batch_size=None, batch_format="pyarrow"):
            for row in table.to_pylist():
                if row["seq"] != seq:
                    raise RuntimeError(f"Ray returned batch {row['seq']} where {seq} was due")
                seq += 1
                yield (
                    row["rows_in"],
                    _from_ipc(row["good"]),
                    _from_ipc(row["bad"]),
                    pickle.loads(row["extras"]),
                )
