"""Documents per second of every registered annotator, on N BBC articles.

    python -m bench.annotators [--n 500] [--bbc DIR]

Article i is copy i // 2225 of BBC file i % 2225 (as `bench.make_corpus` builds them, in memory
here), read by ingest's and clean's own per-article functions, so the annotators see the
records the annotate stage sees. The BBC source is --bbc, else $CORPUS_BBC, else
`<repo>/../shared/corpora/bbc-news`; when it is missing this prints `skipped: ...` and exits 0.

Records go through in batches of `engine.batch_size` (params.yaml), annotators in the order
`annotate.annotators` gives (the other registered versions with the first pass, `ordered`),
each one's columns added to the records before the next, as the stage does. Per batch:

- "spacy parse" is timed on its own: `nlp.docs(context)` on a fresh context;
- every batch annotator is then timed on its own fresh context that already holds that parse,
  so an annotator reading `nlp.docs` is charged only for its own work, and the parse only once;
- a corpus annotator's `prepare` is timed per batch, its `finish` once over all records; batch
  annotators after it in the order (`split` reads the near-duplicate clusters) run after
  `finish`, as a second pass.

One-time costs (loading spaCy and each annotator's model, on a 2-record warm-up) are not in the
rows. Docs/s = N / the row's seconds. The table is sorted slowest first. Annotators expected by
the annotate stage but not registered yet, or that fail, are listed in notes below the table.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.make_corpus import REPO, CorpusMissing, bbc_dir, make_copy, source_files
from pipeline import annotators as framework
from pipeline import clean, ingest
from pipeline.annotators import BatchAnnotator, Context, CorpusAnnotator
from pipeline.ids import sha256_hex
from pipeline.params import Params, load
from pipeline.quarantine import Rejected

DEFAULT_N = 500
PARSE = "spacy parse"


@dataclass
class Row:
    name: str
    slot: str
    kind: str
    seconds: float = 0.0
    uses: set[str] = field(default_factory=set)


class TrackingContext(Context):
    """A Context that remembers which shared values an annotator asked for."""

    def __init__(self, texts: list[str], params: Any, shared: dict[str, Any]):
        super().__init__(texts, params)
        self._cache.update(shared)
        self.used: set[str] = set()

    def get(self, key: str, compute: Callable[[], Any]) -> Any:
        self.used.add(key)
        return super().get(key, compute)


def read_records(n: int, bbc: Path, params: Params) -> list[dict[str, Any]]:
    """N clean-stage records of BBC articles (copies beyond the 2,225 sources)."""
    sources = source_files(bbc)
    raws = {s: (bbc / s).read_bytes() for s in sources[:n]}
    records = []
    for i in range(n):
        source = sources[i % len(sources)]
        raw = make_copy(raws[source], source, i // len(sources))
        seed = {"source": f"bbc/{source}", "source_sha256": sha256_hex(raw), "raw": raw}
        for record in ingest.parse_seed({**seed, "sidecar": None}, params.ingest):
            if isinstance(record, Rejected):
                continue
            cleaned = clean.clean_record(record, params.clean)
            if not isinstance(cleaned, Rejected):
                records.append({**cleaned, "id": f"{i:08d}-{cleaned['id']}"})
    return records


def import_annotators(params: Params) -> tuple[dict[str, framework.Annotator], list[str]]:
    notes = []
    for module in framework.MODULES:
        try:
            importlib.import_module(f"pipeline.annotators.{module}")
        except Exception as exc:  # another author's module may be missing or half-written
            notes.append(f"pipeline/annotators/{module}.py not imported: {exc!r}")
    registry = dict(framework.REGISTRY)
    chosen = params.annotate.annotators.values()
    notes += [f"{name}: not registered yet, skipped" for name in chosen if name not in registry]
    return registry, notes


def ordered(registry: dict[str, framework.Annotator], params: Params) -> list:
    """params.yaml's annotators in its order, the other registered batch annotators before its
    first corpus annotator (so that they share the first pass's parse, and are not charged one
    of their own in the second), the other corpus annotators last."""
    chosen = [registry[n] for n in params.annotate.annotators.values() if n in registry]
    others = [a for a in registry.values() if a not in chosen]
    first_corpus = next(
        (i for i, a in enumerate(chosen) if isinstance(a, CorpusAnnotator)), len(chosen)
    )
    batch_others = [a for a in others if not isinstance(a, CorpusAnnotator)]
    corpus_others = [a for a in others if isinstance(a, CorpusAnnotator)]
    return chosen[:first_corpus] + batch_others + chosen[first_corpus:] + corpus_others


def run(records: list[dict[str, Any]], annotators: list, params: Params, rows: dict, notes: list):
    """Annotate `records` in place, adding each annotator's time to its rows."""
    from pipeline.annotators import nlp

    size = params.engine.batch_size
    batches = [records[i : i + size] for i in range(0, len(records), size)]
    first_corpus = next(
        (i for i, a in enumerate(annotators) if isinstance(a, CorpusAnnotator)), len(annotators)
    )
    prepared: dict[str, list[Any]] = {}
    failed: set[str] = set()

    def timed(key: tuple[str, str], annotator, fn: Callable[..., Any], *args: Any) -> Any:
        if annotator.name in failed:
            return None
        row = rows.setdefault(key, Row(annotator.name, annotator.slot, key[1]))
        start = time.perf_counter()
        try:
            result = fn(*args)
        except Exception as exc:
            failed.add(annotator.name)
            notes.append(f"{annotator.name} {key[1]} failed, left out: {exc!r}")
            rows.pop(key, None)
            return None
        row.seconds += time.perf_counter() - start
        return result

    def batch_pass(selected: list, with_parse: bool) -> None:
        for batch in batches:
            texts = [r["text"] for r in batch]
            shared: dict[str, Any] = {}
            if with_parse:
                context = Context(texts, params.annotate)
                start = time.perf_counter()
                shared[nlp.DOCS_KEY] = nlp.docs(context)
                parse = rows.setdefault(
                    (PARSE, "shared"), Row(PARSE, "-", "shared", uses={nlp.DOCS_KEY})
                )
                parse.seconds += time.perf_counter() - start
            for annotator in selected:
                context = TrackingContext(texts, params.annotate, shared)
                if isinstance(annotator, CorpusAnnotator):
                    key = (annotator.name, "prepare")
                    values = timed(key, annotator, annotator.prepare, batch, context)
                    if values is not None:
                        prepared.setdefault(annotator.name, []).extend(values)
                else:
                    key = (annotator.name, "batch")
                    columns = timed(key, annotator, annotator.annotate, batch, context)
                    for record, cols in zip(batch, columns or [], strict=False):
                        record.update(cols)
                if key in rows:
                    rows[key].uses |= context.used

    corpus = [a for a in annotators if isinstance(a, CorpusAnnotator)]
    batch_pass(annotators[:first_corpus] + corpus, True)
    for annotator in annotators:
        if isinstance(annotator, CorpusAnnotator) and annotator.name in prepared:
            ids = [r["id"] for r in records]
            values = prepared[annotator.name]
            key = (annotator.name, "finish")
            found = timed(key, annotator, annotator.finish, ids, values, params.annotate)
            for record in records:
                record.update((found or {}).get(record["id"], {}))
    # The second pass gets no parse: what it needs of one (nothing, so far) it pays for itself.
    second = [a for a in annotators[first_corpus:] if isinstance(a, BatchAnnotator)]
    if second:
        batch_pass(second, False)


def table(rows: dict, n: int, notes: list[str]) -> Table:
    out = Table(title=f"Annotators on {n} BBC articles (slowest first)")
    for column in ("annotator", "slot", "kind", "seconds", "docs/s", "ms/doc", "shared"):
        numeric = column in ("seconds", "docs/s", "ms/doc")
        out.add_column(column, justify="right" if numeric else "left")
    for row in sorted(rows.values(), key=lambda r: -r.seconds):
        rate = n / row.seconds if row.seconds else float("inf")
        out.add_row(
            row.name,
            row.slot,
            row.kind,
            f"{row.seconds:.3f}",
            f"{rate:,.0f}",
            f"{1000 * row.seconds / n:.2f}",
            ", ".join(sorted(row.uses)) or "",
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.annotators",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--n", type=int, default=DEFAULT_N, help="number of articles")
    parser.add_argument("--bbc", type=Path, help="BBC corpus folder")
    args = parser.parse_args(argv)
    console = Console() if sys.stdout.isatty() else Console(width=120)
    params = load(REPO / "params.yaml")
    try:
        records = read_records(args.n, bbc_dir(args.bbc), params)
    except CorpusMissing as exc:
        print(f"skipped: {exc}", file=sys.stderr)
        return 0
    registry, notes = import_annotators(params)
    annotators = ordered(registry, params)

    from pipeline.annotators import nlp

    start = time.perf_counter()
    nlp.load(params.annotate.spacy_model)
    took = time.perf_counter() - start
    notes.append(f"one-time: loading {params.annotate.spacy_model} took {took:.2f} s (not in rows)")
    run([dict(r) for r in records[:2]], annotators, params, {}, [])  # warm-up, untimed

    rows: dict[tuple[str, str], Row] = {}
    run(records, annotators, params, rows, notes)
    console.print(table(rows, len(records), notes))
    parse = rows.get((PARSE, "shared"))
    using = sorted(r.name for r in rows.values() if nlp.DOCS_KEY in r.uses and r.name != PARSE)
    if parse:
        rate = len(records) / parse.seconds
        users = ", ".join(using) or "no annotator"
        console.print(f"{PARSE}: {rate:,.1f} docs/s, shared by {users}; their rows exclude it.")
    for note in notes:
        console.print(f"note: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
