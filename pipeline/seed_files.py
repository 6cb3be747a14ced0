"""Finding and reading seed files: the I/O half of ingest (`pipeline.ingest` parses what is read).

`scan` lists every seed under the seed folder with the sidecar it takes (`match_sidecars`), and
every sidecar no seed takes; `read_seed` reads one seed and its sidecar into an input row
(`INPUT_SCHEMA`), never raising and never reading through a link out of the folder: a failure
is the row's `error`, which ingest quarantines. Symbolic links to directories are not followed
(`os.walk`); a linked file is read only if it resolves inside the folder.

Held per file for the whole of ingest: one `SeedFile` (a slotted object of three references)
and its relative path string, about 130 bytes; a `Path` is built only while the file is read.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from pipeline import quarantine as q
from pipeline.ids import file_sha256, sha256_hex
from pipeline.params import IngestParams
from pipeline.quarantine import Rejected

INPUT_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("source_sha256", pa.string()),
        ("raw", pa.large_binary()),
        ("sidecar", pa.large_binary()),
        ("sidecar_name", pa.string()),
        # Set when the file was not read at all: (reason constant, detail).
        ("error", pa.string()),
        ("error_detail", pa.string()),
    ]
)


@dataclass(frozen=True, slots=True)
class SeedFile:
    """One input file: a seed and the sidecar it takes, or a sidecar no seed takes.

    Strings, not `Path`s: ingest holds one for every file of the corpus until it ends, and a
    `Path` (with its cached parts and string) costs several times its path string.
    """

    source: str  # path relative to the seed folder, posix: the input row's `source`
    sidecar: str | None = None  # name of the sidecar applied to this seed (in the same folder)
    unused: Rejected | None = None  # `source` is a sidecar applied to no seed: why

    def path(self, root: Path) -> Path:
        return Path(root) / self.source

    def sidecar_path(self, root: Path) -> Path | None:
        return None if self.sidecar is None else self.path(root).with_name(self.sidecar)


def sidecar_suffix(name: str, suffixes: tuple[str, ...]) -> str | None:
    return next((s for s in suffixes if name.endswith(s) and len(name) > len(s)), None)


def match_sidecars(
    names: list[str], suffixes: tuple[str, ...]
) -> tuple[dict[str, str], dict[str, Rejected]]:
    """({seed: its sidecar}, {sidecar applied to no seed: why}) among the names of one folder.

    `<seed><suffix>` belongs to that seed; failing one, `<stem><suffix>` (article.meta.json)
    belongs to the one seed `<stem>.<extension>` beside it. A sidecar that two seeds could claim
    (article.txt and article.md) is applied to neither, and a seed with two sidecars takes the
    exact name first, then the first of `suffixes`: every other one is reported, never ignored.
    """
    seeds = sorted(n for n in names if sidecar_suffix(n, suffixes) is None)
    by_stem: dict[str, list[str]] = {}
    for seed in seeds:
        stem, extension = os.path.splitext(seed)
        if extension:
            by_stem.setdefault(stem, []).append(seed)
    claims: dict[str, list[tuple[tuple[int, int], str]]] = {}
    unused: dict[str, Rejected] = {}
    for name in sorted(set(names) - set(seeds)):
        suffix = sidecar_suffix(name, suffixes)
        assert suffix is not None
        base, rank = name[: -len(suffix)], suffixes.index(suffix)
        stem_seeds = by_stem.get(base, [])
        if base in seeds:
            claims.setdefault(base, []).append(((0, rank), name))
        elif len(stem_seeds) == 1:
            claims.setdefault(stem_seeds[0], []).append(((1, rank), name))
        elif stem_seeds:
            detail = (
                f"{name} could belong to {' or '.join(stem_seeds)}: applied to none"
                f" (name it {stem_seeds[0]}{suffix}, say)"
            )
            unused[name] = Rejected(q.AMBIGUOUS_SIDECAR, detail)
        else:
            detail = f"{name} matches no seed: neither {base} nor {base}.<extension> is beside it"
            unused[name] = Rejected(q.ORPHAN_SIDECAR, detail)
    chosen = {}
    for seed, candidates in claims.items():
        (_, first), *others = sorted(candidates)
        chosen[seed] = first
        for _, other in others:
            detail = f"{other} not applied: {seed} takes {first}"
            unused[other] = Rejected(q.AMBIGUOUS_SIDECAR, detail)
    return chosen, unused


def scan(root: Path, params: IngestParams) -> list[SeedFile]:
    """Every seed under `root` with its sidecar, and every sidecar no seed takes, sorted by
    relative path (the output order).

    os.walk does not descend into linked directories, so a link cannot pull a tree from
    elsewhere into the corpus; linked files are listed and checked when read.
    """
    files = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        names = [n for n in names if not n.startswith(".")]
        chosen, unused = match_sidecars(names, params.sidecar_suffixes)
        prefix = _relative_prefix(Path(folder), Path(root))
        for name in names:
            if name in unused:
                files.append(SeedFile(prefix + name, unused=unused[name]))
            elif sidecar_suffix(name, params.sidecar_suffixes) is None:
                files.append(SeedFile(prefix + name, sidecar=chosen.get(name)))
    files.sort(key=lambda f: f.source)
    return files


def _relative_prefix(folder: Path, root: Path) -> str:
    """What goes before a file name of `folder` in its path relative to `root` ('' at the top):
    `(folder / name).relative_to(root).as_posix()` without a `Path` per file."""
    relative = folder.relative_to(root).as_posix()
    return "" if relative == "." else relative + "/"


def list_seeds(root: Path, params: IngestParams) -> list[Path]:
    """Every candidate article file under `root`, sorted by relative path (sidecars aside)."""
    return [f.path(root) for f in scan(root, params) if f.unused is None]


def find_sidecar(path: Path, params: IngestParams) -> Path | None:
    """The sidecar `match_sidecars` gives the seed at `path`, if any."""
    names = [n for n in os.listdir(path.parent) if not n.startswith(".")]
    chosen, _ = match_sidecars(names, params.sidecar_suffixes)
    return path.with_name(chosen[path.name]) if path.name in chosen else None


def unused_sidecar_row(root: Path, path: Path, why: Rejected) -> dict[str, Any]:
    """The input row of a sidecar applied to no seed: quarantined with its reason, never read
    through a link out of `root`."""
    row = {"source": path.relative_to(root).as_posix(), "source_sha256": ""}
    if path.resolve().is_relative_to(root.resolve()):
        # Unreadable as well as unused: the reason says the more useful thing.
        with contextlib.suppress(OSError):
            row["source_sha256"] = file_sha256(path)
    return {**row, "error": why.reason, "error_detail": why.detail}


@functools.lru_cache(maxsize=1024)
def _resolved(folder: Path) -> Path:
    """`folder` with its links resolved, once per run, not once per file (20,000 `realpath`s,
    each an `lstat` per component of the path)."""
    return folder.resolve()


def _real(path: Path) -> Path:
    """`path.resolve()`: a file that is not a link is its folder's real path and its name, and
    its folder is resolved once for all its files."""
    return path.resolve() if path.is_symlink() else _resolved(path.parent) / path.name


def read_seed(
    root: Path, path: Path, params: IngestParams, sidecar: Path | None | Literal["find"] = "find"
) -> dict[str, Any]:
    """The I/O half of ingest for one file and its sidecar (by default the one `find_sidecar`
    gives): never raises, never reads outside `root`."""
    row: dict[str, Any] = {"source": path.relative_to(root).as_posix(), "source_sha256": ""}
    real_root = _resolved(root)
    if not _real(path).is_relative_to(real_root):
        return {**row, "error": q.OUTSIDE_SEEDS, "error_detail": "symbolic link out of seeds/"}
    try:
        size = path.stat().st_size
        if size > params.max_bytes:
            detail = f"{size} bytes > ingest.max_bytes={params.max_bytes}"
            return {
                **row,
                "source_sha256": file_sha256(path),
                "error": q.TOO_LARGE,
                "error_detail": detail,
            }
        raw = path.read_bytes()
    except OSError as exc:
        return {
            **row,
            "error": q.UNREADABLE,
            "error_detail": f"{type(exc).__name__}: {exc.strerror or exc}",
        }
    row.update(raw=raw, source_sha256=sha256_hex(raw))
    if sidecar == "find":
        sidecar = find_sidecar(path, params)
    if sidecar is None:
        return row
    if not _real(sidecar).is_relative_to(real_root):
        return {
            **row,
            "error": q.OUTSIDE_SEEDS,
            "error_detail": f"sidecar {sidecar.name} links out of seeds/",
        }
    try:
        row.update(sidecar=sidecar.read_bytes(), sidecar_name=sidecar.name)
    except OSError as exc:
        return {**row, "error": q.BAD_SIDECAR, "error_detail": f"{sidecar.name}: {exc}"}
    return row


def read_file(root: Path, file: SeedFile, params: IngestParams) -> dict[str, Any]:
    """The input row of one file `scan` listed: a seed and its sidecar, or an unused sidecar."""
    if file.unused is not None:
        return unused_sidecar_row(root, file.path(root), file.unused)
    return read_seed(root, file.path(root), params, file.sidecar_path(root))


def read_seed_batches(
    root: Path, files: list[SeedFile], params: IngestParams, batch_size: int
) -> Iterator[pa.RecordBatch]:
    """The input rows of `files`, in their order, `batch_size` rows at a time."""
    root = Path(root)
    for start in range(0, len(files), batch_size):
        rows = [read_file(root, f, params) for f in files[start : start + batch_size]]
        yield pa.RecordBatch.from_pylist(rows, schema=INPUT_SCHEMA)
