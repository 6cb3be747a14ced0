"""Stage `ingest`: every seed file under `seeds/` -> one record, or one quarantined row.

Reads:  the seed folder (every file, recursively; sidecars `<seed><sidecar_suffix>` are
        metadata for their seed, not articles; dotfiles are not articles).
Writes: `data/ingest/records/` (Arrow schema: record fields with x-stage "ingest"),
        `data/quarantine/ingest/`, `data/ingest/metrics.json`.
Params: `engine`, `ingest`.

Decoding is safe: strict UTF-8 first (most seeds), then charset-normalizer's best guess; bytes
nothing can decode are quarantined as `undecodable`, never replaced by U+FFFD in silence.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import charset_normalizer
import pyarrow as pa

from pipeline import params as params_mod
from pipeline import quarantine as q
from pipeline.ids import canonical_url, record_id, sha256_hex
from pipeline.params import IngestParams
from pipeline.quarantine import Rejected, canonical_json
from pipeline.stage import map_stage, parse_args, write_metrics

STAGE = "ingest"
INPUT_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("source_sha256", pa.string()),
        ("raw", pa.large_binary()),
        ("sidecar", pa.large_binary()),
    ]
)
# Decoded text with more than this share of C0/C1 control characters is binary, not an article.
MAX_CONTROL_SHARE = 0.01
# Candidate decodings this close to the least chaotic one are equally plausible.
CHAOS_TOLERANCE = 0.02
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SENTENCE_END = ".!?:;,\"'”’»)…"


def decode(raw: bytes, preferred: tuple[str, ...] = ()) -> tuple[str, str] | Rejected:
    """(text, encoding) of raw bytes, or why they cannot be read as text."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw, bom = raw[3:], True
    else:
        bom = False
    try:
        text, encoding = raw.decode("utf-8"), "utf-8-sig" if bom else "utf-8"
    except UnicodeDecodeError:
        guess = best_guess(charset_normalizer.from_bytes(raw), preferred)
        if guess is None or guess.coherence == 0:
            # No candidate reads as any language: too short to tell ("Total: £5"). Then the
            # preferred encodings, if they decode the bytes at all, are the best bet.
            guess = next(filter(None, (_strict(raw, enc) for enc in preferred)), guess)
        if guess is None:
            return Rejected(q.UNDECODABLE, "no text encoding fits these bytes")
        text, encoding = str(guess), guess.encoding
    # Control characters are valid UTF-8 (and valid in every 8-bit code page): text that is
    # full of them is a binary file that happens to decode.
    controls = len(_CONTROL.findall(text))
    if controls > MAX_CONTROL_SHARE * max(len(text), 1):
        return Rejected(
            q.UNDECODABLE, f"binary content: {controls} control characters as {encoding}"
        )
    return text, encoding


@dataclass(frozen=True)
class _Decoded:
    """A decoding made here rather than by charset-normalizer (same two attributes)."""

    text: str
    encoding: str

    def __str__(self) -> str:
        return self.text


def _strict(raw: bytes, encoding: str) -> _Decoded | None:
    try:
        return _Decoded(raw.decode(encoding), encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def best_guess(matches: charset_normalizer.CharsetMatches, preferred: tuple[str, ...]):
    """The most plausible decoding among charset-normalizer's candidates.

    Its own `best()` ranks by "chaos" alone and picks, for an English article with one Latin-1
    pound sign, a Japanese code page with no recognisable language. Here candidates in which it
    recognises a language win over those in which it does not; among the least chaotic of
    those, the `preferred` encodings (Windows-1252 by default: what legacy Western news pages
    are) win, then the most coherent.
    """
    candidates = list(matches)
    if not candidates:
        return None
    with_language = [m for m in candidates if m.coherence > 0]
    candidates = with_language or candidates
    least = min(m.chaos for m in candidates)
    plausible = [m for m in candidates if m.chaos <= least + CHAOS_TOLERANCE]
    rank = {name: i for i, name in enumerate(preferred)}
    return min(plausible, key=lambda m: (rank.get(m.encoding, len(rank)), -m.coherence, m.encoding))


def split_title(text: str, max_chars: int) -> tuple[str | None, str]:
    """A first line that stands alone, is short and has no sentence-final punctuation is a title.

    BBC-style plain-text exports put the headline on line 1, then a blank line. An opening
    paragraph that happens to be one line is not a title: it ends like a sentence.
    """
    lines = text.lstrip("\ufeff").split("\n", 2)
    if len(lines) < 3 or lines[1].strip() or not lines[2].strip():
        return None, text
    first = lines[0].strip()
    if not first or len(first) > max_chars or first[-1] in _SENTENCE_END:
        return None, text
    return first, lines[2]


def parse_sidecar(sidecar: bytes | None) -> dict[str, Any] | Rejected:
    if sidecar is None:
        return {}
    try:
        meta = json.loads(sidecar.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return Rejected(q.BAD_SIDECAR, f"sidecar is not UTF-8 JSON: {exc}")
    if not isinstance(meta, dict):
        return Rejected(q.BAD_SIDECAR, f"sidecar is a JSON {type(meta).__name__}, not an object")
    return meta


def parse_seed(seed: dict[str, Any], params: IngestParams) -> dict[str, Any] | Rejected:
    """One seed file (source path, raw bytes, sidecar bytes) -> an ingest record."""
    source, raw = seed["source"], seed["raw"]
    suffix = Path(source).suffix.lower()
    if suffix not in params.extensions:
        return Rejected(
            q.UNSUPPORTED_FORMAT, f"extension {suffix or '(none)'} is not in ingest.extensions"
        )
    if len(raw) > params.max_bytes:
        return Rejected(q.TOO_LARGE, f"{len(raw)} bytes > ingest.max_bytes={params.max_bytes}")
    if not raw.strip():
        return Rejected(q.EMPTY_INPUT, f"{len(raw)} bytes, no text")
    meta = parse_sidecar(seed["sidecar"])
    if isinstance(meta, Rejected):
        return meta
    decoded = decode(raw, params.preferred_encodings)
    if isinstance(decoded, Rejected):
        return decoded
    text, encoding = decoded
    if not text.strip():
        return Rejected(q.EMPTY_INPUT, f"only whitespace once decoded as {encoding}")
    title, body = split_title(text, params.title_max_chars)
    # The newline that ends a text file's last line belongs to the file format, not to the
    # article; anything more (blank lines, spaces) is left for clean to repair and record.
    body = body.removesuffix("\n").removesuffix("\r")
    url = meta.get("url") or meta.get("canonical_url")
    return {
        "id": record_id(url, source),
        "text": body,
        "title": meta.get("title") or title,
        "source": source,
        "source_sha256": seed["source_sha256"],
        "source_format": suffix.lstrip("."),
        "encoding": encoding,
        "url": canonical_url(url) if url else None,
        "metadata": canonical_json(meta),
    }


def list_seeds(root: Path, params: IngestParams) -> list[Path]:
    """Every article file under `root`, sorted by relative path: the order of every output."""
    files = [
        p
        for p in root.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
        and not p.name.endswith(params.sidecar_suffix)
    ]
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def read_seed_batches(
    root: Path, files: list[Path], params: IngestParams, batch_size: int
) -> Iterator[pa.RecordBatch]:
    """The I/O half of ingest: raw bytes and sidecar bytes, `batch_size` files at a time."""
    for start in range(0, len(files), batch_size):
        rows = []
        for path in files[start : start + batch_size]:
            raw = path.read_bytes()
            sidecar = path.with_name(path.name + params.sidecar_suffix)
            rows.append(
                {
                    "source": path.relative_to(root).as_posix(),
                    "source_sha256": sha256_hex(raw),
                    "raw": raw,
                    "sidecar": sidecar.read_bytes() if sidecar.is_file() else None,
                }
            )
        yield pa.RecordBatch.from_pylist(rows, schema=INPUT_SCHEMA)


def input_hash(sources: list[tuple[str, str]]) -> str:
    """sha256 over (path, raw sha256) of every input: identifies exactly what went in."""
    return sha256_hex("".join(f"{path}\t{digest}\n" for path, digest in sorted(sources)))


def run(seeds: Path, out: Path, quarantine: Path, metrics: Path, params: params_mod.Params) -> dict:
    files = list_seeds(seeds, params.ingest)
    sources: list[tuple[str, str]] = []

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in read_seed_batches(seeds, files, params.ingest, params.engine.batch_size):
            paths, digests = batch["source"].to_pylist(), batch["source_sha256"].to_pylist()
            sources.extend(zip(paths, digests, strict=True))
            yield batch

    def fn(seed: dict[str, Any]) -> dict[str, Any] | Rejected:
        return parse_seed(seed, params.ingest)

    counts = map_stage(STAGE, fn, out, quarantine, params, batches(), total=len(files))
    result = {**counts, "input_hash": input_hash(sources)}
    write_metrics(metrics, result)
    return result


def main(argv: list[str] | None = None) -> dict:
    args, params = parse_args(argv, __name__, __doc__, ["seeds", "out", "quarantine", "metrics"])
    return run(args.seeds, args.out, args.quarantine, args.metrics, params)


if __name__ == "__main__":
    main()
