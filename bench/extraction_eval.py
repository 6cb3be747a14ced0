"""How well the HTML reader finds the article, on the Zyte article-extraction benchmark.

    python -m bench.extraction_eval [--corpus DIR] [--out DIR] [--worse 0.1]

A second, held-out measure next to `bench.readability_eval` (whose pages the reader was tuned
on): `scrapinghub/article-extraction-benchmark`, 181 real news and blog pages
(`html/<key>.html.gz`) with a human-checked article body each (`ground-truth.json`), scored by
the benchmark's own `evaluate.py` (4-gram shingles; precision and recall averaged over pages,
F1 of those averages).

Each page is decoded as ingest decodes a seed (declared charset, then UTF-8, then a guess), then
extracted twice: by `read_html` with the params in `params.yaml`, and by plain
`trafilatura.extract(text)` with default settings, the peer. Predictions are written in the
benchmark's format (`{key: {"articleBody": text}}`) to `<out>/ours.json` and
`<out>/trafilatura.json`, and scored with `evaluate.py` imported from the corpus folder.

Pages are split in two halves by the first byte of sha256(key) (even: "tune", odd: "held-out"),
so that anything ever tuned on this set is tuned on one half and reported on the other. The
table gives mean P/R/F1 for all pages and for each half, and lists the pages where ours is more
than `--worse` F1 below the peer.

The corpus comes from --corpus, else $CORPUS_EXTRACTION, else
`<repo>/../shared/corpora/article-extraction-benchmark`; when it is missing the command prints
`skipped: ...` and exits 0. Its pages are third-party copyright: never copy them into the repo.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import json
import logging
import os
import random
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import trafilatura

from pipeline import params as params_mod
from pipeline.encoding import decode
from pipeline.encoding_declared import declared_charset
from pipeline.params import IngestParams
from pipeline.readers.html import read_html

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "bench" / "out" / "extraction"
ENGINES = ("ours", "trafilatura")
HALVES = ("tune", "held-out")
WORSE = 0.1  # a page where ours is this much F1 below the peer is listed


class CorpusMissing(FileNotFoundError):
    """The benchmark is not on this machine: callers skip, they do not fail."""


def corpus_dir(arg: str | Path | None = None) -> Path:
    default = REPO.parent / "shared" / "corpora" / "article-extraction-benchmark"
    return Path(arg or os.environ.get("CORPUS_EXTRACTION") or default)


def half(key: str) -> str:
    """The half a page belongs to, "tune" or "held-out": by the sha256 of its key."""
    return HALVES[hashlib.sha256(key.encode("utf-8")).digest()[0] % 2]


def load_scorer(corpus: Path) -> ModuleType:
    """The benchmark's own `evaluate.py`, imported from the corpus folder."""
    path = corpus / "evaluate.py"
    if not path.is_file() or not (corpus / "ground-truth.json").is_file():
        raise CorpusMissing(f"article-extraction benchmark not found at {corpus}")
    spec = importlib.util.spec_from_file_location("article_extraction_evaluate", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def page_text(path: Path, params: IngestParams) -> str:
    """A page decoded as ingest decodes an HTML seed; "" when it cannot be."""
    raw = gzip.decompress(path.read_bytes())
    decoded = decode(raw, params.preferred_encodings, declared_charset(raw))
    return decoded[0] if isinstance(decoded, tuple) else ""


def run_ours(html: str, params: IngestParams) -> dict[str, Any]:
    (item,) = read_html(html, params)
    if isinstance(item, dict):
        return {"text": item["text"], "extraction": item["extra"].get("extraction")}
    return {"text": "", "extraction": f"{item.reason}: {item.detail}"}


def run_trafilatura(html: str, params: IngestParams) -> dict[str, Any]:
    """The peer: trafilatura as it comes (default settings)."""
    return {"text": trafilatura.extract(html) or ""}


RUNNERS = {"ours": run_ours, "trafilatura": run_trafilatura}


def page_scores(scorer: ModuleType, true: str, pred: str) -> dict[str, float]:
    """One page's precision, recall and F1 as `evaluate.py` computes them (4-gram shingles)."""
    tp, fp, fn = scorer.string_shingle_matching(true=true, pred=pred)
    p, r = scorer.precision_score(tp, fp, fn), scorer.recall_score(tp, fp, fn)
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def summarise(
    scorer: ModuleType, truth: dict[str, Any], predictions: dict[str, Any], n_bootstrap: int
) -> dict[str, Any]:
    """`evaluate.py`'s metrics (mean P, R, F1 of those, accuracy, bootstrap std) of a set."""
    random.seed(0)  # evaluate.py bootstraps with the global `random`: fixed, so are the stds
    metrics = scorer.evaluate(truth, predictions, n_bootstrap)
    metrics.pop("tp_fp_fns", None)
    return {"pages": len(truth), **metrics}


def evaluate(
    corpus: Path,
    params: IngestParams,
    engines: tuple[str, ...] = ENGINES,
    out: Path | None = None,
    n_bootstrap: int = 200,
) -> dict[str, Any]:
    """Per-page scores and summaries per engine and per half (raises CorpusMissing)."""
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    logging.getLogger("htmldate").setLevel(logging.CRITICAL)
    scorer = load_scorer(corpus)
    truth = scorer.load_json(corpus / "ground-truth.json")
    predictions: dict[str, dict[str, Any]] = {engine: {} for engine in engines}
    rows = []
    for key in sorted(truth):
        html = page_text(corpus / "html" / f"{key}.html.gz", params)
        row: dict[str, Any] = {"key": key, "half": half(key), "url": truth[key].get("url")}
        for engine in engines:
            start = time.perf_counter()
            result = RUNNERS[engine](html, params)
            seconds = time.perf_counter() - start
            predictions[engine][key] = {"articleBody": result["text"]}
            true = truth[key].get("articleBody", "")
            row[engine] = {
                **page_scores(scorer, true, result["text"]),
                "chars": len(result["text"]),
                "seconds": round(seconds, 3),
                **{k: v for k, v in result.items() if k != "text"},
            }
        rows.append(row)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for engine, prediction in predictions.items():
            text = json.dumps(prediction, indent=1, ensure_ascii=False, sort_keys=True)
            (out / f"{engine}.json").write_text(text + "\n", encoding="utf-8")
    summary: dict[str, dict[str, Any]] = {}
    for name in ("all", *HALVES):
        keys = [r["key"] for r in rows if name == "all" or r["half"] == name]
        subset = {k: truth[k] for k in keys}
        summary[name] = {
            engine: summarise(
                scorer, subset, {k: predictions[engine][k] for k in keys}, n_bootstrap
            )
            for engine in engines
        }
    return {"corpus": corpus.name, "summary": summary, "rows": rows}


def worse_pages(result: dict[str, Any], margin: float = WORSE) -> list[dict[str, Any]]:
    """Rows where ours scores more than `margin` F1 below the peer, worst first."""
    rows = [
        r
        for r in result["rows"]
        if "ours" in r and "trafilatura" in r and r["ours"]["f1"] < r["trafilatura"]["f1"] - margin
    ]
    return sorted(rows, key=lambda r: r["ours"]["f1"] - r["trafilatura"]["f1"])


_COLUMNS = ("precision", "recall", "f1", "f1_std", "accuracy")  # f1_std: absent if no bootstrap


def print_report(result: dict[str, Any], margin: float = WORSE) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 110)
    table = Table(title="Article-extraction benchmark (evaluate.py: 4-gram shingles)")
    for name in ("pages", "engine", "P", "R", "F1", "± F1", "exact", "seconds"):
        table.add_column(name, justify="left" if name in ("pages", "engine") else "right")
    for name, engines in result["summary"].items():
        for engine, m in engines.items():
            seconds = sum(
                r[engine]["seconds"] for r in result["rows"] if name in ("all", r["half"])
            )
            table.add_row(
                f"{name} ({m['pages']})",
                engine,
                *(f"{m.get(s, float('nan')):.3f}" for s in _COLUMNS),
                f"{seconds:.1f}",
            )
    console.print(table)

    worse = worse_pages(result, margin)
    listing = Table(title=f"Pages where ours is more than {margin} F1 below trafilatura")
    for name in ("key", "half", "F1 ours", "F1 peer", "chars ours", "chars peer", "how"):
        listing.add_column(name, justify="left" if name in ("key", "half", "how") else "right")
    for r in worse:
        ours, peer = r["ours"], r["trafilatura"]
        listing.add_row(
            r["key"][:12],
            r["half"],
            f"{ours['f1']:.3f}",
            f"{peer['f1']:.3f}",
            str(ours["chars"]),
            str(peer["chars"]),
            str(ours.get("extraction", "")),
        )
    console.print(listing if worse else f"No page where ours is more than {margin} F1 below.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", help="benchmark folder (default: see module doc)")
    parser.add_argument("--params", type=Path, default=REPO / "params.yaml")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="predictions and results")
    parser.add_argument("--worse", type=float, default=WORSE, help="list pages this much worse")
    parser.add_argument("--n-bootstrap", type=int, default=200, help="for evaluate.py's ± std")
    args = parser.parse_args(argv)
    params = params_mod.load(args.params).ingest
    try:
        corpus = corpus_dir(args.corpus)
        result = evaluate(corpus, params, out=args.out, n_bootstrap=args.n_bootstrap)
    except CorpusMissing as exc:
        print(f"skipped: {exc}")
        return 0
    print_report(result, args.worse)
    path = args.out / "results.json"
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"predictions and results: {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
