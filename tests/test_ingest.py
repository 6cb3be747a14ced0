"""Stage ingest: seed files -> records with stable ids, decoded text and titles, or a reason."""

from __future__ import annotations

import dataclasses
import json
import random
import re
from collections import Counter

import pyarrow.parquet as pq
import pytest

from pipeline import ingest
from pipeline.ids import canonical_url, record_id, sha256_hex
from pipeline.ingest import decode, parse_seed, split_title
from pipeline.params import IngestParams
from pipeline.quarantine import Rejected
from pipeline.schema import record_schema
from pipeline.shards import shard_paths

PARAMS = IngestParams()
RANDOM_BYTES = random.Random(7).randbytes(4096)
ID = re.compile(r"^[0-9a-f]{32}$")


def seed(source: str, raw: bytes, sidecar: bytes | None = None) -> dict:
    return {"source": source, "raw": raw, "source_sha256": sha256_hex(raw), "sidecar": sidecar}


@pytest.mark.parametrize(
    ("source", "raw", "sidecar", "expected"),
    [
        pytest.param(
            "bbc/rail.txt",
            b"Rail fares to rise\n\nFares rise in March.\n\nCommuters are angry.\n",
            None,
            {
                "title": "Rail fares to rise",
                "text": "Fares rise in March.\n\nCommuters are angry.",
                "encoding": "utf-8",
                "url": None,
                "metadata": "{}",
                "source_format": "txt",
                "source": "bbc/rail.txt",
            },
            id="bbc-style-title",
        ),
        pytest.param(
            "opinion.txt",
            b"It is time the council admitted the plan has failed.\n\nIt has.\n",
            None,
            {
                "title": None,
                "text": "It is time the council admitted the plan has failed.\n\nIt has.",
            },
            id="first-paragraph-is-a-sentence",
        ),
        pytest.param(
            "wire.txt",
            "Politico reported:\n\n“No,” he said.\n".encode(),
            None,
            {"title": None, "text": "Politico reported:\n\n“No,” he said."},
            id="first-paragraph-ends-with-colon",
        ),
        pytest.param(
            "bom.txt",
            b"\xef\xbb\xbfHeadline\n\nBody.\n",
            None,
            {"title": "Headline", "text": "Body.", "encoding": "utf-8-sig"},
            id="utf8-bom",
        ),
        pytest.param(
            "crlf.txt",
            b"Headline\r\n\r\nBody.\r\n",
            None,
            {"title": "Headline", "text": "Body."},
            id="crlf-title",
        ),
        pytest.param(
            "LOUD.TXT", b"Body text.", None, {"source_format": "txt"}, id="upper-case-extension"
        ),
        pytest.param(
            "meta.txt",
            b"Headline in the file\n\nBody.\n",
            b'{"url": "https://Example.com/a#top", "title": "Headline from the sidecar"}',
            {
                "title": "Headline from the sidecar",
                "text": "Body.",
                "url": "https://example.com/a",
                "metadata": '{"title":"Headline from the sidecar","url":"https://Example.com/a#top"}',
            },
            id="sidecar-title-and-url",
        ),
        pytest.param(
            "canon.txt",
            b"Body.",
            b'{"canonical_url": "https://example.com/b?utm_campaign=x"}',
            {"url": "https://example.com/b", "title": None},
            id="sidecar-canonical-url",
        ),
        pytest.param(
            "bom-sidecar.txt",
            b"Body.",
            b'\xef\xbb\xbf{"url": "https://example.com/c"}',
            {"url": "https://example.com/c"},
            id="sidecar-with-bom",
        ),
    ],
)
def test_parse_seed_accepts(source, raw, sidecar, expected):
    record = parse_seed(seed(source, raw, sidecar), PARAMS)
    assert not isinstance(record, Rejected), record
    assert {k: record[k] for k in expected} == expected
    assert record["source_sha256"] == sha256_hex(raw)
    assert list(record) == record_schema().arrow("ingest").names


REFUSED = [
    ("scan.pdf", b"%PDF-1.4\n", None, "unsupported_format"),
    ("notes.md", b"# Notes\n\nText.", None, "unsupported_format"),
    ("README", b"Text.", None, "unsupported_format"),
    ("empty.txt", b"", None, "empty_input"),
    ("blank.txt", b" \r\n\t \n", None, "empty_input"),
    ("bom-only.txt", b"\xef\xbb\xbf\n", None, "empty_input"),
    ("random.txt", RANDOM_BYTES, None, "undecodable"),
    (
        "png.txt",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,
        None,
        "undecodable",
    ),
    ("controls.txt", bytes(range(32)) * 64, None, "undecodable"),  # valid UTF-8, not text
    ("bad-json.txt", b"Body.", b'{"url": "https://example.com/a",', "bad_sidecar"),
    ("list.txt", b"Body.", b'["https://example.com/a"]', "bad_sidecar"),
    ("latin1.txt", b"Body.", b'{"title": "Caf\xe9"}', "bad_sidecar"),
]


@pytest.mark.parametrize(
    ("source", "raw", "sidecar", "reason"), REFUSED, ids=[r[0] for r in REFUSED]
)
def test_parse_seed_quarantines(source, raw, sidecar, reason):
    result = parse_seed(seed(source, raw, sidecar), PARAMS)
    assert isinstance(result, Rejected)
    assert result.reason == reason
    assert result.detail


def test_too_large_seeds_are_quarantined_before_decoding():
    params = dataclasses.replace(PARAMS, max_bytes=10)
    result = parse_seed(seed("big.txt", b"x" * 11), params)
    assert result == Rejected("too_large", "11 bytes > ingest.max_bytes=10")
    assert not isinstance(parse_seed(seed("ok.txt", b"x" * 10), params), Rejected)


def test_an_extension_can_be_enabled():
    params = dataclasses.replace(PARAMS, extensions=(".txt", ".md"))
    record = parse_seed(seed("notes.md", b"Some notes.\n"), params)
    assert record["source_format"] == "md"


# --- ids and URLs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("https://example.com/news/a#comments", "https://example.com/news/a"),
        ("HTTPS://WWW.Example.COM/News/Story", "https://www.example.com/News/Story"),
        ("https://example.com/a?utm_source=x&utm_medium=y", "https://example.com/a"),
        ("https://example.com/a?id=5&utm_campaign=z&page=2", "https://example.com/a?id=5&page=2"),
        ("https://example.com/a?fbclid=abc&gclid=def", "https://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("https://example.com", "https://example.com/"),
        ("  https://example.com/a  ", "https://example.com/a"),
        ("https://example.com/a?q=", "https://example.com/a?q="),
    ],
)
def test_canonical_url(url, canonical):
    assert canonical_url(url) == canonical
    assert canonical_url(canonical) == canonical


def test_id_without_url_comes_from_the_path():
    record = parse_seed(seed("bbc/rail.txt", b"Body."), PARAMS)
    assert ID.match(record["id"])
    assert record["id"] == record_id(None, "bbc/rail.txt")
    assert record["id"] != parse_seed(seed("bbc/rail-2.txt", b"Body."), PARAMS)["id"]
    # The content is not the key: the same file with new text keeps its id.
    assert record["id"] == parse_seed(seed("bbc/rail.txt", b"New body."), PARAMS)["id"]


def test_id_with_url_survives_a_rename_and_a_metadata_edit():
    sidecar = b'{"url": "https://example.com/a"}'
    first = parse_seed(seed("2024/a.txt", b"Body.", sidecar), PARAMS)
    renamed = parse_seed(seed("archive/renamed.txt", b"Body.", sidecar), PARAMS)
    edited = parse_seed(
        seed("a.txt", b"Body.", b'{"url": "https://example.com/a", "author": "X"}'), PARAMS
    )
    assert ID.match(first["id"])
    assert first["id"] == renamed["id"] == edited["id"]
    assert first["id"] != record_id(None, "2024/a.txt")


def test_spellings_of_one_url_share_an_id_and_other_urls_do_not():
    same = record_id("HTTPS://Example.com/a?utm_source=rss#top", "x.txt")
    assert same == record_id("https://example.com/a", "y.txt")
    assert same != record_id("https://example.com/b", "x.txt")
    assert same != record_id("https://example.com/a?page=2", "x.txt")


# --- titles ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "title", "body"),
    [
        (
            "Rail fares to rise\n\nFares rise.\n\nMore.",
            "Rail fares to rise",
            "Fares rise.\n\nMore.",
        ),
        ("\ufeffHeadline\n\nBody.", "Headline", "Body."),
        ("  Headline with spaces  \n   \nBody.", "Headline with spaces", "Body."),
        ("Headline\r\n\r\nBody.", "Headline", "Body."),
        ("An opening paragraph on one line.\n\nMore.", None, None),
        ("The agency reported:\n\nQuote.", None, None),
        ("Who will pay?\n\nBody.", None, None),
        ("Headline\nsecond line\n\nBody.", None, None),  # no blank line after line 1
        ("Headline\n\n", None, None),  # nothing after it
        ("Headline\n\n   \n", None, None),
        ("Just one line", None, None),
        ("\n\nBody.", None, None),  # empty first line
        ("x" * 201 + "\n\nBody.", None, None),  # longer than title_max_chars
        ("x" * 200 + "\n\nBody.", "x" * 200, "Body."),
    ],
)
def test_split_title(text, title, body):
    assert split_title(text, PARAMS.title_max_chars) == (title, text if body is None else body)


# --- decoding ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "text", "encoding"),
    [
        ("Déjà vu — “quoted” £5 😀".encode(), "Déjà vu — “quoted” £5 😀", "utf-8"),
        (b"\xef\xbb\xbfPlain ASCII.", "Plain ASCII.", "utf-8-sig"),
        (b"Tab\tseparated\tis text.\n", "Tab\tseparated\tis text.\n", "utf-8"),
    ],
)
def test_decode_utf8(raw, text, encoding):
    assert decode(raw, PARAMS.preferred_encodings) == (text, encoding)


@pytest.mark.parametrize(
    "text",
    [
        "The council said the new bridge would cost £4m and open next spring.\n",
        "Ticket prices rise to £12 from Monday.\n",
        "The price was £100 and the café was busy.",
        "He paid £100.",
        "Budget\n\nA £5bn package for schools was announced.\n\nCritics called it a gimmick.\n",
        # Too short for charset-normalizer to recognise a language in any candidate.
        "Total: £5\n",
        "Cost: £5.",
    ],
)
def test_decode_cp1252_pound_sign(text):
    raw = text.encode("cp1252")
    assert b"\xa3" in raw
    decoded, encoding = decode(raw, PARAMS.preferred_encodings)
    assert decoded == text
    assert "Ł" not in decoded
    assert encoding == "cp1252"


def test_decode_cp1252_article(council_tax_text):
    decoded, encoding = decode(council_tax_text.encode("cp1252"), PARAMS.preferred_encodings)
    assert (decoded, encoding) == (council_tax_text, "cp1252")


def test_preferred_encoding_decides_between_equally_plausible_guesses():
    raw = "A pint costs £4.50 in London now.\n".encode("cp1252")
    assert decode(raw, ("cp1252",))[0] == "A pint costs £4.50 in London now.\n"
    assert decode(raw, ("cp1250",))[0] == "A pint costs Ł4.50 in London now.\n"


def test_undecodable_bytes_are_refused_never_replaced(binary_bytes):
    result = decode(binary_bytes, PARAMS.preferred_encodings)
    assert isinstance(result, Rejected)
    assert result.reason == "undecodable"


# --- the stage ---------------------------------------------------------------------------------


def run_ingest(seeds, out_root, params):
    out, quarantine, metrics = out_root / "records", out_root / "quarantine", out_root / "m.json"
    return ingest.run(seeds, out, quarantine, metrics, params), out, quarantine, metrics


def test_run_counts_add_up(
    messy_seeds_dir, tmp_path, params, messy_seed_reasons, read_rows, read_json
):
    result, out, quarantine, metrics = run_ingest(messy_seeds_dir, tmp_path / "run", params)

    hand_written = 4
    expected_reasons = Counter(r for r in messy_seed_reasons.values() if r)
    assert result["records_in"] == hand_written + len(messy_seed_reasons)
    assert result["records_out"] == hand_written + 2
    assert result["quarantined_by_reason"] == dict(sorted(expected_reasons.items()))
    assert result["records_in"] == result["records_out"] + result["quarantined"]
    assert read_json(metrics) == result

    quarantined = {r["source"]: r["reason"] for r in read_rows(quarantine)}
    assert quarantined == {s: r for s, r in messy_seed_reasons.items() if r}
    sources = [r["source"] for r in read_rows(out)]
    assert sources == sorted(sources)
    assert "legacy/council-tax.txt" in sources and "legacy/with-bom.txt" in sources
    assert not any(s.startswith(".") or s.endswith(".meta.json") for s in sources)


def test_run_decodes_a_cp1252_seed(messy_seeds_dir, tmp_path, params, read_rows):
    _, out, _, _ = run_ingest(messy_seeds_dir, tmp_path / "run", params)
    (row,) = [r for r in read_rows(out) if r["source"] == "legacy/council-tax.txt"]
    assert row["encoding"] == "cp1252"
    assert row["title"] == "Council tax bill"
    assert "£2,171" in row["text"] and "Residents’ groups" in row["text"]


def test_run_matches_the_golden_records(seeds_dir, data_dir, tmp_path, params, read_rows):
    _, out, _, _ = run_ingest(seeds_dir, tmp_path / "run", params)
    expected = [
        json.loads(line)
        for line in (data_dir / "expected" / "ingest.jsonl")
        .read_text(encoding="utf-8")
        .splitlines()
    ]
    rows = read_rows(out)
    assert [{k: r[k] for k in expected[0]} for r in rows] == expected
    for row in rows:
        assert row["source_sha256"] == sha256_hex((seeds_dir / row["source"]).read_bytes())
        assert ID.match(row["id"])
    for path in shard_paths(out):
        assert pq.read_schema(path) == record_schema().arrow("ingest")


def test_rename_keeps_the_id_only_when_a_sidecar_gives_the_url(
    seeds_dir, tmp_path, params, read_rows
):
    def ids(run):
        _, out, _, _ = run_ingest(seeds_dir, tmp_path / run, params)
        return {r["source"]: r["id"] for r in read_rows(out)}

    before = ids("before")
    opinion = seeds_dir / "opinion"
    (opinion / "stadium-plan.txt").rename(opinion / "renamed.txt")
    (opinion / "stadium-plan.txt.meta.json").rename(opinion / "renamed.txt.meta.json")
    (seeds_dir / "bbc" / "rail-fares.txt").rename(seeds_dir / "bbc" / "renamed.txt")
    after = ids("after")

    assert after["opinion/renamed.txt"] == before["opinion/stadium-plan.txt"]
    assert after["bbc/renamed.txt"] != before["bbc/rail-fares.txt"]


def test_input_hash_follows_the_seeds_bytes_and_paths(messy_seeds_dir, tmp_path, params):
    def input_hash(run):
        return run_ingest(messy_seeds_dir, tmp_path / run, params)[0]["input_hash"]

    first = input_hash("first")
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert input_hash("again") == first

    # Not inputs: dotfiles, hidden folders, sidecars without a seed.
    (messy_seeds_dir / ".notes").write_text("scratch")
    (messy_seeds_dir / ".cache" / "more.txt").write_text("Cached.")
    (messy_seeds_dir / "ghost.txt.meta.json").write_text("{}")
    assert input_hash("ignored-files") == first

    article = messy_seeds_dir / "bbc" / "rail-fares.txt"
    article.write_bytes(article.read_bytes().replace(b"4.6%", b"4.7%"))
    changed = input_hash("changed-byte")
    assert changed != first

    article.rename(article.with_name("rail-fares-2.txt"))
    assert input_hash("renamed") not in {first, changed}


def test_run_is_deterministic(messy_seeds_dir, tmp_path, params):
    outputs = []
    for run in ("a", "b"):
        _, out, quarantine, _ = run_ingest(messy_seeds_dir, tmp_path / run, params)
        outputs.append([p.read_bytes() for p in shard_paths(out) + shard_paths(quarantine)])
    assert outputs[0] == outputs[1]


def test_main_reads_paths_and_params_from_argv(seeds_dir, tmp_path, read_json):
    params_file = tmp_path / "params.yaml"
    params_file.write_text("engine:\n  batch_size: 1\ningest:\n  title_max_chars: 10\n")
    out, quarantine, metrics = tmp_path / "out", tmp_path / "q", tmp_path / "m.json"
    result = ingest.main(
        ["--seeds", str(seeds_dir), "--out", str(out), "--quarantine", str(quarantine),
         "--metrics", str(metrics), "--params", str(params_file)]
    )  # fmt: skip
    assert read_json(metrics) == result
    assert (result["records_in"], result["records_out"]) == (4, 4)
    titles = [r["title"] for r in pq.read_table(out).to_pylist()]
    assert titles == [None, None, None, None]  # every first line is over 10 characters
