"""Stage `ingest`: every file under `seeds/` -> its articles as records, or quarantined rows.

Reads:  the seed folder, recursively (symbolic links to directories are not followed; a linked
        file is read only if it resolves inside the seed folder; dotfiles are not articles),
        and each seed's sidecar `<seed>.meta.json` / `.meta.yaml`, or `<stem>.meta.json` when
        one seed only has that stem (metadata, not an article; `match_sidecars`).
Writes: `data/ingest/records/` (Arrow schema: record fields with x-stage "ingest"),
        `data/quarantine/ingest/` (with a row for each sidecar applied to no seed:
        `orphan_sidecar`, `ambiguous_sidecar`), `data/ingest/metrics.json` (counts, per format
        and reason, `unused_sidecars`, and the input hash).
Params: `engine`, `ingest`.

Formats (by extension, enabled in `ingest.extensions`): plain text, Markdown, HTML (main content
extracted), and JSONL/CSV exports with one article per line or row (`ingest.columns`).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import yaml

from pipeline import params as params_mod
from pipeline import quarantine as q
from pipeline.encoding import declared_charset, decode
from pipeline.ids import canonical_url, file_sha256, record_id, sha256_hex, source_ref
from pipeline.params import IngestParams
from pipeline.quarantine import Rejected, canonical_json
from pipeline.readers import Article, Reader, clean_field, drop_title, normalize_date
from pipeline.readers.html import read_html
from pipeline.readers.markdown import read_markdown
from pipeline.readers.table import read_csv, read_jsonl
from pipeline.readers.text import read_text, split_title  # noqa: F401 - split_title: public API
from pipeline.stage import map_stage, parse_args, write_metrics

STAGE = "ingest"
READERS: dict[str, tuple[str, Reader]] = {
    ".txt": ("txt", read_text),
    ".md": ("md", read_markdown),
    ".markdown": ("md", read_markdown),
    ".html": ("html", read_html),
    ".htm": ("html", read_html),
    ".jsonl": ("jsonl", read_jsonl),
    ".csv": ("csv", read_csv),
}
MULTI_ARTICLE = {"jsonl", "csv"}
EXPORT_SIDECAR_FIELDS = ("publisher", "license")
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
# Sidecar keys that become record fields; every key is also kept in `metadata`.
SIDECAR_FIELDS = {
    "title": ("title",),
    "url": ("url", "canonical_url"),
    "author": ("author", "byline"),
    "published_date": ("published_date", "date", "published"),
    "publisher": ("publisher", "site_name"),
    "license": ("license", "licence"),
}


def parse_sidecar(sidecar: bytes | None, name: str | None) -> dict[str, Any] | Rejected:
    if sidecar is None:
        return {}
    is_yaml = bool(name) and name.endswith((".yaml", ".yml"))
    try:
        text = sidecar.decode("utf-8-sig")
        meta = yaml.safe_load(text) if is_yaml else json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as exc:
        kind = "YAML" if is_yaml else "JSON"
        return Rejected(q.BAD_SIDECAR, f"{name} is not UTF-8 {kind}: {exc}"[:500])
    if not isinstance(meta, dict):
        return Rejected(q.BAD_SIDECAR, f"{name} is a {type(meta).__name__}, not a mapping")
    return meta


def sidecar_fields(meta: dict[str, Any]) -> dict[str, Any]:
    """The record fields a sidecar sets (only those it has a value for)."""
    found = {}
    for field, keys in SIDECAR_FIELDS.items():
        value = next((meta[k] for k in keys if meta.get(k) not in (None, "")), None)
        if value is not None:
            found[field] = (
                normalize_date(value) if field == "published_date" else clean_field(value)
            )
    return found


def to_record(
    article: Article, seed: dict[str, Any], fmt: str, encoding: str, meta: dict[str, Any]
) -> dict[str, Any]:
    """An article plus its provenance and sidecar metadata -> an ingest record.

    In a one-article file the sidecar is the curator's word and overrides what the document
    says; in an export it only fills file-wide fields (publisher, licence) a row leaves empty.
    The text's first block is dropped when it is the final title (`drop_title`).
    """
    fields = {k: article.get(k) for k in SIDECAR_FIELDS}
    side = sidecar_fields(meta)
    if fmt in MULTI_ARTICLE:
        # Only what holds for the whole file: one URL or title for every row would give every
        # row the same id.
        for k in EXPORT_SIDECAR_FIELDS:
            fields[k] = fields[k] if fields[k] is not None else side.get(k)
    else:
        fields.update(side)
    row = article.get("row")
    url = fields["url"]
    extra = {**article.get("extra", {}), **({"sidecar": meta} if meta else {})}
    return {
        "id": record_id(url, source_ref(seed["source"], row)),
        # One rule for every format: the title is not repeated as the text's first block.
        "text": drop_title(article["text"], fields["title"]),
        **fields,
        "url": canonical_url(url) if url else None,
        "source": seed["source"],
        "source_row": row,
        "source_sha256": seed["source_sha256"],
        "source_format": fmt,
        "encoding": encoding,
        "metadata": canonical_json(extra),
    }


def load_blocklist(path: Path) -> frozenset[str]:
    """The record ids a blocklist names: ids as written, URLs as the id they give a record."""
    if not path.is_file():
        return frozenset()
    ids = set()
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        entry = line.split("#", 1)[0].strip()
        if entry:
            ids.add(entry.lower() if _ID.fullmatch(entry) else record_id(entry, ""))
    return frozenset(ids)


_ID = re.compile(r"[0-9a-fA-F]{32}")


def taken_down(item: dict[str, Any] | Rejected, blocked: frozenset[str]) -> bool:
    return not isinstance(item, Rejected) and item["id"] in blocked


def parse_seed(
    seed: dict[str, Any], params: IngestParams, blocked: frozenset[str] = frozenset()
) -> list[dict[str, Any] | Rejected]:
    """One seed file (raw bytes, sidecar bytes, or why it was not read) -> its records; those
    whose id is `blocked` are taken down (their quarantine row holds the seed, not the text)."""
    if seed.get("error"):
        return [Rejected(seed["error"], seed.get("error_detail") or "")]
    suffix = Path(seed["source"]).suffix.lower()
    if suffix not in params.extensions or suffix not in READERS:
        why = "is not in ingest.extensions" if suffix not in params.extensions else "has no reader"
        return [Rejected(q.UNSUPPORTED_FORMAT, f"extension {suffix or '(none)'} {why}")]
    raw = seed["raw"]
    if not raw.strip():
        return [Rejected(q.EMPTY_INPUT, f"{len(raw)} bytes, no text")]
    meta = parse_sidecar(seed.get("sidecar"), seed.get("sidecar_name"))
    if isinstance(meta, Rejected):
        return [meta]
    fmt, reader = READERS[suffix]
    declared = declared_charset(raw) if fmt == "html" else None
    decoded = decode(raw, params.preferred_encodings, declared)
    if isinstance(decoded, Rejected):
        return [decoded]
    text, encoding = decoded
    if not text.strip():
        return [Rejected(q.EMPTY_INPUT, f"only whitespace once decoded as {encoding}")]
    items = reader(text, params)
    if not items:  # an export with a header and no rows, say: the file must still be counted
        return [Rejected(q.NO_CONTENT, f"no article found in the {fmt} file")]
    records = [
        item if isinstance(item, Rejected) else to_record(item, seed, fmt, encoding, meta)
        for item in items
    ]
    return [
        Rejected(q.TAKEDOWN, f"{r['id']} is listed in the blocklist", r.get("source_row"), r["id"])
        if taken_down(r, blocked)
        else r
        for r in records
    ]


def format_of(source: str, params: IngestParams) -> str:
    suffix = Path(source).suffix.lower()
    return (
        READERS[suffix][0] if suffix in READERS and suffix in params.extensions else "unsupported"
    )


@dataclass(frozen=True)
class SeedFile:
    """One input file: a seed and the sidecar it takes, or a sidecar no seed takes."""

    path: Path
    sidecar: Path | None = None  # the sidecar applied to this seed
    unused: Rejected | None = None  # `path` is a sidecar applied to no seed: why


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
        here = Path(folder)
        for name in names:
            if name in unused:
                files.append(SeedFile(here / name, unused=unused[name]))
            elif sidecar_suffix(name, params.sidecar_suffixes) is None:
                sidecar = here / chosen[name] if name in chosen else None
                files.append(SeedFile(here / name, sidecar=sidecar))
    return sorted(files, key=lambda f: f.path.relative_to(root).as_posix())


def list_seeds(root: Path, params: IngestParams) -> list[Path]:
    """Every candidate article file under `root`, sorted by relative path (sidecars aside)."""
    return [f.path for f in scan(root, params) if f.unused is None]


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


def read_seed_batches(
    root: Path, files: list[SeedFile], params: IngestParams, batch_size: int
) -> Iterator[pa.RecordBatch]:
    for start in range(0, len(files), batch_size):
        rows = [
            read_seed(root, f.path, params, f.sidecar)
            if f.unused is None
            else unused_sidecar_row(root, f.path, f.unused)
            for f in files[start : start + batch_size]
        ]
        yield pa.RecordBatch.from_pylist(rows, schema=INPUT_SCHEMA)


def input_hash(sources: list[tuple[str, str]]) -> str:
    """sha256 over (path, raw sha256) of every input file: identifies exactly what went in."""
    return sha256_hex("".join(f"{path}\t{digest}\n" for path, digest in sorted(sources)))


def run(seeds: Path, out: Path, quarantine: Path, metrics: Path, params: params_mod.Params) -> dict:
    blocklist = Path(seeds) / params.ingest.blocklist
    blocked = load_blocklist(blocklist)
    files = [f for f in scan(seeds, params.ingest) if f.path != blocklist]
    seed_files = [f for f in files if f.unused is None]
    unused_sidecars = {f.path.relative_to(seeds).as_posix() for f in files if f.unused}
    # The blocklist changes what is published: it is part of the input.
    sources = [(blocklist.name, file_sha256(blocklist))] if blocklist.is_file() else []
    formats: Counter = Counter()

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in read_seed_batches(seeds, files, params.ingest, params.engine.batch_size):
            paths, digests = batch["source"].to_pylist(), batch["source_sha256"].to_pylist()
            # An unused sidecar changes the output (a quarantine row): it is input too.
            sources.extend(zip(paths, digests, strict=True))
            formats.update(format_of(p, params.ingest) for p in paths if p not in unused_sidecars)
            yield batch

    def fn(seed: dict[str, Any]) -> list[dict[str, Any] | Rejected]:
        return parse_seed(seed, params.ingest, blocked)

    counts = map_stage(STAGE, fn, out, quarantine, params, batches(), total=len(files))
    result = {
        **counts,
        # Seed files; sidecars that no seed takes are input rows too (records_in), quarantined
        # as orphan_sidecar or ambiguous_sidecar: not articles (see quarantine.NOT_ARTICLES).
        "files_in": len(seed_files),
        "unused_sidecars": len(unused_sidecars),
        "files_by_format": dict(sorted(formats.items())),
        "input_hash": input_hash(sources),
    }
    write_metrics(metrics, result)
    return result


def main(argv: list[str] | None = None) -> dict:
    args, params = parse_args(argv, __name__, __doc__, ["seeds", "out", "quarantine", "metrics"])
    return run(args.seeds, args.out, args.quarantine, args.metrics, params)


if __name__ == "__main__":
    main()
