"""Stage annotate: the annotators chosen in params, both passes, filters, metrics."""

from __future__ import annotations

from dataclasses import replace

import pyarrow.parquet as pq
import pytest

from pipeline import annotate
from pipeline.annotate_batch import annotate_records, plan
from pipeline.annotators.language import detect_language
from pipeline.params import Bounds
from pipeline.schema import record_schema
from pipeline.shards import shard_paths
from pipeline.words import word_count
from tests.defaults import PARAMS


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path, monkeypatch):
    """params.yaml's engine.cache_dir is relative to the working directory: keep it in tmp."""
    monkeypatch.chdir(tmp_path)


ENGLISH = (
    "The government announced on Tuesday that it would raise taxes on fuel to pay for new "
    "hospitals and schools across the country."
)
FRENCH = (
    "Le gouvernement a annoncé mardi qu'il augmenterait les taxes sur le carburant pour financer "
    "de nouveaux hôpitaux et des écoles dans tout le pays."
)
GERMAN = (
    "Die Regierung kündigte am Dienstag an, die Steuern auf Kraftstoff zu erhöhen, um neue "
    "Krankenhäuser und Schulen im ganzen Land zu finanzieren."
)


@pytest.mark.parametrize(
    ("text", "language"), [(ENGLISH, "en"), (FRENCH, "fr"), (GERMAN, "de")], ids=["en", "fr", "de"]
)
def test_detect_language(text, language):
    detected, score = detect_language(text)
    assert detected == language
    assert 0.9 < score <= 1.0


@pytest.mark.parametrize(
    "text",
    [ENGLISH, FRENCH, GERMAN, "", "12345", "?!", "東京"],
    ids=["en", "fr", "de", "", "digits", "punctuation", "ja"],
)
def test_score_is_a_probability_rounded_to_six_places(text):
    _, score = detect_language(text)
    assert isinstance(score, float)
    assert 0.0 <= score <= 1.0
    assert round(score, 6) == score


@pytest.mark.parametrize(
    ("text", "candidates"),
    [(FRENCH, ("en", "de")), (ENGLISH, ("fr", "de")), (GERMAN, ("en",))],
    ids=["fr-as-en-de", "en-as-fr-de", "de-as-en"],
)
def test_language_candidates_restrict_the_answer(text, candidates):
    language, score = detect_language(text, candidates)
    assert language in candidates
    assert 0.0 <= score <= 1.0


def test_candidates_do_not_leak_into_other_calls():
    assert detect_language(FRENCH, ("en", "de"))[0] != "fr"
    assert detect_language(FRENCH)[0] == "fr"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("isn't", 1),
        ("It isn’t", 2),
        ("wishful-thinking", 1),
        ("a state of wishful-thinking, isn't it?", 6),
        ("rock'n'roll", 1),
        ("'quoted'", 1),
        ("well -- done", 2),
        ("snake_case", 2),  # underscore is not a letter
        ("naïve café", 2),
        ("Cafe\u0301", 1),  # a combining accent is inside the word
        ("東京 tokyo", 2),
        ("", 0),
        ("  \n\t ", 0),
        ("— … !", 0),
    ],
)
def test_word_count(text, words):
    assert word_count(text) == words


def annotate_record(record, params):
    (annotated,) = annotate_records([record], params)
    return annotated


def test_annotate_record_adds_the_annotate_fields(make_record):
    record = {
        **make_record(text="Déjà vu, isn't it?"),
        "content_sha256": "c" * 64,
        "clean_log": [{"step": "normalize_whitespace", "chars_removed": 2}],
        "duplicates": ["d" * 32],
    }
    result = annotate_record(record, replace(PARAMS.annotate, language_candidates=("fr", "en")))
    assert {k: result[k] for k in record} == record  # nothing that was there changes
    assert (result["char_count"], result["word_count"]) == (18, 4)
    assert result["language"] in {"fr", "en"}
    assert set(result) == set(record_schema().arrow("annotate").names)


SPACY_COLUMNS = ("entities", "people", "organizations", "places", "quotes", "dates_mentioned")


def test_spacy_annotators_describe_only_articles_in_the_models_language(make_record):
    """English entities, quotes and dates of a French or Russian article would be noise: their
    columns are null there (and the article is not parsed); English articles get them."""
    texts = {
        "en": "“We will not wait,” said Anna Smith, the mayor of Leeds, on Monday 3 March 2025.",
        "fr": "« Nous n'attendrons pas », a déclaré Anna Smith, maire de Lyon, lundi 3 mars 2025.",
        "ru": "«Мы не будем ждать», — заявила Анна Смит, мэр Москвы, в понедельник 3 марта.",
    }
    records = [make_record(id=f"{i}" * 32, text=t) for i, t in enumerate(texts.values())]
    annotated = annotate_records(records, PARAMS.annotate)
    assert [r["language"] for r in annotated] == list(texts)
    english, *others = annotated
    assert "Anna Smith" in english["people"] and english["quotes"] and english["dates_mentioned"]
    for record in others:
        assert {c: record[c] for c in SPACY_COLUMNS} == dict.fromkeys(SPACY_COLUMNS)
        assert record["word_count"] > 0  # the other annotators describe every language


def test_a_language_bound_annotator_needs_the_language_slot_first(make_record):
    params = replace(PARAMS.annotate, annotators={"counts": "counts_v2", "entities": "entities_v2"})
    with pytest.raises(KeyError, match="the language slot must run before it"):
        annotate_records([make_record(text="Anna Smith spoke.")], params)


@pytest.mark.parametrize(
    ("text", "chars"), [("café", 4), ("Cafe\u0301", 5), ("😀 ok", 4), ("a\nb", 3)]
)
def test_char_count_counts_code_points(make_record, text, chars):
    assert annotate_record(make_record(text=text), PARAMS.annotate)["char_count"] == chars


def test_run_annotates_every_record(
    make_record, write_stage_rows, stage_paths, params, read_rows, read_json
):
    texts = [ENGLISH, FRENCH, GERMAN]
    logs = [[], [{"step": "fix_mojibake", "chars_removed": 2}], []]
    duplicates = [[], [], ["9" * 32, "8" * 32]]
    rows = [
        {
            **make_record(id=f"{i}" * 32, text=t),
            "content_sha256": "c" * 64,
            "clean_log": log,
            "duplicates": dups,
        }
        for i, (t, log, dups) in enumerate(zip(texts, logs, duplicates, strict=True))
    ]
    out, quarantine, metrics = stage_paths("annotate")
    result = annotate.run(write_stage_rows("clean", rows), out, quarantine, metrics, params)

    assert (result["records_in"], result["records_out"], result["quarantined"]) == (3, 3, 0)
    assert read_json(metrics) == result
    annotated = read_rows(out)
    assert [r["language"] for r in annotated] == ["en", "fr", "de"]
    assert [r["word_count"] for r in annotated] == [word_count(t) for t in texts]
    assert [r["char_count"] for r in annotated] == [len(t) for t in texts]
    # What clean recorded passes through untouched.
    assert [(r["clean_log"], r["duplicates"]) for r in annotated] == list(
        zip(logs, duplicates, strict=True)
    )
    assert read_rows(quarantine) == []
    for path in shard_paths(out):
        assert pq.read_schema(path) == record_schema().arrow("annotate")
    assert result["languages"] == {"en": 1, "fr": 1, "de": 1}
    chosen = PARAMS.annotate.annotators["entities"]
    assert result["annotators"]["entities"]["annotator"] == chosen
    assert not (out.parent / "records.staging").exists()


def test_plan_runs_split_after_the_corpus_annotator():
    first, corpus, second = plan(PARAMS.annotate)
    assert corpus is not None and corpus.name == "minhash_v1"
    assert [a.name for a in second] == ["split_v1"]
    assert "language_v1" in [a.name for a in first]


def test_unknown_annotator_is_an_error():
    params = replace(
        PARAMS.annotate, annotators={**PARAMS.annotate.annotators, "quotes": "quotes_v9"}
    )
    with pytest.raises(KeyError, match="quotes_v9"):
        plan(params)


def test_filters_quarantine_with_the_value(
    make_record, write_stage_rows, stage_paths, params, read_rows
):
    rows = [
        {
            **make_record(id=f"{i}" * 32, text=t),
            "content_sha256": f"{i}" * 64,
            "clean_log": [],
            "duplicates": [],
        }
        for i, t in enumerate([ENGLISH, "Short one."])
    ]
    params = replace(
        params, annotate=replace(params.annotate, filters={"word_count": Bounds(min=5)})
    )
    out, quarantine, metrics = stage_paths("annotate")
    result = annotate.run(write_stage_rows("clean", rows), out, quarantine, metrics, params)
    assert (result["records_out"], result["quarantined_by_reason"]) == (1, {"filtered": 1})
    (rejected,) = read_rows(quarantine)
    assert rejected["reason"] == "filtered" and "word_count=2" in rejected["detail"]


def test_near_duplicates_share_a_cluster_and_a_split(make_record):
    base = ENGLISH + " " + GERMAN
    records = [
        {
            **make_record(id=f"{i}" * 32, text=t),
            "content_sha256": f"{i}" * 64,
            "clean_log": [],
            "duplicates": [],
        }
        for i, t in enumerate([base, base + " Updated.", FRENCH])
    ]
    a, b, c = annotate_records(records, PARAMS.annotate)
    assert a["near_duplicate_cluster"] == b["near_duplicate_cluster"] == "0" * 32
    assert a["split"] == b["split"]
    assert c["near_duplicate_cluster"] == "2" * 32


def test_chunks_are_bounded_by_characters_and_keep_the_order():
    records = [{"text": "x" * n} for n in [5, 5, 1, 20, 0, 3, 9, 1, 0]]
    for limit in (1, 10, 25, 10**6):
        cut = annotate.chunks(records, limit)
        assert [r for chunk in cut for r in chunk] == records
        for chunk in cut:  # a text longer than the limit is a chunk of its own
            assert len(chunk) == 1 or sum(len(r["text"]) for r in chunk) <= limit
    assert [len(c) for c in annotate.chunks(records, 10)] == [2, 1, 1, 2, 3]
    assert annotate.chunks([], 10) == []


def test_the_first_pass_by_chunks_writes_what_it_writes_by_batch(make_record, monkeypatch):
    texts = [ENGLISH, FRENCH, GERMAN, ENGLISH + " " + GERMAN, "Short.", ENGLISH.upper()]
    records = [
        {
            **make_record(id=f"{i}" * 32, text=t),
            "content_sha256": f"{i}" * 64,
            "clean_log": [],
            "duplicates": [],
        }
        for i, t in enumerate(texts)
    ]
    first, corpus, _ = plan(PARAMS.annotate)
    monkeypatch.setattr(annotate, "CHUNK_CHARS", 10**9)  # the whole batch at once
    whole = annotate.first_pass(first, corpus, PARAMS.annotate, None, records)
    monkeypatch.setattr(annotate, "CHUNK_CHARS", 300)  # chunks of one to three records
    assert len(annotate.chunks(records, 300)) > 2
    assert annotate.first_pass(first, corpus, PARAMS.annotate, None, records) == whole
