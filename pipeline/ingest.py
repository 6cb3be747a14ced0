"""Stage `ingest`: every file under `seeds/` -> its articles as records, or quarantined rows.

Reads:  the seed folder, recursively (symbolic links to directories are not followed; a linked
        file is read only if it resolves inside the seed folder; dotfiles are not articles),
        and each seed's sidecar `<seed>.meta.json` / `.meta.yaml` (metadata, not an article).
Writes: `data/ingest/records/` (Arrow schema: record fields with x-stage "ingest"),
        `data/quarantine/ingest/`, `data/ingest/metrics.json` (counts, per format and reason,
        and the input hash).
Params: `engine`, `ingest`.

Formats (by extension, enabled in `ingest.extensions`): plain text, Markdown, HTML (main content
extracted), and JSONL/CSV exports with one article per line or row (`ingest.columns`).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from pipeline import params as params_mod
from pipeline import quarantine as q
from pipeline.encoding import declared_charset, decode
from pipeline.ids import canonical_url, file_sha256, record_id, sha256_hex
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
        "id": record_id(url, seed["source"] if row is None else f"{seed['source']}#{row}"),
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


def parse_seed(seed: dict[str, Any], params: IngestParams) -> list[dict[str, Any] | Rejected]:
    """One seed file (raw bytes, sidecar bytes, or why it was not read) -> its records."""
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
    return [
        item if isinstance(item, Rejected) else to_record(item, seed, fmt, encoding, meta)
        for item in items
    ]


def format_of(source: str, params: IngestParams) -> str:
    suffix = Path(source).suffix.lower()
    return (
        READERS[suffix][0] if suffix in READERS and suffix in params.extensions else "unsupported"
    )


def list_seeds(root: Path, params: IngestParams) -> list[Path]:
    """Every candidate article file under `root`, sorted by relative path (the output order).

    os.walk does not descend into linked directories, so a link cannot pull a tree from
    elsewhere into the corpus; linked files are listed and checked when read.
    """
    files = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            if name.startswith(".") or name.endswith(params.sidecar_suffixes):
                continue
            files.append(Path(folder) / name)
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def read_seed(root: Path, path: Path, params: IngestParams) -> dict[str, Any]:
    """The I/O half of ingest for one file: never raises, never reads outside `root`."""
    row: dict[str, Any] = {"source": path.relative_to(root).as_posix(), "source_sha256": ""}
    real_root = root.resolve()
    if not path.resolve().is_relative_to(real_root):
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
    for suffix in params.sidecar_suffixes:
        sidecar = path.with_name(path.name + suffix)
        if not (sidecar.exists() or sidecar.is_symlink()):
            continue
        if not sidecar.resolve().is_relative_to(real_root):
            return {
                **row,
                "error": q.OUTSIDE_SEEDS,
                "error_detail": f"sidecar {sidecar.name} links out of seeds/",
            }
        try:
            row.update(sidecar=sidecar.read_bytes(), sidecar_name=sidecar.name)
        except OSError as exc:
            return {**row, "error": q.BAD_SIDECAR, "error_detail": f"{sidecar.name}: {exc}"}
        break
    return row


def read_seed_batches(
    root: Path, files: list[Path], params: IngestParams, batch_size: int
) -> Iterator[pa.RecordBatch]:
    for start in range(0, len(files), batch_size):
        rows = [read_seed(root, path, params) for path in files[start : start + batch_size]]
        yield pa.RecordBatch.from_pylist(rows, schema=INPUT_SCHEMA)


def input_hash(sources: list[tuple[str, str]]) -> str:
    """sha256 over (path, raw sha256) of every input file: identifies exactly what went in."""
    return sha256_hex("".join(f"{path}\t{digest}\n" for path, digest in sorted(sources)))


def run(seeds: Path, out: Path, quarantine: Path, metrics: Path, params: params_mod.Params) -> dict:
    files = list_seeds(seeds, params.ingest)
    sources: list[tuple[str, str]] = []
    formats: Counter = Counter()

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in read_seed_batches(seeds, files, params.ingest, params.engine.batch_size):
            paths, digests = batch["source"].to_pylist(), batch["source_sha256"].to_pylist()
            sources.extend(zip(paths, digests, strict=True))
            formats.update(format_of(p, params.ingest) for p in paths)
            yield batch

    def fn(seed: dict[str, Any]) -> list[dict[str, Any] | Rejected]:
        return parse_seed(seed, params.ingest)

    counts = map_stage(STAGE, fn, out, quarantine, params, batches(), total=len(files))
    result = {
        **counts,
        "files_in": len(files),
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
