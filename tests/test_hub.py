"""push_to_hub: a dry run lists every file of the release with its size and sha256 and touches
no network; a real push (against a fake client) uploads exactly those files and tags them."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from types import SimpleNamespace

import huggingface_hub
import pytest

from pipeline.hub import HubError, push_to_hub
from pipeline.ids import file_sha256
from tests.test_card import RECORDS, build_release

REPO = "someone/corpus-news"


@pytest.fixture
def release(tmp_path: Path) -> Path:
    build_release(tmp_path / "release", RECORDS)
    return tmp_path / "release"


@pytest.fixture
def no_network(monkeypatch):
    """Any socket or Hub client use fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("network used")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(huggingface_hub, "HfApi", refuse)


class FakeApi:
    """Records what push_to_hub asks of the Hub."""

    calls: list[tuple[str, dict]] = []
    tags: list[str] = []

    def __init__(self, token=None):
        self.calls.append(("init", {"token": token}))

    def __getattr__(self, name):
        def call(*args, **kwargs):
            self.calls.append((name, {"args": args, **kwargs}))
            if name == "list_repo_refs":
                return SimpleNamespace(tags=[SimpleNamespace(name=t) for t in self.tags])
            if name == "upload_folder":
                return SimpleNamespace(oid="c0ffee")
            return None

        return call


@pytest.fixture
def fake_api(monkeypatch):
    FakeApi.calls, FakeApi.tags = [], []
    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    return FakeApi


def test_dry_run_lists_every_file_with_size_and_sha256(release, no_network):
    lines = push_to_hub(release, REPO, revision=None, dry_run=True, token=None)
    assert lines[:3] == [
        f"repo: {REPO} (type dataset, created if missing)",
        "revision: main",
        "tag: v1.0.0",
    ]
    files = sorted(p for p in release.rglob("*") if p.is_file())
    total = sum(p.stat().st_size for p in files)
    assert lines[3] == f"files: {len(files)}, {total} bytes"
    listed = [line.split() for line in lines[4:]]
    assert listed == [
        [p.relative_to(release).as_posix(), str(p.stat().st_size), file_sha256(p)] for p in files
    ]


def test_a_release_that_does_not_match_its_manifest_is_refused(release, no_network):
    (release / "README.md").write_text("edited by hand\n")
    with pytest.raises(HubError, match="README.md does not match its sha256"):
        push_to_hub(release, REPO, revision=None, dry_run=True, token=None)


def test_files_outside_the_manifest_are_refused(release, no_network):
    (release / "notes.txt").write_text("scratch\n")
    with pytest.raises(HubError, match="notes.txt"):
        push_to_hub(release, REPO, revision=None, dry_run=True, token=None)


def test_push_uploads_the_manifest_files_and_tags_the_version(release, fake_api):
    lines = push_to_hub(release, REPO, revision=None, dry_run=False, token="hf_x")
    names = [name for name, _ in fake_api.calls]
    assert names == ["init", "create_repo", "list_repo_refs", "upload_folder", "create_tag"]
    calls = dict(fake_api.calls)
    assert calls["init"] == {"token": "hf_x"}
    assert calls["create_repo"]["repo_type"] == "dataset"
    upload = calls["upload_folder"]
    manifest = json.loads((release / "manifest.json").read_text())
    expected = sorted([f["path"] for f in manifest["files"]] + ["manifest.json"])
    assert upload["allow_patterns"] == expected
    assert (upload["repo_id"], upload["repo_type"], upload["revision"]) == (REPO, "dataset", None)
    assert calls["create_tag"]["tag"] == "v1.0.0" and calls["create_tag"]["revision"] == "c0ffee"
    assert len(lines) == 4 + len(expected)


def test_a_version_already_on_the_hub_is_not_overwritten(release, fake_api):
    fake_api.tags = ["v1.0.0"]
    with pytest.raises(HubError, match="already has v1.0.0"):
        push_to_hub(release, REPO, revision="releases", dry_run=False, token=None)
    assert "upload_folder" not in [name for name, _ in fake_api.calls]


def test_corpus_push_hub_dry_run_prints_every_file(release, no_network):
    from typer.testing import CliRunner

    from pipeline.cli import app

    result = CliRunner().invoke(app, ["push-hub", REPO, "--release", str(release), "--dry-run"])
    assert result.exit_code == 0, result.output
    words = result.output.split()
    assert "v1.0.0" in words
    for path in (p for p in release.rglob("*") if p.is_file()):
        rel = path.relative_to(release).as_posix()
        assert {rel, str(path.stat().st_size), file_sha256(path)} <= set(words), rel


def test_a_build_that_is_no_release_is_not_pushed(tmp_path, no_network):
    from tests.test_card import with_publish

    build_release(tmp_path / "build", RECORDS, with_publish(version=None, previous="1.0.0"))
    with pytest.raises(HubError, match=r"no release \(version 1\.0\.0\+unreleased\)"):
        push_to_hub(tmp_path / "build", REPO, revision=None, dry_run=True, token=None)


def test_corpus_push_hub_refuses_a_build_in_one_line(tmp_path, no_network):
    from typer.testing import CliRunner

    from pipeline.cli import app
    from tests.test_card import with_publish

    build_release(tmp_path / "build", RECORDS, with_publish(version=None, previous="1.0.0"))
    result = CliRunner().invoke(app, ["push-hub", REPO, "--release", str(tmp_path / "build")])
    assert result.exit_code == 1
    assert "no release (version 1.0.0+unreleased)" in result.output
    assert "Traceback" not in result.output
