"""The release commands' refusals, fast: a git repository with tags and the real params.yaml,
no DVC run (what would rebuild is replaced by a stand-in that fails the test if called)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline import cli_release, release
from pipeline.cli import app
from pipeline.versions import VersionError

ROOT = Path(__file__).resolve().parent.parent


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    """A committed params.yaml and dvc.lock, released as 1.0.0 and 1.1.0; DVC stubbed out."""
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    (tmp_path / "dvc.lock").write_text("schema: '2.0'\nstages: {}\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "add", "-A")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "build")
    for version in ("1.0.0", "1.1.0"):
        git(tmp_path, "tag", f"v{version}")
    monkeypatch.setattr(release, "check_up_to_date", lambda repo: None)
    monkeypatch.setattr(release, "dvc", lambda *a, **k: subprocess.CompletedProcess(a, 0, "", ""))
    return tmp_path


def no_rebuild(repo: Path) -> None:
    raise AssertionError("rebuilt although the version was refused")


@pytest.mark.parametrize("bad", ["1.1", "v1.2.0", "one"])
def test_a_malformed_version_is_refused_before_anything_changes(repo, monkeypatch, bad):
    monkeypatch.setattr(release, "rebuild", no_rebuild)
    with pytest.raises(release.ReleaseError):
        release.make_release(repo, bad, say=lambda line: None)
    assert git(repo, "status", "--porcelain") == ""


def test_any_failure_during_a_release_restores_params_and_lock(repo, monkeypatch):
    def half_done(repo, *args):
        release.set_publish(repo, previous="1.1.0", accepted_drift=None)
        (repo / "dvc.lock").write_text("rebuilt\n")
        raise VersionError("git failed halfway")

    monkeypatch.setattr(release, "_release", half_done)
    with pytest.raises(VersionError):
        release.make_release(repo, None, say=lambda line: None)
    assert git(repo, "status", "--porcelain") == ""


def test_a_taken_version_suggests_the_next_free_one_of_its_kind(repo):
    with pytest.raises(release.ReleaseError, match="release 1.2.0 instead") as taken:
        release.check_version(repo, "1.1.0")
    assert "release 1.1.0 instead" not in str(taken.value)
    with pytest.raises(release.ReleaseError, match="release 2.0.0 instead"):
        release.check_version(repo, "1.0.0")  # X.0.0 asks for a major version


def test_cli_release_of_a_malformed_version_is_one_line_exit_1(repo, monkeypatch):
    monkeypatch.setattr(release, "rebuild", no_rebuild)
    monkeypatch.setattr(cli_release, "REPO", repo)
    result = CliRunner().invoke(app, ["release", "--version", "1.1"])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Not released" in result.output and "Traceback" not in result.output
    assert git(repo, "status", "--porcelain") == ""


# --- corpus pull ---------------------------------------------------------------------------


@pytest.fixture
def failing_get(monkeypatch) -> list[list[str]]:
    """`dvc get` that makes empty data/, images/, validation/ folders, then fails; the calls."""
    from pipeline import released

    calls: list[list[str]] = []

    def get(cwd, *args, **kwargs):
        calls.append(list(args))
        out = Path(args[args.index("-o") + 1])
        for name in ("data", "images", "validation"):
            (out / name).mkdir(parents=True, exist_ok=True)
        return subprocess.CompletedProcess(args, 1, "", "unreachable remote")

    monkeypatch.setattr(released, "dvc", get)
    return calls


def test_pull_takes_the_tag_spelling_without_doubling_its_v(tmp_path, failing_get):
    from pipeline.released import pull

    with pytest.raises(release.ReleaseError, match="dvc get of v1.0.0 failed"):
        pull("v1.0.0", tmp_path / "out")
    assert failing_get[0][failing_get[0].index("--rev") + 1] == "v1.0.0"


def test_cli_pull_of_a_malformed_version_is_one_line_exit_1(tmp_path, failing_get):
    result = CliRunner().invoke(app, ["pull", "1.0", "--to", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    assert "not a version" in result.output and "Traceback" not in result.output
    assert not failing_get and not (tmp_path / "out").exists()


@pytest.mark.parametrize("dest", ["new", "new/nested", "empty"])
def test_a_failed_pull_removes_only_what_it_created(tmp_path, failing_get, dest):
    from pipeline.released import pull

    (tmp_path / "empty").mkdir()
    (tmp_path / "keep.txt").write_text("mine\n")
    with pytest.raises(release.ReleaseError):
        pull("1.0.0", tmp_path / dest)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "keep.txt"]
    assert not any((tmp_path / "empty").iterdir())  # a retry into it is not refused


def _dvc(cwd: Path, *args: str) -> None:
    import sys

    subprocess.run([sys.executable, "-m", "dvc", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def relative_remote(tmp_path) -> Path:
    """A DVC repository as shipped: its default remote the relative `../corpus-pipeline-remote`
    beside it (url `../../corpus-pipeline-remote` from .dvc/), a release tagged v1.0.0 pushed
    there, and an empty cache."""
    repo = tmp_path / "project"
    (repo / "data" / "release").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "test@example.org")
    git(repo, "config", "user.name", "Pull Test")
    _dvc(repo, "init", "-q")
    (repo / ".dvc" / "config").write_text(
        "[core]\n    remote = local\n['remote \"local\"']\n    url = ../../corpus-pipeline-remote\n"
    )
    (repo / "data" / "release" / "manifest.json").write_text('{"files": []}\n')
    _dvc(repo, "add", "-q", "data/release")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "A release")
    git(repo, "tag", "v1.0.0")
    _dvc(repo, "push", "-q")
    shutil.rmtree(repo / ".dvc" / "cache")
    assert (tmp_path / "corpus-pipeline-remote").is_dir()
    return repo


@pytest.mark.parametrize("spelling", ["file_url", "bare"])
def test_pull_from_a_git_url_finds_a_relative_default_remote(relative_remote, tmp_path, spelling):
    # Before, DVC resolved ../../corpus-pipeline-remote inside its temporary clone of the URL:
    # "No storage files available" (or No such file or directory: '/corpus-pipeline-remote/...')
    from pipeline.released import fetch

    if spelling == "bare":
        url = str(tmp_path / "project.git")
        git(tmp_path, "clone", "-q", "--bare", str(relative_remote), url)  # the remote beside it
    else:
        url = relative_remote.as_uri()
    fetch("1.0.0", tmp_path / "out", url)
    assert (tmp_path / "out" / "manifest.json").read_text() == '{"files": []}\n'


def test_pull_with_remote_url_uses_that_remote(relative_remote, tmp_path):
    from pipeline.released import fetch

    shutil.move(tmp_path / "corpus-pipeline-remote", tmp_path / "elsewhere")
    with pytest.raises(release.ReleaseError, match="--remote-url"):
        fetch("1.0.0", tmp_path / "out", relative_remote.as_uri())
    fetch(
        "1.0.0", tmp_path / "out2", relative_remote.as_uri(), remote_url=str(tmp_path / "elsewhere")
    )
    assert (tmp_path / "out2" / "manifest.json").exists()


def test_a_failed_pull_from_a_remote_git_url_says_how_to_name_the_remote(tmp_path, failing_get):
    from pipeline.released import pull

    with pytest.raises(release.ReleaseError) as failed:
        pull("1.0.0", tmp_path / "out", "https://git.invalid/corpus-pipeline.git")
    assert "--remote-url" in str(failed.value) and "relative" in str(failed.value)
    assert "--remote-config" not in failing_get[0]  # nothing to resolve it against
