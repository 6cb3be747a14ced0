"""Stage clean: named repair steps that never lose a word, and a record of what they changed."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import sys

import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import clean
from pipeline.clean import (
    clean_record,
    fix_mojibake,
    normalize_whitespace,
    remove_soft_hyphens,
    steps,
    strip_control_chars,
    strip_zero_width,
    unescape_html_entities,
)
from pipeline.ids import record_id
from pipeline.params import CleanParams
from pipeline.quarantine import Rejected
from pipeline.schema import record_schema
from pipeline.shards import shard_paths
from tests.defaults import PARAMS as DEFAULTS

PARAMS = DEFAULTS.clean
WORD = re.compile(r"\w+")


def cleaned(text: str, title: str | None = None, params: CleanParams = PARAMS) -> dict:
    result = clean_record({"text": text, "title": title}, params)
    assert not isinstance(result, Rejected), result
    return result


def log(*entries: tuple[str, int]) -> list[dict]:
    """A `clean_log` from (step, chars removed) pairs."""
    return [{"step": step, "chars_removed": n} for step, n in entries]


def test_steps_run_in_pipeline_order():
    assert [name for name, _ in steps(PARAMS)] == [
        "fix_mojibake",
        "unescape_html_entities",
        "normalize_unicode",
        "strip_control_chars",
        "strip_zero_width",
        "remove_soft_hyphens",
        "normalize_whitespace",
    ]


# --- one table per step ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Itâ€™s done", "It’s done"),
        ("â€œQuotedâ€\x9d", "“Quoted”"),
        ("cafÃ© au lait", "café au lait"),
        ("The minister\u00e2\u20ac\u2122s plan", "The minister’s plan"),
        ("It’s “fine” — café", "It’s “fine” — café"),  # real punctuation is left alone
        ("plain ASCII", "plain ASCII"),
    ],
)
def test_fix_mojibake(text, expected):
    assert fix_mojibake(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jos&#233;", "José"),
        ("&#x41;&#X42;", "AB"),
        ("Fish &amp; chips", "Fish & chips"),
        ("&lt;b&gt;", "<b>"),
        ("&para;", "¶"),
        ("AT&T", "AT&T"),
        ("R&D", "R&D"),
        ("AT&T; R&D;", "AT&T; R&D;"),  # one letter is not an entity name
        ("&para without semicolon", "&para without semicolon"),
        ("&copy 2024", "&copy 2024"),
        ("&notanentity;", "&notanentity;"),
        ("M&S and B&Q", "M&S and B&Q"),
    ],
)
def test_unescape_html_entities(text, expected):
    assert unescape_html_entities(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Cafe\u0301", "Caf\u00e9"),
        ("\u212b", "\u00c5"),  # ANGSTROM SIGN -> A WITH RING
        ("Caf\u00e9", "Caf\u00e9"),
        ("ﬁne", "ﬁne"),  # NFC keeps compatibility ligatures; NFKC would not
    ],
)
def test_normalize_unicode_nfc(text, expected):
    (normalize,) = [fn for name, fn in steps(PARAMS) if name == "normalize_unicode"]
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\x00b", "ab"),
        ("\x07bell", "bell"),
        ("x\x7fy\x9fz", "xyz"),
        ("mid\ufefftext", "mid\ufefftext"),  # not a control char: strip_zero_width's job
        ("zero\u200bwidth", "zero\u200bwidth"),
        ("soft\u00adhyphen", "soft\u00adhyphen"),
        ("tab\tkept", "tab\tkept"),
        ("lines\nkept\r\n", "lines\nkept\r\n"),
        ("page one\x0cpage two", "page one\npage two"),  # form feed separates, not glues
        ("a\x0bb", "a\nb"),
        ("field\x1fvalue", "field value"),
        ("record\x1enext", "record\nnext"),
        ("é and ’ stay", "é and ’ stay"),
    ],
)
def test_strip_control_chars(text, expected):
    assert strip_control_chars(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("zero\u200bwidth", "zerowidth"),
        ("word\u2060joiner", "wordjoiner"),
        ("mid\ufefftext", "midtext"),  # a byte order mark in mid-text
        ("\ufeff\u200b\u2060", ""),
        ("👩\u200d💻 coder", "👩\u200d💻 coder"),  # ZWJ joins an emoji sequence: kept
        ("می\u200cخواهم", "می\u200cخواهم"),  # ZWNJ is spelling in Persian: kept
        ("a\u00adb", "a\u00adb"),  # soft hyphens are another step's
        ("plain text", "plain text"),
    ],
)
def test_strip_zero_width(text, expected):
    assert strip_zero_width(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("con\u00adtent", "content"),
        ("Donau\u00addampf\u00adschiff", "Donaudampfschiff"),
        ("\u00ad\u00ad", ""),
        ("well-known", "well-known"),  # a real hyphen is part of the word
        ("non\u2011breaking", "non\u2011breaking"),
        ("a\u2010b", "a\u2010b"),
        ("zero\u200bwidth", "zero\u200bwidth"),
    ],
)
def test_remove_soft_hyphens(text, expected):
    assert remove_soft_hyphens(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\r\nb", "a\nb"),
        ("a\rb", "a\nb"),
        ("a\u2028b\u2029c", "a\nb\nc"),
        ("trailing   \nspaces\t\n", "trailing\nspaces"),
        ("  leading", "leading"),
        ("one  \t two", "one two"),
        ("non\u00a0breaking\u2009thin", "non breaking thin"),
        ("p1\n\n\np2", "p1\n\np2"),
        ("p1\n\n\n\n\n\np2", "p1\n\np2"),
        ("p1\n \n\t\n  \np2", "p1\n\np2"),  # lines of spaces are blank lines
        ("p1\n\np2", "p1\n\np2"),
        ("verse line one\nverse line two", "verse line one\nverse line two"),
        ("\n\n\nbody\n\n\n", "body"),
        ("", ""),
    ],
)
def test_normalize_whitespace(text, expected):
    assert normalize_whitespace(text) == expected


# --- clean_record ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "title", "changes"),
    [
        ("Clean text.", None, []),
        ("Itâ€™s fine.", None, [("fix_mojibake", 2)]),
        (
            "Jos&#233; said  so.\r\n",
            None,
            [("unescape_html_entities", 5), ("normalize_whitespace", 3)],
        ),
        ("Cafe\u0301.", None, [("normalize_unicode", 1)]),
        ("a\x00b", None, [("strip_control_chars", 1)]),
        ("zero\u200bwidth\u2060joiner", None, [("strip_zero_width", 2)]),
        ("con\u00adtent", "Head\u00adline", [("remove_soft_hyphens", 2)]),  # text + title
        ("Clean text.", "Jos&#233;", [("unescape_html_entities", 5)]),  # the title counts too
        ("Itâ€™s fine.", "Title  ", [("fix_mojibake", 2), ("normalize_whitespace", 2)]),
        ("one\ttwo", None, [("normalize_whitespace", 0)]),  # rewrote without shortening
        ("page\x0cnext", None, [("strip_control_chars", 0)]),  # form feed -> line break
        (
            "a\x00b\u200bc\u00add  e",
            None,
            [
                ("strip_control_chars", 1),
                ("strip_zero_width", 1),
                ("remove_soft_hyphens", 1),
                ("normalize_whitespace", 1),
            ],
        ),
        ("“Curly” quotes and ‘single’ ones aren’t changed.", "“Quoted” title", []),
        ("👩\u200d💻 and می\u200cخواهم", None, []),  # ZWJ and ZWNJ are kept
    ],
)
def test_clean_log_lists_exactly_the_steps_that_changed_something(text, title, changes):
    assert cleaned(text, title)["clean_log"] == log(*changes)


def test_golden_articles(data_dir):
    for line in (data_dir / "clean" / "golden.jsonl").read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        result = cleaned(case["text"], case["title"])
        assert result["text"] == case["expected_text"], case["name"]
        assert result["title"] == case["expected_title"], case["name"]
        assert result["clean_log"] == case["expected_log"], case["name"]


def test_record_keeps_its_other_fields_and_gains_the_clean_ones(make_record):
    record = make_record(text="Fares  rise.", title="Rail fares")
    result = clean_record(record, PARAMS)
    assert result == {
        **record,
        "text": "Fares rise.",
        "content_sha256": hashlib.sha256(b"Fares rise.").hexdigest(),
        "clean_log": log(("normalize_whitespace", 1)),
        "duplicates": [],  # filled in by the stage's second pass
    }
    assert set(result) == set(record_schema().arrow("clean").names)


def test_content_sha256_is_the_sha256_of_the_cleaned_text():
    result = cleaned("Déjà   vu\r\n")
    assert result["text"] == "Déjà vu"
    assert result["content_sha256"] == hashlib.sha256("Déjà vu".encode()).hexdigest()


@pytest.mark.parametrize(
    "text", ["", "   \n\t ", "\x00\x01\x02", "\ufeff\r\n", "\x0c\x0b", "\u200b\u00ad\u2060"]
)
def test_nothing_left_after_cleaning_is_quarantined(text):
    result = clean_record({"text": text, "title": "A title"}, PARAMS)
    assert isinstance(result, Rejected)
    assert result.reason == "empty_after_clean"


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("\u200b\u00ad", "no text left after strip_zero_width, remove_soft_hyphens"),
        ("", "no text left after cleaning"),
    ],
)
def test_empty_after_clean_names_the_steps_that_emptied_it(text, detail):
    assert clean_record({"text": text, "title": None}, PARAMS) == Rejected(
        "empty_after_clean", detail
    )


@pytest.mark.parametrize("title", ["   ", "\x00", "", "\u200b", "\u00ad"])
def test_a_title_cleaned_to_nothing_becomes_null(title):
    assert cleaned("Body.", title)["title"] is None


@pytest.mark.parametrize(
    ("params", "text", "expected", "changes"),
    [
        (dataclasses.replace(PARAMS, fix_mojibake=False), "Itâ€™s", "Itâ€™s", []),
        (dataclasses.replace(PARAMS, unescape_html_entities=False), "Jos&#233;", "Jos&#233;", []),
        # unicode_form has no "off" value in params (NFC, NFKC, NFD or NFKD): not switched off here.
        (  # a ligature expands: the step "removes" a negative number of characters
            dataclasses.replace(PARAMS, unicode_form="NFKC"),
            "ﬁne",
            "fine",
            [("normalize_unicode", -1)],
        ),
        (dataclasses.replace(PARAMS, strip_control_chars=False), "a\x00b", "a\x00b", []),
        (dataclasses.replace(PARAMS, strip_zero_width=False), "a\u200bb", "a\u200bb", []),
        (dataclasses.replace(PARAMS, remove_soft_hyphens=False), "a\u00adb", "a\u00adb", []),
        (dataclasses.replace(PARAMS, normalize_whitespace=False), "a  b\r\n", "a  b\r\n", []),
    ],
)
def test_each_step_can_be_switched_off(params, text, expected, changes):
    result = cleaned(text, params=params)
    assert (result["text"], result["clean_log"]) == (expected, log(*changes))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("e\x00\u0301", "\u00e9"),  # the control char hid the accent from NFC
        ("Fish &amp;amp; chips", "Fish & chips"),  # double-escaped
        ("Jos&amp;#233;", "José"),
        ("Ã\x00©", "é"),  # the control char hid the mojibake
        ("e\u200b\u0301", "\u00e9"),  # so did a zero-width space hide the accent
        ("Fish &am\u00adp; chips", "Fish & chips"),  # and a soft hyphen the entity
        ("con&shy;tent", "content"),  # an escaped soft hyphen
    ],
)
def test_work_exposed_by_a_later_step_is_done_in_the_same_run(text, expected):
    assert cleaned(text)["text"] == expected


# --- the stage ---------------------------------------------------------------------------------


def test_run_writes_clean_records_and_quarantines_empty_ones(
    make_record, write_stage_rows, stage_paths, params, read_rows, read_json
):
    rows = [
        make_record(id="1" * 32, text="Itâ€™s  here."),
        make_record(id="2" * 32, text=" \x00 "),
        make_record(id="3" * 32, text="Fine.", title=None),
    ]
    out, quarantine, metrics = stage_paths("clean")
    result = clean.run(write_stage_rows("ingest", rows), out, quarantine, metrics, params)

    assert result == {
        "stage": "clean",
        "records_in": 3,
        "records_out": 2,
        "quarantined": 1,
        "quarantined_by_reason": {"empty_after_clean": 1},
        "exact_duplicates": 0,
        "id_duplicates": 0,
        "changes_by_step": {
            "fix_mojibake": {"records": 1, "chars_removed": 2},
            "normalize_whitespace": {"records": 1, "chars_removed": 1},
        },
    }
    assert read_json(metrics) == result
    assert [(r["id"], r["text"], r["clean_log"], r["duplicates"]) for r in read_rows(out)] == [
        ("1" * 32, "It’s here.", log(("fix_mojibake", 2), ("normalize_whitespace", 1)), []),
        ("3" * 32, "Fine.", [], []),
    ]
    (rejected,) = read_rows(quarantine)
    assert (rejected["stage"], rejected["id"], rejected["reason"]) == (
        "clean",
        "2" * 32,
        "empty_after_clean",
    )
    for path in shard_paths(out):
        assert pq.read_schema(path) == record_schema().arrow("clean")


def test_run_quarantines_exact_duplicates_and_lists_them_on_the_kept_record(
    make_record, write_stage_rows, stage_paths, params, read_rows, read_json
):
    def row(n: int, text: str, title: str | None = "Rail fares") -> dict:
        return make_record(id=f"{n}" * 32, text=text, title=title)

    rows = [
        row(1, "Fares  rise."),  # kept: the first of its text and title
        row(2, "Fares rise.\r\n"),  # the same once cleaned
        row(3, "Fares rise.", title="Rail fares, again"),  # another title: another version
        row(4, "Fares rise.", title="Rail  fares"),  # the same title once cleaned
        row(5, " \x00 "),  # empty: quarantined in the first pass
        row(6, "Other news.", title=None),
        row(7, "Other news.", title=None),  # untitled copies are duplicates too
        row(8, "Fares rise!"),  # one character differs: not exact
    ]
    out, quarantine, metrics = stage_paths("clean")
    result = clean.run(write_stage_rows("ingest", rows), out, quarantine, metrics, params)

    ids = {n: f"{n}" * 32 for n in range(1, 9)}
    assert result == {
        "stage": "clean",
        "records_in": 8,
        "records_out": 4,
        "quarantined": 4,
        "quarantined_by_reason": {"empty_after_clean": 1, "exact_duplicate": 3},
        "exact_duplicates": 3,
        "id_duplicates": 0,
        # Only the records published count: the quarantined copies' changes do not.
        "changes_by_step": {"normalize_whitespace": {"records": 1, "chars_removed": 1}},
    }
    assert result["records_in"] == result["records_out"] + result["quarantined"]
    assert read_json(metrics) == result
    assert [(r["id"], r["duplicates"]) for r in read_rows(out)] == [
        (ids[1], [ids[2], ids[4]]),
        (ids[3], []),
        (ids[6], [ids[7]]),
        (ids[8], []),
    ]
    duplicates = [r for r in read_rows(quarantine) if r["reason"] == "exact_duplicate"]
    assert [(r["stage"], r["id"], r["detail"]) for r in duplicates] == [
        ("clean", ids[2], f"same title and text as {ids[1]}"),
        ("clean", ids[4], f"same title and text as {ids[1]}"),
        ("clean", ids[7], f"same title and text as {ids[6]}"),
    ]
    # The quarantined copy is kept whole, as it was cleaned, for whoever audits it.
    copy = json.loads(duplicates[0]["record"])
    assert (copy["text"], copy["source"]) == ("Fares rise.", "bbc/rail-fares.txt")
    # Duplicates have their own shards beside the first pass's; no staging folder is left.
    names = sorted(p.name for p in shard_paths(quarantine))
    assert any(n.startswith("duplicates-") for n in names)
    assert any(not n.startswith("duplicates-") for n in names)
    assert sorted(p.name for p in out.parent.iterdir()) == ["metrics.json", "records"]
    for path in shard_paths(out):
        assert pq.read_schema(path) == record_schema().arrow("clean")


def test_run_sets_copies_by_id_aside_with_the_other_duplicates(
    make_record, write_stage_rows, stage_paths, params, read_rows, read_json
):
    """A .txt and a .md of one story (same URL, so same id) meet the fate of byte copies:
    the first in corpus order is kept and lists the other, which is quarantined at clean."""
    url = "https://example.com/story"
    shared = record_id(url, "a/story.md")
    rows = [
        make_record(id=shared, url=url, source="a/story.md", source_format="md",
                    text="Fares rise.", title="Rail fares"),
        make_record(id="2" * 32, source="a/story.txt", text="Other words."),
        # Same id, another text: still the same article (a later edit, another format).
        make_record(id=shared, url=url, source="b/story.txt", text="Fares rise!"),
        # Same id and a byte copy of the text: one reason only, the id.
        make_record(id=shared, url=url, source="c/story.jsonl", source_row=3,
                    source_format="jsonl", text="Fares rise.", title="Rail fares"),
        make_record(id="5" * 32, source="d/copy.txt", text="Other words."),  # exact copy
    ]  # fmt: skip
    out, quarantine, metrics = stage_paths("clean")
    result = clean.run(write_stage_rows("ingest", rows), out, quarantine, metrics, params)

    as_listed = [record_id(None, "b/story.txt"), record_id(None, "c/story.jsonl#3")]
    assert (result["records_out"], result["quarantined"]) == (2, 3)
    assert result["quarantined_by_reason"] == {"duplicate_id": 2, "exact_duplicate": 1}
    assert (result["id_duplicates"], result["exact_duplicates"]) == (2, 1)
    assert read_json(metrics) == result
    assert [(r["source"], r["duplicates"]) for r in read_rows(out)] == [
        ("a/story.md", as_listed),
        ("a/story.txt", ["5" * 32]),
    ]
    copies = [(r["source"], r["reason"], r["id"], r["detail"]) for r in read_rows(quarantine)]
    assert copies == [
        ("b/story.txt", "duplicate_id", as_listed[0], f"same id as {shared} (same URL {url})"),
        ("c/story.jsonl", "duplicate_id", as_listed[1], f"same id as {shared} (same URL {url})"),
        ("d/copy.txt", "exact_duplicate", "5" * 32, f"same title and text as {'2' * 32}"),
    ]
    # The copy is kept whole, its own id included, for whoever audits it.
    assert json.loads(read_rows(quarantine)[0]["record"])["id"] == shared


def test_run_twice_gives_the_same_bytes(make_record, write_stage_rows, stage_paths, params):
    rows = [make_record(id=f"{n}" * 32, text="Same  words.") for n in range(1, 6)]
    inp = write_stage_rows("ingest", rows)
    out, quarantine, metrics = stage_paths("clean")
    outputs = []
    for _ in range(2):
        clean.run(inp, out, quarantine, metrics, params)
        outputs.append([p.read_bytes() for p in shard_paths(out) + shard_paths(quarantine)])
    assert outputs[0] == outputs[1]


# --- properties --------------------------------------------------------------------------------

# Text in which the steps have something to do: mojibake, entities, controls, accents, spaces.
FRAGMENTS = [
    "a", "e", "Z", "9", " ", "  ", "\t", "\n", "\n\n\n", "\r\n", "\r", "\u00a0", "\u2028",
    "\x00", "\x07", "\x0c", "\x1f", "\x85", "\x9d", "\ufeff", "\u0301", "\u0308", "Ã", "©",
    "\u200b", "\u2060", "\u200c", "\u200d", "\u00ad", "&shy;",
    "â€™", "â€œ", "Ã©", "&", "&amp;", "&#233;", "&eacute;", "&para", "#", ";", "’", "é", "ß",
]  # fmt: skip
messy_text = st.one_of(st.text(), st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join))


@settings(max_examples=300, deadline=None)
@given(messy_text)
def test_normalize_whitespace_keeps_every_word_in_order(text):
    assert WORD.findall(normalize_whitespace(text)) == WORD.findall(text)


@settings(max_examples=300, deadline=None)
@given(text=messy_text, title=st.none() | messy_text)
def test_clean_is_idempotent(text, title):
    once = clean_record({"text": text, "title": title}, PARAMS)
    if isinstance(once, Rejected):
        return
    twice = clean_record(once, PARAMS)
    assert (twice["text"], twice["title"]) == (once["text"], once["title"])
    assert twice["clean_log"] == []
    assert twice["content_sha256"] == once["content_sha256"]


@settings(max_examples=300, deadline=None)
@given(text=messy_text, title=st.none() | messy_text)
def test_clean_log_accounts_for_every_character_removed(text, title):
    result = clean_record({"text": text, "title": title}, PARAMS)
    if isinstance(result, Rejected):
        return
    before = len(text) + len(title or "")
    after = len(result["text"]) + len(result["title"] or "")
    assert sum(e["chars_removed"] for e in result["clean_log"]) == before - after
    order = [name for name, _ in steps(PARAMS)]
    logged = [e["step"] for e in result["clean_log"]]
    assert logged == sorted(set(logged), key=order.index)  # pipeline order, each step once


WHITESPACE = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.text("abcXYZ019", min_size=1, max_size=5) | st.sampled_from(WHITESPACE), max_size=20
    ).map("".join)
)
def test_no_kind_of_white_space_glues_two_words(text):
    result = clean_record({"text": text, "title": None}, PARAMS)
    words = WORD.findall(text)
    if isinstance(result, Rejected):
        assert words == []
    else:
        assert WORD.findall(result["text"]) == words
