"""examples/train_topics.py: on a pinned release it trains and scores, the same on every run."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.annotate_batch import annotate_records
from pipeline.clean import clean_record
from pipeline.ids import sha256_hex
from pipeline.ingest import parse_seed
from tests.defaults import PARAMS
from tests.test_card import build_release

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "examples" / "train_topics.py"
TOPICS = {
    "business": ["shares", "profits", "bank", "market", "investors", "sales", "economy"],
    "sport": ["match", "goal", "coach", "league", "striker", "season", "champions"],
    "tech": ["software", "broadband", "phones", "users", "computer", "internet", "chip"],
}
# Per topic: six train, one validation, one test article (set here, as annotate's hash would).
SPLITS = ["train"] * 6 + ["validation", "test"]


def topic_records() -> list[dict]:
    """BBC-style `topic/NNN.txt` articles, made by the real ingest, clean and annotate."""
    cleaned = []
    for topic, words in TOPICS.items():
        for i in range(len(SPLITS)):
            picked = [words[(i + k) % len(words)] for k in range(4)]
            text = (
                f"Report {i} on {topic}.\n\nThe {picked[0]} and the {picked[1]} were in the news "
                f"again this week, as {picked[2]} and {picked[3]} drew attention in London."
            )
            raw = text.encode()
            seed = {
                "source": f"{topic}/{i:03d}.txt",
                "source_sha256": sha256_hex(raw),
                "raw": raw,
                "sidecar": None,
            }
            (ingested,) = parse_seed(seed, PARAMS.ingest)
            cleaned.append(clean_record(ingested, PARAMS.clean))
    annotated = annotate_records(cleaned, PARAMS.annotate)
    return [{**r, "split": SPLITS[int(r["source"][-7:-4])]} for r in annotated]


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("release")
    build_release(folder, topic_records())
    return folder


def run_script(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_two_runs_on_the_same_release_give_the_same_score(release):
    first = run_script("--release", str(release))
    assert first == run_script("--release", str(release))
    result = json.loads(first)
    assert result["version"] == "1.0.0"  # build_release makes release 1.0.0
    assert result["topics"] == sorted(TOPICS)
    # 6 validation + test articles are fewer than --min-eval: a hold-out by hash of the id.
    assert result["evaluated_on"].startswith("hold-out")
    assert result["train"] + result["eval"] == 24 and result["eval"] > 0
    assert 0 <= result["accuracy"] <= 1


def load_example():
    spec = importlib.util.spec_from_file_location("train_topics", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_scores_on_validation_and_test_when_they_are_big_enough(release, capsys):
    result = load_example().main(["--release", str(release), "--min-eval", "6"])
    assert (result["evaluated_on"], result["train"], result["eval"]) == ("validation+test", 18, 6)
    assert json.loads(capsys.readouterr().out) == result


def test_a_release_that_does_not_match_its_manifest_is_refused(release, tmp_path):
    copy = Path(shutil.copytree(release, tmp_path / "copy"))
    shard = next((copy / "data").glob("train-*.parquet"))
    shard.write_bytes(shard.read_bytes()[:-1] + b"\0")
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--release", str(copy)], capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "differs from manifest.json" in result.stderr
