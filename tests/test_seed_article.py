"""The project's own seed article comes through ingest and clean exactly as written."""

from __future__ import annotations

from pathlib import Path

from pipeline import clean, ingest
from pipeline.ids import sha256_hex
from tests.defaults import PARAMS

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_9f942c4ff97f10a2.txt"


def test_seed_article_keeps_quotes_accents_and_paragraphs():
    raw = SEED.read_bytes()
    params = PARAMS
    seed = {"source": SEED.name, "source_sha256": sha256_hex(raw), "raw": raw, "sidecar": None}
    (record,) = ingest.parse_seed(seed, params.ingest)
    cleaned = clean.clean_record(record, params.clean)
    original = raw.decode("utf-8")
    assert cleaned["text"] == original.rstrip("\n")  # as written, less the file's final newlines
    # The file ends with a blank line: the one repair, and nothing else was touched.
    assert cleaned["clean_log"] == [{"step": "normalize_whitespace", "chars_removed": 1}]
    text = cleaned["text"]
    assert "Orbán" in text
    assert "‘victory plan’" in text and "“Germany and the U.S." in text and "isn’t" in text
    assert text.count("\n\n") == original.strip().count("\n\n") == 15  # 16 paragraphs
