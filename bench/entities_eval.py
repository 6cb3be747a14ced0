"""Named-entity evaluation: the published `entities` against GUM's gold names, beside plain spaCy.

Reads `../shared/corpora/gum-news/articles.jsonl` (`--corpus`, else `$CORPUS_GUM_NEWS`): 24
Wikinews articles with gold PERSON, ORG, GPE_OR_LOC and OTHER spans (see its PROVENANCE.md). The
corpus is read in place, never copied. Writes `bench/out/entities.json` and prints one table
per part.

Scored as in PROVENANCE.md: PERSON, ORG and places (gold GPE_OR_LOC; predicted GPE or LOC);
other predicted labels are dropped and gold OTHER is not scored. Exact: same start, end and
class. Overlap: a prediction is right if it overlaps a gold span of its class; a gold span is
found if a prediction of its class overlaps it.

The articles are split once, deterministically: `held-out` is GUM's own dev and test documents
plus the third of GUM's train documents whose sha256(id) sorts first; `tuned` is the rest. Rules
are tuned on `tuned` only (`--errors` lists its mistakes and refuses to list held-out ones).

    .venv/bin/python -m bench.entities_eval                     # both parts, table + JSON
    .venv/bin/python -m bench.entities_eval --errors ORG        # tuned-part ORG mistakes
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpora" / "gum-news"
OUT = REPO / "bench" / "out" / "entities.json"
CLASSES = ("PERSON", "ORG", "PLACE")
PARTS = ("tuned", "held-out")
# Predicted spaCy label -> scored class; gold label -> scored class.
PREDICTED = {"PERSON": "PERSON", "ORG": "ORG", "GPE": "PLACE", "LOC": "PLACE"}
GOLD = {"PERSON": "PERSON", "ORG": "ORG", "GPE_OR_LOC": "PLACE"}
PLAIN = "plain spaCy"

Span = tuple[int, int, str]  # start, end, class


class CorpusMissing(FileNotFoundError):
    pass


def corpus_dir(given: Path | None) -> Path:
    folder = given or Path(os.environ.get("CORPUS_GUM_NEWS", DEFAULT_CORPUS))
    if not (folder / "articles.jsonl").is_file():
        raise CorpusMissing(f"no articles.jsonl in {folder}")
    return folder


def read_articles(folder: Path) -> list[dict[str, Any]]:
    lines = (folder / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def part_of(articles: list[dict[str, Any]]) -> dict[str, str]:
    """id -> "tuned" or "held-out" (see the module docstring); fixed by the ids alone."""
    train = sorted(
        (a["id"] for a in articles if a["gum_split"] == "train"),
        key=lambda i: hashlib.sha256(i.encode()).hexdigest(),
    )
    held = set(train[: round(len(train) / 3)])
    return {
        a["id"]: "held-out" if a["gum_split"] != "train" or a["id"] in held else "tuned"
        for a in articles
    }


def gold_spans(article: dict[str, Any]) -> set[Span]:
    return {
        (e["start"], e["end"], GOLD[e["label"]]) for e in article["entities"] if e["label"] in GOLD
    }


def scored(entities: Iterable[dict[str, Any]]) -> set[Span]:
    return {
        (e["start"], e["end"], PREDICTED[e["label"]]) for e in entities if e["label"] in PREDICTED
    }


def plain_spacy(texts: list[str], model: str) -> list[set[Span]]:
    """spaCy's own pipeline, in full and untouched (the baseline of PROVENANCE.md)."""
    import spacy

    nlp = spacy.load(model)
    return [
        scored({"start": e.start_char, "end": e.end_char, "label": e.label_} for e in doc.ents)
        for doc in nlp.pipe(texts)
    ]


def published(articles: list[dict[str, Any]], annotator: str, params: Any) -> list[set[Span]]:
    """The `entities` column the annotator writes, through the registry as annotate runs it."""
    from pipeline.annotators import Context, load_all

    records = [
        {"id": a["id"], "text": a["text"], "published_date": a.get("date_created")}
        for a in articles
    ]
    columns = load_all()[annotator].annotate(
        records, Context([a["text"] for a in articles], params)
    )
    for article, column in zip(articles, columns, strict=True):
        for e in column["entities"]:  # the contract validate checks
            assert article["text"][e["start"] : e["end"]] == e["text"], e
    return [scored(c["entities"]) for c in columns]


@dataclass
class Tally:
    predicted: int = 0
    gold: int = 0
    right: int = 0  # predictions counted right
    found: int = 0  # gold spans counted found

    def add(self, other: Tally) -> None:
        self.predicted += other.predicted
        self.gold += other.gold
        self.right += other.right
        self.found += other.found

    def prf(self) -> dict[str, float]:
        p = self.right / self.predicted if self.predicted else 0.0
        r = self.found / self.gold if self.gold else 0.0
        return {"p": p, "r": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def _overlaps(a: Span, b: Span) -> bool:
    return a[2] == b[2] and a[0] < b[1] and b[0] < a[1]


def tally(gold: set[Span], predicted: set[Span], cls: str, exact: bool) -> Tally:
    g = [s for s in gold if s[2] == cls]
    p = [s for s in predicted if s[2] == cls]
    if exact:
        hits = len(set(g) & set(p))
        return Tally(len(p), len(g), hits, hits)
    right = sum(any(_overlaps(s, t) for t in g) for s in p)
    found = sum(any(_overlaps(s, t) for t in p) for s in g)
    return Tally(len(p), len(g), right, found)


def evaluate(gold: list[set[Span]], predicted: list[set[Span]]) -> dict[str, dict[str, Any]]:
    """{"exact"|"overlap": {class|"micro": {p, r, f1}}} over the given articles."""
    out: dict[str, dict[str, Any]] = {}
    for mode in ("exact", "overlap"):
        micro = Tally()
        out[mode] = {}
        for cls in CLASSES:
            t = Tally()
            for g, p in zip(gold, predicted, strict=True):
                t.add(tally(g, p, cls, mode == "exact"))
            out[mode][cls] = {**t.prf(), "gold": t.gold, "predicted": t.predicted}
            micro.add(t)
        out[mode]["micro"] = micro.prf()
    return out


def run(folder: Path, annotators: list[str]) -> dict[str, Any]:
    from pipeline.params import load

    params = load(REPO / "params.yaml").annotate
    articles = read_articles(folder)
    parts = part_of(articles)
    texts = [a["text"] for a in articles]
    systems = {PLAIN: plain_spacy(texts, params.spacy_model)}
    for name in annotators:
        systems[name] = published(articles, name, params)
    gold = [gold_spans(a) for a in articles]
    results: dict[str, Any] = {"parts": {}, "articles": {}}
    for part in (*PARTS, "all"):
        keep = [i for i, a in enumerate(articles) if part == "all" or parts[a["id"]] == part]
        results["articles"][part] = [articles[i]["id"] for i in keep]
        results["parts"][part] = {
            system: evaluate([gold[i] for i in keep], [spans[i] for i in keep])
            for system, spans in systems.items()
        }
    results["_systems"] = systems  # for --errors; not written
    results["_gold"], results["_articles"], results["_part"] = gold, articles, parts
    return results


def table(part: str, results: dict[str, dict[str, Any]]) -> str:
    """A Markdown table: one row per system and mode, P/R/F1 per class, micro F1."""
    head = "| " + part + " | match | PERSON P/R/F1 | ORG P/R/F1 | places P/R/F1 | micro F1 |"
    lines = [head, "|---|---|---|---|---|--:|"]
    for mode in ("exact", "overlap"):
        for system, res in results.items():
            cells = [
                "/".join(f"{res[mode][c][k]:.3f}".lstrip("0") for k in ("p", "r", "f1"))
                for c in CLASSES
            ]
            micro = f"{res[mode]['micro']['f1']:.3f}".lstrip("0")
            lines.append(f"| {system} | {mode} | " + " | ".join(cells) + f" | {micro} |")
    return "\n".join(lines)


def errors(results: dict[str, Any], system: str, cls: str) -> str:
    """Misses and false alarms of `system` for `cls` on the tuned part only."""
    out = []
    for article, gold, pred in zip(
        results["_articles"], results["_gold"], results["_systems"][system], strict=True
    ):
        if results["_part"][article["id"]] != "tuned":
            continue  # never look at held-out mistakes
        text = article["text"]
        g = {s for s in gold if s[2] == cls}
        p = {s for s in pred if s[2] == cls}
        for s in sorted(g - p):
            out.append(f"{article['id']}\tmissed\t{text[s[0] : s[1]]!r}\t{_context(text, s)}")
        for s in sorted(p - g):
            other = [text[t[0] : t[1]] + "/" + t[2] for t in gold if t[0] < s[1] and s[0] < t[1]]
            out.append(
                f"{article['id']}\tspurious\t{text[s[0] : s[1]]!r}\t{other}\t{_context(text, s)}"
            )
    return "\n".join(out)


def _context(text: str, s: Span) -> str:
    return " ".join(text[max(0, s[0] - 40) : s[1] + 40].split())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, help="gum-news folder (articles.jsonl)")
    parser.add_argument(
        "--annotators",
        nargs="+",
        default=None,
        help="entities annotators to score (default: entities_v1 and params.yaml's choice)",
    )
    parser.add_argument("--errors", metavar="CLASS", choices=CLASSES, help="tuned-part mistakes")
    parser.add_argument(
        "--parts", nargs="+", choices=(*PARTS, "all"), default=[*PARTS, "all"], help="tables shown"
    )
    args = parser.parse_args(argv)
    try:
        folder = corpus_dir(args.corpus)
    except CorpusMissing as exc:
        print(f"skipped: {exc}", file=sys.stderr)
        return 0
    from pipeline.params import load

    chosen = load(REPO / "params.yaml").annotate.annotators["entities"]
    annotators = args.annotators or list(dict.fromkeys(["entities_v1", chosen]))
    results = run(folder, annotators)
    if args.errors:
        print(errors(results, annotators[-1], args.errors))
        return 0
    public = {k: v for k, v in results.items() if not k.startswith("_")}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(public, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    for part in args.parts:
        n = len(results["articles"][part])
        print(f"\n{part}: {n} articles\n")
        print(table(part, results["parts"][part]))
    print(f"\nwritten: {OUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
