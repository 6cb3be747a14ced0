"""Scale measurements of issue 10 (acceptance 3 to 6): workers, reruns, a killed run, memory.

    python -m bench.scale [--n 1000] [--workers 2] [--rounds 1] [--rss-factor 4] [--parts 3 4 5 6]

Every run is the five stages as DVC runs them, one process each (`bench/scale_runs.py`), on the
corpus of `bench.make_corpus`, with params.yaml as it is (cache on, in the run's own folder):

3. Cold-cache full runs with 1 and `--workers` workers, on the local engine and on Ray:
   annotate's and the whole pipeline's speed-up (target >= 1.8), and every output file of each
   run byte-identical to the local run with `--workers` (the reference run). `--rounds` R
   makes every run R times, odd rounds in one order and even rounds in the reverse; a speed-up
   is the median of its rounds' (each pairs the runs of one round). Each round also measures
   the machine's own ceiling (`bench.ceiling`: the same spaCy work as independent processes, at
   once vs one after the other), printed beside the speed-ups with no target.
4. Reruns after the reference run, from a copy of its outputs and warm cache: N/100 new
   articles (the first N + N/100 of make_corpus's scheme, so the N are the same files), all five
   stages rerun as DVC would (its `seeds` dependency changed); then one annotate param changed
   (annotate, validate and publish rerun, as DVC would). Rerun wall time / reference run wall
   time (targets <= 5% and <= 10%), and the stage that takes most of the rerun.
5. A cold run whose annotate is SIGKILLed (with its workers) once it has used 90% of the CPU
   time the reference run's annotate used (the cache's fill then is reported); then annotate,
   validate and publish again, as DVC would: their time / the reference run's (target <=
   20%), and the outputs byte-identical to the reference run's.
6. Peak RSS of each stage at N (the reference run) and at `--rss-factor` x N, same workers:
   the larger / the smaller - 1 (target <= 10%). It is the largest single process of the stage
   (the stage or one of its forked workers: ru_maxrss of wait4), not their sum.

Prints the runs and the acceptance table (met / not met); writes `bench/out/scale-<N>.json`
after each part. `--reuse` keeps that file's runs (and the code snapshot they ran) and redoes
only `--parts`; `--show` prints it.
Wall times include interpreter start and imports, as a DVC run pays them.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import itertools
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from bench import ceiling
from bench import scale_runs as sr
from bench.make_corpus import REPO, CorpusMissing, build
from bench.peers import texts_jsonl
from bench.run import OUT, git_state, machine
from bench.scale_tables import equal_row, median_row, ratio_row, show, wall
from pipeline.engines.ray_data import SAME_ENV

SPEEDUP_MIN = 1.8
ADD_MAX, PARAM_MAX, RESTART_MAX, RSS_MAX = 0.05, 0.10, 0.20, 0.10
KILL_AT = 0.9
# One cheap annotator's param (MinHash: no spaCy), and the reading speed, which counts_v1 reads.
PARAM_CHANGES = {
    "near_duplicates.threshold": {"annotate.near_duplicates.threshold": 0.75},
    "words_per_minute": {"annotate.words_per_minute": 250},
}
AFTER_ANNOTATE = ["annotate", "validate", "publish"]  # what DVC reruns once clean is done
PARTS = ("3", "4", "5", "6")


def run_name(engine: str, workers: int, r: int) -> str:
    """Round 1's runs keep their plain names (the reference run, parts 4-6's base)."""
    return f"{engine}-{workers}" + (f".r{r}" if r > 1 else "")


class Bench:
    """The runs of one measurement session, each made at most once, in `bench/out/scale-<N>/`."""

    def __init__(self, n: int, workers: int, console: Console, reuse: dict | None = None):
        self.n, self.workers, self.console = n, workers, console
        self.base = OUT / f"scale-{n}"
        self.seeds = build(n)
        # Reused runs must meet new ones on the same code: the snapshot they ran is kept.
        self.src = self.base / "src" if reuse else sr.snapshot(self.base)
        # The commit the snapshot was taken at (the working tree moves on during a long run).
        stamp = self.src / "GIT"
        if not reuse:
            stamp.write_text(git_state() or "", encoding="utf-8")
        self.git = stamp.read_text(encoding="utf-8") if stamp.is_file() else None
        self.runs: dict[str, list[dict[str, Any]]] = dict(reuse["runs"]) if reuse else {}
        self.notes: list[str] = list(reuse["notes"]) if reuse else []
        self.ceilings: list[dict[str, Any]] = list(reuse.get("ceiling", [])) if reuse else []
        self.ceiling_n = min(n, ceiling.DEFAULT_N)
        self.ref = f"local-{workers}"
        # Ray runs join one cluster started for them (`ray_cluster`), as stages on a cluster do.
        self.ray_address = ""
        self.warm_up()

    def say(self, text: str) -> None:
        self.console.print(text, highlight=False)

    def env(self, engine: str = "local", workers: int | None = None) -> dict[str, str]:
        env = sr.stage_env(self.src, engine, workers or self.workers)
        if engine == "ray" and self.ray_address:
            # The cluster runs from the stages' environment (`ray_cluster`): nothing to ship.
            env.update({"RAY_ADDRESS": self.ray_address, SAME_ENV: "1"})
        return env

    def warm_up(self) -> None:
        """Import every stage once, untimed: fills the bytecode cache (see bench/README.md)."""
        imports = ", ".join(f"pipeline.{s}" for s in sr.STAGE_NAMES)
        subprocess.run([sys.executable, "-c", f"import {imports}"], env=self.env(), check=True)

    def full(self, engine: str, workers: int, seeds: Path | None = None, name: str = "") -> list:
        """A cold-cache run of every stage (made once per name)."""
        name = name or f"{engine}-{workers}"
        if name not in self.runs:
            root = sr.prepare(self.base / name, self.src)
            env = self.env(engine, workers)
            self.runs[name] = sr.run_stages(
                sr.STAGE_NAMES, seeds or self.seeds, root, env, self.say
            )
        return self.runs[name]

    def reference(self) -> tuple[list, Path]:
        return self.full("local", self.workers), self.base / self.ref

    def part3(self, rounds: int) -> list[dict]:
        """Cold runs with 1 and `workers` workers on each engine, and the machine's ceiling
        (`bench.ceiling`), `rounds` times. Each speed-up pairs the runs of one round; the median
        over the rounds is the figure. This machine's speed drifts by a quarter within minutes
        (bench/README.md), so rounds reverse the order of their runs: a drift favours neither side.
        """
        for r in range(1, rounds + 1):
            self.say(f"  round {r} of {rounds}")
            self.run_round(r)
        out: list[dict] = []
        for engine in ("local", "ray"):
            for stage, label in (("annotate", "annotate"), (None, "whole pipeline")):
                what = f"{engine}: {label}, {self.workers} workers vs 1 (speed-up)"
                ratios = [wall(self.runs[run_name(engine, 1, r)], stage)
                          / wall(self.runs[run_name(engine, self.workers, r)], stage)
                          for r in range(1, rounds + 1)]  # fmt: skip
                out.append(median_row(what, ratios, SPEEDUP_MIN))
        what = (f"machine ceiling: {self.workers} spaCy processes at once vs one after the other "
                f"(bench.ceiling, {self.ceiling_n} texts, no engine)")  # fmt: skip
        out.append(median_row(what, [c["ceiling"] for c in self.ceilings], None))
        reference = sr.digests(self.base / self.ref)
        for name in [n for n in self.runs if part_of(n, self.workers) == "3" and n != self.ref]:
            diffs = sr.differences(reference, sr.digests(self.base / name))
            out.append(equal_row("3", f"{name} outputs vs {self.ref}", diffs))
        return out

    def run_round(self, r: int) -> None:
        """Round r's runs: local with `workers` (round 1's is the reference run), local with 1,
        Ray with 1 and `workers`, then the ceiling; even rounds in the reverse order."""
        steps = [("local", self.workers), ("local", 1), ("ray", 1), ("ray", self.workers)]
        steps.append(("ceiling", self.workers))
        if r % 2 == 0:
            steps.reverse()
        for engine, group in itertools.groupby(steps, key=lambda step: step[0]):
            if engine == "ceiling":
                first = ceiling.first_of_round(r)
                self.ceilings.append({"round": r, **ceiling.measure_round(
                    self.ceiling_commands, first, self.say)})  # fmt: skip
                continue
            cluster = sr.ray_cluster(self.workers, self.src, self.say) if engine == "ray" else None
            with cluster or contextlib.nullcontext("") as self.ray_address:
                for _, workers in group:
                    self.full(engine, workers, name=run_name(engine, workers, r))
            self.ray_address = ""

    @functools.cached_property
    def ceiling_commands(self) -> list[list[str]]:
        """The ceiling's parts, written once for every round, and their commands."""
        texts = texts_jsonl(self.seeds, self.src / "params.yaml")
        parts = ceiling.write_parts(texts, self.ceiling_n, self.workers, self.base / "ceiling")
        return ceiling.commands(parts)

    def part4(self) -> list[dict]:
        ref_rows, ref_root = self.reference()
        more = build(self.n + max(1, self.n // 100))
        root = sr.fork(ref_root, self.base / "add", self.src)
        self.runs["add"] = sr.run_stages(sr.STAGE_NAMES, more, root, self.env(), self.say)
        out = [self.rerun_row(f"+{max(1, self.n // 100)} articles: rerun / full run", "add",
                              ref_rows, ADD_MAX)]  # fmt: skip
        for label, changes in PARAM_CHANGES.items():
            name = f"param-{label}"
            root = sr.fork(ref_root, self.base / name, self.src, changes)
            self.runs[name] = sr.run_stages(AFTER_ANNOTATE, self.seeds, root, self.env(), self.say)
            what = f"{label} changed: rerun / full run"
            out.append(self.rerun_row(what, name, ref_rows, PARAM_MAX))
        return out

    def rerun_row(self, what: str, name: str, ref_rows: list, target: float) -> dict:
        rows = self.runs[name]
        top = max(rows, key=lambda r: r["wall_s"])
        share = top["wall_s"] / wall(rows)
        row = ratio_row("4" if name != "restart" else "5", what, wall(rows) / wall(ref_rows),
                        target, False)  # fmt: skip
        return {**row, "note": f"{top['stage']} takes {share:.0%} of the rerun"}

    def part5(self) -> list[dict]:
        ref_rows, ref_root = self.reference()
        root = sr.prepare(self.base / "kill", self.src)
        sr.run_stages(["ingest", "clean"], self.seeds, root, self.env(), self.say)
        ref_cpu = sum(r["cpu_s"] for r in ref_rows if r["stage"] == "annotate")
        killed = sr.kill_annotate_at(self.seeds, root, self.env(), KILL_AT * ref_cpu)
        self.runs["killed"] = [{"stage": "annotate", **killed}]
        share = killed["cache_rows_at_kill"] / sr.cache_rows(ref_root)
        state = "killed" if killed["killed"] else "NOT killed (it finished first)"
        self.say(f"  kill: annotate {state} after {killed['wall_s']:.1f} s, cache {share:.1%} full")
        self.notes.append(
            f"5: annotate {state} after {killed['wall_s']:.1f} s wall, {killed['cpu_s_at_kill']}"
            f" CPU s ({KILL_AT:.0%} of the reference annotate's {ref_cpu:.1f} CPU s); the cache "
            f"then held {share:.1%} of the reference run's results"
        )
        self.runs["restart"] = sr.run_stages(AFTER_ANNOTATE, self.seeds, root, self.env(), self.say)
        what = "killed at 90% of annotate: restart / full run"
        diffs = sr.differences(sr.digests(ref_root), sr.digests(root))
        return [
            self.restart_row(what, ref_rows, killed["killed"]),
            equal_row("5", f"restarted run outputs vs {self.ref}", diffs),
        ]

    def restart_row(self, what: str, ref_rows: list, killed: bool) -> dict:
        """Met only if the run was killed: a run that finished first proves nothing."""
        row = self.rerun_row(what, "restart", ref_rows, RESTART_MAX)
        return {**row, "met": row["met"] and killed, "killed": killed}

    def part6(self, factor: int) -> list[dict]:
        small = self.reference()[0]
        big_seeds = build(self.n * factor)
        big = self.full("local", self.workers, big_seeds, f"{self.ref}-{factor}n")
        out = []
        for a, b in zip(small, big, strict=True):
            what = f"{a['stage']}: peak RSS {a['peak_rss_mib']:.0f} -> {b['peak_rss_mib']:.0f} MiB"
            growth = b["peak_rss_mib"] / a["peak_rss_mib"] - 1
            out.append(ratio_row("6", f"{what} ({self.n:,} -> {self.n * factor:,})", growth,
                                 RSS_MAX, False))  # fmt: skip
        return out


def part_of(run: str, workers: int) -> str:
    """The part that makes a run (the reference run is part 3's)."""
    if run.startswith(("add", "param-")):
        return "4"
    if run in ("killed", "restart"):
        return "5"
    return "6" if run.endswith("n") and run.count("-") == 2 else "3"


def write(
    path: Path, args: argparse.Namespace, bench: Bench, accepted: list[dict], started: float
) -> None:
    result = {
        "benchmark": "scale (bench/scale.py): issue 10 acceptance 3-6",
        "n": args.n,
        "workers": args.workers,
        "rss_factor": args.rss_factor,
        "git": bench.git,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "seconds": round(time.perf_counter() - started, 1),
        "runs": bench.runs,
        "ceiling": bench.ceilings,
        "acceptance": accepted,
        "notes": bench.notes,
    }
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scale",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--n", type=int, default=1000, help="articles in the corpus")
    parser.add_argument("--workers", type=int, default=2, help="workers compared with 1")
    parser.add_argument("--rss-factor", type=int, default=4, help="part 6: N and this times N")
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument("--rounds", type=int, default=1, help="part 3: rounds of its runs")
    parser.add_argument("--show", action="store_true", help="print bench/out/scale-N.json only")
    parser.add_argument("--reuse", action="store_true", help="keep the runs in scale-N.json")
    args = parser.parse_args(argv)
    console = Console(width=max(Console().width, 140))
    path = OUT / f"scale-{args.n}.json"
    if args.show:
        shown = json.loads(path.read_text(encoding="utf-8"))
        show(console, shown["runs"], shown["acceptance"], shown["notes"])
        return 0
    started = time.perf_counter()
    reuse = json.loads(path.read_text(encoding="utf-8")) if args.reuse else None
    try:
        bench = Bench(args.n, args.workers, console, reuse)
    except CorpusMissing as exc:
        console.print(f"skipped: {exc}")
        return 0
    kept = [r for r in reuse["acceptance"] if r["item"] not in args.parts] if reuse else []
    for name in [n for n in bench.runs if part_of(n, args.workers) in args.parts]:
        del bench.runs[name]  # redone
    bench.notes = [n for n in bench.notes if n.split(":")[0] not in args.parts]
    if "3" in args.parts:
        bench.ceilings = []
    accepted: list[dict] = []
    try:
        for part in args.parts:
            console.print(f"[bold]part {part}[/]")
            accepted += (
                bench.part6(args.rss_factor) if part == "6"
                else bench.part3(args.rounds) if part == "3"
                else getattr(bench, f"part{part}")()
            )  # fmt: skip
            accepted = sorted(kept + accepted, key=lambda r: r["item"])  # stable: order kept
            kept = []
            write(path, args, bench, accepted, started)  # after each part: a long run keeps them
    except sr.StageError as exc:
        console.print(f"[red]failed: {exc}[/]")
        return 1
    show(console, bench.runs, accepted, bench.notes)
    console.print(f"written: {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
