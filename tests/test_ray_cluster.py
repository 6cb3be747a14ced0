"""The Ray engine on a cluster it joins (`RAY_ADDRESS`), as stages run on a real cluster: the
cluster's workers were not forked from the stage, so they run the pipeline the job ships to them
(`pipeline.engines.ray_data._job_files`), schemas included, and write the local engine's bytes.

The head node is started here (`ray start --head --block`, its own process group, stopped after
the module), not by the stage, unlike tests/test_ray_engine.py's in-process cluster.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from tests.defaults import PARAMS
from tests.test_engine_local import output_bytes, run_stages, with_workers

ray = pytest.importorskip("ray")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def head_address():
    port = _free_port()
    command = [
        str(Path(sys.executable).with_name("ray")),
        "start",
        "--head",
        "--block",
        f"--port={port}",
        "--num-cpus=2",
        "--include-dashboard=false",
        "--disable-usage-stats",
    ]
    head = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if head.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("the Ray head node did not start")
                time.sleep(0.5)
        yield f"127.0.0.1:{port}"
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)


def test_stages_on_a_cluster_they_join_write_the_local_bytes(
    head_address, messy_seeds_dir, tmp_path, monkeypatch
):
    # params.yaml's relative cache folder: the stage's working directory's, not the worker's.
    params = with_workers(PARAMS, 2)
    params = replace(params, engine=replace(params.engine, cache_dir=".corpus-cache"))
    for folder in ("local", "ray"):
        (tmp_path / folder).mkdir()
    monkeypatch.setenv("CORPUS_ENGINE", "local")
    monkeypatch.chdir(tmp_path / "local")
    local = run_stages(messy_seeds_dir, tmp_path / "local" / "run", params)
    monkeypatch.setenv("CORPUS_ENGINE", "ray")
    monkeypatch.setenv("RAY_ADDRESS", head_address)
    # Ray puts the driver's working directory on its workers' path: away from the repository,
    # the workers can import only what the job shipped, as on another machine.
    monkeypatch.chdir(tmp_path / "ray")
    try:
        joined = run_stages(messy_seeds_dir, tmp_path / "ray" / "run", params)
        assert ray.get_runtime_context().get_job_id()  # the stages ran as a job of that cluster
    finally:
        ray.shutdown()
    assert local == joined
    assert (tmp_path / "ray" / ".corpus-cache" / "results.sqlite").is_file()
    assert output_bytes(tmp_path / "local" / "run") == output_bytes(tmp_path / "ray" / "run")
