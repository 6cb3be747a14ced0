"""bench/scale_runs.py: run folders, param changes, and the byte comparison of two runs."""

from __future__ import annotations

import os
import sqlite3
import time

import pytest
import yaml

from bench import scale_runs as sr


@pytest.fixture
def src(tmp_path):
    return sr.snapshot(tmp_path / "base")


def test_snapshot_holds_the_code_schemas_and_params(src):
    assert (src / "pipeline" / "cache.py").is_file()
    assert any((src / "schemas").iterdir())
    assert not list(src.rglob("__pycache__"))
    params = yaml.safe_load((src / "params.yaml").read_text())
    assert params["engine"]["cache_dir"] == str(sr.CACHE_FILE.parent)  # relative: in the run
    assert params["validate"]["table"]["max_duplicate_text_share"] == 0.05  # BENCH_PARAMS


def test_prepare_changes_only_the_named_param(src, tmp_path):
    root = sr.prepare(tmp_path / "run", src, {"annotate.near_duplicates.threshold": 0.75})
    changed = yaml.safe_load((root / "params.yaml").read_text())
    original = yaml.safe_load((src / "params.yaml").read_text())
    assert changed["annotate"]["near_duplicates"]["threshold"] == 0.75
    changed["annotate"]["near_duplicates"]["threshold"] = original["annotate"]["near_duplicates"][
        "threshold"
    ]
    assert changed == original


def test_prepare_refuses_a_param_params_yaml_lacks(src, tmp_path):
    with pytest.raises(KeyError, match="annotate.no_such_knob"):
        sr.prepare(tmp_path / "run", src, {"annotate.no_such_knob": 1})


def test_fork_copies_outputs_and_cache_but_not_logs(src, tmp_path):
    first = sr.prepare(tmp_path / "first", src)
    (first / "release").mkdir()
    (first / "release" / "a.parquet").write_bytes(b"rows")
    (first / "logs").mkdir()
    (first / "logs" / "annotate.log").write_text("old log")
    (first / sr.CACHE_FILE).parent.mkdir()
    conn = sqlite3.connect(first / sr.CACHE_FILE)
    conn.execute("CREATE TABLE results (annotator, content, value)")
    conn.executemany("INSERT INTO results VALUES (?, ?, ?)", [("a", "1", b""), ("a", "2", b"")])
    conn.commit()
    conn.close()
    second = sr.fork(first, tmp_path / "second", src, {"annotate.words_per_minute": 250})
    assert (second / "release" / "a.parquet").read_bytes() == b"rows"
    assert not (second / "logs").exists()
    assert sr.cache_rows(second) == 2
    assert (
        yaml.safe_load((second / "params.yaml").read_text())["annotate"]["words_per_minute"] == 250
    )


def test_digests_compare_what_the_stages_wrote(src, tmp_path):
    a, b = (
        sr.prepare(tmp_path / "a", src),
        sr.prepare(tmp_path / "b", src, {"annotate.words_per_minute": 1}),
    )
    for root, log in ((a, "one"), (b, "two")):
        (root / "release").mkdir()
        (root / "release" / "manifest.json").write_text("{}")
        (root / "logs").mkdir()
        (root / "logs" / "x.log").write_text(log)  # logs and params differ: not outputs
    assert sr.differences(sr.digests(a), sr.digests(b)) == []
    (b / "release" / "manifest.json").write_text('{"x": 1}')
    (b / "release" / "extra.json").write_text("{}")
    assert sr.differences(sr.digests(a), sr.digests(b)) == [
        "release/extra.json",
        "release/manifest.json",
    ]


def test_cache_rows_of_a_run_without_cache_is_zero(tmp_path):
    assert sr.cache_rows(tmp_path) == 0


def test_group_cpu_counts_this_process():
    busy = sum(i * i for i in range(2_000_000))  # some CPU time of our own first
    assert busy > 0
    own = time.process_time()
    assert sr.group_cpu_s(os.getpgid(0)) >= own - 0.05  # clock ticks round down
