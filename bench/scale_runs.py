"""How `bench.scale` runs the pipeline: stage processes in a run folder of their own.

A run folder (`bench/out/scale-<N>/<run>/`) is what the repository root is to DVC: the stages
run with it as working directory, so they read its `params.yaml` and keep their results cache
in its `.corpus-cache/` (params.yaml's relative `engine.cache_dir`, which the manifest records:
the same string in every run keeps releases comparable). Their outputs go to `<run>/data/...`
and `<run>/metrics/` (`bench.run.relocate`), their logs to `<run>/logs/`.

The stages import the pipeline from a snapshot (`<base>/src/`, copied once at the start), not
from the working tree: other people edit the tree while the benchmark runs, and an edit to an
annotator would change its cache key between a full run and its rerun.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

from bench.make_corpus import REPO
from bench.run import STAGES, child_env, relocate
from pipeline.engines.ray_data import worker_env

STAGE_NAMES = [s.name for s in STAGES]
CACHE_FILE = Path(".corpus-cache") / "results.sqlite"  # params.yaml's engine.cache_dir
NOT_OUTPUT = ("logs", ".corpus-cache", "params.yaml")  # in a run folder, but not written by it
# Every run's params.yaml is the repository's with these. The first 2,225 articles of the bench
# corpus are the BBC files as they are, about 1.2% of them exact duplicates of another (the
# table check refuses more than 1%): a gate, not a cost, so it is widened rather than failing.
BENCH_PARAMS = {"validate.table.max_duplicate_text_share": 0.05}


class StageError(RuntimeError):
    """A stage exited with an error: the measurement is meaningless, so the benchmark stops."""


def snapshot(base: Path) -> Path:
    """Copy the pipeline's code and schemas to `<base>/src/` (afresh), with the repository's
    params.yaml and `BENCH_PARAMS`."""
    src = base / "src"
    shutil.rmtree(src, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("pipeline", "schemas"):
        shutil.copytree(REPO / name, src / name, ignore=ignore)
    params = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    write_params(src / "params.yaml", params, BENCH_PARAMS)
    return src


def write_params(path: Path, params: dict[str, Any], changes: dict[str, Any]) -> None:
    """`params` with `changes` ({"annotate.x": value}, keys that exist) as a YAML file."""
    for dotted, value in changes.items():
        *parents, key = dotted.split(".")
        section = params
        for name in parents:
            section = section[name]
        if key not in section:
            raise KeyError(f"params.yaml has no {dotted}")
        section[key] = value
    text = yaml.safe_dump(params, sort_keys=False, allow_unicode=True)
    path.write_text(text, encoding="utf-8")


def prepare(root: Path, src: Path, changes: dict[str, Any] | None = None) -> Path:
    """A fresh run folder holding the snapshot's params.yaml, with `changes` ({"annotate.x": v})."""
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    params = yaml.safe_load((src / "params.yaml").read_text(encoding="utf-8"))
    write_params(root / "params.yaml", params, changes or {})
    return root


def fork(source: Path, root: Path, src: Path, changes: dict[str, Any] | None = None) -> Path:
    """A run folder holding a copy of `source`'s outputs and cache (as after that run), with its
    own params: where a rerun starts."""
    prepare(root, src, changes)
    for path in source.iterdir():
        if path.name not in ("logs", "params.yaml"):
            copy = shutil.copytree if path.is_dir() else shutil.copy2
            copy(path, root / path.name)
    return root


def stage_env(src: Path, engine: str, workers: int) -> dict[str, str]:
    return {
        **child_env(),
        "PYTHONPATH": str(src),
        "CORPUS_ENGINE": engine,
        "CORPUS_WORKERS": str(workers),
    }


@contextlib.contextmanager
def ray_cluster(cpus: int, src: Path, say: Callable[[str], None]) -> Iterator[str]:
    """A local Ray cluster of `cpus` CPUs for the Ray runs, started once (`ray start --head`),
    stopped after: its address, which the stages get as RAY_ADDRESS. A stage that starts a
    cluster of its own pays 10 to 20 s for it here, each time; a cluster's users pay it once.
    It starts from the stages' environment (`src` on the path, the Arrow allocator), so its
    workers import the pipeline as they do and the stages ship nothing (`SAME_ENV`)."""
    ray = Path(sys.executable).with_name("ray")
    port = 6390  # not Ray's default 6379: another cluster on this machine is left alone
    started = time.perf_counter()
    # Without a token: once any `ray.init` here has left a `~/.ray/auth_token` (Ray makes one
    # for a local cluster), `ray start` turns token authentication on, and the stages, whose
    # Ray clients default to none, fail with InvalidAuthToken.
    subprocess.run(
        [str(ray), "start", "--head", f"--num-cpus={cpus}", f"--port={port}",
         "--include-dashboard=false", "--disable-usage-stats"],
        check=True, capture_output=True,
        env=child_env({"RAY_AUTH_MODE": "disabled", "PYTHONPATH": str(src), **worker_env()}),
    )  # fmt: skip
    say(f"  ray: cluster of {cpus} CPUs started in {time.perf_counter() - started:.1f} s")
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([str(ray), "stop", "--force"], capture_output=True, env=child_env())


def argv(stage: str, seeds: Path, root: Path) -> list[str]:
    spec = next(s for s in STAGES if s.name == stage)
    return [
        sys.executable,
        "-m",
        f"pipeline.{stage}",
        *(relocate(a, seeds, root) for a in spec.cmd),
    ]


def start(stage: str, seeds: Path, root: Path, env: dict[str, str]) -> subprocess.Popen:
    """Start one stage. It leads a process group of its own: its worker processes and a local
    Ray cluster are in it, and a kill reaches all of them."""
    (root / "logs").mkdir(exist_ok=True)
    with (root / "logs" / f"{stage}.log").open("ab") as log:
        return subprocess.Popen(
            argv(stage, seeds, root), cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


def reap(proc: subprocess.Popen, started: float) -> dict[str, Any]:
    """Wait for a stage: wall s, CPU s and peak RSS of its process (and of the children it
    reaped: forked workers; ru_maxrss is the largest single process, not a sum), exit code."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "load_1m": round(os.getloadavg()[0], 2),  # at the end: how busy the machine was
        "wall_s": round(time.perf_counter() - started, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "exit": proc.returncode,
    }


def run_stage(stage: str, seeds: Path, root: Path, env: dict[str, str]) -> dict[str, Any]:
    started = time.perf_counter()
    row = {"stage": stage, **reap(start(stage, seeds, root, env), started)}
    if row["exit"] != 0:
        raise StageError(f"{stage} exited {row['exit']}; log: {root / 'logs' / stage}.log")
    return row


def run_stages(
    stages: list[str], seeds: Path, root: Path, env: dict[str, str], say: Callable[[str], None]
) -> list[dict[str, Any]]:
    rows = []
    for stage in stages:
        rows.append(run_stage(stage, seeds, root, env))
        say(f"  {root.name}: {stage} {rows[-1]['wall_s']:.1f} s")
    return rows


def cache_rows(root: Path) -> int:
    """Results stored in the run's cache (every annotator's, every article's)."""
    path = root / CACHE_FILE
    if not path.is_file():
        return 0
    conn = sqlite3.connect(path, timeout=30)
    try:
        return conn.execute("SELECT count(*) FROM results").fetchone()[0]
    except sqlite3.OperationalError:  # the table is not created yet
        return 0
    finally:
        conn.close()


def group_cpu_s(pgid: int) -> float:
    """CPU seconds used so far by a process group: its live processes, and the children they
    reaped (a stage's finished workers), from /proc."""
    ticks, total = os.sysconf("SC_CLK_TCK"), 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # it exited meanwhile
            continue
        if int(fields[2]) == pgid:  # after the name: state ppid pgrp ... utime stime cutime cstime
            total += sum(int(f) for f in fields[11:15])
    return total / ticks


def kill_annotate_at(
    seeds: Path, root: Path, env: dict[str, str], after_cpu_s: float, poll_s: float = 0.1
) -> dict[str, Any]:
    """Start annotate and SIGKILL its process group once it has used `after_cpu_s` CPU seconds
    (the share of an uninterrupted annotate's CPU time the caller wants); say how full the cache
    was then.

    CPU time says how far annotate got: wall time depends on what else the machine runs, and
    results are stored a whole batch at a time (`engine.batch_size` articles per annotator), so
    at small N the cache's rows move in a few big steps and say little about the work left."""
    started = time.perf_counter()
    proc = start("annotate", seeds, root, env)
    killed, used = False, 0.0
    while proc.poll() is None:
        used = group_cpu_s(proc.pid)
        if used >= after_cpu_s:
            os.killpg(proc.pid, signal.SIGKILL)  # the stage and its workers, as `kill -9 -PGID`
            killed = True
            break
        time.sleep(poll_s)
    if proc.returncode is None:
        result = reap(proc, started)
    else:  # it finished first (poll reaped it): no rusage
        result = {"wall_s": round(time.perf_counter() - started, 3), "exit": proc.returncode}
    return {**result, "killed": killed, "cpu_s_at_kill": round(used, 2),
            "cache_rows_at_kill": cache_rows(root)}  # fmt: skip


def digests(root: Path) -> dict[str, str]:
    """sha256 of every file the stages wrote in a run folder (records, quarantine, metrics,
    validation report, release), by path inside it."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.relative_to(root).parts[0] not in NOT_OUTPUT
    }


def differences(a: dict[str, str], b: dict[str, str]) -> list[str]:
    """Paths present in one only, or with other bytes."""
    return sorted(p for p in a.keys() | b.keys() if a.get(p) != b.get(p))
