"""Versioned releases: make one from the build (pulling, verifying and comparing releases once
made is `pipeline/released.py`).

`make_release` turns a clean, up-to-date build into version X.Y.Z: it rebuilds publish against
the latest released version (so `changes.parquet` and the card's changelog compare with it),
proposes the next semantic version from what changed, refuses what must not be released, then
commits params.yaml, dvc.lock, CHANGELOG.md and the metrics, tags `vX.Y.Z` and pushes the data
to the DVC remote. The library raises `ReleaseError` with a message that says what to do; the
CLI (`corpus release`) only prints it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline import versions
from pipeline.checksums import MANIFEST
from pipeline.params import UNRELEASED
from pipeline.publish import SCHEMA_FILE
from pipeline.release_checks import (  # ReleaseError and dvc: re-exported, the library's API
    ReleaseError,
    check_clean_tree,
    check_remote,
    check_up_to_date,
    check_version,
    dvc,
)
from pipeline.schema import SCHEMA_DIR

PARAMS_FILE = "params.yaml"
CHANGELOG = "CHANGELOG.md"
VALIDATION = "validation/validation.json"  # validate's report, copied into every release
COMMITTED = [PARAMS_FILE, "dvc.lock", CHANGELOG, "metrics"]


# --- what changed ------------------------------------------------------------------------


def schema_change(old: dict[str, Any] | None, new: dict[str, Any]) -> str:
    """none, additive (columns added, or constrained more tightly) or breaking (a column
    removed, its type or requiredness changed), for a reader of the old schema.

    Descriptions, titles and other annotations are "none": they change no column a reader
    reads, and validate and `corpus diff` classify with the same function (`pipeline.drift`).
    Such an edit is still releasable, as a patch: its `schema.json`, card and Croissant differ
    from the previous release's (`changed_files`)."""
    if old is None or old == new:
        return "none"
    from pipeline.drift import schema_change as classify  # the one classifier (validate's)

    return classify(old, new)


def change_kind(changes: dict[str, int], schema: str) -> str | None:
    """major, minor, patch, or None when nothing changed."""
    if schema == "breaking":
        return "major"
    if changes.get("added") or changes.get("withdrawn"):
        return "minor"
    edited = ("text_changed", "metadata_changed", "annotations_changed")
    if schema == "additive" or any(changes.get(k) for k in edited):
        return "patch"
    return None


def propose(
    previous: str | None, changes: dict[str, int], schema: str, files: list[str] | None = None
) -> str:
    """The next version: from the record and schema changes, else a patch when the release's
    files differ from the previous release's (`files`: the card or metadata only)."""
    if previous is None:
        return versions.bump(None, "minor")
    kind = change_kind(changes, schema) or ("patch" if files else None)
    if kind is None:
        raise ReleaseError(
            f"nothing changed since {previous}: no record, no schema change, and every file of "
            f"the release is byte for byte {previous}'s. Change the seeds or the params, "
            "`corpus run`, then release"
        )
    return versions.bump(previous, kind)


# What each file of a release is, for a changelog that says what a patch changed.
FILE_KINDS = (
    ("data/", "data files"),
    (SCHEMA_FILE, "schema descriptions"),  # column changes are a schema change, not this
    ("README.md", "card and metadata"),
    ("CITATION.cff", "card and metadata"),
    ("croissant.json", "card and metadata"),
    ("images/", "card and metadata"),
    ("validation/", "validation report"),
    ("changes.parquet", "changes file"),
)


def describe_files(paths: list[str]) -> str:
    """'card and metadata only', 'schema descriptions, card and metadata only'..."""
    kinds: list[str] = []
    for path in paths:
        kind = next((k for prefix, k in FILE_KINDS if path.startswith(prefix)), path)
        if kind not in kinds:
            kinds.append(kind)
    order = [k for _, k in FILE_KINDS]
    kinds.sort(key=lambda k: order.index(k) if k in order else len(order))
    return f"{', '.join(kinds)} only"


def differing_files(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The files two manifests list with different sha256, or that only one lists."""
    old = {f["path"]: f["sha256"] for f in before["files"]}
    new = {f["path"]: f["sha256"] for f in after["files"]}
    return sorted(p for p in set(old) | set(new) if old.get(p) != new.get(p))


# --- params.yaml ---------------------------------------------------------------------------


def set_publish(repo: Path, **values: str | None) -> None:
    """Set keys of params.yaml's `publish:` section in place, comments kept."""
    path = repo / PARAMS_FILE
    text = path.read_text(encoding="utf-8")
    section = re.search(r"^publish:\n((?:[ #].*\n|\n)*)", text, re.MULTILINE)
    if section is None:
        raise ReleaseError("params.yaml has no publish section")
    body = section.group(1)
    for key, value in values.items():
        literal = "null" if value is None else json.dumps(value, ensure_ascii=False)
        body, n = re.subn(
            rf"^(  {key}:)[ \t]*[^#\n]*?([ \t]*(?:#.*)?)$",
            lambda m, lit=literal: f"{m.group(1)} {lit}{m.group(2)}",
            body,
            count=1,
            flags=re.MULTILINE,
        )
        if n != 1:
            raise ReleaseError(f"params.yaml: publish.{key} not found")
    path.write_text(text[: section.start(1)] + body + text[section.end(1) :], encoding="utf-8")


# --- make a release ---------------------------------------------------------------------


@dataclass
class Made:
    version: str
    previous: str | None
    changes: dict[str, int]
    schema: str
    drift: list[str] = field(default_factory=list)
    pushed: bool = False
    files: list[str] = field(default_factory=list)  # set when no record changed: what did


def released_on() -> str:
    """Today's date (UTC) for `publish.released`, or that of SOURCE_DATE_EPOCH when set (the
    reproducible-builds convention: a scripted release, a test, can fix its date)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    return moment.date().isoformat()


def load_json(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def previous_files(repo: Path, previous: str | None) -> dict[str, Path]:
    return versions.release_files(repo, previous) if previous else {}


def make_release(
    repo: Path,
    version: str | None = None,
    accept_drift: str | None = None,
    remote: str | None = None,
    say: Callable[[str], None] = print,
) -> Made:
    repo = Path(repo)
    if version is not None:
        check_version(repo, version)  # malformed or taken: refused before anything is rebuilt
    check_clean_tree(repo)
    check_up_to_date(repo)
    check_remote(repo, remote)
    from pipeline.params import load

    params = load(repo / PARAMS_FILE)
    previous = versions.latest(repo)
    try:
        made = _release(repo, params, previous, version, accept_drift, say)
    except BaseException:
        # Any failure (a refusal, a bug, Ctrl-C) must leave the tree as committed, or the
        # next `corpus release` refuses the dirty tree this one left.
        restore(repo)
        raise
    try:
        made.pushed = push(repo, remote, say)  # the tagged release, before the next build
    finally:
        start_next(repo, made, say)
    return made


def start_next(repo: Path, made: Made, say: Callable[[str], None]) -> None:
    """After the release's commit and tag, a commit that makes the builds that follow no release
    (`publish.version: null`, `previous` the new version), as Maven's release plugin prepares the
    next iteration: a build with other seeds would otherwise carry the version it is not."""
    set_publish(repo, version=None, released=None, previous=made.version, accepted_drift=None)
    rebuild(repo)
    commit(repo, f"After {made.version}: builds are no release until the next one")
    say(f"Builds from here on are {made.version}{UNRELEASED} until the next `corpus release`.")


def _release(repo, params, previous, version, accept_drift, say) -> Made:
    if params.publish.previous != previous or params.publish.accepted_drift != accept_drift:
        say(f"Rebuilding the release against {previous or 'no previous version'}.")
        set_publish(repo, previous=previous, accepted_drift=accept_drift)
        rebuild(repo)
    release = repo / "data" / "release"
    manifest = load_json(release / MANIFEST)
    old = previous_files(repo, previous)
    old_schema = load_json(old[SCHEMA_FILE]) if SCHEMA_FILE in old else None
    schema = schema_change(old_schema, load_json(SCHEMA_DIR / "record.schema.json"))
    changes = {k: v for k, v in manifest["changes"].items() if isinstance(v, int)}
    files: list[str] = []
    if previous is not None and change_kind(changes, schema) is None:
        files = changed_files(repo, previous, old, say)
    proposed = propose(previous, changes, schema, files)
    version = version or proposed
    check_version(repo, version, proposed)
    problems = drift_problems(old, release, repo)
    if problems and not accept_drift:
        raise ReleaseError(
            f"the release drifts from {previous} beyond the tolerances in params.yaml "
            "(validate.drift):\n  "
            + "\n  ".join(problems)
            + '\nFix the data, or accept it: `corpus release --accept-drift "why"`'
        )
    set_publish(repo, version=version, released=released_on())
    rebuild(repo)
    made = Made(version, previous, changes, schema, problems, files=files)
    write_changelog(repo, made, accept_drift)
    commit_and_tag(repo, made)
    return made


def changed_files(
    repo: Path, previous: str, old: dict[str, Path], say: Callable[[str], None]
) -> list[str]:
    """The files of the release that differ from release `previous`'s ([] when it is the same
    release), when no record and no column changed.

    The build cannot be compared as it is: its card, citation, Croissant and changes file name
    its own version and the one it follows. So the tree is built once more as `previous` was
    (its version, the version it followed, its accepted drift, from its manifest) and that
    build's manifest compared with `previous`'s, file by file (sha256): what differs is what
    the tree changed (params of the card, the schema's descriptions, the card's code). The
    build and params.yaml are set back for the release (which rebuilds) or `restore`."""
    before = load_json(old[MANIFEST])
    publish = before.get("params", {}).get("publish", {})
    say(f"No record changed: building {previous} again to compare its files.")
    params = repo / PARAMS_FILE
    text = params.read_text(encoding="utf-8")
    try:
        set_publish(
            repo,
            version=publish.get("version", previous),
            released=publish.get("released"),  # none in releases made before the param
            previous=publish.get("previous"),
            accepted_drift=publish.get("accepted_drift"),
        )
        rebuild(repo)
        again = load_json(repo / versions.RELEASE_PATH / MANIFEST)
    finally:
        params.write_text(text, encoding="utf-8")  # the release rebuilds; a refusal restores
    return differing_files(before, again)


def restore(repo: Path) -> None:
    """Back to the committed params, lock and release after a refused release."""
    versions.git(repo, "checkout", "--", PARAMS_FILE, "dvc.lock")
    dvc(repo, "checkout", "--force", "publish")


def rebuild(repo: Path) -> None:
    result = dvc(repo, "repro", "publish")
    if result.returncode != 0:
        raise ReleaseError(f"dvc repro publish failed:\n{result.stdout}{result.stderr}")


def drift_problems(old: dict[str, Path], release: Path, repo: Path) -> list[str]:
    """The drift of the build from the previous release, as readable lines ([] when none)."""
    from pipeline import drift
    from pipeline.params import load

    if VALIDATION not in old or not (release / VALIDATION).exists():
        return []
    before = load_json(old[VALIDATION])["figures"]
    after = load_json(release / VALIDATION)["figures"]
    tolerances = load(repo / PARAMS_FILE).validate.drift
    return [str(p) for p in drift.drift(before, after, tolerances)]


def summary_line(made: Made) -> str:
    c = made.changes
    parts = [f"{c.get(k, 0)} {k.replace('_', ' ')}" for k in versions_order() if c.get(k)]
    since = f" since {made.previous}" if made.previous else ""
    what = ", ".join(parts) or (describe_files(made.files) if made.files else "no record changes")
    return f"{made.version}: {what}{since}"


def versions_order() -> tuple[str, ...]:
    from pipeline.changes import CHANGE_KINDS

    return CHANGE_KINDS


def write_changelog(repo: Path, made: Made, accept_drift: str | None) -> None:
    path = repo / CHANGELOG
    old = path.read_text(encoding="utf-8") if path.exists() else "# Changelog\n"
    head, _, rest = old.partition("\n")
    lines = [f"## {made.version}", "", f"- {summary_line(made)}."]
    if made.schema != "none":
        lines.append(f"- Schema change: {made.schema}.")
    if made.files:
        lines.append(f"- Files changed: {', '.join(f'`{f}`' for f in made.files)}.")
    if made.drift:
        lines.append(f"- Drift accepted ({accept_drift}):")
        lines += [f"  - {p}" for p in made.drift]
    lines.append(f"- Record-level changes: `changes.parquet` of {versions.tag(made.version)}.")
    path.write_text(f"{head}\n\n" + "\n".join(lines) + "\n" + rest, encoding="utf-8")


def commit(repo: Path, message: str) -> None:
    """Commit what a release changes (`COMMITTED`), and nothing else of the tree."""
    paths = [p for p in COMMITTED if (repo / p).exists()]
    versions.git(repo, "add", "--", *paths)
    versions.git(repo, "commit", "-q", "-m", message, "--", *paths)


def commit_and_tag(repo: Path, made: Made) -> None:
    commit(repo, f"Release {made.version}")
    versions.git(repo, "tag", "-a", versions.tag(made.version), "-m", summary_line(made))


def push(repo: Path, remote: str | None, say: Callable[[str], None]) -> bool:
    remotes = dvc(repo, "remote", "list").stdout.strip()
    if not remotes:
        say("No DVC remote: the release stays in the local cache (`dvc remote add` one).")
        return False
    result = dvc(repo, "push", *(["-r", remote] if remote else []))
    if result.returncode != 0:
        raise ReleaseError(
            f"tagged, but dvc push failed; push the tag's data again with "
            f"`dvc push --all-tags`:\n{result.stdout}{result.stderr}"
        )
    return True
