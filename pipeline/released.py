"""A release once made: pull one by version, verify it against its manifest, compare two.

`pull` fetches a version's release folder from the DVC remote (`dvc get` at its git tag) and
verifies it; `verify` lists every way a folder differs from its manifest (files, sizes, sha256,
rows, the data files' schema); `compare` lists the record-level changes between two folders, the
schema change and the headline figures. They raise `ReleaseError` with what to do; the CLI
(`corpus pull`, `corpus verify`, `corpus diff`) only prints it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from pipeline import versions
from pipeline.checksums import UNREADABLE, checksum_problems
from pipeline.ids import file_sha256
from pipeline.publish import SCHEMA_FILE
from pipeline.release import MANIFEST, ReleaseError, dvc, load_json, schema_change
from pipeline.schema import schema_from

# What Arrow raises on a file that is not Parquet, or is cut short.

# --- pull and verify ---------------------------------------------------------------------


def pull(version: str, dest: Path, repo: str = ".", remote_url: str | None = None) -> list[str]:
    """Fetch release `version` of `repo` (a path or git URL) into `dest`; the verification
    problems ([] when it is intact). `remote_url`: where the repository's default DVC remote
    is, when DVC cannot tell from `repo` (see `remote_options`)."""
    try:
        version = versions.normalize(version)  # 1.0.0 or v1.0.0, the tag's spelling
    except versions.VersionError as e:
        raise ReleaseError(str(e)) from None
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise ReleaseError(f"{dest} is not empty: pull into a new folder")
    created = first_missing(dest)
    try:
        fetch(version, dest, repo, remote_url)
    except BaseException:
        # A half-done fetch leaves empty data/, images/... behind, and a retry would refuse
        # the folder as not empty: take away what this pull made, and nothing else.
        undo_created(dest, created)
        raise
    return verify(dest)


RELATIVE_REMOTE_HINT = (
    "\nIf the repository's default DVC remote is a relative path (as shipped: "
    "../corpus-pipeline-remote beside the repository), DVC looks for it inside its temporary "
    "clone of {repo}: say where it is, `--remote-url /path/to/corpus-pipeline-remote` (with "
    "`dvc get`: `--remote-config url=/path/to/corpus-pipeline-remote`), or pull from a "
    "checkout (`--repo /path/to/checkout`)."
)


def fetch(version: str, dest: Path, repo: str, remote_url: str | None = None) -> None:
    """`dvc get` the release folder at the version's tag into `dest`."""
    options = remote_options(repo, versions.tag(version), remote_url)
    result = dvc(
        Path.cwd(),
        "get",
        repo,
        versions.RELEASE_PATH,
        "--rev",
        versions.tag(version),
        "-o",
        str(dest),
        *options,  # after the positionals: --remote-config takes every word that follows
    )
    if result.returncode != 0:
        hint = "" if remote_url or checkout(repo) else RELATIVE_REMOTE_HINT.format(repo=repo)
        raise ReleaseError(
            f"dvc get of {versions.tag(version)} failed:\n{result.stderr.strip()}{hint}"
        )


def checkout(repo: str) -> bool:
    """Whether `repo` is a DVC working copy on this machine, which DVC opens where it is (its
    own config, relative remote urls included, holds)."""
    return (Path(repo) / ".dvc").is_dir()


def local_git(repo: str) -> Path | None:
    """The folder of a git repository on this machine given as a path or a file:// URL (bare
    or not); None for any other URL."""
    if repo.startswith("file://"):
        from urllib.parse import unquote, urlparse

        return Path(unquote(urlparse(repo).path))
    return Path(repo) if "://" not in repo and Path(repo).is_dir() else None


def remote_options(repo: str, rev: str, remote_url: str | None) -> list[str]:
    """`dvc get` options that say where the default remote is, when DVC would not find it.

    DVC clones a git URL into a temporary folder and resolves a relative remote url (the
    shipped `../../corpus-pipeline-remote`, relative to .dvc/) against that clone, where it
    is not. So: `remote_url` when given; else, for a git repository on this machine that is
    not a checkout (a file:// URL, a bare repository), the default remote's url at `rev`
    resolved against the repository's own folder, as DVC resolves it in a checkout of it.
    Absolute paths and URLs (s3://...) need nothing."""
    if remote_url is not None:
        url = remote_url if "://" in remote_url else str(Path(remote_url).expanduser().resolve())
        return ["--remote-config", f"url={url}"]
    folder = local_git(repo)
    if folder is None or checkout(repo):
        return []
    url = default_remote_url(folder, rev)
    if url is None or "://" in url or Path(url).expanduser().is_absolute():
        return []
    return ["--remote-config", f"url={(folder / '.dvc' / url).resolve()}"]


def default_remote_url(folder: Path, rev: str) -> str | None:
    """The url of the default DVC remote in `.dvc/config` at `rev`, as written."""
    import subprocess

    from configobj import ConfigObj, ConfigObjError

    shown = subprocess.run(
        ["git", "-C", str(folder), "show", f"{rev}:.dvc/config"], capture_output=True, text=True
    )
    if shown.returncode != 0:
        return None
    try:
        config = ConfigObj(shown.stdout.splitlines())
    except ConfigObjError:
        return None
    name = config.get("core", {}).get("remote")
    return config.get(f'remote "{name}"', {}).get("url") if name else None


def first_missing(dest: Path) -> Path | None:
    """The outermost folder of `dest`'s path (`dest` itself included) that does not exist yet;
    None when `dest` exists."""
    missing = None
    for folder in [dest, *dest.parents]:
        if folder.exists():
            break
        missing = folder
    return missing


def undo_created(dest: Path, created: Path | None) -> None:
    """Remove what a failed pull made: the folders it created, or the contents of the empty
    `dest` it was given."""
    if created is not None:
        shutil.rmtree(created, ignore_errors=True)
        return
    for child in dest.iterdir() if dest.is_dir() else []:
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def verify(release: Path) -> list[str]:
    """Every way `release` differs from its manifest: files missing, extra or altered (sha256,
    size, rows), and data files whose Arrow schema is not the release's schema."""
    release = Path(release)
    if not (release / MANIFEST).exists():
        return [f"{MANIFEST}: missing (is {release} a release folder?)"]
    manifest = load_json(release / MANIFEST)
    problems, intact = checksum_problems(release, manifest)
    return problems + schema_problems(release, manifest, intact)


def schema_problems(release: Path, manifest: dict[str, Any], intact: list[str]) -> list[str]:
    """Each intact data file's Arrow schema against the one the release's schema.json derives
    (files already reported as altered or extra are not opened again)."""
    schema_path = release / SCHEMA_FILE
    if not schema_path.exists():
        return [f"{SCHEMA_FILE}: missing"]
    if file_sha256(schema_path) != manifest["schema"]["sha256"]:
        return [f"{SCHEMA_FILE}: not the schema the manifest names"]
    expected = schema_from(schema_path).arrow().remove_metadata()
    data = sorted(p for p in intact if p.startswith("data/") and p.endswith(".parquet"))
    problems = []
    for path in data:
        try:
            actual = pq.read_schema(release / path).remove_metadata()
        except UNREADABLE as e:
            problems.append(f"{path}: not a readable Parquet file ({e})")
            continue
        if not actual.equals(expected):
            problems.append(f"{path}: columns or types differ from {SCHEMA_FILE}")
    return problems


# --- compare two releases ----------------------------------------------------------------


def resolve(repo: Path, ref: str, scratch: Path) -> Path:
    """A release folder for `ref`: a folder as given, or a version from DVC's cache."""
    if Path(ref).is_dir():
        return Path(ref)
    try:
        return versions.materialize(repo, ref, scratch / ref)
    except versions.VersionError as e:
        raise ReleaseError(str(e)) from None


def headline(release: Path) -> dict[str, Any]:
    """The figures people rely on: counts, languages, splits, length quantiles."""
    import pyarrow.compute as pc

    from pipeline.changes import data_files

    manifest = load_json(release / MANIFEST)
    table = (
        pq.ParquetDataset(data_files(release)).read(columns=["language", "split", "word_count"])
        if data_files(release)
        else None
    )
    figures: dict[str, Any] = {
        "version": manifest.get("version"),
        "published": manifest["counts"]["published"],
        "quarantined": manifest["counts"]["quarantined"],
    }
    if table is not None and table.num_rows:
        for column in ("language", "split"):
            counts = pc.value_counts(table.column(column)).to_pylist()
            figures[f"{column}s"] = {
                c["values"]: c["counts"]
                for c in sorted(counts, key=lambda c: (-c["counts"], c["values"]))
            }
        quantiles = pc.quantile(
            table.column("word_count"), q=[0.05, 0.5, 0.95], interpolation="nearest"
        ).to_pylist()
        figures["word_count_quantiles"] = dict(zip(("q05", "q50", "q95"), quantiles, strict=True))
    return figures


@dataclass
class Comparison:
    rows: list[dict]
    summary: dict[str, int]
    schema: str
    before: dict[str, Any]
    after: dict[str, Any]


def compare(a: Path, b: Path) -> Comparison:
    """Record-level changes from release folder `a` to `b`, the schema change and headlines."""
    from pipeline import changes

    reasons = {r["id"]: r["reason"] for r in changes.read_changes(b) if r["change"] == "withdrawn"}
    # Read as the later release's stages read their input: a batch of its `engine.batch_size`.
    size = load_json(b / MANIFEST)["params"]["engine"]["batch_size"]
    found = changes.diff(
        changes.release_fingerprints(a, size), changes.release_fingerprints(b, size), {}
    )
    rows = found.to_pylist()
    for row in rows:
        if row["change"] == "withdrawn":
            row["reason"] = reasons.get(row["id"], "not in the later release")
    old = load_json(a / SCHEMA_FILE) if (a / SCHEMA_FILE).exists() else None
    schema = schema_change(old, load_json(b / SCHEMA_FILE))
    return Comparison(rows, changes.summarize(found), schema, headline(a), headline(b))
