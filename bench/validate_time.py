"""The validate stage before and after issue 9, on the same N annotated BBC articles.

    python -m bench.validate_time [--n 20000] [--base 500] [--old-rev bffcb14]

Annotating 20,000 articles takes about half an hour (the spaCy parse), and what validate costs
does not depend on what the articles say. So `--base` articles of `bench.make_corpus` go through
ingest, clean and annotate once (kept in `bench/out/validate-time/base-<base>/`), and copy k of
each annotated record gets the last paragraph make_corpus gives copy k, with its counts, hash and
id recomputed, up to N records. Then each validate runs as its own process on them, timed like
`bench.run` (wall, CPU, peak RSS): the old one is `pipeline/`, `schemas/` and `params.yaml` of
git revision `--old-rev`, extracted with `git archive`; the new one is this checkout's.
Results: printed, and `bench/out/validate-time/results-<N>.json`.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

from bench.make_corpus import REPO, CorpusMissing, build
from bench.run import OUT, child_env
from pipeline.ids import sha256_hex
from pipeline.schema import record_schema
from pipeline.shards import ShardWriter, read_batches
from pipeline.words import paragraph_count, word_count
from tests.defaults import PARAMS

WORK = OUT / "validate-time"
OLD_REV = "bffcb14"  # the last commit before issue 9: jsonschema + GX per chunk of 5,000


def annotate_base(base: int) -> Path:
    """The first `base` corpus articles through ingest, clean and annotate (reused if there)."""
    folder = WORK / f"base-{base}"
    records = folder / "annotate"
    if records.is_dir():
        return records
    seeds = build(base)
    previous = None
    for stage in ("ingest", "clean", "annotate"):
        source = ["--seeds", str(seeds)] if previous is None else ["--input", str(previous)]
        argv = [sys.executable, "-m", f"pipeline.{stage}", *source, "--out", str(folder / stage)]
        argv += [
            "--quarantine",
            str(folder / "q" / stage),
            "--metrics",
            str(folder / f"{stage}.json"),
        ]
        subprocess.run(argv, cwd=REPO, check=True)
        previous = folder / stage
    return records


def replicate(base: Path, n: int, out: Path) -> Path:
    """N annotated records: the base records, then copies with make_corpus's copy paragraph."""
    records = [r for batch in read_batches(base, 1000) for r in batch.to_pylist()]
    with ShardWriter(out, record_schema().arrow("annotate"), PARAMS.engine) as writer:
        for start in range(0, n, 1000):
            rows = []
            for i in range(start, min(n, start + 1000)):
                record, k = dict(records[i % len(records)]), i // len(records)
                if k:
                    text = record["text"] + (
                        f"\n\nThis is copy {k} of {record['source']}, made for the "
                        "corpus-pipeline benchmark."
                    )
                    record.update(
                        id=sha256_hex(f"{record['id']}-{k}")[:32],
                        source=f"{record['source'].removesuffix('.txt')}-{k}.txt",
                        text=text,
                        content_sha256=sha256_hex(text),
                        char_count=len(text),
                        word_count=word_count(text),
                        paragraph_count=paragraph_count(text),
                    )
                rows.append(record)
            writer.write_rows(rows)
    return out


def old_tree(rev: str) -> Path:
    folder = WORK / f"old-{rev}"
    if not folder.is_dir():
        tar = subprocess.run(
            ["git", "archive", rev, "pipeline", "schemas", "params.yaml"],
            cwd=REPO,
            capture_output=True,
            check=True,
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
            archive.extractall(folder, filter="data")
    return folder


def spawn(argv: list[str], log: Path, cwd: Path) -> tuple[float, int, os.struct_rusage]:
    """bench.run's spawn, from `cwd`: (wall seconds, exit code, rusage of that process)."""
    with log.open("wb") as f:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=child_env(), stdout=f, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, proc.returncode, usage


def measure(name: str, root: Path, records: Path, out: Path) -> dict:
    """One validate process, run from `root` (its `pipeline` package and params.yaml)."""
    argv = [sys.executable, "-m", "pipeline.validate", "--input", str(records)]
    argv += ["--out", str(out / "records"), "--quarantine", str(out / "quarantine")]
    argv += ["--metrics", str(out / "metrics.json"), "--data-docs", str(out / "docs")]
    argv += ["--params", str(root / "params.yaml")]
    spawn([sys.executable, "-c", "import pipeline.validate"], out / "warm.log", root)  # bytecode
    wall, code, usage = spawn(argv, out / "validate.log", cwd=root)
    metrics = json.loads((out / "metrics.json").read_text()) if code == 0 else {}
    return {
        "validate": name,
        "exit": code,
        "records_in": metrics.get("records_in"),
        "records_out": metrics.get("records_out"),
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.validate_time", description=__doc__)
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--base", type=int, default=500)
    parser.add_argument("--old-rev", default=OLD_REV)
    args = parser.parse_args(argv)
    try:
        base = annotate_base(args.base)
    except CorpusMissing as e:
        print(f"skipped: {e}")
        return 0
    records = WORK / f"annotated-{args.n}"
    if not records.is_dir():
        replicate(base, args.n, records)
    rows = []
    for name, root in ((f"old ({args.old_rev})", old_tree(args.old_rev)), ("new", REPO)):
        out = WORK / f"run-{args.n}-{'old' if root != REPO else 'new'}"
        out.mkdir(parents=True, exist_ok=True)
        rows.append(measure(name, root, records, out))
    for row in rows:
        print(json.dumps(row))
    (WORK / f"results-{args.n}.json").write_text(json.dumps(rows, indent=2) + "\n")
    return 0 if all(r["exit"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
