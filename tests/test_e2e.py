"""End to end: the real DVC pipeline in a copy of the project, loaded back with `datasets`.

One copy of the project serves the whole module (each `dvc repro` costs seconds); the tests run
in file order and each states what it adds to the copy.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import datasets
import pyarrow.parquet as pq
import pytest
import yaml

from pipeline.manifest import hf_features
from pipeline.schema import record_schema

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parent.parent
PROJECT_FILES = [
    "seeds",
    "pipeline",
    "schemas",
    "dvc.yaml",
    "params.yaml",
    ".dvc/config",
    ".dvcignore",
]
STAGES = ["ingest", "clean", "annotate", "validate", "publish"]


def dvc(project: Path, *args: str) -> str:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        [sys.executable, "-m", "dvc", *args], cwd=project, env=env, text=True, capture_output=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def corpus(project: Path, *args: str) -> subprocess.CompletedProcess:
    """The `corpus` command of the project copy (its own `pipeline` package)."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env["COLUMNS"] = "200"  # rich tables: no wrapped cells to match across lines
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        cwd=project,
        env=env,
        text=True,
        capture_output=True,
    )


def stages_run(output: str) -> list[str]:
    return [s for s in STAGES if f"Running stage '{s}'" in output]


def release_files(project: Path) -> dict[str, bytes]:
    release = project / "data" / "release"
    return {
        p.relative_to(release).as_posix(): p.read_bytes()
        for p in sorted(release.rglob("*"))
        if p.is_file()
    }


def manifest(project: Path) -> dict:
    return json.loads((project / "data" / "release" / "manifest.json").read_text())


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A fresh copy of the project (no data/, no DVC cache) with two bad seeds added."""
    dest = tmp_path_factory.mktemp("project")
    for name in PROJECT_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    (dest / "seeds" / "zz_empty.txt").write_bytes(b"")
    # Bytes no text encoding explains: NULs and C0 controls all over.
    (dest / "seeds" / "zz_binary.txt").write_bytes(bytes(range(32)) * 64)
    subprocess.run(["git", "init", "-q"], cwd=dest, check=True)
    return dest


@pytest.fixture(scope="module")
def first_run(project: Path) -> str:
    return dvc(project, "repro")


def test_every_stage_runs_and_release_loads_with_schema_features(project, first_run):
    assert stages_run(first_run) == STAGES
    ds = datasets.load_dataset(str(project / "data" / "release"))
    assert set(ds) <= {"train", "validation", "test"}
    rows = datasets.concatenate_datasets(list(ds.values()))
    assert rows.features == hf_features(record_schema())
    assert list(rows.features) == record_schema().names
    assert rows.num_rows == len(list((ROOT / "seeds").glob("*.txt")))
    assert all(row["text"] and row["language"] and row["split"] in ds for row in rows)


def test_bad_seeds_are_quarantined_and_counts_add_up(project, first_run):
    quarantined = pq.read_table(project / "data" / "quarantine" / "ingest").to_pylist()
    reasons = {row["source"]: row["reason"] for row in quarantined}
    assert reasons == {"zz_binary.txt": "undecodable", "zz_empty.txt": "empty_input"}
    annotated = manifest(project)["annotated_columns"]
    chosen = yaml.safe_load((project / "params.yaml").read_text())["annotate"]["annotators"]
    assert (annotated["quotes"], annotated["split"]) == (chosen["quotes"], chosen["split"])
    counts = manifest(project)["counts"]
    assert counts["articles"] == counts["published"] + counts["quarantined"]
    assert counts["files"] == len(list((project / "seeds").iterdir()))
    assert counts["quarantined_by_reason"] == {"empty_input": 1, "undecodable": 1}


def test_manifest_checksums_match_files(project, first_run):
    files = release_files(project)
    listed = manifest(project)["files"]
    assert sorted(f["path"] for f in listed) == sorted(set(files) - {"manifest.json"})
    for entry in listed:
        assert entry["bytes"] == len(files[entry["path"]])
        assert entry["sha256"] == hashlib.sha256(files[entry["path"]]).hexdigest()
    card = files["README.md"].decode()
    assert card.startswith("---\n") and "configs:" in card and "license:" in card


def test_second_repro_reruns_nothing(project, first_run):
    assert stages_run(dvc(project, "repro")) == []


def test_rerun_from_scratch_is_byte_identical(project, first_run):
    before = release_files(project)
    lock = (project / "dvc.lock").read_text()
    for path in ["data", ".dvc/cache", ".dvc/tmp", "dvc.lock"]:
        target = project / path
        shutil.rmtree(target, ignore_errors=True) if target.is_dir() else target.unlink(
            missing_ok=True
        )
    assert stages_run(dvc(project, "repro")) == STAGES
    assert release_files(project) == before
    assert (project / "dvc.lock").read_text() == lock


def test_new_article_is_published(project, first_run):
    text = "Ministers met on Tuesday.\n\nThe talks lasted four hours and ended without a deal.\n"
    (project / "seeds" / "new-article.txt").write_text(text, encoding="utf-8")
    before = manifest(project)["counts"]["published"]
    assert stages_run(dvc(project, "repro")) == STAGES
    after = manifest(project)
    assert after["counts"]["published"] == before + 1
    ds = datasets.load_dataset(str(project / "data" / "release"))
    assert "new-article.txt" in [s for split in ds.values() for s in split["source"]]


def test_publish_param_change_reruns_publish_only(project, first_run):
    params = project / "params.yaml"
    params.write_text(params.read_text().replace("  version: null", "  version: 0.1.1", 1))
    assert stages_run(dvc(project, "repro")) == ["publish"]
    assert manifest(project)["version"] == "0.1.1"


def test_status_names_each_changed_param_with_old_and_new_value(project, first_run):
    params = project / "params.yaml"
    original = params.read_text()
    params.write_text(original.replace("    redact: false", "    redact: true"))
    try:
        result = corpus(project, "status")
    finally:
        params.write_text(original)
    assert result.returncode == 0, result.stderr
    assert "annotate.pii.redact: false -> true" in result.stdout
    assert "{" not in result.stdout  # no Python dict


def test_corpus_run_summarises_files_articles_and_the_release(project, first_run):
    result = corpus(project, "run")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "dvc push" not in out  # no remote is configured: no hint to push to one
    files = len(list((project / "seeds").iterdir()))
    assert f"{files} files" in out
    published = manifest(project)["counts"]["published"]
    assert any(
        line.split("│")[1].strip() == "publish" and f"{published} published" in line
        for line in out.splitlines()
        if line.count("│") > 2
    )


def test_corpus_run_on_ray_joins_one_cluster_and_writes_the_same_release(project, first_run):
    before = release_files(project)
    result = corpus(project, "run", "--force", "--engine", "ray")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stdout.count("Ray: a local cluster of") == 1  # one for the run's five stages
    assert stages_run(result.stdout) == STAGES
    assert release_files(project) == before
    assert stages_run(dvc(project, "repro")) == []  # the engine is no param: nothing is stale


def test_a_misspelt_param_stops_corpus_run_before_any_stage(project, first_run):
    params = project / "params.yaml"
    original = params.read_text()
    params.write_text(original.replace("  batch_size: 256", "  batch_sise: 256"))
    lock = (project / "dvc.lock").read_text()
    try:
        run, status = corpus(project, "run"), corpus(project, "status")
    finally:
        params.write_text(original)
    for result in (run, status):
        assert result.returncode == 2
        assert "engine.batch_sise: unknown key (did you mean 'batch_size'?)" in result.stdout
        assert "engine.batch_size: missing" in result.stdout
    assert "Running stage" not in run.stdout + run.stderr
    assert (project / "dvc.lock").read_text() == lock
