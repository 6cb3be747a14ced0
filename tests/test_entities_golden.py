"""Golden outputs of the spaCy-based annotators: a change of behaviour is a new version.

`tests/data/expected/nlp_annotators.jsonl` holds, for every input below and every annotator in
ANNOTATORS, the columns it writes (readable JSONL, one line per input and annotator). A diff
here means an annotator's output changed: register a new version instead, then rewrite the
goldens of the new one with `UPDATE_GOLDENS=1 .venv/bin/pytest tests/test_entities_golden.py`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipeline.annotators import Context, load_all
from tests.defaults import PARAMS

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "data" / "expected" / "nlp_annotators.jsonl"
ANNOTATORS = (
    "entities_v1",
    "entities_v2",
    "dates_v1",
    "dates_v2",
    "quotes_v1",
    "quotes_v2",
    "quotes_v3",
    "quotes_v4",
    "entities_v3",
    "dates_v3",
    "quotes_v5",
    "dates_v4",
    "entities_v4",
    "entities_v5",
    "quotes_v6",
    "dates_v5",
)
PUBLISHED = "2024-10-10"
# Hand-written inputs for the v2 rules, besides the seed article and the test seeds.
WRITTEN = {
    "written/repairs": (
        "Anna Berg told the Gazette on Tuesday that Cycling UK would close. "
        "“The Baltic Countries and the U.S. agree,” Berg said. The United States and Britain "
        "signed in April; the Church of Scientology's lawyers and Hungarian PM Viktor Orbán "
        "did not. Officials of the Civil Defense Authority will meet next week."
    ),
    "written/no-entities": "Nothing happened, and nobody said anything about it.",
}


def inputs() -> dict[str, str]:
    texts = {"seeds/000_9f942c4ff97f10a2.txt": (REPO / "seeds/000_9f942c4ff97f10a2.txt")}
    for path in sorted((REPO / "tests/data/seeds").rglob("*.txt")):
        texts[str(path.relative_to(REPO / "tests/data"))] = path
    out = {name: path.read_text(encoding="utf-8").rstrip("\n") for name, path in texts.items()}
    return out | WRITTEN


def produce() -> list[dict]:
    named = inputs()
    texts = list(named.values())
    records = [
        {"id": f"{i:032d}", "text": t, "published_date": PUBLISHED} for i, t in enumerate(texts)
    ]
    context = Context(texts, PARAMS.annotate)
    registry = load_all()
    rows = []
    for annotator in ANNOTATORS:
        columns = registry[annotator].annotate(records, context)
        rows += [
            {"input": name, "annotator": annotator, "columns": cols}
            for name, cols in zip(named, columns, strict=True)
        ]
    return rows


@pytest.fixture(scope="module")
def produced() -> list[dict]:
    rows = produce()
    if os.environ.get("UPDATE_GOLDENS"):
        GOLDEN.write_text(
            "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows),
            encoding="utf-8",
        )
    return rows


def _key(row: dict) -> str:
    return f"{row['annotator']} {row['input']}"


def test_outputs_match_the_goldens(produced):
    lines = GOLDEN.read_text(encoding="utf-8").splitlines()
    expected = {_key(row): row["columns"] for row in map(json.loads, lines)}
    assert sorted(expected) == sorted(_key(r) for r in produced)
    for row in produced:
        assert row["columns"] == expected[_key(row)], _key(row)


def test_golden_spans_are_exact_offsets(produced):
    texts = inputs()
    for row in produced:
        text = texts[row["input"]]
        columns = row["columns"]
        spans = columns.get("entities", []) + columns.get("dates_mentioned", [])
        for span in spans:
            assert text[span["start"] : span["end"]] == span["text"], _key(row)
        for q in columns.get("quotes", []):
            assert text[q["start"] : q["end"]] == q["quote"], _key(row)


def test_v2_differs_from_v1_where_the_rules_say(produced):
    by = {_key(r): r["columns"] for r in produced}
    v1, v2 = by["entities_v1 written/repairs"], by["entities_v2 written/repairs"]
    assert "Gazette" in v1["people"] and "Gazette" not in v2["people"]
    assert {"United States", "United Kingdom"} <= set(v2["places"])
    assert not {"U.S.", "UK", "Britain", "Cycling"} & set(v2["places"])
    assert "Cycling UK" in v2["organizations"] and "UK" in v1["places"]
    dates = by["dates_v2 written/repairs"]["dates_mentioned"]
    assert all(d["date"] for d in dates)  # Tuesday, April, next week: resolved
    assert not any(d["date"] for d in by["dates_v1 written/repairs"]["dates_mentioned"])
