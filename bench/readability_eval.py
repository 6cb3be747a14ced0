"""How well the HTML reader finds the article, on Mozilla Readability's test pages.

    python -m bench.readability_eval [--corpus DIR] [--all] [--params FILE] [--out FILE]
    python -m bench.readability_eval --simulate-loss

Each case folder `<corpus>/<case>/` holds `source.html` (a saved page), `expected.html` (the
article Readability extracts) and `expected-metadata.json`. For each case, `read_html` runs on
the source (with `ingest.html` from --params, default the repository's params.yaml), and so does
plain trafilatura with default settings (`trafilatura.extract(html)`,
title from `trafilatura.extract_metadata`), the peer the reader is measured against:

- text: precision, recall and F1 over the multiset of lower-cased word tokens (`\\w+`) of the
  extracted text against the text of `expected.html`'s block elements;
- title: exact (after whitespace normalisation) and lenient (one contains the other, ignoring
  case) against the metadata's `title`;
- author, on the cases whose metadata has a `byline` (Readability's, as the page writes it:
  "By Nathan Willis March 25, 2015"): found (every word of ours is in the byline), extra (ours
  has a word the byline lacks: a date remnant, a site, another person) or missing (none).
  The peer's author is `trafilatura.extract_metadata`'s.

"Real pages" are cases whose `source.html` is over 4 KB; the smaller ones are synthetic
fixtures of single Readability features and are left out unless `--all`. Prints a table per case
and the summary (median and mean of each score, ours next to the peer), and writes everything
to `bench/out/readability.json`.

`--simulate-loss` measures the pruning guard (`ingest.html.prune_min_share`) on these pages:
each real page is also damaged the way the guard is meant for (`damage`: all but the first
paragraph of its article body moved into a container whose class Readability's rule takes for
boilerplate), and the reader runs on the real and the damaged pages with several values of
`prune_min_share` (0: no guard). Mean F1 per value, to `bench/out/readability-loss.json`.

The corpus comes from --corpus, else $CORPUS_READABILITY, else
`<repo>/../shared/corpora/readability-test-pages`; when it is missing the command prints
`skipped: ...` and exits 0. Its pages are third-party copyright: never copy them into the repo.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import statistics
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import lxml.html
import trafilatura
from trafilatura.metadata import extract_metadata

from pipeline import params as params_mod
from pipeline.params import HtmlParams
from pipeline.readers.html import parse, read_html

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "bench" / "out" / "readability.json"
LOSS_OUT = REPO / "bench" / "out" / "readability-loss.json"
REAL_PAGE_BYTES = 4096  # sources over this size are real pages, the rest synthetic fixtures
ENGINES = ("ours", "trafilatura")
_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")
# Elements whose text is a block of its own in expected.html (so words never run together).
_BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "br", "dd", "details", "div", "dl", "dt",
    "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "img",
    "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "td", "th", "tr", "ul",
}  # fmt: skip


class CorpusMissing(FileNotFoundError):
    """The Readability test pages are not on this machine: callers skip, they do not fail."""


def corpus_dir(arg: str | Path | None = None) -> Path:
    default = REPO.parent / "shared" / "corpora" / "readability-test-pages"
    return Path(arg or os.environ.get("CORPUS_READABILITY") or default)


def list_cases(corpus: Path, include_all: bool = False) -> list[Path]:
    """Case folders (with a source and an expected text), sorted; real pages only by default."""
    if not corpus.is_dir():
        raise CorpusMissing(f"Readability test pages not found at {corpus}")
    cases = sorted(
        d
        for d in corpus.iterdir()
        if (d / "source.html").is_file() and (d / "expected.html").is_file()
    )
    if not include_all:
        cases = [d for d in cases if (d / "source.html").stat().st_size > REAL_PAGE_BYTES]
    if not cases:
        raise CorpusMissing(f"no <case>/source.html with expected.html under {corpus}")
    return cases


def expected_text(html: str) -> str:
    """Text of expected.html: one line per block element, whitespace normalised."""
    root = lxml.html.fromstring(html)
    parts: list[str] = []

    def walk(el: Any) -> None:
        block = isinstance(el.tag, str) and el.tag.lower() in _BLOCK_TAGS
        if block:
            parts.append("\n")
        if isinstance(el.tag, str):
            parts.append(el.text or "")
            for child in el:
                walk(child)
        if block:
            parts.append("\n")
        parts.append(el.tail or "")

    walk(root)
    lines = (_SPACE.sub(" ", line).strip() for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def tokens(text: str | None) -> Counter[str]:
    return Counter(_WORD.findall((text or "").lower()))


def text_scores(got: str | None, expected: str) -> dict[str, float]:
    """Token-level precision, recall and F1 of `got` against `expected` (multisets of words)."""
    g, e = tokens(got), tokens(expected)
    overlap = sum((g & e).values())
    precision = overlap / sum(g.values()) if g else 0.0
    recall = overlap / sum(e.values()) if e else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def title_scores(got: str | None, expected: str | None) -> dict[str, bool]:
    g, e = _SPACE.sub(" ", got or "").strip(), _SPACE.sub(" ", expected or "").strip()
    gl, el = g.casefold(), e.casefold()
    return {
        "title_exact": g == e,
        "title_lenient": g == e or bool(gl and el and (gl in el or el in gl)),
    }


def author_scores(got: str | None, byline: str | None) -> dict[str, bool]:
    """found / extra / missing against a byline (all False when the page has none)."""
    words, expected = set(tokens(got or "")), set(tokens(byline or ""))
    if not expected:
        return dict.fromkeys(AUTHORS, False)
    return {
        "author_found": bool(words) and words <= expected,
        "author_extra": bool(words - expected),
        "author_missing": not words,
    }


def run_ours(html: str, params: HtmlParams | None = None) -> dict[str, Any]:
    (item,) = read_html(html, params)
    if isinstance(item, dict):
        return {
            "text": item["text"],
            "title": item.get("title"),
            "author": item.get("author"),
            "extraction": item["extra"].get("extraction"),
        }
    return {"text": "", "title": None, "author": None, "rejected": f"{item.reason}: {item.detail}"}


def run_trafilatura(html: str, params: HtmlParams | None = None) -> dict[str, Any]:
    """The peer: trafilatura as it comes (text with comments, default fallbacks)."""
    text = trafilatura.extract(html)
    meta = extract_metadata(html)
    return {"text": text or "", "title": meta.title, "author": meta.author}


RUNNERS = {"ours": run_ours, "trafilatura": run_trafilatura}


def evaluate_case(
    case: Path, engines: tuple[str, ...] = ENGINES, params: HtmlParams | None = None
) -> dict[str, Any]:
    html = (case / "source.html").read_text(encoding="utf-8")
    expected = expected_text((case / "expected.html").read_text(encoding="utf-8"))
    meta_path = case / "expected-metadata.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
    row: dict[str, Any] = {
        "case": case.name,
        "source_bytes": (case / "source.html").stat().st_size,
        "expected_words": sum(tokens(expected).values()),
        "expected_title": meta.get("title"),
        "expected_byline": meta.get("byline"),
    }
    for engine in engines:
        start = time.perf_counter()
        out = RUNNERS[engine](html, params)
        seconds = time.perf_counter() - start
        row[engine] = {
            **text_scores(out["text"], expected),
            **title_scores(out["title"], meta.get("title")),
            **author_scores(out["author"], meta.get("byline")),
            "title": out["title"],
            "author": out["author"],
            "words": sum(tokens(out["text"]).values()),
            "seconds": round(seconds, 3),
            **{k: v for k, v in out.items() if k not in ("text", "title", "author")},
        }
    return row


SCORES = ("f1", "precision", "recall")
TITLES = ("title_exact", "title_lenient")
AUTHORS = ("author_found", "author_extra", "author_missing")


def summarise(rows: list[dict[str, Any]], engine: str) -> dict[str, float]:
    """Median and mean of each text score, title accuracies, total seconds, for one engine."""
    results = [row[engine] for row in rows if engine in row]
    if not results:
        return {}
    summary: dict[str, float] = {"cases": len(results)}
    for score in SCORES:
        values = [r[score] for r in results]
        summary[f"median_{score}"] = statistics.median(values)
        summary[f"mean_{score}"] = statistics.mean(values)
    for score in TITLES:
        summary[f"{score}_accuracy"] = sum(r[score] for r in results) / len(results)
    with_byline = [row[engine] for row in rows if engine in row and row.get("expected_byline")]
    summary["bylines"] = len(with_byline)
    for score in AUTHORS:
        summary[f"{score}_share"] = sum(r[score] for r in with_byline) / max(1, len(with_byline))
    summary["seconds"] = sum(r["seconds"] for r in results)
    return summary


def evaluate(
    corpus: Path,
    include_all: bool = False,
    engines: tuple[str, ...] = ENGINES,
    params: HtmlParams | None = None,
) -> dict[str, Any]:
    """Scores of every case and their summary per engine (raises CorpusMissing)."""
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    logging.getLogger("htmldate").setLevel(logging.CRITICAL)
    rows = [evaluate_case(case, engines, params) for case in list_cases(corpus, include_all)]
    return {
        "corpus": corpus.name,
        "cases": "all" if include_all else f"real pages (source.html > {REAL_PAGE_BYTES} bytes)",
        "summary": {engine: summarise(rows, engine) for engine in engines},
        "rows": rows,
    }


# --- simulated loss of the article --------------------------------------------------------

# Readability's "unlikely candidates" rule prunes this class; trafilatura's own cleaning does not.
LOSS_CLASS = "story-supplemental"
LOSS_SHARES = (0.0, 0.1, 0.15, 0.2, 0.3, 1.0)  # 1.0: the whole page whenever it is longer
_LONG_PARAGRAPH = 80  # characters: a paragraph of running text, not a caption or a dateline


def damage(html: str) -> str | None:
    """The page with its article body, but for the first paragraph, inside a `LOSS_CLASS`
    container; None when no element has 4 paragraphs of running text as children."""
    tree = parse(html)
    if tree is None:
        return None

    def paragraphs(el: Any) -> list[int]:
        return [
            i
            for i, child in enumerate(el)
            if child.tag == "p"
            and len(_SPACE.sub(" ", child.text_content()).strip()) > _LONG_PARAGRAPH
        ]

    body = max(
        (el for el in tree.iter() if isinstance(el.tag, str)), key=lambda el: len(paragraphs(el))
    )
    children, kept = list(body), paragraphs(body)
    if len(kept) < 4:
        return None
    container = lxml.html.Element("div", {"class": LOSS_CLASS})
    children[kept[1]].addprevious(container)
    container.extend(children[kept[1] :])
    return lxml.html.tostring(tree, encoding="unicode")


def loss_study(
    corpus: Path, params: HtmlParams, shares: tuple[float, ...] = LOSS_SHARES
) -> dict[str, Any]:
    """F1 of the reader on the real and the damaged pages for each `prune_min_share`."""
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    logging.getLogger("htmldate").setLevel(logging.CRITICAL)
    rows = []
    for case in list_cases(corpus):
        html = (case / "source.html").read_text(encoding="utf-8")
        expected = expected_text((case / "expected.html").read_text(encoding="utf-8"))
        row: dict[str, Any] = {"case": case.name}
        for name, page in (("real", html), ("damaged", damage(html))):
            if page is not None:
                row[name] = {
                    str(share): text_scores(
                        run_ours(page, replace(params, prune_min_share=share))["text"], expected
                    )["f1"]
                    for share in shares
                }
        rows.append(row)
    summary = {
        name: {
            str(share): {
                "pages": len(values := [r[name][str(share)] for r in rows if name in r]),
                "mean_f1": statistics.mean(values),
                "median_f1": statistics.median(values),
                "below_0.5": sum(v < 0.5 for v in values),
            }
            for share in shares
        }
        for name in ("real", "damaged")
    }
    return {"corpus": corpus.name, "loss_class": LOSS_CLASS, "summary": summary, "rows": rows}


def print_loss_report(result: dict[str, Any], configured: float) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Pruning guard on real and damaged pages (class {result['loss_class']!r})")
    for name in (
        "prune_min_share",
        "real: mean F1",
        "median",
        "F1 < 0.5",
        "damaged: mean F1",
        "median",
        "F1 < 0.5",
    ):
        table.add_column(name, justify="right")
    real, damaged = result["summary"]["real"], result["summary"]["damaged"]
    for share in real:
        mark = " (params.yaml)" if float(share) == configured else ""
        cells = [
            f"{s[share][k]:.3f}" if k != "below_0.5" else f"{s[share][k]} / {s[share]['pages']}"
            for s in (real, damaged)
            for k in ("mean_f1", "median_f1", "below_0.5")
        ]
        table.add_row(f"{share}{mark}", *cells)
    Console(width=None if sys.stdout.isatty() else 110).print(table)


def _author_mark(scores: dict[str, Any]) -> str:
    marks = {"author_found": "=", "author_extra": "+", "author_missing": "-"}
    return next((mark for key, mark in marks.items() if scores.get(key)), "")


def print_report(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    # Piped output (CI logs, `| tee`) gets a width that fits the table instead of rich's 80.
    console = Console(width=None if sys.stdout.isatty() else 110)
    table = Table(title=f"Readability test pages: {result['cases']}")
    columns = ("case", "KB", "P", "R", "F1", "F1 peer", "title", "peer", "author", "peer", "pass")
    for name in columns:
        left = name in ("case", "pass")
        table.add_column(name, justify="left" if left else "right", no_wrap=left)
    marks = {(True, True): "=", (False, True): "~", (False, False): "x"}
    for row in result["rows"]:
        ours, peer = row.get("ours", {}), row.get("trafilatura", {})
        table.add_row(
            row["case"],
            f"{row['source_bytes'] / 1024:.0f}",
            *(f"{ours[s]:.3f}" for s in ("precision", "recall", "f1")) if ours else ("",) * 3,
            f"{peer['f1']:.3f}" if peer else "",
            marks[(ours["title_exact"], ours["title_lenient"])] if ours else "",
            marks[(peer["title_exact"], peer["title_lenient"])] if peer else "",
            _author_mark(ours),
            _author_mark(peer),
            ours.get("extraction") or ours.get("rejected", ""),
        )
    console.print(table)
    console.print("title: = exact, ~ lenient (one contains the other), x neither")
    console.print("author (cases with a byline): = found, + extra words, - missing")

    summary = result["summary"]
    totals = Table(title=f"Summary over {len(result['rows'])} cases")
    totals.add_column("metric")
    for engine in summary:
        totals.add_column(engine, justify="right")
    if len(summary) == 2:
        totals.add_column("ours / peer", justify="right")
    metrics = [f"{agg}_{s}" for s in SCORES for agg in ("median", "mean")]
    metrics += [f"{s}_accuracy" for s in TITLES] + [f"{s}_share" for s in AUTHORS]
    metrics += ["seconds"]
    for metric in metrics:
        values = [summary[engine].get(metric) for engine in summary]
        cells = [f"{v:.4f}" if metric != "seconds" else f"{v:.1f}" for v in values]
        if len(values) == 2:
            cells.append(f"{values[0] / values[1]:.3f}" if values[1] else "-")
        totals.add_row(metric, *cells)
    console.print(totals)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", help="folder of <case>/ folders (default: see module doc)")
    parser.add_argument("--all", action="store_true", help="include the small synthetic cases")
    parser.add_argument("--params", type=Path, default=REPO / "params.yaml")
    parser.add_argument("--simulate-loss", action="store_true", help="measure the pruning guard")
    parser.add_argument("--out", type=Path, help=f"results JSON (default {DEFAULT_OUT.name})")
    args = parser.parse_args(argv)
    params = params_mod.load(args.params).ingest.html
    try:
        if args.simulate_loss:
            args.out = args.out or LOSS_OUT
            result = loss_study(corpus_dir(args.corpus), params)
            print_loss_report(result, params.prune_min_share)
        else:
            args.out = args.out or DEFAULT_OUT
            result = evaluate(corpus_dir(args.corpus), include_all=args.all, params=params)
            print_report(result)
    except CorpusMissing as exc:
        print(f"skipped: {exc}")
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
