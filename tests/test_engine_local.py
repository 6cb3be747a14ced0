"""The local engine's worker pool: same bytes for any number of workers, input order kept."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pytest

from pipeline import annotate, clean, ingest, publish, validate
from pipeline.engine import run_batches, run_local
from pipeline.engines import Ahead, EngineError, choose, local, workers
from pipeline.params import Params
from pipeline.schema import quarantine_schema
from pipeline.shards import ShardWriter
from tests.defaults import PARAMS

SCHEMA = pa.schema([pa.field("id", pa.string(), nullable=False), ("text", pa.string())])
STAGES = ("ingest", "clean", "annotate", "validate", "publish")


def run_stages(seeds: Path, root: Path, params: Params, stages=STAGES) -> dict[str, dict]:
    """Every stage (as dvc.yaml wires them) into `root`; each stage's metrics."""
    metrics, inp = {}, seeds
    for stage in stages:
        out = root / stage / "records"
        quarantine, metrics_file = root / "quarantine" / stage, root / stage / "metrics.json"
        if stage == "validate":
            docs = root / stage / "data_docs"
            metrics[stage] = validate.run(inp, out, quarantine, metrics_file, docs, params)
        elif stage == "publish":
            metrics[stage] = publish.run(
                inp,
                root / "quarantine",
                root / "ingest" / "metrics.json",
                root / "annotate" / "metrics.json",
                root / "release",
                params,
                root / "validate" / "data_docs",
            )
        else:
            module = {"ingest": ingest, "clean": clean, "annotate": annotate}[stage]
            metrics[stage] = module.run(inp, out, quarantine, metrics_file, params)
        inp = out
    return metrics


def output_bytes(root: Path) -> dict[str, bytes]:
    """Every file under `root` (records, quarantine, metrics): relative path -> bytes."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def with_workers(params: Params, n: int, batch_size: int = 2) -> Params:
    """`n` workers, small batches, no results cache (tests/test_cache.py tests the cache)."""
    engine = replace(params.engine, workers=n, batch_size=batch_size, cache_dir=None)
    return replace(params, engine=engine)


def test_two_workers_write_the_same_bytes_as_one(messy_seeds_dir, tmp_path, monkeypatch):
    # The number of workers as `corpus run` sets it (CORPUS_WORKERS), so the params, which the
    # release's manifest records, are the same: the release must be too.
    monkeypatch.delenv("CORPUS_ENGINE", raising=False)
    params = with_workers(PARAMS, 1)
    monkeypatch.setenv("CORPUS_WORKERS", "1")
    one = run_stages(messy_seeds_dir, tmp_path / "one", params)
    monkeypatch.setenv("CORPUS_WORKERS", "2")
    two = run_stages(messy_seeds_dir, tmp_path / "two", params)
    assert one == two
    assert one["annotate"]["records_out"] >= 5  # several batches of 2 went through the pool
    assert one["validate"]["records_out"] >= 5 and one["publish"]["counts"]["published"] >= 5
    assert output_bytes(tmp_path / "one") == output_bytes(tmp_path / "two")


def slow_shout(record: dict) -> dict:
    # Early records sleep longest, so a pool that yielded in completion order would reorder.
    time.sleep(0.02 * (5 - int(record["id"][1:]) % 5))
    return {**record, "text": f"{record['text'].upper()} by {os.getpid()}"}


def batches(n: int, size: int = 1) -> list[pa.RecordBatch]:
    rows = [{"id": f"a{i}", "text": f"t{i}"} for i in range(n)]
    return [
        pa.RecordBatch.from_pylist(rows[i : i + size], schema=SCHEMA) for i in range(0, n, size)
    ]


def writers(folder: Path) -> tuple[ShardWriter, ShardWriter]:
    engine = PARAMS.engine
    return (
        ShardWriter(folder / "out", SCHEMA, engine),
        ShardWriter(folder / "quarantine", quarantine_schema().arrow(), engine),
    )


def test_the_pool_keeps_input_order_and_uses_several_processes(tmp_path, read_rows):
    out, quarantine = writers(tmp_path)
    engine = replace(PARAMS.engine, workers=2)
    counts = run_local(slow_shout, batches(10), "x", out, quarantine, engine=engine)
    rows = read_rows(tmp_path / "out")
    assert counts.records_out == 10
    assert [r["id"] for r in rows] == [f"a{i}" for i in range(10)]
    assert [r["text"].split()[0] for r in rows] == [f"T{i}" for i in range(10)]
    pids = {r["text"].split()[-1] for r in rows}
    assert len(pids) == 2 and str(os.getpid()) not in pids


def fragile(records: list[dict]) -> tuple[list[dict], dict[str, int]]:
    """A batch function with extras; it raises on a batch holding "boom"."""
    if any(r["text"] == "boom" for r in records):
        raise ValueError("boom")
    return records, {r["id"]: len(r["text"]) for r in records}


def test_extras_come_back_from_the_workers_without_the_failed_records(tmp_path, read_rows):
    out, quarantine = writers(tmp_path)
    data = [
        pa.RecordBatch.from_pylist(
            [{"id": "a", "text": "one"}, {"id": "b", "text": "boom"}], schema=SCHEMA
        ),
        pa.RecordBatch.from_pylist([{"id": "c", "text": "three"}], schema=SCHEMA),
    ]
    extras: dict[str, int] = {}
    seen: list[int] = []
    counts = run_batches(
        fragile,
        data,
        "x",
        out,
        quarantine,
        engine=replace(PARAMS.engine, workers=2),
        on_extras=extras.update,
        on_output=lambda batch: seen.append(batch.num_rows),
    )
    assert extras == {"a": 3, "c": 5}
    assert seen == [1, 1]
    assert (counts.records_in, counts.records_out, sum(counts.quarantined.values())) == (3, 2, 1)
    assert [r["id"] for r in read_rows(tmp_path / "quarantine")] == ["b"]


def test_workers_zero_means_every_core(monkeypatch):
    monkeypatch.delenv("CORPUS_WORKERS", raising=False)
    assert workers(replace(PARAMS.engine, workers=0)) == len(os.sched_getaffinity(0))
    monkeypatch.setenv("CORPUS_WORKERS", "3")
    assert workers(replace(PARAMS.engine, workers=1)) == 3


def test_one_worker_runs_in_this_process(monkeypatch):
    monkeypatch.delenv("CORPUS_ENGINE", raising=False)
    monkeypatch.delenv("CORPUS_WORKERS", raising=False)
    assert choose(replace(PARAMS.engine, workers=1)) is local.serial
    assert choose(None) is local.serial


@pytest.mark.parametrize(("var", "value"), [("CORPUS_ENGINE", "spark"), ("CORPUS_WORKERS", "two")])
def test_an_unknown_engine_or_worker_count_is_named(monkeypatch, var, value):
    monkeypatch.setenv(var, value)
    with pytest.raises(EngineError, match=var):
        choose(PARAMS.engine)


def _where(module: str) -> tuple[int, bool]:
    """(this process's id, whether `module` is imported here): what `Ahead.call` runs."""
    import sys

    return os.getpid(), module in sys.modules


def _fail(message: str) -> None:
    raise ValueError(message)


def _die() -> None:
    os._exit(3)


@pytest.fixture
def module_file(tmp_path, monkeypatch):
    """An importable module of its own, never imported by this process."""
    import sys

    name = f"corpus_ahead_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text("LOADED = True\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


def test_what_validate_needs_after_its_map_is_prepared_in_a_process_of_its_own(
    module_file, monkeypatch
):
    """Two workers: the module is imported and the call made in another process, which the
    call's answer comes back from; this process never imports the module."""
    import sys

    monkeypatch.setenv("CORPUS_ENGINE", "local")
    monkeypatch.setenv("CORPUS_WORKERS", "2")
    with Ahead(PARAMS.engine, "corpus_no_such_module", module_file) as ahead:
        pid, imported = ahead.call(_where, module_file)
    assert pid != os.getpid()
    assert imported is False  # a missing module first stops the imports: left to the call
    with Ahead(PARAMS.engine, module_file) as ahead:
        pid, imported = ahead.call(_where, module_file)
    assert pid != os.getpid() and imported is True
    assert module_file not in sys.modules


def test_one_worker_makes_the_call_in_this_process(module_file, monkeypatch):
    monkeypatch.setenv("CORPUS_ENGINE", "local")
    monkeypatch.setenv("CORPUS_WORKERS", "1")
    with Ahead(PARAMS.engine, module_file) as ahead:
        assert ahead.call(_where, module_file) == (os.getpid(), False)
    assert Ahead(None, module_file).call(_where, module_file)[0] == os.getpid()


def test_the_process_s_error_or_death_reaches_the_stage(monkeypatch):
    monkeypatch.setenv("CORPUS_ENGINE", "local")
    monkeypatch.setenv("CORPUS_WORKERS", "2")
    with Ahead(PARAMS.engine) as ahead, pytest.raises(ValueError, match="no table") as raised:
        ahead.call(_fail, "no table")
    assert any("raised in the process that ran _fail" in note for note in raised.value.__notes__)
    with Ahead(PARAMS.engine) as ahead, pytest.raises(RuntimeError, match="exit code 3"):
        ahead.call(_die)


def test_a_process_never_called_is_stopped(monkeypatch):
    """The map failed: the stage does not wait for the process's imports to end."""
    monkeypatch.setenv("CORPUS_ENGINE", "local")
    monkeypatch.setenv("CORPUS_WORKERS", "2")
    ahead = Ahead(PARAMS.engine)
    process = ahead._process
    ahead.close()
    assert process is not None and not process.is_alive()
