"""Peak RSS of single stages, on the working tree's code, rerun on the kept outputs of scale runs.

    python -m bench.stage_rss --run scale-20000/local-2 --n 20000 \
        [--run scale-20000/local-2-4n --n 80000] [--stages ingest clean validate publish]

Each `--run` (a folder under bench/out/ kept by `bench.scale`, with `--n`, the size of the
corpus it ran on) is copied to `<run>-stage-rss/` (outputs, params; not the results cache: every
stage reruns cold, as in a full run), and each stage of `--stages` runs there again, alone, in
pipeline order, on the code of the working tree (a snapshot taken at the start). For each: wall
s, CPU s, the peak RSS of its largest process (ru_maxrss of wait4: the stage or one of its
forked workers), and whether it wrote the same bytes as the kept run. Each stage runs
`--repeat` times (default 3) and the run with the median peak is reported, with every run's.
With two runs, the growth of each stage's peak RSS from the smaller to the larger (part 6 of
issue 10: <= 10%).

Memory does not depend on what else the machine runs; times do: they are printed for the
record, not as a measurement.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench import scale_runs as sr
from bench.make_corpus import build
from bench.run import OUT, git_state

RSS_MAX = 0.10
# What each stage writes in a run folder (relative paths): compared with the kept run's.
WRITES = {
    "ingest": ("ingest", "quarantine/ingest", "metrics/ingest.json"),
    "clean": ("clean", "quarantine/clean", "metrics/clean.json"),
    "annotate": ("annotate", "quarantine/annotate", "metrics/annotate.json"),
    "validate": (
        "validate",
        "quarantine/validate",
        "metrics/validate.json",
        "metrics/validate_plots",
    ),
    "publish": ("release",),
}


def copy_run(kept: Path, src: Path) -> Path:
    """`kept`'s outputs in a fresh folder beside it, with the snapshot's params.yaml, no cache."""
    root = kept.with_name(kept.name + "-stage-rss")
    sr.prepare(root, src)
    for path in kept.iterdir():
        if path.name not in sr.NOT_OUTPUT:
            (shutil.copytree if path.is_dir() else shutil.copy2)(path, root / path.name)
    return root


def written(root: Path, stage: str) -> dict[str, str]:
    """sha256 of every file `stage` writes in a run folder."""
    prefixes = tuple(WRITES.get(stage, (stage,)))
    return {
        p: d
        for p, d in sr.digests(root).items()
        if any(p == w or p.startswith(w + "/") for w in prefixes)
    }


def measure(
    kept: Path, n: int, stages: list[str], src: Path, workers: int, repeat: int
) -> list[dict]:
    """Each stage run `repeat` times over the same inputs: the row of the run with the median
    peak RSS (the peak of one run moves by some 5% with the timing of the batches in flight:
    how many pieces wait in the writing process when it peaks), with every run's peak."""
    seeds = build(n)
    root = copy_run(kept, src)
    env = sr.stage_env(src, "local", workers)
    rows = []
    for stage in stages:
        runs = []
        for _ in range(repeat):
            # Cold every time, as in a full run: the run before left its results in the cache.
            shutil.rmtree(root / sr.CACHE_FILE.parent, ignore_errors=True)
            row = sr.run_stage(stage, seeds, root, env)
            diffs = sr.differences(written(kept, stage), written(root, stage))
            runs.append({**row, "run": kept.relative_to(OUT).as_posix(), "n": n, "differs": diffs})
        runs.sort(key=lambda r: r["peak_rss_mib"])
        median = runs[len(runs) // 2]
        differs = sorted({p for r in runs for p in r["differs"]})
        peaks = [r["peak_rss_mib"] for r in runs]
        rows.append({**median, "differs": differs, "peaks_mib": peaks})
    return rows


def show(console: Console, runs: list[list[dict]]) -> None:
    table = Table(title="Peak RSS of each stage, rerun alone (working tree's code)")
    columns = ("run", "stage", "wall s", "CPU s", "peak RSS MiB", "every run's", "same bytes")
    for name in columns:
        table.add_column(name, justify="left" if name in ("run", "stage") else "right")
    for rows in runs:
        for r in rows:
            same = "yes" if not r["differs"] else f"no ({len(r['differs'])} files)"
            peaks = " ".join(f"{p:.0f}" for p in r["peaks_mib"])
            table.add_row(f"{r['run']} ({r['n']:,})", r["stage"], f"{r['wall_s']:.1f}",
                          f"{r['cpu_s']:.1f}", f"{r['peak_rss_mib']:.0f}", peaks, same)  # fmt: skip
    console.print(table)
    if len(runs) == 2:
        growth = Table(title=f"Peak RSS growth, {runs[0][0]['n']:,} -> {runs[1][0]['n']:,}")
        for name in ("stage", "smaller", "larger", "growth", "target <= 10%"):
            growth.add_column(name, justify="left" if name == "stage" else "right")
        for a, b in zip(*runs, strict=True):
            g = b["peak_rss_mib"] / a["peak_rss_mib"] - 1
            growth.add_row(a["stage"], f"{a['peak_rss_mib']:.0f}", f"{b['peak_rss_mib']:.0f}",
                           f"{g:+.1%}", "met" if g <= RSS_MAX else "not met")  # fmt: skip
        console.print(growth)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.stage_rss",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--run", action="append", required=True, help="kept run, under bench/out")
    parser.add_argument("--n", action="append", type=int, required=True, help="its corpus size")
    parser.add_argument(
        "--stages",
        nargs="+",
        default=["ingest", "clean", "validate", "publish"],
        choices=sr.STAGE_NAMES,
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each stage; the median peak is reported"
    )
    args = parser.parse_args(argv)
    if len(args.run) != len(args.n):
        parser.error("one --n per --run")
    stages = [s for s in sr.STAGE_NAMES if s in args.stages]
    console = Console()
    src = sr.snapshot(OUT / "stage-rss")
    kept = zip(args.run, args.n, strict=True)
    runs = [measure(OUT / run, n, stages, src, args.workers, args.repeat) for run, n in kept]
    show(console, runs)
    out = OUT / "stage-rss.json"
    out.write_text(json.dumps({"git": git_state(), "runs": runs}, indent=2) + "\n")
    console.print(f"written: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
