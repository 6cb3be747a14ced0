"""Versioned releases end to end: a git repository with the real pipeline, real DVC, and a real
S3-compatible server on loopback (moto in server mode, through dvc-s3) as the DVC remote.

One project serves the module; the tests run in file order and each says what it adds:
1.0.0 from the seeds, 1.1.0 with one more article, 1.1.1 with a text fix.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import boto3
import datasets
import pyarrow.parquet as pq
import pytest
import yaml
from moto.server import ThreadedMotoServer

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parent.parent
PROJECT_FILES = ["seeds", "pipeline", "schemas", "dvc.yaml", "params.yaml", ".dvcignore"]
BUCKET = "corpus-releases"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
TINY = "a test corpus of one or two articles"
NEW_ARTICLE = (
    "Harbour reopens after storm\n\n"
    "The harbour reopened on Tuesday after a storm closed it for three days, the port "
    "authority said. Fishing boats returned to sea before dawn.\n"
)


@pytest.fixture(scope="module")
def s3() -> str:
    """An S3 endpoint on 127.0.0.1 with an empty bucket; stopped after the module."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=endpoint, **_boto_credentials()).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


def _boto_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "region_name": CREDENTIALS["AWS_DEFAULT_REGION"],
    }


RELEASE_DAY = "2026-01-01"  # SOURCE_DATE_EPOCH below: the date `corpus release` records


def env() -> dict[str, str]:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    day = {"SOURCE_DATE_EPOCH": "1767225600"}  # 2026-01-01T00:00:00Z
    return {**os.environ, **CREDENTIALS, **day, "PATH": path, "COLUMNS": "200"}


def sh(cwd: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=cwd, env=env(), text=True, capture_output=True)
    if ok:
        assert result.returncode == 0, f"{args}:\n{result.stdout}\n{result.stderr}"
    return result


def corpus(cwd: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    return sh(cwd, sys.executable, "-m", "pipeline.cli", *args, ok=ok)


def commit_build(project: Path, message: str) -> None:
    corpus(project, "run")
    sh(project, "git", "add", "-A")
    sh(project, "git", "commit", "-q", "-m", message)


@pytest.fixture(scope="module")
def project(tmp_path_factory, s3) -> Path:
    """The project as a user has it: a git repository whose DVC remote is the S3 server."""
    dest = tmp_path_factory.mktemp("releases") / "project"
    dest.mkdir()
    for name in PROJECT_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / name)
    (dest / ".gitignore").write_text("/data/*\n__pycache__/\n")
    sh(dest, "git", "init", "-q", "-b", "main")
    sh(dest, "git", "config", "user.email", "test@example.org")
    sh(dest, "git", "config", "user.name", "Release Test")
    sh(dest, sys.executable, "-m", "dvc", "init", "-q")
    sh(dest, sys.executable, "-m", "dvc", "config", "core.analytics", "false")
    sh(dest, sys.executable, "-m", "dvc", "remote", "add", "-d", "s3", f"s3://{BUCKET}/store")
    sh(dest, sys.executable, "-m", "dvc", "remote", "modify", "s3", "endpointurl", s3)
    commit_build(dest, "The pipeline and its seeds")
    return dest


@pytest.fixture(scope="module")
def v100(project: Path) -> Path:
    result = corpus(project, "release")
    assert "Released 1.0.0" in result.stdout, result.stdout
    return project


@pytest.fixture(scope="module")
def v110(v100: Path) -> Path:
    (v100 / "seeds" / "harbour.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    commit_build(v100, "One more article")
    # From one article to two, every length quantile moves: drift, accepted and recorded.
    result = corpus(v100, "release", "--accept-drift", TINY)
    assert "Released 1.1.0" in result.stdout, result.stdout  # proposed: an article was added
    return v100


@pytest.fixture(scope="module")
def v111(v110: Path) -> Path:
    seed = v110 / "seeds" / "harbour.txt"
    seed.write_text(NEW_ARTICLE.replace("three days", "four days"), encoding="utf-8")
    commit_build(v110, "Fix a figure in the harbour article")
    result = corpus(v110, "release", "--accept-drift", TINY)
    assert "Released 1.1.1" in result.stdout, result.stdout  # proposed: only a text changed
    return v110


@pytest.fixture(scope="module")
def clone(v111: Path, tmp_path_factory) -> Path:
    """A fresh clone: no DVC cache, so every pull comes from the S3 server."""
    dest = tmp_path_factory.mktemp("clone") / "project"
    sh(dest.parent, "git", "clone", "-q", str(v111), str(dest))
    assert not (dest / ".dvc" / "cache").exists()
    return dest


def test_versions_are_tags_listed_with_their_summary(v111):
    tags = sh(v111, "git", "tag", "--list").stdout.split()
    assert tags == ["v1.0.0", "v1.1.0", "v1.1.1"]
    listing = corpus(v111, "releases").stdout
    assert "1.1.0: 1 added since 1.0.0" in listing
    assert "1.1.1: 1 text changed since 1.1.0" in listing
    changelog = (v111 / "CHANGELOG.md").read_text()
    assert changelog.index("## 1.1.1") < changelog.index("## 1.1.0") < changelog.index("## 1.0.0")


def test_after_a_release_the_builds_are_no_release(v111):
    # the tag holds the version; the commit after it makes the builds that follow no release
    tagged = yaml.safe_load(sh(v111, "git", "show", "v1.1.1:params.yaml").stdout)["publish"]
    assert (tagged["version"], tagged["previous"]) == ("1.1.1", "1.1.0")
    assert tagged["released"] == RELEASE_DAY
    now = yaml.safe_load((v111 / "params.yaml").read_text())["publish"]
    assert (now["version"], now["released"], now["previous"]) == (None, None, "1.1.1")
    build = json.loads((v111 / "data" / "release" / "manifest.json").read_text())
    assert build["version"] == "1.1.1+unreleased"
    assert "date-released" not in yaml.safe_load((v111 / "data/release/CITATION.cff").read_text())
    assert sh(v111, "git", "status", "--porcelain").stdout == ""
    assert "up to date" in sh(v111, sys.executable, "-m", "dvc", "status").stdout


def test_push_hub_takes_a_version_from_the_cache(v111):
    # after a release, data/release is the next build: push-hub takes the version itself
    plan = corpus(v111, "push-hub", "someone/news", "--version", "1.1.0", "--dry-run").stdout
    assert "tag: v1.1.0" in plan and "manifest.json" in plan
    refused = corpus(v111, "push-hub", "someone/news", "--dry-run", ok=False)
    assert refused.returncode == 1 and "no release (version 1.1.1+unreleased)" in refused.stdout
    unknown = corpus(v111, "push-hub", "someone/news", "--version", "9.9.9", "--dry-run", ok=False)
    assert unknown.returncode == 1 and "no release 9.9.9" in unknown.stdout


def test_dvc_metrics_diff_compares_the_validation_figures_of_two_versions(v111):
    result = sh(v111, sys.executable, "-m", "dvc", "metrics", "diff", "v1.0.0", "v1.1.0")
    lines = [line for line in result.stdout.splitlines() if "metrics/validate.json" in line]
    assert lines, result.stdout
    assert any("articles" in line and " 1 " in f" {line} " and "2" in line for line in lines)


@pytest.mark.parametrize("version", ["1.0.0", "1.1.0", "1.1.1"])
def test_each_version_pulls_from_s3_verifies_and_loads(clone, tmp_path, version):
    dest = tmp_path / version
    result = corpus(clone, "pull", version, "--to", str(dest))
    assert "every file matches the manifest" in result.stdout
    assert json.loads((dest / "manifest.json").read_text())["version"] == version
    cff = yaml.safe_load((dest / "CITATION.cff").read_text())
    assert (cff["version"], cff["date-released"]) == (version, RELEASE_DAY)
    assert json.loads((dest / "croissant.json").read_text())["datePublished"] == RELEASE_DAY
    ds = datasets.load_dataset("parquet", data_dir=str(dest / "data"))
    sources = {s for split in ds.values() for s in split["source"]}
    assert ("harbour.txt" in sources) == (version != "1.0.0")


def test_a_fresh_clone_fetches_the_releases_it_compares_from_the_remote(v111, tmp_path):
    # a clone has the tags but no DVC cache: diff (and publish's changelog) fetch what they read
    fresh = tmp_path / "fresh"
    sh(tmp_path, "git", "clone", "-q", str(v111), str(fresh))
    assert (
        corpus(fresh, "diff", "1.0.0", "1.1.0").stdout
        == corpus(v111, "diff", "1.0.0", "1.1.0").stdout
    )
    assert (fresh / ".dvc" / "cache").is_dir()


def test_diff_reports_exactly_the_added_and_the_fixed_record(v111):
    added = corpus(v111, "diff", "1.0.0", "1.1.0").stdout
    assert "│ added               │ 1 " in added or _count(added, "added") == 1
    assert _count(added, "withdrawn") == 0 and _count(added, "text_changed") == 0
    fixed = corpus(v111, "diff", "1.1.0", "1.1.1").stdout
    assert _count(fixed, "text_changed") == 1 and _count(fixed, "added") == 0


def _count(output: str, change: str) -> int:
    """The number in the diff's count table for one kind of change."""
    for line in output.splitlines():
        cells = [c.strip() for c in line.split("│") if c.strip()]
        if len(cells) == 2 and cells[0] == change:
            return int(cells[1])
    raise AssertionError(f"no {change} row in:\n{output}")


def test_release_changes_file_names_the_text_fix(v111, tmp_path):
    dest = tmp_path / "v111"
    corpus(v111, "pull", "1.1.1", "--to", str(dest))
    rows = pq.read_table(dest / "changes.parquet").to_pylist()
    assert [r["change"] for r in rows] == ["text_changed"]
    assert rows[0]["old_content_sha256"] != rows[0]["new_content_sha256"]


def test_a_changed_byte_fails_verify_naming_the_file(clone, tmp_path):
    dest = tmp_path / "pulled"
    corpus(clone, "pull", "1.1.0", "--to", str(dest))
    victim = sorted((dest / "data").glob("*.parquet"))[0]
    raw = bytearray(victim.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    victim.write_bytes(bytes(raw))
    result = corpus(clone, "verify", str(dest), ok=False)
    assert result.returncode == 1
    assert f"data/{victim.name}: sha256 differs" in result.stdout


def test_dvc_get_gives_the_same_bytes_as_corpus_pull(clone, tmp_path):
    pulled, got = tmp_path / "pulled", tmp_path / "got"
    corpus(clone, "pull", "1.0.0", "--to", str(pulled))
    dvc_get = [sys.executable, "-m", "dvc", "get", ".", "data/release", "--rev", "v1.0.0"]
    sh(clone, *dvc_get, "-o", str(got))
    files = sorted(p.relative_to(pulled) for p in pulled.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(got) for p in got.rglob("*") if p.is_file())
    assert all((pulled / f).read_bytes() == (got / f).read_bytes() for f in files)


def test_an_existing_version_is_refused(v111):
    result = corpus(v111, "release", "--version", "1.1.0", ok=False)
    assert result.returncode == 1 and "1.1.0 exists already" in result.stdout


def test_a_lower_version_than_the_changes_need_is_refused(v111):
    (v111 / "seeds" / "late.txt").write_text(NEW_ARTICLE.replace("Harbour", "Port"))
    commit_build(v111, "Another article")
    result = corpus(v111, "release", "--version", "1.1.2", ok=False)
    assert "lower than 1.2.0" in result.stdout
    assert sh(v111, "git", "status", "--porcelain").stdout == ""  # nothing left half done


def test_a_dirty_tree_is_refused(v111):
    (v111 / "seeds" / "draft.txt").write_text("Draft.\n\nNot committed yet.\n")
    try:
        result = corpus(v111, "release", ok=False)
    finally:
        (v111 / "seeds" / "draft.txt").unlink()
    assert result.returncode == 1 and "uncommitted changes" in result.stdout


def test_an_unknown_remote_is_refused_before_anything_is_tagged(v111):
    tags = sh(v111, "git", "tag", "--list").stdout
    result = corpus(v111, "release", "--remote", "s4", ok=False)
    assert result.returncode == 1 and "no DVC remote 's4' (known: s3" in result.stdout
    assert sh(v111, "git", "tag", "--list").stdout == tags
    assert sh(v111, "git", "status", "--porcelain").stdout == ""


def test_a_stale_pipeline_is_refused(v111):
    seed = v111 / "seeds" / "late.txt"
    seed.write_text(seed.read_text() + "\nA late paragraph.\n")
    sh(v111, "git", "commit", "-q", "-am", "Edit a seed without running the pipeline")
    result = corpus(v111, "release", ok=False)
    assert result.returncode == 1 and "stale" in result.stdout and "corpus run" in result.stdout


def test_drift_is_refused_with_the_figures_then_accepted_and_recorded(v111, tmp_path):
    # The tree is committed but stale (the test before): the takedown build below runs it all.
    corpus(v111, "pull", "1.1.1", "--to", str(tmp_path / "1.1.1"))
    table = pq.ParquetDataset(sorted((tmp_path / "1.1.1" / "data").glob("*.parquet"))).read()
    ids = dict(zip(table.column("source").to_pylist(), table.column("id").to_pylist(), strict=True))
    (v111 / "seeds" / "blocklist.txt").write_text(f"# takedown requests\n{ids['harbour.txt']}\n")
    (v111 / "seeds" / "late.txt").unlink()
    commit_build(v111, "Take down the harbour article; withdraw the late one")
    refused = corpus(v111, "release", ok=False)
    assert refused.returncode == 1
    assert "articles" in refused.stdout and "2 -> 1" in refused.stdout.replace(",", "")
    assert sh(v111, "git", "status", "--porcelain").stdout == ""
    accepted = corpus(v111, "release", "--accept-drift", "takedown requests")
    assert "Released 1.2.0" in accepted.stdout
    changelog = (v111 / "CHANGELOG.md").read_text()
    assert "Drift accepted (takedown requests)" in changelog.split("## 1.1.1")[0]
    dest = tmp_path / "1.2.0"
    corpus(v111, "pull", "1.2.0", "--to", str(dest))
    rows = pq.read_table(dest / "changes.parquet").to_pylist()
    assert [(r["change"], r["reason"]) for r in rows] == [("withdrawn", "takedown")]
    assert rows[0]["id"] == ids["harbour.txt"]


def test_a_build_identical_to_the_last_release_is_refused(v111):
    # After 1.2.0 (the test before) the committed build is 1.2.0's: nothing to release.
    result = corpus(v111, "release", "--version", "1.2.1", ok=False)
    assert result.returncode == 1 and "nothing changed since 1.2.0" in result.stdout
    assert "byte for byte" in result.stdout
    assert sh(v111, "git", "status", "--porcelain").stdout == ""
    assert "v1.2.1" not in sh(v111, "git", "tag", "--list").stdout


def _manifest_files(release: Path) -> dict[str, str]:
    manifest = json.loads((release / "manifest.json").read_text())
    return {f["path"]: f["sha256"] for f in manifest["files"]}


def test_a_card_only_change_is_released_as_a_patch(v111, tmp_path):
    # Before, no record and no schema change was "nothing changed", though the card differed.
    params = v111 / "params.yaml"
    link = "https://corpus-pipeline.invalid/LICENSE"
    params.write_text(params.read_text().replace(link, f"{link}-2"))
    commit_build(v111, "A new licence link")
    result = corpus(v111, "release")
    assert "Released 1.2.1: card and metadata only since 1.2.0" in result.stdout, result.stdout
    entry = (v111 / "CHANGELOG.md").read_text().split("## 1.2.0")[0]
    assert "card and metadata only" in entry and "README.md" in entry
    corpus(v111, "pull", "1.2.0", "--to", str(tmp_path / "1.2.0"))
    corpus(v111, "pull", "1.2.1", "--to", str(tmp_path / "1.2.1"))
    assert f"{link}-2" in (tmp_path / "1.2.1" / "README.md").read_text()
    before, after = _manifest_files(tmp_path / "1.2.0"), _manifest_files(tmp_path / "1.2.1")
    data = [p for p in before if p.startswith("data/")]
    assert data and all(before[p] == after[p] for p in data)


def test_a_schema_description_change_is_released_as_a_patch(v111):
    path = v111 / "schemas" / "record.schema.json"
    schema = json.loads(path.read_text())
    schema["properties"]["text"]["description"] = "The article's text, as published."
    path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
    commit_build(v111, "Describe the text column better")
    result = corpus(v111, "release", "--version", "1.2.2")
    assert "Released 1.2.2: schema descriptions" in result.stdout, result.stdout
    assert "Schema change" not in (v111 / "CHANGELOG.md").read_text().split("## 1.2.1")[0]
