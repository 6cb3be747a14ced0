"""What this machine gives independent processes at once: the ceiling under a workers' speed-up.

    python -m bench.ceiling [--n 400] [--workers 2] [--rounds 3]

The spaCy work annotate does (`annotate.spacy_model` with the components annotate keeps,
`nlp.pipe` at `annotate.spacy_batch_size`; `bench.spacy_alone`) on the first `--n` texts of the
bench corpus, cut into `--workers` parts of equal size. Each part is its own process. They run
one after the other, then all at once (the order alternates between rounds, so a machine that
speeds up or slows down during the run does not favour either). The ceiling is

    (sum of the parts' wall times one after the other) / (wall time of them all at once)

No engine, no pipe, nothing shared between the processes but the machine: what falls short of
`--workers` is the machine's (cores sharing caches, memory bandwidth, a host's other tenants),
and no engine's workers can beat it on the same work. `bench.scale` measures it in each round of
part 3, between the runs it compares, and prints it beside their speed-ups.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.make_corpus import REPO, build_or_skip
from bench.peers import ONE_CORE, texts_jsonl
from bench.run import OUT, child_env
from pipeline.annotators.nlp import EXCLUDE
from pipeline.params import load

DEFAULT_N = 400
Say = Callable[[str], None]


def components(model: str) -> list[str]:
    """The components of `model` that annotate runs: its enabled pipeline minus EXCLUDE."""
    import spacy

    meta = spacy.util.get_model_meta(spacy.util.get_package_path(model))
    disabled = set(meta.get("disabled", []))
    return [c for c in meta["pipeline"] if c not in disabled and c not in EXCLUDE]


def write_parts(texts: Path, n: int, parts: int, folder: Path) -> list[Path]:
    """The first `n` lines of `texts`, dealt into `parts` files of consecutive lines."""
    with texts.open(encoding="utf-8") as f:
        lines = [line for line, _ in zip(f, range(n), strict=False)]
    if len(lines) < n:
        raise ValueError(f"{texts} has {len(lines)} texts, fewer than {n}")
    folder.mkdir(parents=True, exist_ok=True)
    size = -(-n // parts)
    paths = []
    for k in range(parts):
        path = folder / f"part-{k}.jsonl"
        path.write_text("".join(lines[k * size : (k + 1) * size]), encoding="utf-8")
        paths.append(path)
    return paths


def commands(parts: list[Path]) -> list[list[str]]:
    """One `bench.spacy_alone` command per part, built before any timing starts."""
    annotate = load().annotate
    model = annotate.spacy_model
    common = ["--model", model, "--components", *components(model),
              "--batch-size", str(annotate.spacy_batch_size)]  # fmt: skip
    return [[sys.executable, "-m", "bench.spacy_alone", "--input", str(p), *common] for p in parts]


def _start(argv: list[str]) -> subprocess.Popen:
    return subprocess.Popen(argv, cwd=REPO, env=child_env(ONE_CORE), stdout=subprocess.DEVNULL)


def _wait(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.wait() != 0:
            raise RuntimeError(f"{' '.join(map(str, proc.args))} exited {proc.returncode}")


def one_after_another(argvs: list[list[str]]) -> float:
    started = time.perf_counter()
    for argv in argvs:
        _wait([_start(argv)])
    return time.perf_counter() - started


def all_at_once(argvs: list[list[str]]) -> float:
    started = time.perf_counter()
    _wait([_start(argv) for argv in argvs])
    return time.perf_counter() - started


def measure_round(argvs: list[list[str]], first: str, say: Say) -> dict[str, Any]:
    """One round: the parts' commands (`commands`) one after the other and all at once, `first`
    ("serial" or "parallel") first; the ceiling is the serial wall over the parallel wall."""
    runs = {"serial": one_after_another, "parallel": all_at_once}
    order = [first, *(k for k in runs if k != first)]
    walls = {kind: round(runs[kind](argvs), 3) for kind in order}
    ceiling = walls["serial"] / walls["parallel"]
    say(f"  ceiling: {walls['serial']:.1f} s one after the other, {walls['parallel']:.1f} s "
        f"at once: {ceiling:.2f}x")  # fmt: skip
    return {"first": first, "serial_s": walls["serial"], "parallel_s": walls["parallel"],
            "ceiling": round(ceiling, 3)}  # fmt: skip


def first_of_round(r: int) -> str:
    """Rounds alternate which comes first (round 1: serial)."""
    return "serial" if r % 2 else "parallel"


def summary(rounds: list[dict[str, Any]]) -> str:
    values = ", ".join(f"{r['ceiling']:.2f}" for r in rounds)
    return f"median {statistics.median(r['ceiling'] for r in rounds):.2f}x (rounds: {values})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ceiling",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--n", type=int, default=DEFAULT_N, help="texts, cut into --workers parts")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--corpus", type=int, default=2000, help="the bench corpus to read")
    args = parser.parse_args(argv)
    seeds = build_or_skip(args.corpus, print)
    if seeds is None:
        return 0
    folder = OUT / f"ceiling-{args.n}-{args.workers}"
    argvs = commands(write_parts(texts_jsonl(seeds), args.n, args.workers, folder))
    rounds = [measure_round(argvs, first_of_round(r), print) for r in range(1, args.rounds + 1)]
    print(json.dumps({"rounds": rounds}))
    print(f"ceiling, {args.workers} processes: {summary(rounds)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
