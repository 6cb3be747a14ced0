"""What `corpus release` refuses before it makes a release (`pipeline/release.py`): a dirty
tree, a stale pipeline, a malformed, taken or too low version, an unknown DVC remote; each a
`ReleaseError` whose message says what to do.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pipeline import versions


class ReleaseError(RuntimeError):
    """A release that must not be made (or a version that cannot be had), and what to do."""


def dvc(repo: Path, *args: str, capture: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        [sys.executable, "-m", "dvc", *args], cwd=repo, env=env, text=True, capture_output=capture
    )


def check_clean_tree(repo: Path) -> None:
    dirty = versions.git(repo, "status", "--porcelain").strip()
    if dirty:
        raise ReleaseError(
            "the working tree has uncommitted changes; commit or stash them first, so that the "
            "release's commit holds exactly what built it:\n" + dirty
        )


def check_up_to_date(repo: Path) -> None:
    result = dvc(repo, "status", "--json")
    if result.returncode != 0:
        raise ReleaseError(f"dvc status failed: {result.stderr.strip()}")
    stale = json.loads(result.stdout or "{}")
    if stale:
        names = ", ".join(name.split(":")[-1] for name in stale)
        raise ReleaseError(
            f"the pipeline is stale ({names}): run `corpus run` (and commit dvc.lock) first; "
            "`corpus status` says what changed"
        )


def check_version_format(version: str) -> None:
    """Refuse a malformed version before anything is touched, as a ReleaseError (so the CLI
    prints one line, and no rebuild has run that would need undoing)."""
    try:
        versions.parse(version)
    except versions.VersionError as e:
        raise ReleaseError(str(e)) from None
    if version.startswith(versions.TAG_PREFIX):
        raise ReleaseError(
            f"{version!r}: give the version without the {versions.TAG_PREFIX!r} of its tag, "
            f"e.g. {version.removeprefix(versions.TAG_PREFIX)}"
        )


def next_free(repo: Path, version: str) -> str:
    """The least unreleased version of the same kind as `version` (major X.0.0, minor X.Y.0,
    else patch): what to suggest when `version` is taken."""
    _, minor, patch = versions.parse(version)
    kind = "major" if minor == patch == 0 else "minor" if patch == 0 else "patch"
    return versions.bump(versions.latest(repo), kind)


def check_version(repo: Path, version: str, proposed: str | None = None) -> None:
    """Refuse a version that is malformed, taken, or lower than `proposed` (the least version
    the changes need; None before they are known)."""
    check_version_format(version)
    if version in versions.released(repo):
        instead = proposed if proposed and proposed not in versions.released(repo) else None
        raise ReleaseError(
            f"version {version} exists already (tag {versions.tag(version)}): releases are "
            f"immutable; release {instead or next_free(repo, version)} instead"
        )
    if proposed is not None and versions.parse(version) < versions.parse(proposed):
        raise ReleaseError(
            f"{version} is lower than {proposed}, the least version these changes need "
            "(breaking schema: major; articles added or withdrawn: minor; edits: patch)"
        )


def check_remote(repo: Path, remote: str | None) -> None:
    """Refuse a `--remote` DVC does not know before anything is tagged: the tag would stay, and
    its data would not be pushed where it was meant to go."""
    if remote is None:
        return
    known = [line.split()[0] for line in dvc(repo, "remote", "list").stdout.splitlines() if line]
    if remote not in known:
        raise ReleaseError(
            f"no DVC remote {remote!r} (known: {', '.join(known) or 'none'}): "
            "`dvc remote add` it, or give one of those"
        )
