"""Takedowns: ids or URLs in seeds/blocklist.txt never reach a release, and the quarantine row
that records the takedown holds no text of the article."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline import ingest
from pipeline.ids import record_id

KEPT = "Budget approved\n\nThe council approved the budget on Monday.\n"
REMOVED = "Private matter\n\nA story the subject asked to have removed from the corpus.\n"
EXPORT_ROWS = [
    {"title": "Row one", "text": "A row that stays in the corpus.", "url": "https://a.example/1"},
    {"title": "Row two", "text": "A row taken down by its URL.", "url": "https://A.example/2#top"},
]


def test_listed_ids_and_urls_are_quarantined_without_their_text(tmp_path: Path, params, read_rows):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "kept.txt").write_text(KEPT)
    (seeds / "removed.txt").write_text(REMOVED)
    (seeds / "export.jsonl").write_text("".join(json.dumps(r) + "\n" for r in EXPORT_ROWS))
    (seeds / "blocklist.txt").write_text(
        "# takedowns\n"
        f"{record_id(None, 'removed.txt')}  # by id\n"
        "https://a.example/2\n"  # by URL: matched in its canonical form
    )
    out, quarantine = tmp_path / "out", tmp_path / "quarantine"
    metrics = ingest.run(seeds, out, quarantine, tmp_path / "m.json", params)
    published = read_rows(out)
    assert sorted(r["source"] for r in published) == ["export.jsonl", "kept.txt"]
    assert [r["title"] for r in published if r["source"] == "export.jsonl"] == ["Row one"]
    rows = read_rows(quarantine)
    assert [(r["source"], r["reason"], r["source_row"], r["id"]) for r in rows] == [
        ("export.jsonl", "takedown", 2, record_id("https://a.example/2", "")),
        ("removed.txt", "takedown", None, record_id(None, "removed.txt")),
    ]
    everything = json.dumps(rows)
    assert "asked to have removed" not in everything and "taken down by its URL" not in everything
    assert metrics["files_in"] == 3  # the blocklist is not an article


def test_an_empty_or_missing_blocklist_blocks_nothing(tmp_path: Path):
    assert ingest.load_blocklist(tmp_path / "blocklist.txt") == frozenset()
    (tmp_path / "blocklist.txt").write_text("# nothing yet\n\n")
    assert ingest.load_blocklist(tmp_path / "blocklist.txt") == frozenset()
