"""Benchmark the pipeline stages on a corpus of N BBC articles, one stage process at a time.

    python -m bench.run [--n 20000] [--keep] [--stages ingest clean ...]

Builds (or reuses) the corpus of `bench.make_corpus`, then runs each stage of `STAGES` in order
as `python -m pipeline.<stage> ...` from the repo root, into the scratch folder
`bench/out/run-<N>/`, as DVC would run it. For each stage process it measures:

- Wall s: from spawning the process to reaping it (interpreter start and imports included);
- Import s: wall time of a separate `python -c "import pipeline.<stage>"` run just before, the
  fixed cost inside Wall s that does not grow with N;
- Docs/s: documents / Wall s; documents = `records_in` of the stage's metrics.json;
- MB/s: input bytes / Wall s (MB = 10^6 bytes). Input bytes are the raw seed files for ingest
  and, for the stages that read records, the UTF-8 bytes of the `text` column of their input
  shards (not the compressed Parquet size on disk);
- CPU s (user + system) and peak RSS of that process alone: `os.wait4(pid)` returns the rusage
  of the one child it reaps (and of any children *it* reaped), so no RUSAGE_CHILDREN deltas.

Stage processes run with bytecode caching on, cached in `bench/out/pycache/`
(PYTHONPYCACHEPREFIX; PYTHONDONTWRITEBYTECODE is removed from their environment). One untimed
process imports every stage module first to fill that cache, so the timed runs pay for imports
what a normal install pays, not for compiling every module from source again.

Results are printed as a table and written to `bench/out/results-<N>.json`. Every result row
names its `engine`; rows of another engine running the same stages can be appended to the same
`rows` list, and the table and totals show them as they are.
A stage whose module does not exist yet is skipped, and so is every stage after one that did
not succeed. The scratch folder is deleted at the end unless --keep or a stage failed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml
from rich.console import Console
from rich.table import Table

from bench.make_corpus import DEFAULT_N, REPO, build_or_skip

ENGINE = "corpus-pipeline"
OUT = REPO / "bench" / "out"
MB = 1e6


@dataclass(frozen=True)
class Stage:
    """One row of the benchmark: a stage's command line from dvc.yaml, and what it reads."""

    name: str
    cmd: tuple[str, ...]  # dvc.yaml's arguments after `python -m pipeline.<name>`
    reads: str  # the path (as dvc.yaml spells it) whose size is the stage's input

    @property
    def module_file(self) -> Path:
        return REPO / "pipeline" / f"{self.name}.py"

    def argv(self, seeds: Path, out: Path) -> list[str]:
        return [relocate(arg, seeds, out) for arg in self.cmd]

    def input(self, seeds: Path, out: Path) -> Path:
        return Path(relocate(self.reads, seeds, out))

    @property
    def metrics(self) -> str | None:
        """Its metrics file (`metrics/<stage>.json`) relative to the output folder, if it
        writes one."""
        own = [a for a in self.cmd if a == f"metrics/{self.name}.json"]
        return own[0] if own else None


def relocate(arg: str, seeds: Path, out: Path) -> str:
    """dvc.yaml's paths moved: `seeds` to the benchmark corpus, `data/...` and `metrics/...` to
    the scratch folder."""
    if arg == "seeds":
        return str(seeds)
    if arg.startswith("metrics/"):
        return str(out / arg)
    return str(out / arg.removeprefix("data/")) if arg.startswith("data/") else arg


def load_stages() -> list[Stage]:
    """The stages as dvc.yaml runs them: paths are written there once and only there."""
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    out = []
    for name, spec in stages.items():
        cmd = shlex.split(spec["cmd"])[3:]  # after: python -m pipeline.<name>
        flag = "--seeds" if "--seeds" in cmd else "--input"
        out.append(Stage(name, tuple(cmd), cmd[cmd.index(flag) + 1]))
    return out


STAGES = load_stages()


def seed_bytes(folder: Path) -> int:
    """Bytes of every file ingest reads as an article (dotfiles are not articles)."""
    return sum(
        p.stat().st_size
        for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def text_bytes(folder: Path) -> int:
    """UTF-8 bytes of the `text` column over every shard of a records folder."""
    total = 0
    for path in sorted(folder.glob("*.parquet")):
        column = pq.read_table(path, columns=["text"]).column("text")
        total += pc.sum(pc.binary_length(column)).as_py() or 0
    return total


def input_rows(folder: Path) -> int:
    return sum(pq.ParquetFile(p).metadata.num_rows for p in sorted(folder.glob("*.parquet")))


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPYCACHEPREFIX": str(OUT / "pycache"), **(extra or {})}


def spawn(
    argv: list[str], log: Path, env: dict[str, str] | None = None
) -> tuple[float, int, os.struct_rusage]:
    """Run `argv` from the repo root, with `env` added to the environment:
    (wall seconds, exit code, rusage of that process)."""
    with log.open("wb") as f:
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv, cwd=REPO, env=child_env(env), stdout=f, stderr=subprocess.STDOUT
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return wall, proc.returncode, usage


def failure(code: int, log: Path) -> str:
    last = (log.read_text(errors="replace").strip().splitlines() or [""])[-1]
    return f"exit {code}: {last[:200]} (log: {log.relative_to(REPO)})"


def warm_up(stages: list[Stage], out: Path) -> None:
    """Import every stage module once, untimed: fills the bytecode cache for the timed runs."""
    if stages:
        imports = ", ".join(f"pipeline.{s.name}" for s in stages)
        (out / "logs").mkdir(parents=True, exist_ok=True)
        spawn([sys.executable, "-c", f"import {imports}"], out / "logs" / "warm-up.log")


def measure(
    stage: Stage,
    seeds: Path,
    out: Path,
    engine: str = ENGINE,
    params: Path | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run one stage (after its import run) and return its result row, named `engine`.

    `params`: a params file instead of params.yaml; `env`: added to the stage's environment.
    """
    row: dict[str, Any] = {"engine": engine, "stage": stage.name, "status": "ok", "note": ""}
    inp = stage.input(seeds, out)
    if not stage.module_file.is_file():
        missing = stage.module_file.relative_to(REPO)
        return {**row, "status": "skipped", "note": f"{missing} does not exist yet"}
    if not inp.is_dir():
        return {**row, "status": "skipped", "note": f"no input {inp.relative_to(REPO)}"}
    is_seeds = inp == seeds
    row["input_bytes"] = seed_bytes(inp) if is_seeds else text_bytes(inp)
    row["input_measure"] = "raw seed bytes" if is_seeds else "text column bytes"
    logs = out / "logs"
    logs.mkdir(parents=True, exist_ok=True)

    module = f"pipeline.{stage.name}"
    log = logs / f"{stage.name}.import.log"
    import_s, code, _ = spawn([sys.executable, "-c", f"import {module}"], log, env)
    row["import_s"] = round(import_s, 3)
    if code != 0:
        return {**row, "status": "failed", "note": failure(code, log)}

    own_params = ["--params", str(params)] if params else []
    argv = [sys.executable, "-m", module, *stage.argv(seeds, out), *own_params]
    log = logs / f"{stage.name}.log"
    wall, code, usage = spawn(argv, log, env)
    row.update(
        command=" ".join(["python", *argv[1:]]),
        wall_s=round(wall, 3),
        cpu_s=round(usage.ru_utime + usage.ru_stime, 3),
        peak_rss_mib=round(usage.ru_maxrss / 1024, 1),  # Linux: ru_maxrss is in KiB
        mb_per_s=round(row["input_bytes"] / MB / wall, 3),
    )
    if code != 0:
        return {**row, "status": "failed", "note": failure(code, log)}
    if stage.metrics and (out / stage.metrics).is_file():
        row["docs"] = json.loads((out / stage.metrics).read_text())["records_in"]
    else:
        row["docs"] = input_rows(inp)
        row["note"] = "docs = rows of its input (it writes no metrics.json)"
    row["docs_per_s"] = round(row["docs"] / wall, 1)
    return row


def totals(rows: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """One row per engine over the stages it ran: the N articles through all of them."""
    out = []
    for engine in dict.fromkeys(r["engine"] for r in rows):
        ran = [r for r in rows if r["engine"] == engine and "wall_s" in r]
        if not ran:
            continue
        wall = sum(r["wall_s"] for r in ran)
        out.append(
            {
                "engine": engine,
                "stage": "total",
                "docs": n,
                "wall_s": round(wall, 3),
                "import_s": round(sum(r["import_s"] for r in ran), 3),
                "docs_per_s": round(n / wall, 1),
                "cpu_s": round(sum(r["cpu_s"] for r in ran), 3),
                "peak_rss_mib": max(r["peak_rss_mib"] for r in ran),
                "note": f"{len(ran)} stage(s) run; Docs = corpus size, Docs/s = Docs / Wall s",
            }
        )
    return out


def machine() -> dict[str, Any]:
    def proc(name: str) -> str:
        path = Path("/proc") / name
        return path.read_text() if path.exists() else ""

    models = [ln.split(":", 1)[1].strip() for ln in proc("cpuinfo").splitlines() if ":" in ln
              and ln.startswith("model name")]  # fmt: skip
    mem_kib = int((proc("meminfo").split() or ["", "0"])[1])
    return {
        "cpus": os.cpu_count(),
        "cpu_model": models[0] if models else platform.processor(),
        "mem_gib": round(mem_kib / 2**20, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def git_state() -> str | None:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=True)
        return done.stdout.strip()

    try:
        dirty = " (uncommitted changes)" if git("status", "--porcelain") else ""
        return git("rev-parse", "--short", "HEAD") + dirty
    except (OSError, subprocess.CalledProcessError):
        return None


CAPTION = """\
Docs: records_in of the stage's metrics.json. Input MB, MB/s (MB = 10^6 bytes): raw seed file
bytes for ingest; UTF-8 bytes of the text column read for later stages (not on-disk Parquet
size). Wall s, CPU s (user+sys), peak RSS: the stage process alone (os.wait4), interpreter
start-up and imports included; Import s: the part of Wall s an import-only run takes."""


def table(result: dict[str, Any]) -> Table:
    m = result["machine"]
    t = Table(
        title=f"N={result['n']:,} articles, {m['cpus']} CPUs ({m['cpu_model']})",
        caption=CAPTION,
        caption_justify="left",
    )
    columns = ("Engine", "Stage", "Docs", "Wall s", "Import s", "Docs/s", "Input MB", "MB/s",
               "CPU s", "Peak RSS MiB", "Status")  # fmt: skip
    for name in columns:
        left = name in ("Engine", "Stage", "Status")
        t.add_column(name, justify="left" if left else "right", no_wrap=True)

    def cell(row: dict[str, Any], key: str, fmt: str, scale: float | None = None) -> str:
        value = row.get(key)
        return "-" if value is None else format(value / scale if scale else value, fmt)

    for row in result["rows"] + result["totals"]:
        t.add_row(
            row["engine"], row["stage"], cell(row, "docs", ","), cell(row, "wall_s", ".2f"),
            cell(row, "import_s", ".2f"), cell(row, "docs_per_s", ",.0f"),
            cell(row, "input_bytes", ".1f", MB), cell(row, "mb_per_s", ".2f"),
            cell(row, "cpu_s", ".2f"), cell(row, "peak_rss_mib", ",.0f"), row.get("status", ""),
            end_section=row is result["rows"][-1],
        )  # fmt: skip
    return t


def main(argv: list[str] | None = None) -> int:
    names = [s.name for s in STAGES]
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--n", type=int, default=DEFAULT_N, help="articles in the corpus")
    parser.add_argument("--keep", action="store_true", help="keep bench/out/run-N/ afterwards")
    parser.add_argument(
        "--stages", nargs="+", choices=names, default=names, metavar="STAGE",
        help=f"stages to run, in pipeline order (default: {' '.join(names)})",
    )  # fmt: skip
    args = parser.parse_args(argv)
    console = Console(width=max(Console().width, 120))
    seeds = build_or_skip(args.n, console.print)
    if seeds is None:
        return 0
    out = OUT / f"run-{args.n}"
    out.mkdir(parents=True, exist_ok=True)
    warm_up([s for s in STAGES if s.name in args.stages and s.module_file.is_file()], out)
    rows: list[dict[str, Any]] = []
    for stage in (s for s in STAGES if s.name in args.stages):
        blocked = next((r["stage"] for r in rows if r["status"] != "ok"), None)
        if blocked:
            note = f"not run: {blocked} did not succeed"
            rows.append({"engine": ENGINE, "stage": stage.name, "status": "skipped", "note": note})
            continue
        console.print(f"[bold]{stage.name}[/] ...", end=" ")
        rows.append(measure(stage, seeds, out))
        wall = rows[-1].get("wall_s")
        console.print(rows[-1]["status"], f"{wall:.1f} s" if wall is not None else "")

    result = {
        "benchmark": "pipeline stages as subprocesses (bench/run.py)",
        "n": args.n,
        "corpus": str(seeds.relative_to(REPO)),
        "git": git_state(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "rows": rows,
        "totals": totals(rows, args.n),
    }
    results = OUT / f"results-{args.n}.json"
    results.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    console.print(table(result))
    for row in rows + result["totals"]:
        if row["note"]:
            console.print(f"{row['stage']}: {row['note']}", soft_wrap=True)
    console.print(f"written: {results.relative_to(REPO)}")
    failed = any(r["status"] == "failed" for r in rows)
    if args.keep or failed:
        console.print(f"stage outputs and logs kept in {out.relative_to(REPO)}")
    else:
        shutil.rmtree(out)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
