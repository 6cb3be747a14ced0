"""Upload a release to the Hugging Face Hub as one commit, tagged with its version.

The files uploaded are exactly the release's `manifest.json` and the files it lists, each checked
against its sha256 first: a folder that does not match its manifest is refused, as is a version
whose tag already exists on the Hub (a version is never overwritten). The commit mirrors the
release: files of an earlier version that this one no longer has are deleted in the same commit
(git history and the earlier tags keep them). `dry_run` only reads the folder and says what
would be done, without importing a network client call: nothing leaves the machine.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from pipeline.ids import file_sha256
from pipeline.params import is_unreleased
from pipeline.versions import tag  # the Hub tag of a version is its git tag: v1.0.0

log = logging.getLogger(__name__)
MANIFEST = "manifest.json"
REPO_TYPE = "dataset"


class HubError(RuntimeError):
    """The release cannot be uploaded as it is (the message says why)."""


@dataclass(frozen=True)
class UploadFile:
    path: str  # relative to the release, forward slashes: also its path in the repo
    bytes: int
    sha256: str


def release_files(release: Path) -> tuple[str, list[UploadFile]]:
    """(version, the files to upload): the manifest's files, checked, then the manifest."""
    manifest_path = release / MANIFEST
    if not manifest_path.is_file():
        raise HubError(f"{release} has no {MANIFEST}: not a release folder")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if is_unreleased(manifest["version"]):
        raise HubError(
            f"{release} is a build that is no release (version {manifest['version']}): make one "
            "with `corpus release`, or push a version: `corpus push-hub REPO --version X.Y.Z`"
        )
    files = []
    for entry in manifest["files"]:
        path = release / entry["path"]
        if not path.is_file():
            raise HubError(f"{entry['path']} is in {MANIFEST} but not in {release}")
        sha = file_sha256(path)
        if sha != entry["sha256"] or path.stat().st_size != entry["bytes"]:
            raise HubError(f"{entry['path']} does not match its sha256 in {MANIFEST}")
        files.append(UploadFile(entry["path"], entry["bytes"], sha))
    listed = {f.path for f in files} | {MANIFEST}
    extra = sorted(
        p.relative_to(release).as_posix()
        for p in release.rglob("*")
        if p.is_file() and p.relative_to(release).as_posix() not in listed
    )
    if extra:
        raise HubError(f"files not in {MANIFEST} (not part of the release): {', '.join(extra)}")
    own = UploadFile(MANIFEST, manifest_path.stat().st_size, file_sha256(manifest_path))
    return manifest["version"], sorted([*files, own], key=lambda f: f.path)


def plan(repo_id: str, revision: str | None, version: str, files: list[UploadFile]) -> list[str]:
    """What an upload does, one line each: the repo, the branch, the tag, then every file."""
    total = sum(f.bytes for f in files)
    width = max((len(f.path) for f in files), default=0)
    return [
        f"repo: {repo_id} (type {REPO_TYPE}, created if missing)",
        f"revision: {revision or 'main'}",
        f"tag: {tag(version)}",
        f"files: {len(files)}, {total} bytes",
        *(f"{f.path:<{width}}  {f.bytes:>12}  {f.sha256}" for f in files),
    ]


def push_to_hub(
    release: Path, repo_id: str, *, revision: str | None, dry_run: bool, token: str | None
) -> list[str]:
    """Upload `release` to the dataset repo `repo_id` on branch `revision` (None: main) and tag
    the commit with the release's version. Returns the plan's lines (see `plan`); with
    `dry_run`, only returns them: no network, no token needed."""
    version, files = release_files(Path(release))
    lines = plan(repo_id, revision, version, files)
    if dry_run:
        return lines
    from huggingface_hub import HfApi  # late: a dry run needs no Hub client at all

    api = HfApi(token=token)
    api.create_repo(repo_id, repo_type=REPO_TYPE, exist_ok=True)
    existing = {t.name for t in api.list_repo_refs(repo_id, repo_type=REPO_TYPE).tags}
    if tag(version) in existing:
        raise HubError(f"{repo_id} already has {tag(version)}: versions are never overwritten")
    if revision:
        api.create_branch(repo_id, repo_type=REPO_TYPE, branch=revision, exist_ok=True)
    commit = api.upload_folder(
        repo_id=repo_id,
        repo_type=REPO_TYPE,
        folder_path=release,
        revision=revision,
        commit_message=f"Release {version}",
        allow_patterns=[f.path for f in files],
        delete_patterns=["*"],  # what is not uploaded goes: the revision is this release
    )
    api.create_tag(
        repo_id,
        repo_type=REPO_TYPE,
        tag=tag(version),
        revision=commit.oid,
        tag_message=f"{version}",
    )
    log.info("uploaded %s to %s at %s (%s)", version, repo_id, tag(version), commit.oid)
    return lines
