"""The Ray engine on a real local Ray cluster: the same bytes as the local engine.

One cluster for the module (2 CPUs), started before the first test and stopped after the last.
"""

from __future__ import annotations

from dataclasses import replace

import pyarrow as pa
import pytest

from pipeline.engine import run_local
from pipeline.engines import choose
from tests.defaults import PARAMS
from tests.test_engine_local import batches, output_bytes, run_stages, with_workers, writers
from tests.test_reduce import run_first_text

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module", autouse=True)
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_writes_the_same_bytes_as_the_local_engine(messy_seeds_dir, tmp_path, monkeypatch):
    """Every stage, validate's and publish's reduces included."""
    params = with_workers(PARAMS, 2)
    monkeypatch.setenv("CORPUS_ENGINE", "local")
    local = run_stages(messy_seeds_dir, tmp_path / "local", params)
    monkeypatch.setenv("CORPUS_ENGINE", "ray")
    on_ray = run_stages(messy_seeds_dir, tmp_path / "ray", params)
    assert local == on_ray
    assert output_bytes(tmp_path / "local") == output_bytes(tmp_path / "ray")


def test_ray_keeps_input_order_and_rejects(tmp_path, read_rows, monkeypatch):
    monkeypatch.setenv("CORPUS_ENGINE", "ray")

    def shout(record: dict) -> dict:
        if record["text"] == "t3":
            raise ValueError("no")
        return {**record, "text": record["text"].upper()}

    out, quarantine = writers(tmp_path)
    data = [*batches(7, size=2), pa.RecordBatch.from_pylist([], schema=batches(1)[0].schema)]
    engine = replace(PARAMS.engine, workers=2)
    counts = run_local(shout, data, "x", out, quarantine, engine=engine)
    assert [r["text"] for r in read_rows(tmp_path / "out")] == [f"T{i}" for i in range(7) if i != 3]
    assert [r["id"] for r in read_rows(tmp_path / "quarantine")] == ["a3"]
    assert (counts.records_in, counts.records_out) == (7, 6)
    assert choose(engine).__module__ == "pipeline.engines"  # the ray mapper, not local.serial


def test_a_reduce_refuses_the_same_records_on_ray(tmp_path, monkeypatch):
    texts = ["x", "odd", "y", "x", "odd", "y", "z", "x"]
    monkeypatch.setenv("CORPUS_ENGINE", "local")
    local = run_first_text(tmp_path / "local", texts, workers=2)
    monkeypatch.setenv("CORPUS_ENGINE", "ray")
    assert run_first_text(tmp_path / "ray", texts, workers=2) == local
    assert output_bytes(tmp_path / "local") == output_bytes(tmp_path / "ray")
