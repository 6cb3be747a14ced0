"""Stage `ingest`: every file under `seeds/` -> its articles as records, or quarantined rows.

Reads:  the seed folder, recursively (symbolic links to directories are not followed; a linked
        file is read only if it resolves inside the seed folder; dotfiles are not articles),
        and each seed's sidecar `<seed>.meta.json` / `.meta.yaml`, or `<stem>.meta.json` when
        one seed only has that stem (metadata, not an article; `match_sidecars`): the files
        are found and read by pipeline/seed_files.py, and parsed here.
Writes: `data/ingest/records/` (Arrow schema: record fields with x-stage "ingest"),
        `data/quarantine/ingest/` (with a row for each sidecar applied to no seed:
        `orphan_sidecar`, `ambiguous_sidecar`), `metrics/ingest.json` (counts, per format
        and reason, `unused_sidecars`, the input hash, and `blocklist_unmatched`: the entries of
        `seeds/<ingest.blocklist>` that took no record down).
Params: `engine`, `ingest`.

Formats (by extension, enabled in `ingest.extensions`): plain text, Markdown, HTML (main content
extracted), and JSONL/CSV exports with one article per line or row. Which key of a row, a front
matter or a sidecar holds which field: `ingest.fields` (pipeline/readers/fields.py).

Held per input file until the end: its `SeedFile` (a relative path string, about 130 bytes,
pipeline/seed_files.py); the input hash is made as the files are read, in the sorted order
`scan` gives them (`InputHash`), not from a list of every file.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from pipeline import params as params_mod
from pipeline import quarantine as q
from pipeline.encoding import decode
from pipeline.encoding_declared import declared_charset
from pipeline.ids import canonical_url, file_sha256, record_id, source_ref
from pipeline.params import IngestParams
from pipeline.quarantine import Rejected, canonical_json
from pipeline.readers import Article, Reader, drop_title
from pipeline.readers.fields import FIELDS, metadata_fields
from pipeline.readers.html import read_html
from pipeline.readers.markdown import read_markdown
from pipeline.readers.table import read_csv, read_json, read_jsonl
from pipeline.readers.text import read_text, split_title  # noqa: F401 - split_title: public API
from pipeline.seed_files import read_seed_batches, scan
from pipeline.stage import map_stage, parse_args, write_metrics
from pipeline.takedowns import (
    Blocklist,
    BlocklistError,
    load_blocklist,
    take_down,
    unmatched_reduce,
)

LOGGER = logging.getLogger(__name__)
NO_BLOCKLIST = Blocklist()

STAGE = "ingest"
READERS: dict[str, tuple[str, Reader]] = {
    ".txt": ("txt", read_text),
    ".md": ("md", read_markdown),
    ".markdown": ("md", read_markdown),
    ".html": ("html", read_html),
    ".htm": ("html", read_html),
    ".jsonl": ("jsonl", read_jsonl),
    ".json": ("json", read_json),
    ".csv": ("csv", read_csv),
}
MULTI_ARTICLE = {"jsonl", "json", "csv"}
# The fields an export's sidecar fills where a row leaves them empty: what may hold for every
# row of a feed (its staff byline, its day, its publisher and licence). Not url or title: they
# name one article, and one URL for every row would give every row the same id.
EXPORT_SIDECAR_FIELDS = ("author", "published_date", "publisher", "license")


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


def to_record(
    article: Article,
    seed: dict[str, Any],
    fmt: str,
    encoding: str,
    meta: dict[str, Any],
    side: dict[str, str],
) -> dict[str, Any]:
    """An article plus its provenance and sidecar metadata -> an ingest record.

    In a one-article file the sidecar is the curator's word and overrides what the document
    says; in an export it only fills the file-wide fields (`EXPORT_SIDECAR_FIELDS`) a row leaves
    empty.
    `side` is the fields the sidecar `meta` sets (`fields.metadata_fields`, read once per seed);
    all of `meta` is kept in `metadata`. The text's first block is dropped when it is the final
    title (`drop_title`).
    """
    fields = {k: article.get(k) for k in FIELDS}
    if fmt in MULTI_ARTICLE:
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


def parse_seed(
    seed: dict[str, Any], params: IngestParams, blocklist: Blocklist = NO_BLOCKLIST
) -> list[dict[str, Any] | Rejected]:
    """One seed file (raw bytes, sidecar bytes, or why it was not read) -> its records; those
    the `blocklist` names are taken down (their quarantine row holds the seed, not the text)."""
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
    side, _ = metadata_fields(meta, params.fields)  # once for every row of an export
    records = [
        item if isinstance(item, Rejected) else to_record(item, seed, fmt, encoding, meta, side)
        for item in items
    ]
    return [take_down(r, blocklist) for r in records]


def format_of(source: str, params: IngestParams) -> str:
    suffix = Path(source).suffix.lower()
    return (
        READERS[suffix][0] if suffix in READERS and suffix in params.extensions else "unsupported"
    )


def input_hash(sources: list[tuple[str, str]]) -> str:
    """sha256 over (path, raw sha256) of every input file: identifies exactly what went in.

    The lines `path\tdigest\n`, in sorted order (`InputHash` makes the same as files come)."""
    return InputHash(sources).hexdigest()


class UnsortedSources(RuntimeError):
    """Files came out of sorted order: `InputHash` would not give `input_hash`'s value."""


class InputHash:
    """`input_hash`, fed one (path, digest) at a time in sorted order: nothing held per file.

    Ingest reads the files in `scan`'s order (sorted by relative path), so their lines can be
    hashed as they come; the few entries that come from elsewhere (the blocklist's) are given
    first and merged in at their sorted place. An entry out of order raises `UnsortedSources`:
    the hash would silently differ from the sorted one.
    """

    def __init__(self, others: Iterable[tuple[str, str]] = ()) -> None:
        self._sha = hashlib.sha256()
        self._others = sorted(others, reverse=True)  # the smallest last: popped first
        self._last: tuple[str, str] | None = None

    def add(self, path: str, digest: str) -> None:
        entry = (path, digest)
        if self._last is not None and entry < self._last:
            raise UnsortedSources(f"{path!r} came after {self._last[0]!r}: not in sorted order")
        while self._others and self._others[-1] <= entry:
            self._write(self._others.pop())
        self._write(entry)

    def _write(self, entry: tuple[str, str]) -> None:
        self._sha.update(f"{entry[0]}\t{entry[1]}\n".encode())
        self._last = entry

    def hexdigest(self) -> str:
        while self._others:
            self._write(self._others.pop())
        return self._sha.hexdigest()


def run(seeds: Path, out: Path, quarantine: Path, metrics: Path, params: params_mod.Params) -> dict:
    blocklist = Path(seeds) / params.ingest.blocklist
    blocked = load_blocklist(blocklist)  # a line that is no id and no URL stops the run here
    files = [f for f in scan(seeds, params.ingest) if f.path(seeds) != blocklist]
    files_in = sum(f.unused is None for f in files)
    unused_sidecars = {f.source for f in files if f.unused}
    # The blocklist changes what is published: it is part of the input.
    hashed = InputHash([(blocklist.name, file_sha256(blocklist))] if blocklist.is_file() else [])
    formats: Counter = Counter()

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in read_seed_batches(seeds, files, params.ingest, params.engine.batch_size):
            paths, digests = batch["source"].to_pylist(), batch["source_sha256"].to_pylist()
            # An unused sidecar changes the output (a quarantine row): it is input too.
            for path, digest in zip(paths, digests, strict=True):
                hashed.add(path, digest)
            formats.update(format_of(p, params.ingest) for p in paths if p not in unused_sidecars)
            yield batch

    def fn(seed: dict[str, Any]) -> list[dict[str, Any] | Rejected]:
        return parse_seed(seed, params.ingest, blocked)

    takedowns = unmatched_reduce(blocked)
    counts = map_stage(
        STAGE, fn, out, quarantine, params, batches(), total=len(files), reduce=takedowns
    )
    unmatched = takedowns.result()
    if unmatched:
        LOGGER.warning("%d blocklist entries took nothing down: %s", len(unmatched), unmatched)
    result = {
        **counts,
        # Seed files; sidecars that no seed takes are input rows too (records_in), quarantined
        # as orphan_sidecar or ambiguous_sidecar: not articles (see quarantine.NOT_ARTICLES).
        "files_in": files_in,
        "unused_sidecars": len(unused_sidecars),
        "files_by_format": dict(sorted(formats.items())),
        "input_hash": hashed.hexdigest(),
        # Takedowns that matched no record: an article no longer in seeds/, or a mistyped entry
        # (only a person can tell); reported, not fatal (README, "Versions").
        "blocklist_unmatched": unmatched,
    }
    write_metrics(metrics, result)
    return result


def main(argv: list[str] | None = None) -> dict:
    args, params = parse_args(argv, __name__, __doc__, ["seeds", "out", "quarantine", "metrics"])
    try:
        return run(args.seeds, args.out, args.quarantine, args.metrics, params)
    except BlocklistError as e:  # a takedown that cannot be applied: nothing is written
        raise SystemExit(f"ingest: {e}") from e


if __name__ == "__main__":
    main()
