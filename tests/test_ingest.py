"""Stage ingest: seed files -> records with stable ids, decoded text and titles, or a reason."""

from __future__ import annotations

import codecs
import dataclasses
import json
import random
import re
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from pipeline import ingest, seed_files
from pipeline.encoding import decode
from pipeline.ids import canonical_url, record_id, sha256_hex
from pipeline.ingest import parse_seed, split_title
from pipeline.params import IngestParams
from pipeline.quarantine import Rejected
from pipeline.schema import record_schema
from pipeline.seed_files import read_seed
from pipeline.shards import shard_paths
from tests.defaults import PARAMS as DEFAULTS

PARAMS = DEFAULTS.ingest
RANDOM_BYTES = random.Random(7).randbytes(4096)
ID = re.compile(r"^[0-9a-f]{32}$")


def seed(
    source: str, raw: bytes, sidecar: bytes | None = None, sidecar_suffix: str = ".meta.json"
) -> dict:
    """A row as `read_seed` makes it for a file it read (and its sidecar, if any)."""
    return {
        "source": source,
        "raw": raw,
        "source_sha256": sha256_hex(raw),
        "sidecar": sidecar,
        "sidecar_name": None if sidecar is None else Path(source).name + sidecar_suffix,
    }


def parse_one(source: str, raw: bytes, *args, params: IngestParams = PARAMS) -> dict | Rejected:
    """The single item `parse_seed` returns for a one-article file (and fails if it is not one)."""
    (item,) = parse_seed(seed(source, raw, *args), params)
    return item


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
                # Not the title any more, so not dropped: a heading is never lost.
                "text": "Headline in the file\n\nBody.",
                "url": "https://example.com/a",
                "metadata": '{"sidecar":{"title":"Headline from the sidecar",'
                '"url":"https://Example.com/a#top"}}',
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
        pytest.param(
            "utf16.txt",
            "Headline\n\nLe café.\n".encode("utf-16"),
            None,
            {"title": "Headline", "text": "Le café.", "encoding": "utf-16"},
            id="utf16-bom",
        ),
        pytest.param(
            "utf32.txt",
            "Le café.\n".encode("utf-32"),
            None,
            {"title": None, "text": "Le café.", "encoding": "utf-32"},
            id="utf32-bom",
        ),
        pytest.param(
            "trailing.txt",
            b"Body.\n\n\n",
            None,
            {"text": "Body.\n\n"},  # only the file's final newline: the rest is clean's job
            id="only-the-final-newline-is-dropped",
        ),
        pytest.param(
            "notes.md",
            b"# Notes\n\nText with *emphasis*.\n",
            None,
            {"title": "Notes", "text": "Text with emphasis.", "source_format": "md"},
            id="markdown",
        ),
        pytest.param(
            "byline.txt",
            b"Body.",
            b'{"byline": " Ann Lee ", "date": "Tue, 05 Mar 2024 10:00:00 GMT",'
            b' "site_name": "Example News", "licence": "CC-BY-4.0"}',
            {
                "author": "Ann Lee",
                "published_date": "2024-03-05",
                "publisher": "Example News",
                "license": "CC-BY-4.0",
                "metadata": '{"sidecar":{"byline":" Ann Lee ",'
                '"date":"Tue, 05 Mar 2024 10:00:00 GMT","licence":"CC-BY-4.0",'
                '"site_name":"Example News"}}',
            },
            id="sidecar-alternative-key-names",
        ),
        pytest.param(
            "no-date.txt",
            b"Body.",
            b'{"date": "last Tuesday"}',
            {"published_date": None, "metadata": '{"sidecar":{"date":"last Tuesday"}}'},
            id="sidecar-unparseable-date-kept-in-metadata",
        ),
    ],
)
def test_parse_seed_accepts(source, raw, sidecar, expected):
    record = parse_one(source, raw, sidecar)
    assert not isinstance(record, Rejected), record
    assert {k: record[k] for k in expected} == expected
    assert record["source_sha256"] == sha256_hex(raw)
    assert record["source_row"] is None  # one-article files have no row
    # Exactly the ingest fields (the engine casts to the Arrow schema, which fixes the order).
    assert sorted(record) == sorted(record_schema().arrow("ingest").names)


# One title rule for every format: the title is not repeated as the first block of `text`; a
# leading heading that is not the title stays in the text.
TITLE_RULE = [
    ("a.txt", b"Headline\n\nBody.\n", None, "Headline", "Body."),
    ("a.md", b"# Headline\n\nBody.\n", None, "Headline", "Body."),
    ("a.md", b"---\ntitle: Headline\n---\n# Headline\n\nBody.\n", None, "Headline", "Body."),
    (
        "a.md",
        b"---\ntitle: SEO title\n---\n# Headline\n\nBody.\n",
        None,
        "SEO title",
        "Headline\n\nBody.",
    ),
    ("a.md", b"# Headline\n\nBody.\n", b'{"title": "Curated"}', "Curated", "Headline\n\nBody."),
    ("a.md", b"# Headline\n\nBody.\n", b'{"title": "HEADLINE"}', "HEADLINE", "Body."),
    ("a.txt", b"Headline\n\nBody.\n", b'{"title": "Headline"}', "Headline", "Body."),
    ("a.txt", b"By Ann Lee\n\nHeadline\n\nBody.\n", None, "Headline", "Body."),  # a byline
    ("a.txt", b"5 March 2024\n\nHeadline\n\nBody.\n", b'{"title": "T"}', "T", "Headline\n\nBody."),
    ("a.md", b"Intro.\n\n# Section\n\nBody.\n", None, None, "Intro.\n\nSection\n\nBody."),
    ("a.md", b"# Only a heading\n", None, "Only a heading", "Only a heading"),
    (
        "a.jsonl",
        b'{"title": "Headline", "text": "Headline\\n\\nBody."}\n',
        None,
        "Headline",
        "Body.",
    ),
    (
        "a.jsonl",
        b'{"title": "Headline", "text": "Lead.\\n\\nBody."}\n',
        None,
        "Headline",
        "Lead.\n\nBody.",
    ),
    ("a.csv", b'title,text\nHeadline,"Headline\n\nBody."\n', None, "Headline", "Body."),
]


@pytest.mark.parametrize(
    ("source", "raw", "sidecar", "title", "text"),
    TITLE_RULE,
    ids=[f"{r[0]}-{i}" for i, r in enumerate(TITLE_RULE)],
)
def test_one_title_rule_for_every_format(source, raw, sidecar, title, text):
    (record,) = parse_seed(seed(source, raw, sidecar), PARAMS)
    assert (record["title"], record["text"]) == (title, text)


REFUSED = [
    ("scan.pdf", b"%PDF-1.4\n", None, "unsupported_format"),
    ("notes.rtf", b"{\\rtf1 Notes.}", None, "unsupported_format"),
    ("README", b"Text.", None, "unsupported_format"),
    ("empty.txt", b"", None, "empty_input"),
    ("blank.txt", b" \r\n\t \n", None, "empty_input"),
    ("bom-only.txt", b"\xef\xbb\xbf\n", None, "empty_input"),
    ("utf16-bom-only.txt", "\n \n".encode("utf-16"), None, "empty_input"),
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
    ("header-only.csv", b"title,text\n", None, "no_content"),
    ("colon.md", b"---\ntitle: Breaking: Markets fall\n---\nBody.\n", None, "bad_front_matter"),
]


@pytest.mark.parametrize(
    ("source", "raw", "sidecar", "reason"), REFUSED, ids=[r[0] for r in REFUSED]
)
def test_parse_seed_quarantines(source, raw, sidecar, reason):
    result = parse_one(source, raw, sidecar)
    assert isinstance(result, Rejected)
    assert result.reason == reason
    assert result.detail


@pytest.mark.parametrize(
    ("suffix", "sidecar"),
    [
        (".meta.yaml", b"title: [unclosed\n"),
        (".meta.yml", b"- just\n- a list\n"),
        (".meta.yaml", b"just a string\n"),
    ],
)
def test_a_yaml_sidecar_that_is_not_a_mapping_is_quarantined(suffix, sidecar):
    result = parse_one("a.txt", b"Body.", sidecar, suffix)
    assert isinstance(result, Rejected)
    assert result.reason == "bad_sidecar"
    assert f"a.txt{suffix}" in result.detail


def test_yaml_sidecar_sets_the_fields_and_is_kept_in_metadata():
    sidecar = (
        "title: Headline from YAML\nurl: https://Example.com/y?utm_source=x\nauthor: Zoë Ba\n"
        "date: 2024-03-05\npublisher: Example News\nlicense: CC-BY-4.0\ntags: [rail, fares]\n"
    ).encode()
    record = parse_one("y.txt", b"Headline\n\nBody.\n", sidecar, ".meta.yaml")
    assert {
        k: record[k]
        for k in ("title", "url", "author", "published_date", "publisher", "license", "text")
    } == {
        "title": "Headline from YAML",
        "url": "https://example.com/y",
        "author": "Zoë Ba",
        "published_date": "2024-03-05",
        "publisher": "Example News",
        "license": "CC-BY-4.0",
        "text": "Headline\n\nBody.",  # not the title: kept as text
    }
    # Every sidecar key, as written (a YAML date as its ISO string), under "sidecar".
    assert json.loads(record["metadata"]) == {
        "sidecar": {
            "title": "Headline from YAML",
            "url": "https://Example.com/y?utm_source=x",
            "author": "Zoë Ba",
            "date": "2024-03-05",
            "publisher": "Example News",
            "license": "CC-BY-4.0",
            "tags": ["rail", "fares"],
        }
    }
    assert record["id"] == record_id("https://example.com/y", "y.txt")


def test_sidecar_overrides_what_a_one_article_document_says():
    markdown = (
        b"---\ntitle: Front matter title\nauthor: Front Matter\ndate: 2020-01-01\n"
        b"publisher: Old Name\nlicense: CC0-1.0\nurl: https://example.com/old\nkind: news\n---\n"
        b"Body.\n"
    )
    sidecar = (
        b'{"title": "Curated title", "author": "Curator", "published_date": "2024-03-05",'
        b' "publisher": "New Name", "license": "CC-BY-4.0", "url": "https://example.com/new"}'
    )
    record = parse_one("story.md", markdown, sidecar)
    assert {
        k: record[k] for k in ("title", "author", "published_date", "publisher", "license", "url")
    } == {
        "title": "Curated title",
        "author": "Curator",
        "published_date": "2024-03-05",
        "publisher": "New Name",
        "license": "CC-BY-4.0",
        "url": "https://example.com/new",
    }
    # What the document said is not among the fields; its other keys stay in metadata.
    assert json.loads(record["metadata"]) == {"kind": "news", "sidecar": json.loads(sidecar)}
    # A sidecar without a field leaves the document's value.
    partial = parse_one("story.md", markdown, b'{"author": "Curator"}')
    assert (partial["title"], partial["author"]) == ("Front matter title", "Curator")


@pytest.mark.parametrize(
    ("error", "detail"),
    [
        ("too_large", "30000000 bytes > ingest.max_bytes=20000000"),
        ("unreadable", "PermissionError: Permission denied"),
        ("outside_seeds", "symbolic link out of seeds/"),
    ],
)
def test_a_file_that_was_not_read_is_quarantined_with_its_reason(error, detail):
    row = {"source": "x.txt", "source_sha256": "", "error": error, "error_detail": detail}
    assert parse_seed(row, PARAMS) == [Rejected(error, detail)]


def test_a_format_is_read_only_when_its_extension_is_enabled():
    params = dataclasses.replace(PARAMS, extensions=(".txt",))
    refused = parse_one("notes.md", b"Some notes.\n", params=params)
    assert isinstance(refused, Rejected)
    assert refused.reason == "unsupported_format"
    record = parse_one("notes.md", b"Some notes.\n")
    assert (record["source_format"], record["text"]) == ("md", "Some notes.")
    # Enabling an extension no reader knows does not make it readable.
    params = dataclasses.replace(PARAMS, extensions=(*PARAMS.extensions, ".rtf"))
    refused = parse_one("notes.rtf", b"{\\rtf1 Notes.}", params=params)
    assert isinstance(refused, Rejected)
    assert refused.reason == "unsupported_format"


# --- exports: one article per line or row ------------------------------------------------------


def test_jsonl_export_gives_one_record_per_line():
    raw = "\n".join(
        [
            json.dumps(
                {
                    "text": "First.",
                    "title": "One",
                    "url": "https://Example.com/1#top",
                    "date": "2024-03-05T10:00:00Z",
                    "section": "news",
                }
            ),
            "{not json",
            json.dumps({"text": "Third.", "publisher": "Row Publisher"}),
            "",
        ]
    ).encode()
    sidecar = b'{"publisher": "Export Publisher", "license": "CC-BY-4.0"}'
    first, bad, third = parse_seed(seed("feed.jsonl", raw, sidecar), PARAMS)

    assert isinstance(bad, Rejected)
    assert (bad.reason, bad.row) == ("bad_row", 2)
    for record, row in ((first, 1), (third, 3)):
        assert not isinstance(record, Rejected), record
        assert (record["source"], record["source_row"]) == ("feed.jsonl", row)
        assert (record["source_format"], record["encoding"]) == ("jsonl", "utf-8")
        assert record["source_sha256"] == sha256_hex(raw)
        assert sorted(record) == sorted(record_schema().arrow("ingest").names)
    assert (first["text"], first["title"], first["url"]) == (
        "First.",
        "One",
        "https://example.com/1",
    )
    assert first["published_date"] == "2024-03-05"
    assert first["id"] == record_id("https://example.com/1", "feed.jsonl")
    # Without a URL the id comes from the path and the row: rows of one file differ.
    assert third["id"] == record_id(None, "feed.jsonl#3")
    assert (third["text"], third["title"], third["url"]) == ("Third.", None, None)
    # The export's sidecar only fills what a row leaves empty.
    assert (first["publisher"], third["publisher"]) == ("Export Publisher", "Row Publisher")
    assert first["license"] == third["license"] == "CC-BY-4.0"
    assert json.loads(first["metadata"]) == {"section": "news", "sidecar": json.loads(sidecar)}


def test_csv_export_gives_one_record_per_row():
    raw = (
        b"title,text,author,date,extra\n"
        b'A,"Text, with a comma.",Ann,2024-03-05,x\n'
        b"B,,Bo,,\n"
        b"C,Third row.,,,\n"
    )
    first, empty, third = parse_seed(seed("export.csv", raw), PARAMS)
    assert isinstance(empty, Rejected)
    assert (empty.reason, empty.row) == ("bad_row", 2)
    assert [(r["source_row"], r["title"], r["text"], r["author"]) for r in (first, third)] == [
        (1, "A", "Text, with a comma.", "Ann"),
        (3, "C", "Third row.", None),
    ]
    assert (first["published_date"], first["metadata"]) == ("2024-03-05", '{"extra":"x"}')
    assert (third["published_date"], third["metadata"]) == (None, "{}")
    assert first["source_format"] == "csv"
    assert [first["id"], third["id"]] == [
        record_id(None, "export.csv#1"),
        record_id(None, "export.csv#3"),
    ]


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
    record = parse_one("bbc/rail.txt", b"Body.")
    assert ID.match(record["id"])
    assert record["id"] == record_id(None, "bbc/rail.txt")
    assert record["id"] != parse_one("bbc/rail-2.txt", b"Body.")["id"]
    # The content is not the key: the same file with new text keeps its id.
    assert record["id"] == parse_one("bbc/rail.txt", b"New body.")["id"]


def test_id_with_url_survives_a_rename_and_a_metadata_edit():
    sidecar = b'{"url": "https://example.com/a"}'
    first = parse_one("2024/a.txt", b"Body.", sidecar)
    renamed = parse_one("archive/renamed.txt", b"Body.", sidecar)
    edited = parse_one("a.txt", b"Body.", b'{"url": "https://example.com/a", "author": "X"}')
    yaml_sidecar = parse_one("b.txt", b"Body.", b"url: https://example.com/a\n", ".meta.yaml")
    assert ID.match(first["id"])
    assert first["id"] == renamed["id"] == edited["id"] == yaml_sidecar["id"]
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
        # A closing quote or bracket ends many headlines; what it closes decides.
        (
            "Jugnot 'tops French actor league'\n\nBody.",
            "Jugnot 'tops French actor league'",
            "Body.",
        ),
        (
            "Brando \u201crejected Godfather role\u201d\n\nBody.",
            "Brando \u201crejected Godfather role\u201d",
            "Body.",
        ),
        ("Profits rise (again)\n\nBody.", "Profits rise (again)", "Body."),
        ('"We will win," he said.\n\nBody.', None, None),
        ('He said: "It is over."\n\nBody.', None, None),
        ("'My memories of Marley...'\n\nBody.", None, None),
        ("''\n\nBody.", None, None),  # nothing but quotes
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
        ("Le café £5".encode("utf-16"), "Le café £5", "utf-16"),
        (codecs.BOM_UTF16_BE + "Le café".encode("utf-16-be"), "Le café", "utf-16"),
        ("Le café 😀".encode("utf-32"), "Le café 😀", "utf-32"),
        (codecs.BOM_UTF32_BE + "Le café".encode("utf-32-be"), "Le café", "utf-32"),
    ],
)
def test_decode_unicode_and_byte_order_marks(raw, text, encoding):
    assert decode(raw, PARAMS.preferred_encodings) == (text, encoding)
    # The recorded name is the codec that reads the whole file, mark included.
    assert raw.decode(encoding) == text


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


def test_a_declared_charset_wins_over_the_guess():
    raw = "Prix : 5 € le café.".encode("iso-8859-15")
    # The recorded name is the codec used, as for a guess: one name for one encoding.
    assert decode(raw, PARAMS.preferred_encodings, "iso-8859-15") == (
        "Prix : 5 € le café.",
        "iso8859_15",
    )
    # Strict UTF-8 still comes first; a charset no codec knows is ignored, not an error.
    assert decode("Déjà".encode(), (), "iso-8859-15") == ("Déjà", "utf-8")
    text, encoding = decode(raw, PARAMS.preferred_encodings, "no-such-codec")
    assert (encoding, "le café" in text) == ("cp1252", True)


# Pages that say Latin-1 or ASCII and use Windows-1252's curly quotes and dashes (bytes 0x80 to
# 0x9F) are common; browsers read those labels as windows-1252 (the WHATWG Encoding Standard).
LATIN_1_LABELS = ["iso-8859-1", "ISO-8859-1", "latin1", "l1", "us-ascii", "ascii", "cp819"]
QUOTED = "“It’s time,” she said – and left… for good."


@pytest.mark.parametrize("label", LATIN_1_LABELS)
def test_a_declared_latin_1_or_ascii_is_read_as_windows_1252_like_browsers_do(label):
    # No preferred encoding: the label alone must give the text, not a guess.
    assert decode(QUOTED.encode("cp1252"), (), label) == (QUOTED, "cp1252")


@pytest.mark.parametrize("paragraphs", [1, 40], ids=["short", "long"])
def test_a_page_declaring_latin_1_with_curly_quotes_is_published_right(paragraphs):
    body = "<p>The council met on Tuesday evening to discuss the budget.</p>" * paragraphs
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'
        f"<title>Budget</title></head><body><article><h1>Budget</h1>{body}<p>{QUOTED}</p>"
        "</article></body></html>"
    )
    record = parse_one("site/budget.html", page.encode("cp1252"))
    assert not isinstance(record, Rejected), record
    assert record["encoding"] == "cp1252"
    assert QUOTED in record["text"]


@pytest.mark.parametrize("label", ["utf-16", "utf-16le", "utf-16be"])
def test_a_meta_tag_declaring_utf_16_is_read_as_the_ascii_it_was_found_in(label):
    """A <meta> tag readable as ASCII is no UTF-16 (browsers then take UTF-8, HTML's prescan):
    decoded as UTF-16 the page was CJK characters."""
    page = f'<meta charset="{label}"><p>Le café ouvre à midi.</p>'
    raw = page.encode("cp1252") + b" " * (len(page) % 2)  # an even length UTF-16 would decode
    assert decode(raw, PARAMS.preferred_encodings, label) == (raw.decode("cp1252"), "cp1252")


@pytest.mark.parametrize("label", ["unicode_escape", "raw_unicode_escape"])
def test_a_label_browsers_do_not_know_is_not_obeyed(label):
    """Python codecs no browser would apply to a page (backslash escapes read as characters)
    are ignored like an unknown label: the bytes are guessed."""
    raw = "Le café coûte 5 \\u20ac.".encode("cp1252")
    assert decode(raw, PARAMS.preferred_encodings, label) == (raw.decode("cp1252"), "cp1252")


def test_a_utf8_file_with_two_windows_1252_bytes_says_so_in_its_record():
    """Edited by two tools: UTF-8, then a sentence saved as Windows-1252 ("€" 0x80, "ß" 0xDF)."""
    body = "Straßensperrung in München: Die Brücke bleibt bis Freitag gesperrt."
    tail = "Anwohner zahlen 5€ am Tag, sagt die Straßenmeisterei."
    raw = f"Sperrung\n\n{body} ".encode() + tail.encode("cp1252")
    record = parse_one("muenchen/sperrung.txt", raw)
    assert (record["title"], record["text"]) == ("Sperrung", f"{body} {tail}")
    assert record["encoding"] == "utf-8+cp1252"


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
    # The fixture's orphan.txt.meta.json has no seed: reported, not an article.
    orphan = {"orphan.txt.meta.json": "orphan_sidecar"}
    expected_reasons = Counter(r for r in [*messy_seed_reasons.values(), *orphan.values()] if r)
    files = hand_written + len(messy_seed_reasons)
    assert result["files_in"] == files
    assert result["records_in"] == files + 1  # the orphan sidecar's row
    assert result["unused_sidecars"] == 1
    assert result["files_by_format"] == {"unsupported": 1, "txt": files - 1}  # other: scan.pdf
    assert result["records_out"] == hand_written + 2
    assert result["quarantined_by_reason"] == dict(sorted(expected_reasons.items()))
    # Every file here holds one article, so articles out + quarantined = files in.
    assert result["records_in"] == result["records_out"] + result["quarantined"]
    assert result["files_in"] == result["records_out"] + result["quarantined"] - 1
    assert read_json(metrics) == result

    quarantined = {r["source"]: r["reason"] for r in read_rows(quarantine)}
    assert quarantined == {s: r for s, r in {**messy_seed_reasons, **orphan}.items() if r}
    sources = [r["source"] for r in read_rows(out)]
    assert sources == sorted(sources)
    assert "legacy/council-tax.txt" in sources and "legacy/with-bom.txt" in sources
    assert not any(s.startswith(".") or s.endswith(".meta.json") for s in sources)


def test_run_counts_files_and_articles(tmp_path, params, read_rows, read_json):
    seeds = tmp_path / "seeds"
    files = {
        "a.txt": b"Plain text.\n",
        "b.md": b"# Title\n\nMarkdown text.\n",
        "c.jsonl": b'{"text": "Row one."}\n{"text": "Row two."}\n{"text": ""}\n',
        "d.csv": b"title,text\n",  # a header and no rows: no article at all
        "e.pdf": b"%PDF-1.4\n",
        "f.txt.meta.yaml": b"author: Ann\n",  # a sidecar without its seed: reported
    }
    seeds.mkdir()
    for name, raw in files.items():
        (seeds / name).write_bytes(raw)
    result, out, quarantine, metrics = run_ingest(seeds, tmp_path / "run", params)

    assert (result["files_in"], result["records_in"], result["unused_sidecars"]) == (5, 6, 1)
    assert result["files_by_format"] == {"csv": 1, "jsonl": 1, "md": 1, "unsupported": 1, "txt": 1}
    assert (result["records_out"], result["quarantined"]) == (4, 4)
    assert result["quarantined_by_reason"] == {
        "bad_row": 1,
        "no_content": 1,
        "orphan_sidecar": 1,
        "unsupported_format": 1,
    }
    assert read_json(metrics) == result
    assert [(r["source"], r["source_row"], r["source_format"]) for r in read_rows(out)] == [
        ("a.txt", None, "txt"),
        ("b.md", None, "md"),
        ("c.jsonl", 1, "jsonl"),
        ("c.jsonl", 2, "jsonl"),
    ]
    assert [(r["source"], r["source_row"], r["reason"]) for r in read_rows(quarantine)] == [
        ("c.jsonl", 3, "bad_row"),
        ("d.csv", None, "no_content"),
        ("e.pdf", None, "unsupported_format"),
        ("f.txt.meta.yaml", None, "orphan_sidecar"),
    ]


def test_json_exports_beside_json_sidecars(tmp_path, params, read_rows):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    rows = [{"title": "One", "text": "First article."}, {"title": "Two", "text": "Second one."}]
    (seeds / "api.json").write_text(json.dumps(rows))
    (seeds / "api.json.meta.json").write_text(json.dumps({"publisher": "Example News"}))
    (seeds / "lone.meta.json").write_text("{}")  # a sidecar of no seed, not a JSON export
    result, out, quarantine, _ = run_ingest(seeds, tmp_path / "run", params)
    assert result["files_by_format"] == {"json": 1}
    records = read_rows(out)
    assert [(r["source_row"], r["source_format"], r["publisher"]) for r in records] == [
        (1, "json", "Example News"),
        (2, "json", "Example News"),
    ]
    assert len({r["id"] for r in records}) == 2
    assert [r["reason"] for r in read_rows(quarantine)] == ["orphan_sidecar"]


# --- reading files: read_seed, the I/O half --------------------------------------------------


def test_read_seed_reads_the_file_and_its_sidecar(seeds_dir, params):
    path = seeds_dir / "opinion" / "stadium-plan.txt"
    row = read_seed(seeds_dir, path, params.ingest)
    assert row == {
        "source": "opinion/stadium-plan.txt",
        "source_sha256": sha256_hex(path.read_bytes()),
        "raw": path.read_bytes(),
        "sidecar": (seeds_dir / "opinion" / "stadium-plan.txt.meta.json").read_bytes(),
        "sidecar_name": "stadium-plan.txt.meta.json",
    }
    bare = read_seed(seeds_dir, seeds_dir / "bbc" / "rail-fares.txt", params.ingest)
    assert "sidecar" not in bare and "error" not in bare


@pytest.mark.parametrize(
    ("present", "used"),
    [
        ([".meta.yaml"], ".meta.yaml"),
        ([".meta.yml"], ".meta.yml"),
        ([".meta.yml", ".meta.json"], ".meta.json"),  # the first of ingest.sidecar_suffixes
        ([".meta.yaml", ".meta.yml"], ".meta.yaml"),
    ],
)
def test_read_seed_finds_a_sidecar_of_each_suffix(tmp_path, params, present, used):
    def content(suffix: str) -> bytes:
        title = f"from {suffix}"
        return (
            json.dumps({"title": title}).encode()
            if suffix == ".meta.json"
            else (f"title: {title}\n".encode())
        )

    (tmp_path / "a.txt").write_bytes(b"Body.\n")
    for suffix in present:
        (tmp_path / f"a.txt{suffix}").write_bytes(content(suffix))
    row = read_seed(tmp_path, tmp_path / "a.txt", params.ingest)
    assert (row["sidecar_name"], row["sidecar"]) == (f"a.txt{used}", content(used))
    (record,) = parse_seed(row, params.ingest)
    assert record["title"] == f"from {used}"


SUFFIXES = (".meta.json", ".meta.yaml", ".meta.yml")


@pytest.mark.parametrize(
    ("names", "chosen", "unused"),
    [
        pytest.param(["a.txt", "a.txt.meta.json"], {"a.txt": "a.txt.meta.json"}, {}, id="exact"),
        pytest.param(["a.txt", "a.meta.json"], {"a.txt": "a.meta.json"}, {}, id="stem"),
        pytest.param(["a", "a.meta.yaml"], {"a": "a.meta.yaml"}, {}, id="no-extension"),
        pytest.param(
            ["a.txt", "a.md", "a.meta.json"],
            {},
            {"a.meta.json": "ambiguous_sidecar"},
            id="stem-of-two-seeds",
        ),
        pytest.param(
            ["a.txt", "a.md", "a.txt.meta.json"],
            {"a.txt": "a.txt.meta.json"},
            {},
            id="exact-beside-a-twin",
        ),
        pytest.param(
            ["a.txt", "a.txt.meta.json", "a.meta.json"],
            {"a.txt": "a.txt.meta.json"},
            {"a.meta.json": "ambiguous_sidecar"},
            id="exact-wins-over-stem",
        ),
        pytest.param(
            ["a.txt", "a.txt.meta.yaml", "a.txt.meta.json"],
            {"a.txt": "a.txt.meta.json"},
            {"a.txt.meta.yaml": "ambiguous_sidecar"},
            id="first-suffix-wins",
        ),
        pytest.param(["b.txt", "a.meta.json"], {}, {"a.meta.json": "orphan_sidecar"}, id="orphan"),
        pytest.param(
            ["a.txt.meta.json"], {}, {"a.txt.meta.json": "orphan_sidecar"}, id="orphan-exact"
        ),
        pytest.param(
            ["a.b.txt", "a.meta.json"], {}, {"a.meta.json": "orphan_sidecar"}, id="stem-is-whole"
        ),
    ],
)
def test_match_sidecars(names, chosen, unused):
    got_chosen, got_unused = seed_files.match_sidecars(names, SUFFIXES)
    assert got_chosen == chosen
    assert {n: r.reason for n, r in got_unused.items()} == unused
    for name, why in got_unused.items():
        assert name in why.detail  # the detail says which file, and why
    # Every sidecar is either applied to one seed or reported: none is ignored.
    sidecars = {n for n in names if n.endswith(SUFFIXES)}
    assert set(got_chosen.values()) | set(got_unused) == sidecars
    assert not set(got_chosen.values()) & set(got_unused)


def test_run_applies_stem_sidecars_and_reports_the_rest(tmp_path, params, read_rows):
    seeds = tmp_path / "seeds"
    files = {
        "article.txt": b"Headline\n\nBody.\n",
        "article.meta.json": b'{"url": "https://example.com/article", "author": "Ann"}',
        "twin.txt": b"Plain twin.\n",
        "twin.md": b"Markdown twin.\n",
        "twin.meta.json": b'{"url": "https://example.com/twin"}',
        "sub/lost.meta.yaml": b"title: Lost\n",
    }
    for name, raw in files.items():
        (seeds / name).parent.mkdir(parents=True, exist_ok=True)
        (seeds / name).write_bytes(raw)
    result, out, quarantine, _ = run_ingest(seeds, tmp_path / "run", params)

    records = {r["source"]: r for r in read_rows(out)}
    assert sorted(records) == ["article.txt", "twin.md", "twin.txt"]
    assert (records["article.txt"]["url"], records["article.txt"]["author"]) == (
        "https://example.com/article",
        "Ann",
    )
    assert records["article.txt"]["id"] == record_id("https://example.com/article", "")
    # Applied to neither twin: no URL, so no shared id either.
    assert records["twin.md"]["url"] is None and records["twin.txt"]["url"] is None
    rows = [(r["source"], r["reason"], r["detail"]) for r in read_rows(quarantine)]
    assert rows == [
        (
            "sub/lost.meta.yaml",
            "orphan_sidecar",
            "lost.meta.yaml matches no seed: neither lost nor lost.<extension> is beside it",
        ),
        (
            "twin.meta.json",
            "ambiguous_sidecar",
            "twin.meta.json could belong to twin.md or twin.txt: applied to none"
            " (name it twin.md.meta.json, say)",
        ),
    ]
    assert (result["files_in"], result["unused_sidecars"]) == (3, 2)
    assert result["quarantined_by_reason"] == {"ambiguous_sidecar": 1, "orphan_sidecar": 1}
    sha = {r["source"]: r["source_sha256"] for r in read_rows(quarantine)}
    assert sha["twin.meta.json"] == sha256_hex(files["twin.meta.json"])


def test_read_seed_refuses_a_file_larger_than_max_bytes_without_reading_it(
    tmp_path, params, monkeypatch
):
    ingest_params = dataclasses.replace(params.ingest, max_bytes=10)
    (tmp_path / "big.txt").write_bytes(b"x" * 11)
    (tmp_path / "ok.txt").write_bytes(b"x" * 10)
    read: list[str] = []
    read_bytes = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: read.append(self.name) or read_bytes(self))

    row = read_seed(tmp_path, tmp_path / "big.txt", ingest_params)
    assert row == {
        "source": "big.txt",
        "source_sha256": sha256_hex(b"x" * 11),  # hashed in blocks: it still counts as input
        "error": "too_large",
        "error_detail": "11 bytes > ingest.max_bytes=10",
    }
    assert read == []
    assert parse_seed(row, ingest_params) == [
        Rejected("too_large", "11 bytes > ingest.max_bytes=10")
    ]
    ok = read_seed(tmp_path, tmp_path / "ok.txt", ingest_params)
    assert (ok["raw"], read) == (b"x" * 10, ["ok.txt"])
    assert not isinstance(parse_seed(ok, ingest_params)[0], Rejected)


def test_read_seed_never_follows_a_link_out_of_the_seed_folder(tmp_path, params):
    seeds, outside = tmp_path / "seeds", tmp_path / "outside"
    seeds.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("A secret.\n")
    (seeds / "escape.txt").symlink_to(outside / "secret.txt")
    (seeds / "real.txt").write_text("Inside.\n")
    (seeds / "inside-link.txt").symlink_to(seeds / "real.txt")
    (seeds / "meta.txt").write_text("Body.\n")
    (seeds / "meta.txt.meta.json").symlink_to(outside / "secret.txt")

    escape = read_seed(seeds, seeds / "escape.txt", params.ingest)
    assert escape == {
        "source": "escape.txt",
        "source_sha256": "",
        "error": "outside_seeds",
        "error_detail": "symbolic link out of seeds/",
    }
    assert parse_seed(escape, params.ingest) == [
        Rejected("outside_seeds", "symbolic link out of seeds/")
    ]
    sidecar = read_seed(seeds, seeds / "meta.txt", params.ingest)
    assert (sidecar["error"], sidecar["error_detail"]) == (
        "outside_seeds",
        "sidecar meta.txt.meta.json links out of seeds/",
    )
    assert "sidecar" not in sidecar
    # A link that stays inside seeds/ is read like any file.
    inside = read_seed(seeds, seeds / "inside-link.txt", params.ingest)
    assert (inside["raw"], "error" in inside) == (b"Inside.\n", False)
    # A file reached through a linked folder is out too, though the file is no link itself.
    (seeds / "linked").symlink_to(outside)
    through = read_seed(seeds, seeds / "linked" / "secret.txt", params.ingest)
    assert (through["error"], "raw" in through) == ("outside_seeds", False)


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
    assert all(e.keys() == expected[0].keys() for e in expected)
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

    # Not inputs: dotfiles, hidden folders.
    (messy_seeds_dir / ".notes").write_text("scratch")
    (messy_seeds_dir / ".cache" / "more.txt").write_text("Cached.")
    assert input_hash("ignored-files") == first
    # A sidecar without a seed is reported (a quarantine row): it is an input.
    (messy_seeds_dir / "ghost.txt.meta.json").write_text("{}")
    with_ghost = input_hash("ghost-sidecar")
    assert with_ghost != first
    (messy_seeds_dir / "ghost.txt.meta.json").unlink()

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
    values = yaml.safe_load((Path(ingest.__file__).parents[1] / "params.yaml").read_text())
    values["engine"]["batch_size"] = 1
    values["ingest"]["title_max_chars"] = 10
    params_file.write_text(yaml.safe_dump(values))
    out, quarantine, metrics = tmp_path / "out", tmp_path / "q", tmp_path / "m.json"
    result = ingest.main(
        ["--seeds", str(seeds_dir), "--out", str(out), "--quarantine", str(quarantine),
         "--metrics", str(metrics), "--params", str(params_file)]
    )  # fmt: skip
    assert read_json(metrics) == result
    assert (result["files_in"], result["records_in"], result["records_out"]) == (4, 4, 4)
    titles = [r["title"] for r in pq.read_table(out).to_pylist()]
    assert titles == [None, None, None, None]  # every first line is over 10 characters


def test_export_sidecar_gives_file_wide_fields_only():
    """A feed's sidecar URL or title on every row would give every row the same id."""
    raw = b'{"text": "One."}\n{"text": "Two."}\n'
    meta = b'{"url": "https://example.com/feed", "title": "My feed", "license": "CC-BY-4.0"}'
    records = parse_seed(seed("feed.jsonl", raw, meta), PARAMS)
    assert len({r["id"] for r in records}) == 2
    assert [(r["url"], r["title"], r["license"]) for r in records] == [
        (None, None, "CC-BY-4.0")
    ] * 2


def metronews_page(headline: str, paragraph: str) -> bytes:
    """A page of a site whose template puts its home page in every article's canonical link."""
    return (
        '<!DOCTYPE html><html lang="en"><head><title>' + headline + "</title>"
        '<link rel="canonical" href="https://metronews.example/">'
        '<meta property="og:url" content="https://metronews.example/"></head><body><article>'
        f"<h1>{headline}</h1><p>{paragraph}</p>"
        "<p>The council will publish the full report on its website next week.</p>"
        "</article></body></html>"
    ).encode()


TRAM = metronews_page("Tram line approved", "The city approved the new tram line on Monday.")
POOL = metronews_page("Pool to reopen", "The swimming pool reopens in June after repairs.")


def test_pages_sharing_a_home_page_canonical_are_two_articles(tmp_path, params, read_rows):
    # Before, both took the home page as their URL, so both had one id: the second was set
    # aside as duplicate_id and the first published with the home page as its URL.
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "tram.html").write_bytes(TRAM)
    (seeds / "pool.html").write_bytes(POOL)
    ingest.run(seeds, tmp_path / "out", tmp_path / "q", tmp_path / "m.json", params)
    records = {r["source"]: r for r in read_rows(tmp_path / "out")}
    assert sorted(records) == ["pool.html", "tram.html"]
    assert [records[s]["url"] for s in sorted(records)] == [None, None]
    assert [records[s]["id"] for s in sorted(records)] == [
        record_id(None, "pool.html"),
        record_id(None, "tram.html"),
    ]


def test_a_sidecar_home_page_url_is_taken_as_given() -> None:
    # The sidecar is the curator's word: not second-guessed (a second seed given the same URL is
    # quarantined as duplicate_id, which names the URL).
    sidecar = json.dumps({"url": "https://metronews.example/"}).encode()
    record = parse_one("tram.html", TRAM, sidecar)
    assert record["url"] == "https://metronews.example/"
    assert record["id"] == record_id("https://metronews.example/", "")


def test_export_sidecar_fills_author_and_date_a_row_leaves_empty():
    raw = b"title,text,author,date\nA,One.,,\nB,Two.,Ann Lee,2024-01-02\n"
    meta = (
        b'{"author": "Staff Reporter", "date": "2024-03-05", "publisher": "X",'
        b' "license": "CC-BY-4.0"}'
    )
    records = parse_seed(seed("feed.csv", raw, meta), PARAMS)
    assert [(r["author"], r["published_date"], r["publisher"], r["license"]) for r in records] == [
        ("Staff Reporter", "2024-03-05", "X", "CC-BY-4.0"),
        ("Ann Lee", "2024-01-02", "X", "CC-BY-4.0"),  # a row's own value wins
    ]
