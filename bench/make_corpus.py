"""Build a benchmark corpus of N articles from the BBC News corpus (2,225 `<topic>/NNN.txt`).

    python -m bench.make_corpus [--n 20000] [--bbc DIR] [--out DIR] [--force]

Article i is copy k = i // 2225 of source file i % 2225 (sources sorted by path), written to
`<out>/<topic>/<NNN>-<k>.txt`. Copy 0 is the original bytes, so the corpus's real oddities stay
in (a Latin-1 byte in sport/199.txt, literal HTML entities, trailing spaces, 98 duplicate files).
Copy k > 0 is the same bytes with " - copy k" on the title line and one closing paragraph that
names the copy and its source, so every copy has its own content hash. Everything works on
bytes, so a copy keeps its source's encoding. The same N gives a byte-identical corpus.

The BBC source comes from --bbc, else $CORPUS_BBC, else `<repo>/../shared/corpora/bbc-news`.
Its terms allow testing and benchmarking only: the corpus goes under bench/out/ (git-ignored),
never into the repository. `<out>.sha256` (sha256sum format, relative paths) is written last:
it marks the corpus complete, and a later call with the same --out reuses it.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_N = 20_000
_SOURCE_NAME = re.compile(r"^[0-9]{3}\.txt$")


class CorpusMissing(FileNotFoundError):
    """The BBC corpus is not on this machine: callers skip, they do not fail."""


def bbc_dir(arg: str | Path | None = None) -> Path:
    return Path(arg or os.environ.get("CORPUS_BBC") or REPO.parent / "shared/corpora/bbc-news")


def default_out(n: int) -> Path:
    return REPO / "bench" / "out" / f"corpus-{n}" / "seeds"


def manifest_path(out: Path) -> Path:
    return out.with_name(out.name + ".sha256")


def source_files(bbc: Path) -> list[str]:
    """`<topic>/NNN.txt` paths under `bbc`, sorted (README.TXT and the like are not articles)."""
    if not bbc.is_dir():
        raise CorpusMissing(f"BBC corpus not found at {bbc} (set CORPUS_BBC or pass --bbc)")
    files = sorted(
        f"{topic.name}/{f.name}"
        for topic in bbc.iterdir()
        if topic.is_dir()
        for f in topic.iterdir()
        if _SOURCE_NAME.match(f.name)
    )
    if not files:
        raise CorpusMissing(f"no <topic>/NNN.txt articles under {bbc}")
    return files


def make_copy(raw: bytes, source: str, k: int) -> bytes:
    """Copy k of one article: copy 0 is `raw` itself; later copies differ in title and body."""
    if k == 0:
        return raw
    title, sep, rest = raw.partition(b"\n")
    stripped = title.rstrip()
    title = stripped + f" - copy {k}".encode() + title[len(stripped) :]
    closing = f"This is copy {k} of {source}, made for the corpus-pipeline benchmark.\n".encode()
    body = rest if rest.endswith(b"\n") or not rest else rest + b"\n"
    return title + sep + body + b"\n" + closing


def build(
    n: int = DEFAULT_N, bbc: Path | None = None, out: Path | None = None, force: bool = False
) -> Path:
    """Build (or reuse) the corpus of `n` articles; returns the seeds folder."""
    bbc, out = bbc_dir(bbc), Path(out or default_out(n))
    manifest = manifest_path(out)
    if manifest.is_file() and out.is_dir() and not force:
        return out
    sources = source_files(bbc)
    raws = {s: (bbc / s).read_bytes() for s in sources}
    # Write into a temporary folder, rename when complete, then write the manifest.
    tmp = out.with_name(out.name + f".tmp-{os.getpid()}")
    for stale in (tmp, out):
        shutil.rmtree(stale, ignore_errors=True)
    manifest.unlink(missing_ok=True)
    lines = []
    for i in range(n):
        source = sources[i % len(sources)]
        k = i // len(sources)
        topic, name = source.split("/")
        rel = f"{topic}/{name.removesuffix('.txt')}-{k}.txt"
        data = make_copy(raws[source], source, k)
        path = tmp / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        lines.append(f"{hashlib.sha256(data).hexdigest()}  {rel}\n")
    tmp.rename(out)
    manifest.write_text("".join(sorted(lines, key=lambda line: line[66:])), encoding="utf-8")
    return out


def build_or_skip(n: int, say: Callable[[str], object]) -> Path | None:
    """`build(n)`, or None after `say` told why: a bench whose corpus is absent is skipped
    (and exits 0), not failed."""
    try:
        return build(n)
    except CorpusMissing as exc:
        say(f"skipped: {exc}")
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.make_corpus",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--n", type=int, default=DEFAULT_N, help="number of articles")
    parser.add_argument(
        "--bbc",
        type=Path,
        help="BBC corpus folder (default: $CORPUS_BBC, else <repo>/../shared/corpora/bbc-news)",
    )
    parser.add_argument("--out", type=Path, help="seeds folder (default bench/out/corpus-N/seeds)")
    parser.add_argument("--force", action="store_true", help="rebuild even if complete")
    args = parser.parse_args(argv)
    try:
        out = build(args.n, args.bbc, args.out, args.force)
    except CorpusMissing as exc:
        print(f"skipped: {exc}", file=sys.stderr)
        return 0
    print(f"{args.n} articles in {out} (sha256 of each in {manifest_path(out)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
