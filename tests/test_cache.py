"""The per-article results cache: only what changed is computed, and the bytes never change."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline import annotate, annotate_batch
from pipeline.annotators import load_all
from pipeline.annotators import nlp as nlp_mod
from pipeline.cache import Cache, annotator_key, code_files, content_key
from pipeline.params import Params
from tests.defaults import PARAMS
from tests.test_engine_local import output_bytes

TEXTS = [
    "Rail fares in England will rise by 4.6% from March, the government said on Monday.",
    "Le gouvernement a annoncé une hausse des tarifs ferroviaires de 4,6 % en mars.",
    "\u201cWe cannot go on like this,\u201d said Anna Smith, who runs the Leeds rail users' group.",
    "Die Bahnpreise in England steigen im März um 4,6 Prozent, teilte die Regierung mit.",
    "Shares in BP fell 3% in London after the company said profits had halved.",
]


PARSE = "spacy parse"  # what `puts` calls the texts spaCy parsed (each parse is stored)
ENGLISH = 3  # of TEXTS: the only ones spaCy's English model parses and annotates


@pytest.fixture
def cached(tmp_path) -> Params:
    """One process, batches of 2, a cache in tmp."""
    engine = replace(PARAMS.engine, workers=1, batch_size=2, cache_dir=str(tmp_path / "cache"))
    return replace(PARAMS, engine=engine)


@pytest.fixture
def puts(monkeypatch) -> Counter:
    """annotator name -> how many results were computed and stored."""
    names = {}
    counter: Counter = Counter()
    original = Cache.put

    def put(self, key, values):
        if values:
            counter[names.get(key, key)] += len(values)
        return original(self, key, values)

    for annotator in load_all().values():
        for params in (
            PARAMS.annotate,
            replace(PARAMS.annotate, language_candidates=("en", "fr", "de")),
            replace(PARAMS.annotate, words_per_minute=100),
        ):
            names[annotator_key(annotator, params)] = annotator.name
    names[nlp_mod.parse_key(PARAMS.annotate)] = PARSE
    monkeypatch.setattr(Cache, "put", put)
    return counter


def corpus(make_record, texts) -> list[dict]:
    return [
        {
            **make_record(id=f"{i:032d}", text=t, source=f"bbc/{i}.txt"),
            "content_sha256": "c" * 64,
            "clean_log": [],
            "duplicates": [],
        }
        for i, t in enumerate(texts)
    ]


def run(write_stage_rows, rows, root: Path, params: Params) -> dict[str, bytes]:
    inp = write_stage_rows("clean", rows)
    annotate.run(inp, root / "records", root / "quarantine", root / "metrics.json", params)
    return output_bytes(root)


def first_pass_names(params: Params) -> list[str]:
    first, corpus, _ = annotate_batch.plan(params.annotate)
    return [a.name for a in first] + ([corpus.name] if corpus else [])


def stored(params: Params, texts: int, english: int) -> dict[str, int]:
    """What a first pass over `texts` new texts, `english` of them English, computes and stores:
    every annotator's result, but the spaCy annotators' (and the parse) for English ones only."""
    registry = load_all()
    out = {
        name: english if getattr(registry[name], "languages", None) else texts
        for name in first_pass_names(params)
    }
    return {**out, PARSE: english} if english else out


def test_a_warm_cache_writes_the_cold_bytes_without_parsing(
    make_record, write_stage_rows, tmp_path, cached, puts, monkeypatch
):
    rows = corpus(make_record, TEXTS)
    cold = run(write_stage_rows, rows, tmp_path / "cold", cached)
    assert puts == stored(cached, len(TEXTS), ENGLISH)
    puts.clear()

    def no_spacy(model):
        raise AssertionError("a warm run must not load spaCy")

    monkeypatch.setattr(nlp_mod, "load", no_spacy)
    warm = run(write_stage_rows, rows, tmp_path / "warm", cached)
    assert puts == {}
    assert warm == cold
    uncached = replace(cached, engine=replace(cached.engine, cache_dir=None))
    monkeypatch.undo()
    assert run(write_stage_rows, rows, tmp_path / "none", uncached) == cold


def test_new_and_changed_articles_are_the_only_ones_computed(
    make_record, write_stage_rows, tmp_path, cached, puts
):
    run(write_stage_rows, corpus(make_record, TEXTS[:4]), tmp_path / "first", cached)
    puts.clear()
    texts = [*TEXTS[:4], TEXTS[4]]
    texts[1] = TEXTS[1].replace("mars", "avril")
    again = run(write_stage_rows, corpus(make_record, texts), tmp_path / "again", cached)
    assert puts == stored(cached, 2, 1)  # a changed French text, a new English one
    fresh = replace(cached, engine=replace(cached.engine, cache_dir=str(tmp_path / "fresh")))
    assert again == run(write_stage_rows, corpus(make_record, texts), tmp_path / "cold", fresh)


def test_changing_one_annotators_params_recomputes_that_annotator_only(
    make_record, write_stage_rows, tmp_path, cached, puts
):
    rows = corpus(make_record, TEXTS)
    run(write_stage_rows, rows, tmp_path / "first", cached)
    puts.clear()
    annotate_params = replace(cached.annotate, language_candidates=("en", "fr", "de"))
    run(write_stage_rows, rows, tmp_path / "again", replace(cached, annotate=annotate_params))
    # The same languages come out, so readability (which reads them) finds its results too.
    assert puts == {"language_v1": len(TEXTS)}


def test_a_spacy_annotators_params_recompute_it_from_the_stored_parse(
    make_record, write_stage_rows, tmp_path, cached, puts
):
    rows = corpus(make_record, TEXTS)
    # counts_v1 counts sentences on the parse; its reading time reads words_per_minute.
    annotators = {**cached.annotate.annotators, "counts": "counts_v1"}
    cached = replace(cached, annotate=replace(cached.annotate, annotators=annotators))
    run(write_stage_rows, rows, tmp_path / "first", cached)
    puts.clear()
    slower = replace(cached, annotate=replace(cached.annotate, words_per_minute=100))
    again = run(write_stage_rows, rows, tmp_path / "again", slower)
    assert puts == {"counts_v1": len(TEXTS)}  # and no text parsed again: PARSE is absent
    uncached = replace(slower, engine=replace(slower.engine, cache_dir=None))
    assert again == run(write_stage_rows, rows, tmp_path / "none", uncached)


def test_an_interrupted_run_resumes_where_it_stopped(
    make_record, write_stage_rows, tmp_path, cached, puts, monkeypatch
):
    rows = corpus(make_record, TEXTS)
    parse = nlp_mod.docs

    def interrupted(context):
        if any("Anna Smith" in t for t in context.texts):  # the second batch's English text
            raise KeyboardInterrupt  # not an article's error: the run stops
        return parse(context)

    monkeypatch.setattr(nlp_mod, "docs", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run(write_stage_rows, rows, tmp_path / "stopped", cached)
    monkeypatch.setattr(nlp_mod, "docs", parse)
    entities = cached.annotate.annotators["entities"]
    done = puts[entities]
    assert done == 1  # the first batch of 2 (one English text) was finished and stored
    puts.clear()
    run(write_stage_rows, rows, tmp_path / "resumed", cached)
    assert puts[entities] == ENGLISH - done


def test_a_parse_stopped_mid_batch_keeps_the_parses_already_made(
    make_record, write_stage_rows, tmp_path, cached, puts, monkeypatch
):
    """spaCy's parses are stored `spacy_batch_size` at a time: a run killed in the middle of a
    batch parses again only what was not stored yet."""
    rows = corpus(make_record, TEXTS)
    params = replace(cached, engine=replace(cached.engine, batch_size=len(TEXTS)))
    params = replace(params, annotate=replace(params.annotate, spacy_batch_size=2))
    real = nlp_mod.load(params.annotate.spacy_model)

    class StopsAfterTwo:  # the real pipeline, stopped as a SIGKILL would stop it
        vocab = real.vocab

        def pipe(self, texts, batch_size):
            for n, doc in enumerate(real.pipe(texts, batch_size=batch_size)):
                if n == 2:
                    raise KeyboardInterrupt
                yield doc

    monkeypatch.setattr(nlp_mod, "load", lambda model: StopsAfterTwo())
    with pytest.raises(KeyboardInterrupt):
        run(write_stage_rows, rows, tmp_path / "stopped", params)
    monkeypatch.setattr(nlp_mod, "load", lambda model: real)
    assert puts[PARSE] == 2  # one group of 2 stored; the third parse was not
    puts.clear()
    resumed = run(write_stage_rows, rows, tmp_path / "resumed", params)
    assert puts[PARSE] == ENGLISH - 2
    uncached = replace(params, engine=replace(params.engine, cache_dir=None))
    assert resumed == run(write_stage_rows, rows, tmp_path / "none", uncached)


def test_an_annotators_code_is_its_module_and_what_it_imports():
    files = {
        p.as_posix().split("pipeline/", 1)[1] for p in code_files("pipeline.annotators.quotes")
    }
    assert {"annotators/quote_marks.py", "annotators/attribution.py", "annotators/nlp.py"} <= files
    assert "annotators/rules/quote_cues.yaml" in files
    assert "params.py" not in files and "annotators/language.py" not in files


def test_a_content_key_reads_only_the_fields_the_annotator_reads(make_record):
    record = make_record(text="Same words.")
    moved = {**record, "source": "elsewhere.txt", "id": "1" * 32}
    assert content_key("entities_v2", record) == content_key("entities_v2", moved)
    assert content_key("pii_v2", record) != content_key("pii_v2", {**record, "title": "New"})
    # An annotator the cache knows nothing about is keyed by every field.
    assert content_key("someone_v9", record) != content_key("someone_v9", moved)
