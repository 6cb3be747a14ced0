"""spaCy's components one by one, and what that leaves issue 10's item 2 (full pipeline >= 0.85 of
spaCy tok2vec + ner alone).

    python -m bench.spacy_components            # the first 400 texts of the N = 2,000 corpus
    python -m bench.spacy_components --texts 200

One process, one core. `annotate.spacy_model` as annotate loads it (`nlp.EXCLUDE` left out); the
texts are tokenized once, then each component runs alone over the docs the one before it left
(`component.pipe`, `annotate.spacy_batch_size`), timed in CPU seconds. Then `ner` alone on fresh
docs: spaCy's ner keeps an entity inside a sentence the parser made, so with no parser before it
its entities may differ; the table counts those that do.

The bound printed: the peer (tok2vec + ner) over annotate's model work (every component it
keeps), the ratio the full pipeline would reach if reading, cleaning, language, counts, entity
repairs, validate and publish, and five interpreters' start-up, cost nothing.
"""

from __future__ import annotations

import argparse
import time

import spacy
from rich.console import Console
from rich.table import Table

from bench.make_corpus import build_or_skip
from bench.peers import texts_jsonl
from bench.spacy_alone import MAX_CHARS, read_texts
from pipeline.annotators.nlp import EXCLUDE
from pipeline.params import load

TARGET = 0.85


def cpu() -> float:
    return time.process_time()


def component_seconds(nlp: spacy.Language, texts: list[str], batch: int) -> dict[str, float]:
    """CPU seconds of the tokenizer and of each component, in pipeline order."""
    start = cpu()
    docs = [nlp.make_doc(t[:MAX_CHARS]) for t in texts]
    seconds = {"tokenizer": cpu() - start}
    for name, component in nlp.pipeline:
        start = cpu()
        docs = list(component.pipe(docs, batch_size=batch))
        seconds[name] = cpu() - start
    return seconds


def entities(docs) -> list[set[tuple[int, int, str]]]:
    return [{(e.start_char, e.end_char, e.label_) for e in doc.ents} for doc in docs]


def ner_alone(nlp: spacy.Language, model: str, texts: list[str], batch: int) -> tuple[int, int]:
    """(entities that differ between ner alone and ner after the parser, entities in all)."""
    alone = spacy.load(model, exclude=[n for n in nlp.pipe_names if n != "ner"] + list(EXCLUDE))
    cut = [t[:MAX_CHARS] for t in texts]
    full = entities(nlp.pipe(cut, batch_size=batch))
    bare = entities(alone.pipe(cut, batch_size=batch))
    return sum(len(a ^ b) for a, b in zip(full, bare, strict=True)), sum(map(len, full))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.spacy_components", description=__doc__)
    parser.add_argument("--n", type=int, default=2000, help="the bench corpus to read")
    parser.add_argument("--texts", type=int, default=400, help="its first TEXTS texts")
    args = parser.parse_args(argv)
    console = Console()
    seeds = build_or_skip(args.n, console.print)
    if seeds is None:
        return 0
    annotate = load().annotate
    model, batch = annotate.spacy_model, annotate.spacy_batch_size
    texts = read_texts(texts_jsonl(seeds))[: args.texts]
    nlp = spacy.load(model, exclude=list(EXCLUDE))
    seconds = component_seconds(nlp, texts, batch)
    differ, total = ner_alone(nlp, model, texts, batch)

    table = Table(title=f"{model}, {len(texts)} texts, one process (CPU s)")
    table.add_column("component")
    table.add_column("CPU s", justify="right")
    table.add_column("read by")
    readers = {
        "tok2vec": "tagger and parser only (ner has a tok2vec of its own)",
        "tagger": "entity repairs (tag_), dates",
        "parser": "quotes, dates (heads, sentences); ner (sentence ends)",
        "ner": "entities, quotes, dates",
    }
    for name, s in seconds.items():
        table.add_row(name, f"{s:.2f}", readers.get(name, ""))
    console.print(table)
    peer = seconds["tokenizer"] + seconds["tok2vec"] + seconds["ner"]
    ours = sum(seconds.values())
    console.print(
        f"peer (tok2vec + ner) {peer:.2f} s; annotate's model work {ours:.2f} s; "
        f"bound with nothing else costing anything: {peer / ours:.3f} (target {TARGET})"
    )
    console.print(f"ner without the parser: {differ} of {total} entities differ")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
