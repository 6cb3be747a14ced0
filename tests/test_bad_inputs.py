"""A battery of bad inputs: no crash, and every input is published or quarantined with a reason."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import clean, ingest, seed_files
from pipeline.params import Params
from pipeline.quarantine import NOT_ARTICLES
from tests.defaults import PARAMS

# name -> (bytes, the reason it must be quarantined with; None: it must be published)
BATTERY: dict[str, tuple[bytes, str | None]] = {
    "ok/plain.txt": (b"Ministers met on Tuesday to agree the budget.\n", None),
    "ok/utf16.txt": ("Le conseil a vot\u00e9 le budget mardi soir.\n".encode("utf-16"), None),
    "ok/cp1252.txt": ("The fee is \u00a35 and the caf\u00e9 is open.\n".encode("cp1252"), None),
    "bad/empty.txt": (b"", "empty_input"),
    "bad/blank.txt": (b"  \n\t \r\n", "empty_input"),
    "bad/nul.txt": (b"\x00" * 500, "undecodable"),
    "bad/controls.txt": (bytes(range(1, 32)) * 20, "undecodable"),
    "bad/invisible.txt": ("\u200b\u200b\u00ad\ufeff\n".encode(), "empty_after_clean"),
    "bad/too-large.txt": (b"word " * 300, "too_large"),
    "bad/photo.jpg": (b"\xff\xd8\xff\xe0\x00\x10JFIF", "unsupported_format"),
    "bad/no-extension": (b"Some text.", "unsupported_format"),
    "bad/sidecar.txt": (b"A good article with a broken sidecar.\n", "bad_sidecar"),
    "bad/sidecar.txt.meta.json": (b"[1, 2", None),  # metadata, not an input
    "bad/yaml-list.txt": (b"Another good article.\n", "bad_sidecar"),
    "bad/yaml-list.txt.meta.yaml": (b"- just\n- a list\n", None),
    "bad/rows.jsonl": (b'{"text": "Fine row."}\n{"text": \n[1]\n', None),  # 1 ok, 2 bad_row
    "dup/first.txt": (b"Exactly the same words.\n", None),
    "dup/second.txt": (b"Exactly the  same words.\n", "exact_duplicate"),  # same once cleaned
    # One story in two formats, one URL (front matter, sidecar): the second is a copy, at clean.
    "dup/story.md": (b"---\nurl: https://example.com/story\n---\nThe story as Markdown.\n", None),
    "dup/story.txt": (b"The story as plain text.\n", "duplicate_id"),
    "dup/story.txt.meta.json": (b'{"url": "https://example.com/story"}', None),
    # Sidecars: named after the stem (applied), after nothing, after two seeds at once.
    "side/stem.txt": (b"An article whose sidecar drops the extension.\n", None),
    "side/stem.meta.json": (b'{"title": "From the stem sidecar"}', None),
    "side/orphan.meta.json": (b'{"title": "Nobody"}', "orphan_sidecar"),
    "side/twin.txt": (b"A twin in plain text.\n", None),
    "side/twin.md": (b"A twin in Markdown, other words.\n", None),
    "side/twin.meta.yaml": (b"title: Which one?\n", "ambiguous_sidecar"),
}


def write_battery(root: Path, outside: Path) -> None:
    for name, (raw, _) in BATTERY.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(raw)
    outside.write_text("A secret outside the seed folder.\n")
    (root / "bad" / "escape.txt").symlink_to(outside)
    (root / "bad" / "dangling.txt").symlink_to(root / "bad" / "missing-target.txt")
    (root / "linked-dir").symlink_to(outside.parent, target_is_directory=True)


def run_ingest_and_clean(seeds: Path, out: Path, params: Params) -> tuple[dict, dict]:
    stage = {
        s: (out / s / "records", out / "quarantine" / s, out / s / "metrics.json")
        for s in ("ingest", "clean")
    }
    ingested = ingest.run(seeds, *stage["ingest"], params)
    cleaned = clean.run(stage["ingest"][0], *stage["clean"], params)
    return ingested, cleaned


def quarantined(out: Path) -> dict[str, list[str]]:
    reasons: dict[str, list[str]] = {}
    for stage in ("ingest", "clean"):
        for row in pq.read_table(out / "quarantine" / stage).to_pylist():
            reasons.setdefault(row["source"], []).append(row["reason"])
    return reasons


def test_battery_every_input_accounted_for_with_its_reason(tmp_path):
    seeds, out = tmp_path / "seeds", tmp_path / "out"
    (tmp_path / "elsewhere").mkdir()
    write_battery(seeds, tmp_path / "elsewhere" / "secret.txt")
    params = PARAMS
    params = params.__class__(
        **{
            **params.__dict__,
            "ingest": params.ingest.__class__(**{**params.ingest.__dict__, "max_bytes": 1000}),
        }
    )
    ingested, cleaned = run_ingest_and_clean(seeds, out, params)

    reasons = quarantined(out)
    expected = {n: [r] for n, (_, r) in BATTERY.items() if r}
    expected["bad/escape.txt"] = ["outside_seeds"]
    expected["bad/dangling.txt"] = ["unreadable"]  # inside seeds/, but its target is missing
    expected["bad/rows.jsonl"] = ["bad_row", "bad_row"]
    assert reasons == expected
    published = pq.read_table(out / "clean" / "records").column("source").to_pylist()
    assert sorted(published) == [
        "bad/rows.jsonl",
        "dup/first.txt",
        "dup/story.md",
        "ok/cp1252.txt",
        "ok/plain.txt",
        "ok/utf16.txt",
        "side/stem.txt",
        "side/twin.md",
        "side/twin.txt",
    ]
    records = pq.read_table(out / "ingest" / "records").to_pylist()
    titles = {r["source"]: r["title"] for r in records}
    assert titles["side/stem.txt"] == "From the stem sidecar"
    assert titles["side/twin.txt"] is None and titles["side/twin.md"] is None
    # Inputs found = published + quarantined, at every stage; sidecars no seed takes are
    # quarantined inputs that are not articles, counted apart.
    inputs = ingested["records_out"] + ingested["quarantined"]
    assert inputs == len(published) + sum(len(r) for r in reasons.values())
    not_articles = [r for rs in reasons.values() for r in rs if r in NOT_ARTICLES]
    assert ingested["unused_sidecars"] == len(not_articles) == 2
    assert cleaned["records_in"] == ingested["records_out"]
    # Nothing from outside seeds/ was read: the linked directory is not walked.
    texts = " ".join(pq.read_table(out / "ingest" / "records").column("text").to_pylist())
    assert "secret" not in texts
    assert not any(s.startswith("linked-dir") for s in published + list(reasons))


def test_unreadable_file_is_quarantined(tmp_path, params):
    if os.geteuid() == 0:
        # root reads any file whatever its mode; a directory named like a seed cannot be read.
        seeds = tmp_path / "seeds"
        (seeds / "odd.txt").mkdir(parents=True)
        (seeds / "good.txt").write_text("Fine.\n")
        files = seed_files.list_seeds(seeds, params.ingest)
        assert [f.name for f in files] == ["good.txt"]  # a directory is never an input
        return
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    locked = seeds / "locked.txt"
    locked.write_text("Private.\n")
    locked.chmod(0)
    row = seed_files.read_seed(seeds, locked, params.ingest)
    assert row["error"] == "unreadable"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    files=st.dictionaries(
        st.sampled_from(
            ["a.txt", "b.md", "c.jsonl", "d.csv", "e.html", "f.bin", "g.txt.meta.json"]
        ),
        st.binary(max_size=400),
        max_size=7,
    )
)
def test_random_bytes_never_crash_and_are_accounted_for(tmp_path_factory, files):
    root = tmp_path_factory.mktemp("fuzz")
    seeds, out = root / "seeds", root / "out"
    seeds.mkdir()
    for name, raw in files.items():
        (seeds / name).write_bytes(raw)
    ingested, cleaned = run_ingest_and_clean(seeds, out, PARAMS)
    inputs = [n for n in files if not n.endswith(".meta.json")]
    assert ingested["files_in"] == len(inputs)
    sources = set(pq.read_table(out / "clean" / "records").column("source").to_pylist())
    sources |= set(quarantined(out))
    # g.txt.meta.json never has its seed: it is reported, as orphan_sidecar.
    assert sources == set(files)
    assert ingested["unused_sidecars"] == ("g.txt.meta.json" in files)
    assert "stage_error" not in ingested["quarantined_by_reason"]
    assert "stage_error" not in cleaned["quarantined_by_reason"]
