"""Takedowns: ids or URLs in seeds/blocklist.txt never reach a release, and the quarantine row
that records the takedown holds no text of the article."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline import ingest
from pipeline.cli import app
from pipeline.ids import record_id
from pipeline.takedowns import Blocklist, BlocklistError, load_blocklist

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
    assert load_blocklist(tmp_path / "blocklist.txt") == Blocklist()
    (tmp_path / "blocklist.txt").write_text("# nothing yet\n\n")
    assert load_blocklist(tmp_path / "blocklist.txt") == Blocklist()


def test_a_line_that_is_no_url_stops_the_run(tmp_path: Path):
    # A takedown that cannot be applied must not let its article be published without a word.
    (tmp_path / "blocklist.txt").write_text("https://a.example/1\nhttp://[broken/story\n")
    with pytest.raises(BlocklistError, match=r"blocklist.txt:2: 'http://\[broken/story'"):
        load_blocklist(tmp_path / "blocklist.txt")


def _run_with_blocklist(tmp_path: Path, params, rows: list[dict], blocklist: str) -> dict:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "export.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (seeds / "blocklist.txt").write_text(blocklist)
    return ingest.run(seeds, tmp_path / "out", tmp_path / "quarantine", tmp_path / "m.json", params)


def _row(url: str) -> dict:
    return {"title": f"Story at {url}", "text": "A story someone asked to take down.", "url": url}


# The audit's cases: an entry written one way, the article's URL another, for one article.
SAME_ARTICLE = [
    pytest.param(
        "https://www.example.com/news/secret-story-one",
        "https://www.example.com/news/secret-story-one/?utm_source=twitter",
        id="trailing-slash-and-tracking",
    ),
    pytest.param(
        "https://www.example.com/news/secret-story-one",
        "https://www.example.com/news/secret-story-one/",
        id="trailing-slash",
    ),
    pytest.param(
        "http://example.com/news/secret-story-two",
        "https://example.com/news/secret-story-two",
        id="scheme",
    ),
    pytest.param(
        "https://example.com/news/secret-story-two",
        "https://www.example.com/news/secret-story-two",
        id="www",
    ),
    pytest.param(
        "https://example.com/news/story?utm_medium=email&fbclid=x#comments",
        "https://EXAMPLE.com/news/story",
        id="entry-with-tracking-and-fragment",
    ),
    pytest.param(
        "www.example.com/news/story",
        "https://example.com/news/story",
        id="entry-without-scheme",
    ),
    pytest.param(
        "https://example.com/read?b=2&a=1",
        "https://example.com/read?a=1&b=2",
        id="query-order",
    ),
]


@pytest.mark.parametrize(("entry", "url"), SAME_ARTICLE)
def test_a_url_entry_takes_down_every_spelling_of_its_url(tmp_path, params, read_rows, entry, url):
    metrics = _run_with_blocklist(tmp_path, params, [_row(url)], f"{entry}\n")
    assert read_rows(tmp_path / "out") == []
    (row,) = read_rows(tmp_path / "quarantine")
    assert (row["reason"], row["id"]) == ("takedown", record_id(url, ""))
    # Which entry took it down (a "#" starts a comment: a fragment is cut, which changes nothing).
    assert entry.split("#")[0] in row["detail"]
    assert metrics["blocklist_unmatched"] == []


@pytest.mark.parametrize(
    ("entry", "url"),
    [
        ("https://example.com/news/story", "https://example.com/news/story-two"),
        ("https://example.com/read?p=1", "https://example.com/read?p=2"),
        ("https://example.com/news/story", "https://news.example.com/news/story"),
        ("https://example.com/News/Story", "https://example.com/news/story"),  # paths keep case
    ],
)
def test_a_url_entry_takes_down_no_other_article(tmp_path, params, read_rows, entry, url):
    metrics = _run_with_blocklist(tmp_path, params, [_row(url)], f"{entry}\n")
    assert len(read_rows(tmp_path / "out")) == 1
    assert metrics["blocklist_unmatched"] == [entry]


def test_entries_that_match_nothing_are_reported(tmp_path, params, read_rows):
    rows = [_row("https://a.example/kept"), _row("https://a.example/gone")]
    missing_id = record_id("https://a.example/not-in-seeds", "")
    blocklist = (
        "# takedowns\n"
        "https://a.example/gone\n"
        "https://a.example/no-longer-in-seeds  # removed from seeds/ since\n"
        f"{missing_id}\n"
        "a.example/gone/\n"  # a second spelling of a matched URL matched too
    )
    metrics = _run_with_blocklist(tmp_path, params, rows, blocklist)
    assert [r["url"] for r in read_rows(tmp_path / "out")] == ["https://a.example/kept"]
    # In the blocklist's order, as written: what a person looks for in the file.
    assert metrics["blocklist_unmatched"] == ["https://a.example/no-longer-in-seeds", missing_id]
    written = json.loads((tmp_path / "m.json").read_text())
    assert written["blocklist_unmatched"] == metrics["blocklist_unmatched"]


def test_without_a_blocklist_nothing_is_unmatched(tmp_path, params):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "kept.txt").write_text(KEPT)
    metrics = ingest.run(seeds, tmp_path / "o", tmp_path / "q", tmp_path / "m.json", params)
    assert metrics["blocklist_unmatched"] == []


def test_the_run_summary_names_entries_that_matched_nothing(tmp_path, params, monkeypatch):
    entry = "https://a.example/no-longer-in-seeds"
    metrics = _run_with_blocklist(tmp_path, params, [_row("https://a.example/kept")], entry)
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "ingest.json").write_text(json.dumps(metrics))
    monkeypatch.chdir(tmp_path)  # `corpus summary` reads metrics/ and data/ where it runs
    result = CliRunner().invoke(app, ["summary"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "1 blocklist entry took nothing down" in result.output
    assert f"  {entry}\n" in result.output
