"""PII redaction happens before anything is derived from the text, and validate refuses any
record whose offsets, counts or hash disagree with its text."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.annotate_batch import annotate_records, plan
from pipeline.checks import record_problems
from pipeline.clean import clean_record
from pipeline.ids import sha256_hex
from pipeline.ingest import parse_seed
from pipeline.schema import record_schema
from pipeline.shards import ShardWriter
from pipeline.validate import main as validate_main
from tests.defaults import PARAMS

PHONE, EMAIL, IP = "+44 20 7946 0958", "press.office@council.example.org", "192.168.10.24"
ARTICLE = (
    f"Council systems breached at {IP}\n\n"
    "The city council said on Monday that its payroll system had been breached in April.\n\n"
    f"“The server at {IP} was taken offline on 3 May 2024,” said Jane Smith, the council's "
    "head of technology. “Nobody's bank details were copied.”\n\n"
    f"Residents with questions can call {PHONE} or write to {EMAIL}, the council said. "
    "Police in Leeds are investigating.\n"
)
REDACT = replace(PARAMS.annotate, pii=replace(PARAMS.annotate.pii, redact=True))


def annotated(text: str, params=REDACT, source: str = "breach.txt", author=f"Desk ({EMAIL})"):
    """The record the real ingest, clean and annotate functions make of a .txt seed."""
    raw = text.encode()
    sidecar = json.dumps({"author": author}).encode()
    seed = {"source": source, "source_sha256": sha256_hex(raw), "raw": raw, "sidecar": sidecar}
    seed["sidecar_name"] = source + ".meta.json"
    (ingested,) = parse_seed(seed, PARAMS.ingest)
    (record,) = annotate_records([clean_record(ingested, PARAMS.clean)], params)
    return record


@pytest.fixture(scope="module")
def redacted() -> dict:
    return annotated(ARTICLE)


def test_no_original_pii_string_is_anywhere_in_the_record(redacted):
    everything = json.dumps(redacted, ensure_ascii=False)
    for value in (PHONE, EMAIL, IP, "7946 0958", "council.example.org"):
        assert value not in everything
    assert "[PHONE]" in redacted["text"] and "[EMAIL]" in redacted["text"]
    assert redacted["title"] == "Council systems breached at [IP]"
    assert redacted["author"] == "Desk ([EMAIL])"


def test_every_derived_value_describes_the_redacted_text(redacted):
    text = redacted["text"]
    assert record_problems(redacted) == []
    assert redacted["char_count"] == len(text)
    assert redacted["content_sha256"] == sha256_hex(text)
    assert redacted["entities"] and redacted["quotes"]
    for column, key in (("entities", "text"), ("dates_mentioned", "text"), ("quotes", "quote")):
        for span in redacted[column]:
            assert text[span["start"] : span["end"]] == span[key]
    assert any(q["speaker"] == "Jane Smith" for q in redacted["quotes"])


def test_pii_counts_and_the_redacted_flag(redacted):
    assert redacted["pii"] == {
        "emails": 1,
        "phone_numbers": 1,
        "ip_addresses": 1,  # the other one is in the title: counts describe the text
        "redacted": True,
    }
    plain = "Nothing private here.\n\nThe council met on Monday.\n"
    clean = annotated(plain, source="plain.txt", author="Desk")
    assert clean["pii"]["redacted"] is False  # redaction on, nothing found: nothing redacted
    unredacted = annotated(ARTICLE, params=PARAMS.annotate)
    assert IP in unredacted["text"] and unredacted["pii"]["redacted"] is False


@pytest.mark.parametrize("pii", ["pii_v2", "pii_v3"])
def test_redaction_runs_first_whatever_its_place_in_params(pii):
    others = {k: v for k, v in REDACT.annotators.items() if k != "pii"}
    first, _, _ = plan(replace(REDACT, annotators={"pii": pii, **others}))
    assert first[0].name == pii
    first, _, second = plan(replace(REDACT, annotators={**others, "pii": pii}))
    assert first[0].name == pii and pii not in [a.name for a in second]


def test_an_annotator_that_cannot_redact_first_is_refused():
    with pytest.raises(ValueError, match="pii_v2"):
        plan(replace(REDACT, annotators={**REDACT.annotators, "pii": "pii_v1"}))


def corrupted(record: dict) -> dict[str, dict]:
    """Copies of a good record, each with one derived value that no longer fits its text."""
    entity = record["entities"][0]
    quote = record["quotes"][0]
    return {
        "shifted_entity": {
            **record,
            "entities": [{**entity, "start": entity["start"] + 1, "end": entity["end"] + 1}],
        },
        "entity_past_end": {
            **record,
            "entities": [{**entity, "start": len(record["text"]), "end": len(record["text"]) + 4}],
        },
        "quote_text": {**record, "quotes": [{**quote, "quote": quote["quote"] + " (sic)"}]},
        "char_count": {**record, "char_count": record["char_count"] + 9},
        "word_count": {**record, "word_count": record["word_count"] - 1},
        "content_hash": {**record, "content_sha256": sha256_hex("something else")},
    }


def test_validate_quarantines_each_inconsistent_record_and_names_the_check(
    redacted, tmp_path: Path
):
    bad = corrupted(redacted)
    records = [redacted] + [
        {**r, "id": sha256_hex(name)[:32], "source": f"{name}.txt"} for name, r in bad.items()
    ]
    inp = tmp_path / "in"
    with ShardWriter(inp, record_schema().arrow("annotate"), PARAMS.engine) as writer:
        writer.write_rows(records)
    out, quarantine = tmp_path / "out", tmp_path / "quarantine"
    validate_main(
        [
            *("--input", str(inp), "--out", str(out), "--quarantine", str(quarantine)),
            *("--metrics", str(tmp_path / "m.json"), "--data-docs", str(tmp_path / "docs")),
        ]
    )
    assert pq.read_table(out).column("source").to_pylist() == ["breach.txt"]
    rows = {r["source"]: r for r in pq.read_table(quarantine).to_pylist()}
    assert {r["reason"] for r in rows.values()} == {"inconsistent_record"}
    expected = {
        "shifted_entity": "span_offsets: entities[0]",
        "entity_past_end": "outside the text",
        "quote_text": "span_offsets: quotes[0]",
        "char_count": "counts: char_count",
        "word_count": "counts: word_count",
        "content_hash": "content_hash",
    }
    for name, words in expected.items():
        assert words in rows[f"{name}.txt"]["detail"], name
