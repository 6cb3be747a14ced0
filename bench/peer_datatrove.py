"""datatrove's counterpart of the pipeline's cheap path, run by `bench.peers` in its own venv.

    <peer venv>/bin/python bench/peer_datatrove.py --input FOLDER --glob texts.jsonl \
        --out FOLDER --summary FILE

JSONL reader (the bench corpus's texts) -> ftfy -> py3langid language filter (English, score
above 0.65, as datatrove's LanguageFilter) -> Gopher repetition -> Gopher quality -> Parquet
(zstd). One task, one worker: everything in this process. datatrove's own LanguageFilter loads
a fastText model from the Hub at run time, which this project never does; py3langid ships its
model inside the package. This file imports datatrove, not the project: it runs in the venv
`bench.peers` builds, never in the project's.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from datatrove.data import Document
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.filters import GopherQualityFilter, GopherRepetitionFilter
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.formatters import FTFYFormatter
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import ParquetWriter

LANGUAGES = ("en",)
THRESHOLD = 0.65  # datatrove's LanguageFilter default


class Py3LangidFilter(BaseFilter):
    """datatrove's LanguageFilter with py3langid in place of fastText: the same metadata keys,
    the same rule (a kept language scoring above the threshold)."""

    name = "py3langid language"

    def __init__(self, languages: tuple[str, ...], threshold: float):
        super().__init__()
        self.languages, self.threshold = set(languages), threshold
        self._model = None

    def filter(self, doc: Document) -> bool:
        if self._model is None:  # loaded in the process that runs the task
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            self._model = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        lang, score = self._model.classify(doc.text)
        doc.metadata["language"], doc.metadata["language_score"] = lang, float(score)
        return lang in self.languages and score > self.threshold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--input", type=Path, required=True)
    parser.add_argument("--glob", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--summary", type=Path, required=True)
    args = parser.parse_args()
    executor = LocalPipelineExecutor(
        pipeline=[
            JsonlReader(str(args.input), glob_pattern=args.glob),
            FTFYFormatter(),
            Py3LangidFilter(LANGUAGES, THRESHOLD),
            GopherRepetitionFilter(),
            GopherQualityFilter(),
            ParquetWriter(str(args.out / "data"), compression="zstd"),
        ],
        tasks=1,
        workers=1,
        logging_dir=str(args.out / "logs"),
        skip_completed=False,
    )
    executor.run()
    import pyarrow.parquet as pq

    kept = sum(pq.ParquetFile(p).metadata.num_rows for p in (args.out / "data").glob("*.parquet"))
    args.summary.write_text(json.dumps({"docs_out": kept}) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
