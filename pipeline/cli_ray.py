"""One local Ray cluster for a whole `corpus run --engine ray`, when RAY_ADDRESS names none.

Not in `pipeline/engines/`: no stage imports it, so it is no stage's dependency in dvc.yaml.

DVC runs each stage as its own process. A stage that finds no RAY_ADDRESS starts a local
cluster of its own (`ray_data.connect`) and stops it when it exits: five clusters a run. So
`corpus run` starts one head node for the run instead (`ray start --head --block`, in a process
group of its own), gives every stage its address in RAY_ADDRESS, and stops the group when the run
ends, however it ends. The head starts from the run's environment and folder, so the stages
ship no code to it (`ray_data.SAME_ENV`). On the seed article here, `corpus run --force --engine
ray` took 35 s so, against 49 to 55 s with a cluster per stage (`CORPUS_ENGINE=ray dvc repro
--force`); 11 s on the local engine.

The head runs with token authentication (RAY_AUTH_MODE=token): a head node listens on every
interface, and a Ray cluster without a token runs any code sent to it. The token is made for the
run and passed to the head and the stages in their environment only (RAY_AUTH_TOKEN), never
written to a file, so a token file left by another Ray program (`~/.ray/auth_token`) plays no
part.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

START_TIMEOUT_S = 120  # a head node takes some 3 s here; far more means it will not come up
STOP_GRACE_S = 3


class ClusterError(RuntimeError):
    """The head node did not start."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def wait_until_listening(head: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not listening(port):
        if head.poll() is not None:
            raise ClusterError(f"ray start exited with {head.returncode}")
        if time.monotonic() > deadline:
            raise ClusterError(f"no head node on port {port} after {START_TIMEOUT_S} s")
        time.sleep(0.2)


def stop(head: subprocess.Popen) -> None:
    """The whole process group: SIGTERM, and SIGKILL after a grace period, as `ray stop` does.
    After a run's five jobs the head took some 33 s to leave on SIGTERM alone here, longer than
    the stages; nothing of the cluster outlives the run, so it has nothing to wait for. Ray
    Data's detached actors (`_StatsActor` and two others) run in sessions of their own, outside
    the group: they exit by themselves within seconds of the raylet."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(head.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        head.wait(timeout=STOP_GRACE_S)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(head.pid, signal.SIGKILL)  # what is left of the group: workers, raylet
    head.wait()


def start_head(port: int, cpus: int, env: dict[str, str]) -> subprocess.Popen:
    """`ray start --head --block` with `env`, in a process group of its own: stopped whole by
    `stop`, and not by a Ctrl-C meant for this process."""
    command = [
        str(Path(sys.executable).with_name("ray")),
        "start",
        "--head",
        "--block",
        f"--port={port}",
        "--node-ip-address=127.0.0.1",
        f"--num-cpus={cpus}",
        "--include-dashboard=false",
        "--disable-usage-stats",
    ]
    env = {k: v for k, v in env.items() if k != "RAY_ADDRESS"}  # a cluster to join, to Ray
    return subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


@contextlib.contextmanager
def head_node(cpus: int, env: dict[str, str]) -> Iterator[str]:
    """A head node of `cpus` CPUs on a free port for the block, started with `env`: its address."""
    port = free_port()
    head = start_head(port, cpus, env)
    try:
        wait_until_listening(head, port)
        yield f"127.0.0.1:{port}"
    finally:
        stop(head)


@contextlib.contextmanager
def local_cluster(cpus: int) -> Iterator[dict[str, str]]:
    """The run's cluster: a head node with a token made for it; yields the environment a stage
    needs to join it (RAY_ADDRESS and the token). The head starts from this process's
    environment (the Arrow allocator of `pipeline/__init__.py` included) and folder, as the
    stages do: they say so (`SAME_ENV`), and ship no code to it."""
    from pipeline.engines.ray_data import SAME_ENV

    token = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    with head_node(cpus, {**os.environ, **token}) as address:
        yield {"RAY_ADDRESS": address, SAME_ENV: "1", **token}
