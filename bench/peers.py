"""The peers `bench.compare` measures beside the pipeline: datatrove and spaCy alone.

- `texts_jsonl`: the bench corpus's seed files as JSONL (`id`, `text`), the input both peers
  read, written once per corpus, untimed.
- `datatrove_env`: a venv of its own under `bench/out/peers/datatrove/`, made with the
  project's uv (`uv venv`, `uv pip install datatrove==0.10.1 ...`) from the package registry and
  reused while its requirements are unchanged. datatrove never enters the project's lock file.
- `run_datatrove`, `run_spacy`: each peer as its own process (`bench.run.spawn`: wall time, and
  CPU time and peak RSS of that process from `os.wait4`), one result row each.
"""

from __future__ import annotations

import json
import shutil
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench.run import MB, OUT, REPO, spawn
from pipeline.encoding import decode
from pipeline.params import load

DATATROVE = "datatrove 0.10.1"
# py3langid and spaCy (datatrove's English word tokenizer is spacy.blank("en")) at the
# project's versions, so the peer runs the same language model and tokenizer code.
REQUIREMENTS = (
    "datatrove[io,processing]==0.10.1",
    f"py3langid=={version('py3langid')}",
    f"spacy=={version('spacy')}",
)
# What one core means for every process of the comparison: no library starts threads of its own.
ONE_CORE = {
    "CORPUS_WORKERS": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "RAYON_NUM_THREADS": "1",
    "HF_HUB_OFFLINE": "1",  # datatrove imports huggingface_hub: nothing may be fetched at run time
}


def texts_jsonl(seeds: Path, params: Path = REPO / "params.yaml") -> Path:
    """`<corpus>/texts.jsonl`: one line per seed file (path order), `id` = its relative path,
    the text decoded as ingest decodes it (`pipeline.encoding.decode`, `params`'s
    `ingest.preferred_encodings`: the corpus's one Latin-1 byte, in sport/199.txt, as cp1252).
    A file ingest could not decode is left out, as ingest would quarantine it. `bench.scale`
    passes its snapshot's params.yaml: the repository's may change while it runs."""
    path = seeds.parent / "texts.jsonl"
    if path.is_file() and path.stat().st_mtime >= seeds.stat().st_mtime:
        return path
    preferred = load(params).ingest.preferred_encodings
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for file in sorted(p for p in seeds.rglob("*") if p.is_file()):
            decoded = decode(file.read_bytes(), preferred)
            if isinstance(decoded, tuple):
                record = {"id": str(file.relative_to(seeds)), "text": decoded[0]}
                f.write(json.dumps(record) + "\n")
    tmp.replace(path)
    return path


def text_stats(jsonl: Path) -> tuple[int, int]:
    """(documents, UTF-8 bytes of their texts)."""
    docs = size = 0
    with jsonl.open(encoding="utf-8") as f:
        for line in f:
            docs += 1
            size += len(json.loads(line)["text"].encode("utf-8"))
    return docs, size


def datatrove_env(log: Path) -> Path:
    """The peer venv's python, built first if missing or made for other requirements."""
    root = OUT / "peers" / "datatrove"
    python, stamp = root / "bin" / "python", root / "requirements.txt"
    wanted = "\n".join(REQUIREMENTS) + "\n"
    if python.is_file() and stamp.is_file() and stamp.read_text() == wanted:
        return python
    shutil.rmtree(root, ignore_errors=True)
    uv = str(Path(sys.executable).parent / "uv")
    steps = [
        [uv, "venv", "--quiet", "--python", sys.executable, str(root)],
        [uv, "pip", "install", "--quiet", "--python", str(python), *REQUIREMENTS],
    ]
    for argv in steps:
        _, code, _ = spawn(argv, log)
        if code != 0:
            raise RuntimeError(f"building {root.relative_to(REPO)} failed: see {log}")
    stamp.write_text(wanted)
    return python


def process_row(
    engine: str, stage: str, argv: list[str], log: Path, docs: int, size: int
) -> dict[str, Any]:
    """Run one peer process with one core; its result row (the `bench.run` fields)."""
    wall, code, usage = spawn(argv, log, ONE_CORE)
    row = {
        "engine": engine,
        "stage": stage,
        "status": "ok" if code == 0 else "failed",
        "note": "" if code == 0 else f"exit {code} (log: {log.relative_to(REPO)})",
        "command": " ".join(argv),
        "docs": docs,
        "input_bytes": size,
        "wall_s": round(wall, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "docs_per_s": round(docs / wall, 1),
        "mb_per_s": round(size / MB / wall, 3),
    }
    return row


def run_datatrove(jsonl: Path, work: Path, docs: int, size: int) -> dict[str, Any]:
    """datatrove's pipeline (`bench/peer_datatrove.py`) over the texts, cold, one core."""
    shutil.rmtree(work, ignore_errors=True)
    (work / "logs").mkdir(parents=True)
    python = datatrove_env(work / "logs" / "env.log")
    summary = work / "summary.json"
    argv = [str(python), str(REPO / "bench" / "peer_datatrove.py"), "--input", str(jsonl.parent),
            "--glob", jsonl.name, "--out", str(work), "--summary", str(summary)]  # fmt: skip
    stage = "ftfy, py3langid, Gopher rep.+quality, Parquet zstd"
    row = process_row(DATATROVE, stage, argv, work / "logs" / "datatrove.log", docs, size)
    if row["status"] == "ok":
        kept = json.loads(summary.read_text())["docs_out"]
        row["note"] = f"{kept:,} of {docs:,} documents kept"
    return row


def run_spacy(
    jsonl: Path, work: Path, model: str, batch_size: int, components: list[str], docs: int,
    size: int,
) -> dict[str, Any]:  # fmt: skip
    """spaCy alone (`bench.spacy_alone`) with `components` of `model`, one core."""
    work.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "bench.spacy_alone", "--input", str(jsonl), "--model", model,
            "--components", *components, "--batch-size", str(batch_size)]  # fmt: skip
    log = work / f"spacy-{'-'.join(components)}.log"
    row = process_row(f"spaCy {model}", " + ".join(components), argv, log, docs, size)
    if row["status"] == "ok":
        parsed = json.loads(log.read_text().strip().splitlines()[-1])["docs"]
        row["note"] = f"nlp.pipe, batch size {batch_size}: {parsed:,} documents parsed"
    return row
