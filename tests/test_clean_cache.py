"""clean's per-article results cache: only new or changed texts are cleaned, and the bytes the
stage writes never depend on the cache (cold, warm or none)."""

from __future__ import annotations

import pickle
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline import cache as cache_mod
from pipeline import clean, clean_cache
from pipeline.params import Params
from pipeline.quarantine import EMPTY_AFTER_CLEAN, Rejected
from pipeline.schema import record_schema
from pipeline.shards import ShardWriter, reset_dir
from tests.defaults import PARAMS
from tests.test_engine_local import output_bytes

TEXTS = [
    ("Rail fares to rise", "Rail fares in England will rise by 4.6% from March."),
    ("Itâ€™s official", "Itâ€™s  here: prices   rise &amp; fall.\r\n\r\n\r\nNew\u200bline."),
    (None, "Shares in BP fell 3%\u00ad after the com\u00adpany said profits had halved."),
    ("Rail fares to rise", "Rail fares in England will rise by 4.6% from March."),  # a copy
    ("Blank", "\u200b \u200b"),  # nothing left after clean
    ("Caf\u0065\u0301 opens", "The caf\u0065\u0301 opens on\x0cMonday &#233; &notanentity;"),
]
EMPTY = 4  # TEXTS[EMPTY] is quarantined by clean


def rows(make_record, texts) -> list[dict]:
    return [
        make_record(id=f"{i:032x}", title=title, text=text, source=f"bbc/{i}.txt")
        for i, (title, text) in enumerate(texts)
    ]


def with_cache(folder: Path | None, workers: int = 1, clean_params=None) -> Params:
    engine = replace(
        PARAMS.engine,
        workers=workers,
        batch_size=2,
        row_group_rows=3,
        cache_dir=str(folder) if folder else None,
    )
    return replace(PARAMS, engine=engine, clean=clean_params or PARAMS.clean)


def run(records: list[dict], root: Path, params: Params) -> dict[str, bytes]:
    """clean.run on `records` (written as ingest's shards) into `root`: every file it wrote."""
    inp = root.with_name(root.name + "-input")
    with ShardWriter(reset_dir(inp), record_schema().arrow("ingest"), params.engine) as writer:
        writer.write_rows(records)
    clean.run(inp, root / "records", root / "quarantine", root / "metrics.json", params)
    return output_bytes(root)


@pytest.fixture
def computed(monkeypatch) -> list[str | None]:
    """The texts clean computes (the titles' texts, in order), whatever the cache holds.

    One worker: a forked worker's calls would not be seen here."""
    calls: list[str | None] = []
    original = clean.clean_text

    def counting(text, title, params):
        calls.append(text)
        return original(text, title, params)

    monkeypatch.setattr(clean, "clean_text", counting)
    return calls


def test_cold_warm_and_no_cache_write_the_same_bytes(make_record, tmp_path, computed):
    records = rows(make_record, TEXTS)
    cached = with_cache(tmp_path / "cache")
    cold = run(records, tmp_path / "cold", cached)
    # The copy (TEXTS[3]) is in a later batch than TEXTS[0] (2 a batch): found in the cache.
    assert len(computed) == len(TEXTS) - 1
    computed.clear()
    warm = run(records, tmp_path / "warm", cached)
    assert computed == []
    assert warm == cold
    none = run(records, tmp_path / "none", with_cache(None))
    assert len(computed) == len(TEXTS)
    assert none == cold
    assert any(name.startswith("quarantine/") for name in cold)  # the empty one and the copy
    assert "metrics.json" in cold


def test_two_workers_read_and_write_the_cache_with_the_same_bytes(make_record, tmp_path):
    records = rows(make_record, TEXTS)
    baseline = run(records, tmp_path / "none", with_cache(None))
    cached = with_cache(tmp_path / "cache", workers=2)
    assert run(records, tmp_path / "cold", cached) == baseline
    assert run(records, tmp_path / "warm", cached) == baseline


def test_only_an_added_record_is_computed(make_record, tmp_path, computed):
    cached = with_cache(tmp_path / "cache")
    run(rows(make_record, TEXTS), tmp_path / "first", cached)
    computed.clear()
    added = [*TEXTS, ("New story", "A new  story, added\u00ad since the last run.")]
    again = run(rows(make_record, added), tmp_path / "again", cached)
    assert computed == [added[-1][1]]
    assert again == run(rows(make_record, added), tmp_path / "fresh", with_cache(None))


def test_a_changed_text_or_title_is_computed_again(make_record, tmp_path, computed):
    cached = with_cache(tmp_path / "cache")
    run(rows(make_record, TEXTS), tmp_path / "first", cached)
    computed.clear()
    changed = list(TEXTS)
    changed[0] = ("Rail fares to rise again", TEXTS[0][1])  # the title only
    changed[2] = (None, TEXTS[2][1] + " More.")
    again = run(rows(make_record, changed), tmp_path / "again", cached)
    assert sorted(computed) == sorted([changed[0][1], changed[2][1]])
    assert again == run(rows(make_record, changed), tmp_path / "fresh", with_cache(None))


def test_changing_a_clean_param_computes_every_record_again(make_record, tmp_path, computed):
    records = rows(make_record, TEXTS)
    run(records, tmp_path / "first", with_cache(tmp_path / "cache"))
    computed.clear()
    keep_zero_width = replace(PARAMS.clean, strip_zero_width=False)
    assert clean_cache.stage_key(keep_zero_width) != clean_cache.stage_key(PARAMS.clean)
    changed = with_cache(tmp_path / "cache", clean_params=keep_zero_width)
    again = run(records, tmp_path / "again", changed)
    assert len(computed) == len(TEXTS) - 1  # every distinct text and title
    # Kept zero-width spaces: the "blank" article is no longer empty.
    assert again == run(records, tmp_path / "fresh", with_cache(None, clean_params=keep_zero_width))
    assert again != run(records, tmp_path / "default", with_cache(None))


def test_a_code_change_misses(make_record, tmp_path, computed, monkeypatch):
    records = rows(make_record, TEXTS)
    run(records, tmp_path / "first", with_cache(tmp_path / "cache"))
    computed.clear()
    real = cache_mod.code_hash("pipeline.clean")
    monkeypatch.setattr(cache_mod, "code_hash", lambda module: "edited " + real)
    run(records, tmp_path / "again", with_cache(tmp_path / "cache"))
    assert len(computed) == len(TEXTS) - 1


def test_code_hash_covers_the_cache_glue():
    files = {p.name for p in cache_mod.code_files("pipeline.clean")}
    assert {"clean.py", "clean_cache.py", "cache.py"} <= files


def test_a_rejected_record_is_stored_as_rejected_and_stays_quarantined(
    make_record, tmp_path, computed, read_rows
):
    records = rows(make_record, TEXTS)
    cached = with_cache(tmp_path / "cache")
    cold = run(records, tmp_path / "cold", cached)
    computed.clear()
    warm = run(records, tmp_path / "warm", cached)
    assert computed == []
    assert warm == cold
    quarantined = {r["id"]: r for r in read_rows(tmp_path / "warm" / "quarantine")}
    blank = quarantined[f"{EMPTY:032x}"]
    assert blank["reason"] == EMPTY_AFTER_CLEAN
    assert blank["detail"] == "no text left after strip_zero_width, normalize_whitespace"

    key = clean_cache.stage_key(PARAMS.clean)
    stored = stored_values(tmp_path / "cache", key)
    assert stored[clean_cache.content_key(records[EMPTY])] == Rejected(
        EMPTY_AFTER_CLEAN, "no text left after strip_zero_width, normalize_whitespace"
    )


def stored_values(folder: Path, key: str) -> dict:
    db = sqlite3.connect(folder / cache_mod.FILE)
    try:
        rows = db.execute("SELECT content, value FROM results WHERE annotator = ?", [key])
        return {content: pickle.loads(value) for content, value in rows}
    finally:
        db.close()


def test_only_what_clean_derives_is_stored(make_record, tmp_path, read_rows):
    records = rows(make_record, TEXTS)
    run(records, tmp_path / "cold", with_cache(tmp_path / "cache"))
    stored = stored_values(tmp_path / "cache", clean_cache.stage_key(PARAMS.clean))
    assert len(stored) == len(TEXTS) - 1  # the copy shares its content key
    written = {r["id"]: r for r in read_rows(tmp_path / "cold" / "records")}
    # Nothing to repair: nothing but an empty log.
    assert stored[clean_cache.content_key(records[0])] == (None, None, [])
    # Text and title repaired: both stored, with the log.
    repaired = written[f"{1:032x}"]
    assert repaired["text"] != TEXTS[1][1] and repaired["title"] != TEXTS[1][0]
    assert stored[clean_cache.content_key(records[1])] == (
        repaired["text"],
        [repaired["title"]],
        repaired["clean_log"],
    )
    # A repaired text under a title left as it was (None).
    assert stored[clean_cache.content_key(records[2])] == (
        written[f"{2:032x}"]["text"],
        None,
        log(("remove_soft_hyphens", 2)),
    )


def log(*entries: tuple[str, int]) -> list[dict]:
    return [{"step": step, "chars_removed": n} for step, n in entries]


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Same", "Same text."),
        ("", "A title that cleans to nothing becomes None."),
        (None, "No title."),
        (" Spaced  title ", "Text\u00ad."),
        ("T", "\u200b"),
    ],
)
def test_compact_then_expand_gives_clean_texts_answer(make_record, title, text):
    record = make_record(title=title, text=text)
    answer = clean.clean_text(text, title, PARAMS.clean)
    assert clean_cache.expand(record, clean_cache.compact(record, answer)) == answer


def test_an_interrupted_run_resumes_from_the_batches_it_finished(
    make_record, tmp_path, computed, monkeypatch
):
    records = rows(make_record, TEXTS)
    cached = with_cache(tmp_path / "cache")
    counting = clean.clean_text

    def killed_on_the_third(text, title, params):
        if len(computed) == 2:
            raise KeyboardInterrupt  # not an article's error: the run stops
        return counting(text, title, params)

    monkeypatch.setattr(clean, "clean_text", killed_on_the_third)
    with pytest.raises(KeyboardInterrupt):
        run(records, tmp_path / "killed", cached)
    assert len(computed) == 2  # the first batch, stored
    monkeypatch.setattr(clean, "clean_text", counting)
    computed.clear()
    resumed = run(records, tmp_path / "resumed", cached)
    assert computed == [text for _, text in TEXTS[2:] if text != TEXTS[0][1]]
    assert resumed == run(records, tmp_path / "none", with_cache(None))
