"""Benchmark the pipeline stages on a corpus of N BBC articles, one stage process at a time.

    python -m bench.run [--n 20000] [--keep] [--stages ingest clean ...]

Builds (or reuses) the corpus of `bench.make_corpus`, then runs each stage of `STAGES` in order
as `python -m pipeline.<stage> ...` into the scratch folder `bench/out/run-<N>/`, exactly as DVC
would run it, and measures for each stage process:

- wall seconds: from spawning the process to reaping it (interpreter start and imports included);
- docs/s: documents / wall seconds, documents being `records_in` of the stage's metrics.json;
- MB/s: input bytes / wall seconds (MB = 10^6 bytes). Input bytes are the raw seed files for
  ingest and, for the stages that read records, the UTF-8 bytes of the `text` column of their
  input shards (not the compressed Parquet size on disk);
- CPU seconds (user + system) and peak RSS of that process alone: `os.wait4(pid)` returns the
  rusage of the one child it reaps, so no delta of RUSAGE_CHILDREN is needed.

Results are printed as a table and written to `bench/out/results-<N>.json`. Every result row
names its `engine`; rows from another engine running the same stages (datatrove, say) can be
appended to the same list and are shown by the same table.
A stage whose module does not exist yet is listed as skipped, and so is everything after a
stage that did not succeed. The scratch folder is deleted afterwards unless --keep (or a stage
failed: its log is there).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
from rich.console import Console
from rich.table import Table

from bench.make_corpus import DEFAULT_N, REPO, CorpusMissing, build

ENGINE = "corpus-pipeline"
OUT = REPO / "bench" / "out"
MB = 1e6


@dataclass(frozen=True)
class Stage:
    """One row of the benchmark: how to call a stage module and what it reads."""

    name: str
    argv: Callable[[Path, Path], list[str]]  # (seeds, out) -> arguments after the module name
    input: Callable[[Path, Path], Path]  # (seeds, out) -> the folder it reads
    metrics: str | None  # its metrics.json under out, if it writes one

    @property
    def module_file(self) -> Path:
        return REPO / "pipeline" / f"{self.name}.py"


def records_stage(name: str, reads: str, **paths: str) -> Stage:
    """The usual shape: records of stage `reads` in, records + quarantine + metrics out.

    `paths` are further path options, relative to the output folder: data_docs="a/b" gives
    `--data-docs OUT/a/b`.
    """

    def argv(seeds: Path, out: Path) -> list[str]:
        extra = [x for k, v in paths.items() for x in (f"--{k.replace('_', '-')}", str(out / v))]
        return [
            "--input", str(out / reads / "records"),
            "--out", str(out / name / "records"),
            "--quarantine", str(out / "quarantine" / name),
            "--metrics", str(out / name / "metrics.json"),
            *extra,
        ]  # fmt: skip

    return Stage(name, argv, lambda seeds, out: out / reads / "records", f"{name}/metrics.json")


STAGES = [
    Stage(
        "ingest",
        lambda seeds, out: [
            "--seeds", str(seeds),
            "--out", str(out / "ingest" / "records"),
            "--quarantine", str(out / "quarantine" / "ingest"),
            "--metrics", str(out / "ingest" / "metrics.json"),
        ],  # fmt: skip
        lambda seeds, out: seeds,
        "ingest/metrics.json",
    ),
    records_stage("clean", "ingest"),
    records_stage("annotate", "clean"),
    records_stage("validate", "annotate", data_docs="validate/data_docs"),
    Stage(
        "publish",
        lambda seeds, out: [
            "--input", str(out / "validate" / "records"),
            "--quarantine-root", str(out / "quarantine"),
            "--ingest-metrics", str(out / "ingest" / "metrics.json"),
            "--out", str(out / "release"),
        ],  # fmt: skip
        lambda seeds, out: out / "validate" / "records",
        None,
    ),
]


def seed_bytes(folder: Path) -> int:
    """Bytes of every article file ingest reads (dotfiles are not articles)."""
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


def spawn(argv: list[str], log: Path) -> tuple[float, int, os.struct_rusage]:
    """Run `argv` from the repo root; (wall seconds, exit code, rusage of that process only)."""
    with log.open("wb") as f:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=REPO, stdout=f, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return wall, proc.returncode, usage


def measure(stage: Stage, seeds: Path, out: Path) -> dict[str, Any]:
    row: dict[str, Any] = {"engine": ENGINE, "stage": stage.name, "status": "ok", "note": ""}
    inp = stage.input(seeds, out)
    if not stage.module_file.is_file():
        return {**row, "status": "skipped", "note": f"{stage.module_file.relative_to(REPO)} "
                "does not exist yet"}
    if not inp.is_dir():
        return {**row, "status": "skipped", "note": f"no input {inp.relative_to(REPO)}"}
    is_seeds = inp == seeds
    row["input_bytes"] = seed_bytes(inp) if is_seeds else text_bytes(inp)
    row["input_measure"] = "raw seed bytes" if is_seeds else "text column bytes"
    log = out / "logs" / f"{stage.name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", f"pipeline.{stage.name}", *stage.argv(seeds, out)]
    wall, code, usage = spawn(argv, log)
    row.update(
        command=" ".join(["python", *argv[1:]]),
        wall_s=round(wall, 3),
        cpu_s=round(usage.ru_utime + usage.ru_stime, 3),
        peak_rss_mib=round(usage.ru_maxrss / 1024, 1),  # Linux: ru_maxrss is in KiB
        mb_per_s=round(row["input_bytes"] / MB / wall, 3),
    )
    if code != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] or [""]
        return {**row, "status": "failed", "note": f"exit {code}: {tail[0][:200]} (see {log})"}
    metrics = out / stage.metrics if stage.metrics else None
    if metrics and metrics.is_file():
        row["docs"] = json.loads(metrics.read_text())["records_in"]
    else:  # no metrics.json: count the rows it read
        row["docs"] = input_rows(inp)
        row["note"] = "docs = input rows (no metrics.json)"
    row["docs_per_s"] = round(row["docs"] / wall, 1)
    return row


def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next((ln.split(":", 1)[1].strip() for ln in cpuinfo.splitlines()
                  if ln.startswith("model name")), platform.processor())
    mem = Path("/proc/meminfo").read_text().split()[1] if Path("/proc/meminfo").exists() else "0"
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "mem_gib": round(int(mem) / 2**20, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def git_state() -> str | None:
    try:
        run = lambda *a: subprocess.run(  # noqa: E731
            ["git", *a], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        return run("rev-parse", "--short", "HEAD") + (" (dirty)" if run("status", "--porcelain") else "")
    except (OSError, subprocess.CalledProcessError):
        return None


def totals(rows: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """One summary row per engine over the stages it ran."""
    out = []
    for engine in dict.fromkeys(r["engine"] for r in rows):
        ran = [r for r in rows if r["engine"] == engine and "wall_s" in r]
        if ran:
            wall = sum(r["wall_s"] for r in ran)
            out.append({
                "engine": engine, "stage": "total", "docs": n, "wall_s": round(wall, 3),
                "docs_per_s": round(n / wall, 1), "cpu_s": round(sum(r["cpu_s"] for r in ran), 3),
                "peak_rss_mib": max(r["peak_rss_mib"] for r in ran),
                "note": f"{len(ran)} stages; docs = corpus size",
            })  # fmt: skip
    return out


def table(result: dict[str, Any]) -> Table:
    m = result["machine"]
    t = Table(
        title=f"N={result['n']:,} articles, {m['cpus']} CPUs ({m['cpu_model']})",
        caption=CAPTION,
        caption_justify="left",
    )
    for name in ("Engine", "Stage", "Docs", "Wall s", "Docs/s", "Input MB", "MB/s", "CPU s",
                 "Peak RSS MiB", "Status"):
        t.add_column(name, justify="left" if name in ("Engine", "Stage", "Status") else "right")

    def cell(row: dict[str, Any], key: str, fmt: str, scale: float = 1) -> str:
        return format(row[key] / scale, fmt) if row.get(key) is not None else "-"

    for row in result["rows"] + result["totals"]:
        t.add_row(
            row["engine"], row["stage"], cell(row, "docs", ","), cell(row, "wall_s", ".2f"),
            cell(row, "docs_per_s", ",.0f"), cell(row, "input_bytes", ".1f", MB),
            cell(row, "mb_per_s", ".2f"), cell(row, "cpu_s", ".2f"),
            cell(row, "peak_rss_mib", ",.0f"), row.get("status", ""),
            end_section=row is result["rows"][-1],
        )  # fmt: skip
    return t


CAPTION = """\
Docs: records_in of the stage's metrics.json. Input MB, MB/s (MB = 10^6 bytes): raw seed
file bytes for ingest; UTF-8 bytes of the text column read for later stages (not the
on-disk Parquet size). Wall, CPU (user+sys), peak RSS: the stage process alone (os.wait4),
interpreter start-up and imports included. Total: Docs/s = N / summed wall time."""


def main(argv: list[str] | None = None) -> int:
    names = [s.name for s in STAGES]
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=DEFAULT_N, help="articles in the corpus")
    parser.add_argument("--keep", action="store_true", help=f"keep {OUT}/run-N/ afterwards")
    parser.add_argument("--stages", nargs="+", choices=names, default=names, metavar="STAGE",
                        help=f"stages to run, in pipeline order (default: {' '.join(names)})")
    args = parser.parse_args(argv)
    console = Console(width=max(Console().width, 100))

    try:
        seeds = build(args.n)
    except CorpusMissing as exc:
        console.print(f"skipped: {exc}")
        return 0
    out = OUT / f"run-{args.n}"
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    for stage in (s for s in STAGES if s.name in args.stages):
        blocked = next((r["stage"] for r in rows if r["status"] != "ok"), None)
        if blocked:
            row = {"engine": ENGINE, "stage": stage.name, "status": "skipped",
                   "note": f"{blocked} did not run"}
        else:
            console.print(f"[bold]{stage.name}[/] ...", end=" ")
            row = measure(stage, seeds, out)
            console.print(row["status"], f"{row['wall_s']:.1f} s" if "wall_s" in row else "")
        rows.append(row)

    result = {
        "benchmark": "pipeline stages as subprocesses (bench/run.py)",
        "n": args.n,
        "corpus": str(seeds),
        "git": git_state(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "rows": rows,
        "totals": totals(rows, args.n),
    }
    results = OUT / f"results-{args.n}.json"
    results.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    console.print(table(result))
    for row in result["rows"] + result["totals"]:
        if row["note"]:
            console.print(f"{row['engine']} {row['stage']}: {row['note']}", soft_wrap=True)
    console.print(f"written: {results}")
    failed = any(r["status"] == "failed" for r in rows)
    if args.keep or failed:
        console.print(f"stage outputs and logs kept in {out}")
    else:
        shutil.rmtree(out)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
