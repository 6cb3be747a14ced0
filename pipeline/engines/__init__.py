"""Where a stage's batches are processed: this process, a pool of local processes, or Ray Data.

A stage hands `pipeline.engine` a *splitter* (one input batch -> rows in, accepted batch,
quarantined batch, extras) and the input batches; the engine chosen here maps the splitter over
the batches and yields its pieces **in input order**, and the stage's process writes them (and
feeds their keys to the stage's reduce steps, `pipeline.engine.Reduce`). So the output bytes do
not depend on the engine or on the number of workers.

- `local` (the default): `engine.workers` processes (0: every core this process may use);
  1 runs in this process, with no pool at all (`pipeline/engines/local.py`).
- `ray`: Ray Data's `map_batches` on the cluster at `RAY_ADDRESS`, or on a local cluster of
  `engine.workers` CPUs started for the stage (`pipeline/engines/ray_data.py`).

The engine is chosen by the environment variable `CORPUS_ENGINE` (`corpus run --engine ray`
sets it), not by params.yaml: DVC reruns a stage when a param it reads changes, and the engine
changes how fast a stage runs, never what it writes. `CORPUS_WORKERS` overrides
`engine.workers` for one run in the same way (the benchmark compares 1 and 2 workers with it).
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection
from typing import Any

import pyarrow as pa

from pipeline.engine import Piece, Splitter
from pipeline.params import EngineParams

ENGINE_VAR = "CORPUS_ENGINE"
WORKERS_VAR = "CORPUS_WORKERS"
KINDS = ("local", "ray")

Mapper = Callable[[Splitter, Iterable[pa.RecordBatch]], Iterator[Piece]]


class EngineError(ValueError):
    """CORPUS_ENGINE or CORPUS_WORKERS holds a value no engine understands."""


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def workers(engine: EngineParams | None) -> int:
    """How many workers: CORPUS_WORKERS, else `engine.workers`; 0 means every core."""
    value = os.environ.get(WORKERS_VAR, "").strip()
    if value:
        try:
            n = int(value)
        except ValueError:
            raise EngineError(f"{WORKERS_VAR}={value!r} is not a whole number") from None
    else:
        n = engine.workers if engine is not None else 1
    if n < 0:
        raise EngineError(f"workers must be 0 (every core) or more, not {n}")
    return n or available_cores()


def kind() -> str:
    value = os.environ.get(ENGINE_VAR, "").strip() or "local"
    if value not in KINDS:
        raise EngineError(f"{ENGINE_VAR}={value!r}: choose one of {', '.join(KINDS)}")
    return value


def choose(engine: EngineParams | None) -> Mapper:
    """The mapper for this run. `engine` None (a library call, a unit test): this process."""
    from pipeline.engines import local

    if engine is None:
        return local.serial
    n = workers(engine)
    if kind() == "ray":
        from pipeline.engines import ray_data

        return lambda split, batches: ray_data.ordered_map(split, batches, n)
    if n == 1:
        return local.serial
    return lambda split, batches: local.pool_map(split, batches, n)


class Ahead:
    """A process of its own that imports now what the stage needs after its map, and makes one
    call there once the map is done: validate's great-expectations, which takes about 4 s to
    import. It works on another core while the map runs, where an import after the map made the
    stage wait for it. Used on Ray and with 2 or more local workers; with one worker (one core)
    the call is made in this process, as before.

    Started by `fork` as the stage begins, before its map: no thread of this process exists yet
    (a local pool, Ray's client threads come later), so nothing can be held locked in the copy.
    No thread in this process serves it either (a pipe, read by the call), so the local engine's
    own forks later copy none. If the process dies, the call says so; if the stage dies, the
    process finds its pipe closed and exits.
    """

    def __init__(self, engine: EngineParams | None, *modules: str) -> None:
        self._conn: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        from pipeline.engines import local

        if choose(engine) is local.serial or _ray_joined():  # one worker: one core, no fork
            return
        context = multiprocessing.get_context("fork")
        self._conn, theirs = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(theirs, modules), name="corpus-ahead", daemon=True
        )
        self._process.start()
        theirs.close()

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """`fn(*args)`, in the process when there is one. Once only."""
        if self._conn is None:
            return fn(*args)
        conn, self._conn = self._conn, None  # once only: close() sees the call made
        try:
            conn.send((fn, args))
            ok, value, trace = conn.recv()
        except (EOFError, OSError) as exc:
            raise RuntimeError(
                f"the process that ran {fn.__name__} exited without an answer "
                f"(exit code {self._exitcode()})"
            ) from exc
        finally:
            conn.close()
            self.close()
        if not ok:
            value.add_note(f"raised in the process that ran {fn.__name__}:\n{trace}")
            raise value
        return value

    def close(self) -> None:
        """Done with the process; one that never got its call (the map failed) is stopped."""
        called = self._conn is None  # `call` took the pipe
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._process is not None:
            if not called:
                self._process.terminate()
            self._process.join(timeout=30)
            self._process = None

    def _exitcode(self) -> int | None:
        if self._process is None:
            return None
        self._process.join(timeout=5)
        return self._process.exitcode

    def __enter__(self) -> Ahead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _ray_joined() -> bool:
    """This process already joined a Ray cluster (a test, a notebook): its threads are running,
    so no fork."""
    ray = sys.modules.get("ray")
    return ray is not None and ray.is_initialized()


def _serve(conn: Connection, modules: tuple[str, ...]) -> None:
    """The process of `Ahead`: import `modules`, then wait for the one call and answer it."""
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception:  # noqa: BLE001 (raised again where the call imports it)
            break
    try:
        fn, args = conn.recv()
    except EOFError:  # the stage ended (or failed) before its call
        return
    try:
        answer = (True, fn(*args), "")
    except Exception as exc:  # noqa: BLE001 (sent to the stage, which raises it)
        answer = (False, exc, traceback.format_exc())
    try:
        conn.send(answer)
    except Exception as exc:  # noqa: BLE001 (an answer that does not pickle)
        conn.send((False, RuntimeError(f"{type(exc).__name__}: {exc}"), traceback.format_exc()))
    conn.close()
