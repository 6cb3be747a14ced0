"""Downstream use of a pinned release: a topic classifier on its articles.

Pulls one version of the corpus (`corpus pull VERSION --to DIR`: run it in the environment of
corpus-pipeline; `--repo` a checkout, default `.`, or its git URL) or takes a folder already
pulled (`--release DIR`), checks every file against the release's `manifest.json`, and trains
a TF-IDF + logistic regression classifier (scikit-learn) on the topic of each article: the first
folder of its `source` path (BBC-style `business/001.txt` -> `business`). It trains on the
`train` split and scores on `validation` + `test`; when those hold fewer than `--min-eval`
articles it holds out the articles whose sha256(id) falls in the last fifth instead, and says so.

Nothing here is random or depends on the order of files: rows are sorted by id, and the solver
is deterministic, so the same version gives the same score on every run.

    python examples/train_topics.py --version 1.0.0 --to releases/1.0.0 [--repo GIT_URL]
    python examples/train_topics.py --release data/release
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import make_pipeline

COLUMNS = ["id", "title", "text", "source", "split"]


def pull(version: str, to: Path, repo: str) -> Path:
    """`corpus pull VERSION --to DIR --repo REPO`: `dvc get` of the version's git tag from the
    project's DVC remote, every file checked against the release's manifest."""
    command = [sys.executable, "-m", "pipeline.cli", "pull", version, "--to", str(to)]
    subprocess.run([*command, "--repo", repo], check=True)
    return to


def verify(release: Path) -> str:
    """The release's version, after checking every file against its manifest's sha256."""
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        digest = hashlib.sha256((release / entry["path"]).read_bytes()).hexdigest()
        if digest != entry["sha256"]:
            sys.exit(f"{entry['path']} differs from manifest.json: not {manifest['version']}")
    return manifest["version"]


def topic(source: str) -> str | None:
    folder, _, rest = source.partition("/")
    return folder if rest else None


def load(release: Path) -> list[dict]:
    """Articles with a topic, sorted by id (independent of how the release is sharded)."""
    rows = []
    for path in sorted((release / "data").glob("*.parquet")):
        rows += pq.read_table(path, columns=COLUMNS).to_pylist()
    rows = [{**r, "topic": topic(r["source"])} for r in rows]
    return sorted((r for r in rows if r["topic"]), key=lambda r: r["id"])


def held_out(id_: str) -> bool:
    return int(hashlib.sha256(id_.encode()).hexdigest()[:8], 16) % 5 == 4


def split(rows: list[dict], min_eval: int) -> tuple[list[dict], list[dict], str]:
    train = [r for r in rows if r["split"] == "train"]
    evaluate = [r for r in rows if r["split"] in ("validation", "test")]
    if len(evaluate) >= min_eval:
        return train, evaluate, "validation+test"
    return (
        [r for r in rows if not held_out(r["id"])],
        [r for r in rows if held_out(r["id"])],
        "hold-out (sha256 of id, 1 in 5)",
    )


def document(row: dict) -> str:
    return f"{row['title'] or ''}\n\n{row['text']}"


def train_and_score(rows: list[dict], min_eval: int) -> dict:
    train, evaluate, kind = split(rows, min_eval)
    model = make_pipeline(
        TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=1),
        LogisticRegression(max_iter=1000, random_state=0),
    )
    model.fit([document(r) for r in train], [r["topic"] for r in train])
    predicted = model.predict([document(r) for r in evaluate])
    truth = [r["topic"] for r in evaluate]
    return {
        "topics": sorted({r["topic"] for r in rows}),
        "train": len(train),
        "evaluated_on": kind,
        "eval": len(evaluate),
        "accuracy": round(float(accuracy_score(truth, predicted)), 4),
        "macro_f1": round(float(f1_score(truth, predicted, average="macro")), 4),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--version", help="the release to pull, e.g. 1.0.0 (needs --to)")
    source.add_argument("--release", type=Path, help="a release folder already pulled")
    parser.add_argument("--to", type=Path, help="where to pull --version (a new folder)")
    parser.add_argument(
        "--repo", default=".", help="corpus-pipeline checkout or git URL to pull from"
    )
    parser.add_argument(
        "--min-eval", type=int, default=20, help="fewer validation+test articles: hold out"
    )
    args = parser.parse_args(argv)
    if args.version and not args.to:
        parser.error("--version needs --to DIR")
    release = pull(args.version, args.to, args.repo) if args.version else args.release
    version = verify(release)
    rows = load(release)
    if len({r["topic"] for r in rows}) < 2:
        sys.exit("fewer than two topics (first folder of `source`) in this release")
    result = {"version": version, **train_and_score(rows, args.min_eval)}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
