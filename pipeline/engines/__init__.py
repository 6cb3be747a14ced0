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
import os
import threading
from collections.abc import Callable, Iterable, Iterator

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


def import_meanwhile(*modules: str) -> None:
    """On the Ray engine, start importing `modules` in a thread of this process: what the stage
    needs after its map (great-expectations: about 5 s), imported while the process waits for
    the cluster's workers instead of after them. Not on the local engine, which forks its
    workers: a fork while another thread holds an import lock can leave the child deadlocked.
    An import that fails here is left to the stage's own import, which raises it there."""
    if kind() != "ray":
        return
    # The map's own imports first, in this thread (Ray Data brings pandas, pydantic, ...): the
    # two threads then never import one module at once, which could end in a partly
    # initialised module or in the interpreter's import-deadlock error.
    import ray.data  # noqa: F401

    def load() -> None:
        for module in modules:
            try:
                importlib.import_module(module)
            except Exception:  # noqa: BLE001 (raised again where the stage imports it)
                return

    threading.Thread(target=load, name="import-meanwhile", daemon=True).start()
