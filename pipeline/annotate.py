"""Stage `annotate`: the metadata researchers and model trainers filter on.

Reads:  `data/clean/records/`.
Writes: `data/annotate/records/` (adds `language`, `language_score`, `char_count`,
        `word_count`), `data/quarantine/annotate/`, `data/annotate/metrics.json`.
Params: `engine`, `annotate`.

Language comes from py3langid, whose model ships inside the package (nothing is downloaded).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from pipeline import params as params_mod
from pipeline.params import AnnotateParams
from pipeline.stage import map_stage, parse_args, write_metrics

STAGE = "annotate"
# A word: letters or digits (any script), with inner apostrophes or hyphens ("isn't",
# "wishful-thinking" are one word each). Underscore is not a letter.
_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")


@cache
def language_identifier(candidates: tuple[str, ...]) -> LanguageIdentifier:
    # Loading the model takes ~0.5 s: once per process and candidate set, not per article.
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    if candidates:
        identifier.set_languages(list(candidates))
    return identifier


def detect_language(text: str, candidates: tuple[str, ...] = ()) -> tuple[str, float]:
    lang, prob = language_identifier(candidates).classify(text)
    # Rounded so that the float is the same on every platform's BLAS.
    return lang, round(float(prob), 6)


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def annotate_record(record: dict[str, Any], params: AnnotateParams) -> dict[str, Any]:
    text = record["text"]
    language, score = detect_language(text, params.language_candidates)
    return {
        **record,
        "language": language,
        "language_score": score,
        "char_count": len(text),
        "word_count": word_count(text),
    }


def run(inp: Path, out: Path, quarantine: Path, metrics: Path, params: params_mod.Params) -> dict:
    counts = map_stage(
        STAGE, lambda r: annotate_record(r, params.annotate), out, quarantine, params, inp=inp
    )
    write_metrics(metrics, counts)
    return counts


def main(argv: list[str] | None = None) -> dict:
    args, params = parse_args(argv, __name__, __doc__, ["input", "out", "quarantine", "metrics"])
    return run(args.input, args.out, args.quarantine, args.metrics, params)


if __name__ == "__main__":
    main()
