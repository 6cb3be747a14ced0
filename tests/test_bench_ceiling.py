"""bench/ceiling.py and part 3's rounds in bench/scale.py: the parts, the orders, the medians."""

from __future__ import annotations

import json

import pytest

from bench import ceiling
from bench.scale import part_of, run_name
from bench.scale_tables import median_row
from pipeline.annotators.nlp import EXCLUDE
from pipeline.params import load


def test_parts_are_consecutive_lines_of_equal_size(tmp_path):
    texts = tmp_path / "texts.jsonl"
    texts.write_text("".join(json.dumps({"text": f"t{i}"}) + "\n" for i in range(9)))
    parts = ceiling.write_parts(texts, 6, 2, tmp_path / "parts")
    read = [[json.loads(line)["text"] for line in p.read_text().splitlines()] for p in parts]
    assert read == [["t0", "t1", "t2"], ["t3", "t4", "t5"]]


def test_parts_refuse_more_texts_than_the_file_has(tmp_path):
    texts = tmp_path / "texts.jsonl"
    texts.write_text(json.dumps({"text": "one"}) + "\n")
    with pytest.raises(ValueError, match="fewer than 2"):
        ceiling.write_parts(texts, 2, 2, tmp_path / "parts")


def test_components_are_what_annotate_runs():
    names = ceiling.components(load().annotate.spacy_model)
    assert "ner" in names and "parser" in names
    assert not set(names) & set(EXCLUDE)
    assert "senter" not in names  # disabled in the package: annotate never runs it


def test_rounds_alternate_which_side_goes_first():
    assert [ceiling.first_of_round(r) for r in (1, 2, 3)] == ["serial", "parallel", "serial"]


def test_a_round_times_both_sides_and_divides(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(ceiling, "one_after_another", lambda parts: calls.append("s") or 30.0)
    monkeypatch.setattr(ceiling, "all_at_once", lambda parts: calls.append("p") or 20.0)
    result = ceiling.measure_round([], "parallel", lambda _: None)
    assert calls == ["p", "s"]
    assert result == {"first": "parallel", "serial_s": 30.0, "parallel_s": 20.0, "ceiling": 1.5}


def test_speed_up_rows_take_the_median_of_the_rounds():
    row = median_row("local: annotate", [1.7, 1.9, 1.82], 1.8)
    assert row["measured"] == 1.82 and row["met"] is True
    assert row["note"] == "median of 3 rounds: 1.70, 1.90, 1.82"
    one = median_row("local: annotate", [1.75], 1.8)
    assert one["met"] is False and "note" not in one


def test_a_row_without_target_is_neither_met_nor_not():
    row = median_row("machine ceiling", [1.6, 1.7], None)
    assert row["met"] is None and row["target"] == "-" and row["measured"] == 1.65


def test_round_one_keeps_the_plain_run_names():
    assert run_name("local", 2, 1) == "local-2"  # the reference run of parts 4 to 6
    assert run_name("ray", 1, 3) == "ray-1.r3"


def test_every_round_of_part_3_is_part_3s():
    names = ("local-2.r2", "ray-1.r3", "local-2-4n")
    assert [part_of(name, 2) for name in names] == ["3", "3", "6"]
