"""validate's per-record verdicts in the results store: a rerun checks only new or changed
records, a stored failure is quarantined as before, and the bytes the stage writes never depend
on the cache (cold, warm or none)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from pipeline import record_checks, validate_cache
from tests.defaults import PARAMS
from tests.test_engine_local import output_bytes
from tests.test_validate import (
    BAD_LANGUAGE,
    DUPLICATE,
    GOOD,
    REPO_PARAMS,
    SHORT,
    ZERO_WIDTH,
    article,
    run_validate,
)

RECORDS = [GOOD, SHORT, BAD_LANGUAGE, DUPLICATE, ZERO_WIDTH]


def params_file(folder: Path, cache: Path | None, min_word_count: int = 3) -> Path:
    """params.yaml with one worker (so the checks run in this process, where they are counted),
    the cache in `cache` (None: no cache) and validate.min_word_count."""
    raw = yaml.safe_load(REPO_PARAMS.read_text())
    raw["engine"].update(workers=1, batch_size=2, cache_dir=str(cache) if cache else None)
    raw["validate"]["min_word_count"] = min_word_count
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "params.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def run(root: Path, records: list[dict], cache: Path | None, min_word_count: int = 3) -> dict:
    """validate on `records` into `root`: every file it wrote (the report's and the metrics')."""
    run_validate(root, records, params_file(root, cache, min_word_count))
    return {
        name: data
        for name, data in output_bytes(root).items()
        if not name.startswith(("in/", "params.yaml"))
    }


@pytest.fixture
def checked(monkeypatch) -> list[str]:
    """The sources of the records whose checks run, in order."""
    calls: list[str] = []
    original = record_checks.RecordChecks.find

    def counting(self, record, thorough=False):
        calls.append(record["source"])
        return original(self, record, thorough)

    monkeypatch.setattr(record_checks.RecordChecks, "find", counting)
    return calls


def test_cold_warm_and_no_cache_write_the_same_bytes(tmp_path, checked):
    cache = tmp_path / "cache"
    none = run(tmp_path / "none", RECORDS, None)
    cold = run(tmp_path / "cold", RECORDS, cache)
    assert len(checked) == 2 * len(RECORDS)
    warm = run(tmp_path / "warm", RECORDS, cache)
    assert len(checked) == 2 * len(RECORDS)  # every verdict came from the store
    assert none == cold == warm
    assert any(name.startswith("quarantine/") for name in warm)  # failures were replayed


def test_a_rerun_checks_only_new_or_changed_records(tmp_path, checked):
    cache = tmp_path / "cache"
    run(tmp_path / "first", RECORDS, cache)
    checked.clear()
    changed = {**GOOD, "title": "Budget approved after debate"}
    new = article("d.txt", "Ministers will meet on Thursday to discuss the new rail timetable.")
    run(tmp_path / "second", [changed, SHORT, BAD_LANGUAGE, DUPLICATE, ZERO_WIDTH, new], cache)
    assert checked == ["a.txt", "d.txt"]


def test_a_param_the_checks_read_checks_again(tmp_path, checked):
    cache = tmp_path / "cache"
    run(tmp_path / "first", RECORDS, cache, min_word_count=3)
    checked.clear()
    second = run(tmp_path / "second", RECORDS, cache, min_word_count=1)
    assert len(checked) == len(RECORDS)
    assert second == run(tmp_path / "uncached", RECORDS, None, min_word_count=1)


def test_the_stage_key_follows_what_the_checks_read():
    key = validate_cache.stage_key(PARAMS)
    zero_width = not PARAMS.clean.strip_zero_width
    other_clean = replace(PARAMS, clean=replace(PARAMS.clean, strip_zero_width=zero_width))
    other_engine = replace(PARAMS, engine=replace(PARAMS.engine, batch_size=7, workers=3))
    other_version = replace(PARAMS, publish=replace(PARAMS.publish, version="9.9.9"))
    assert validate_cache.stage_key(other_clean) != key
    assert validate_cache.stage_key(other_engine) == key
    assert validate_cache.stage_key(other_version) == key  # a new release checks nothing again


def test_a_derived_value_that_no_longer_agrees_is_caught_though_the_text_was_seen(
    tmp_path, checked
):
    """The verdict is keyed by the whole record: a record whose text passed before but whose
    word count now disagrees with it is checked again, and quarantined."""
    cache = tmp_path / "cache"
    run(tmp_path / "first", [GOOD], cache)
    checked.clear()
    wrong = {**GOOD, "word_count": GOOD["word_count"] + 1}
    files = run(tmp_path / "second", [wrong], cache)
    assert checked == ["a.txt"]
    (row,) = pq.read_table(tmp_path / "second" / "quarantine").to_pylist()
    assert (row["source"], row["reason"]) == ("a.txt", "inconsistent_record")
    assert files == run(tmp_path / "uncached", [wrong], None)
