"""Where versions live: a git tag `vX.Y.Z` per release, its bytes in DVC's cache and remote.

A tag pins the commit whose `dvc.lock` records the hash of `data/release`; the files of that
version are the entries of that `.dir` object in DVC's cache (`dvc fetch` fills the cache from
the remote). This module reads them without running DVC, so the publish stage can compare the
build with the previous version while `dvc repro` holds the repository lock.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from pipeline.params import SEMVER

TAG_PREFIX = "v"
RELEASE_PATH = "data/release"


class VersionError(RuntimeError):
    """A version that does not exist, or whose files are not at hand; the message says what
    to do."""


def tag(version: str) -> str:
    return f"{TAG_PREFIX}{version}"


def parse(version: str) -> tuple[int, int, int]:
    match = SEMVER.fullmatch(version.removeprefix(TAG_PREFIX))
    if not match:
        raise VersionError(f"{version!r} is not a version MAJOR.MINOR.PATCH")
    major, minor, patch = (int(g) for g in match.groups())
    return major, minor, patch


def normalize(version: str) -> str:
    """`version` as X.Y.Z, whether given as 1.0.0 or as its tag v1.0.0 (VersionError if it is
    neither)."""
    parse(version)
    return version.removeprefix(TAG_PREFIX)


def bump(previous: str | None, kind: str) -> str:
    """The next version after `previous` for a change of `kind` (major, minor, patch)."""
    if previous is None:
        return "1.0.0"
    major, minor, patch = parse(previous)
    if kind == "major":
        return f"{major + 1}.0.0"
    if kind == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
    if result.returncode != 0:
        raise VersionError(f"git {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


def released(repo: Path) -> list[str]:
    """Every released version, oldest first (tags that are versions; others are ignored)."""
    try:
        names = git(repo, "tag", "--list", f"{TAG_PREFIX}*").split()
    except VersionError:
        return []  # not a git repository: nothing released from here
    versions = [n.removeprefix(TAG_PREFIX) for n in names if SEMVER.fullmatch(n[1:])]
    return sorted(versions, key=parse)


def latest(repo: Path) -> str | None:
    versions = released(repo)
    return versions[-1] if versions else None


@dataclass(frozen=True)
class Listed:
    version: str
    date: str
    summary: str


def listing(repo: Path) -> list[Listed]:
    """(version, tag date, the tag's one-line summary) of every release, oldest first."""
    out = []
    for version in released(repo):
        line = git(
            repo,
            "for-each-ref",
            f"refs/tags/{tag(version)}",
            "--format",
            "%(creatordate:short)\t%(contents:subject)",
        ).strip()
        date, _, summary = line.partition("\t")
        out.append(Listed(version, date, summary))
    return out


def cache_dir(repo: Path) -> Path:
    """DVC's local cache of `repo` (core settings honoured through DVC's own config)."""
    from dvc.repo import Repo  # late: importing DVC costs a second

    with Repo(str(repo)) as dvc_repo:
        return Path(dvc_repo.cache.local.path)


def _cache_object(cache: Path, md5: str) -> Path:
    return cache / md5[:2] / md5[2:]


def release_files(repo: Path, version: str) -> dict[str, Path]:
    """Relative path -> file in DVC's cache, for every file of the release `version`."""
    if version not in released(repo):
        raise VersionError(f"no release {version} here (git tag {tag(version)} not found)")
    lock = yaml.safe_load(git(repo, "show", f"{tag(version)}:dvc.lock"))
    outs = lock["stages"]["publish"]["outs"]
    (entry,) = [o for o in outs if o["path"] == RELEASE_PATH]
    cache = cache_dir(repo)
    files = _cached_files(cache, entry["md5"])
    if files is None:
        # A fresh clone has tags but an empty cache: the release comes from the DVC remote, as
        # `corpus pull` gets it, rather than failing the build that follows it (`publish`).
        failure = _fetch(repo, version)
        files = _cached_files(cache, entry["md5"])
    if files is None:
        raise VersionError(
            f"release {version} is not in the DVC cache and could not be fetched from the DVC "
            f"remote ({failure or 'it lacks some files'}): check `dvc remote list`, then "
            f"`dvc fetch --all-tags`"
        )
    return files


def _cached_files(cache: Path, md5: str) -> dict[str, Path] | None:
    """The release's files in `cache` from its `.dir` listing `md5`; None if any is missing."""
    listing_path = _cache_object(cache, md5)
    if not listing_path.exists():
        return None
    files = {
        item["relpath"]: _cache_object(cache, item["md5"])
        for item in json.loads(listing_path.read_text())
    }
    return files if all(p.exists() for p in files.values()) else None


def _fetch(repo: Path, version: str) -> str | None:
    """Fill DVC's cache with release `version` from the default remote; DVC's error, if any."""
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    with Repo(str(repo)) as dvc_repo:
        try:
            dvc_repo.fetch(targets=[RELEASE_PATH], revs=[tag(version)], workspace=False)
        except DvcException as error:
            return str(error)
    return None


def materialize(repo: Path, version: str, dest: Path) -> Path:
    """A copy of release `version` in `dest` (from DVC's cache)."""
    for rel, source in release_files(repo, version).items():
        target = Path(dest) / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return Path(dest)
