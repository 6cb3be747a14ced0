"""Which key holds which record field (`ingest.fields`), the same in exports, front matter and
sidecars, and only values a field can hold: the rest is kept in `metadata` as written."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
import yaml

from pipeline.ingest import parse_seed
from pipeline.params import ParamsError, parse
from pipeline.quarantine import Rejected
from pipeline.readers.fields import export_date, metadata_fields
from pipeline.readers.markdown import read_markdown
from pipeline.readers.table import read_csv, read_jsonl
from tests.defaults import PARAMS as DEFAULTS

REPO = Path(__file__).resolve().parent.parent

FIELDS = DEFAULTS.ingest.fields


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2017-07-21", "2017-07-21"),
        ("2017-07-21T23:30:00Z", "2017-07-21"),
        ("Fri, 21 Jul 2017 10:00:00 GMT", "2017-07-21"),
        ("July 21, 2017", "2017-07-21"),
        ("Friday, July 21, 2017", "2017-07-21"),
        ("Friday 21st July 2017", "2017-07-21"),
        ("21 Jul 2017", "2017-07-21"),
        ("Jul. 21, 2017 10:30 AM", "2017-07-21"),
        ("21 July 2017 at 10:30 GMT", "2017-07-21"),
        ("Sept. 5, 2017", "2017-09-05"),
        ("2017 July 21", "2017-07-21"),
        (date(2017, 7, 21), "2017-07-21"),  # YAML front matter reads dates as dates
        (datetime(2017, 7, 21, 23, 30), "2017-07-21"),
        # Not read: which number is the month is a guess; a weekday or month alone is no date.
        ("03/04/2017", None),
        ("21/07/2017", None),
        ("July 2017", None),
        ("last Tuesday", None),
        ("July 32, 2017", None),
        # Unix time: seconds or milliseconds, told apart by size (only one lies in 2000-2099)
        (1500000000, "2017-07-14"),
        (1500000000000, "2017-07-14"),
        ("1500000000", "2017-07-14"),
        (1500000000 + 86399, "2017-07-15"),  # the UTC day
        (900000000, None),  # 1998: before 2000, no export's time stamp
        (2017, None),  # a year is no time stamp
        (True, None),
        ("2017/07/21", "2017-07-21"),  # year first: no guess
        ("2017/7/21 10:30", "2017-07-21"),
        ("", None),
        (None, None),
    ],
)
def test_export_date(value, expected):
    assert export_date(value) == expected


def test_keys_match_ignoring_case_and_the_first_key_with_a_value_decides():
    meta = {"Headline": " A title ", "title": "", "Link": "https://a.example/1", "tags": ["x"]}
    found, used = metadata_fields(meta, FIELDS)
    assert found == {"title": "A title", "url": "https://a.example/1"}
    assert used == {"Headline", "Link"}


def test_a_value_the_field_cannot_hold_is_not_replaced_by_a_later_key():
    # "date" comes before "date_created" and has a value: its value decides, and it is no
    # date that can be read, so the field stays empty rather than taking the other date.
    found, used = metadata_fields({"date": "03/04/2017", "date_created": "2017-07-18"}, FIELDS)
    assert found == {} and used == set()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["Ann Lee", "Bo Chan"], "Ann Lee; Bo Chan"),
        ([{"@type": "Person", "name": "Ann Lee"}, {"name": "Bo Chan"}], "Ann Lee; Bo Chan"),
        ([{"id": 7}], None),  # not a name: kept in metadata as it is
        ({"name": "Ann Lee"}, "Ann Lee"),  # schema.org's Person, one of them
        ("Ann Lee", "Ann Lee"),
        ("GREG BEACHAM, AP Sports Writer", "GREG BEACHAM"),  # as the HTML reader gives it
        (["Kooman, F.", "Jill Disis, Associated Press"], "Kooman, F.; Jill Disis"),
    ],
)
def test_authors(value, expected):
    found, _ = metadata_fields({"authors": value}, FIELDS)
    assert found.get("author") == expected


def test_jsonl_export_with_other_names_keeps_every_untaken_key():
    row = {
        "id": "GUM_news_afghan",
        "title": "Afghan team honored",
        "source_url": "https://en.wikinews.org/wiki/A",
        "author": ["Wikinews"],
        "date_created": "2017-07-18",
        "date": "03/04/2017",  # decides the date (listed first) and is unreadable: kept as written
        "source": {"id": "wikinews", "name": "Wikinews"},  # NewsAPI's shape: the name is taken
        "text": "Afghan team honored\n\nThe team won.",
    }
    (article,) = read_jsonl(json.dumps(row), DEFAULTS.ingest)
    assert {k: article[k] for k in ("title", "url", "author", "published_date", "publisher")} == {
        "title": "Afghan team honored",
        "url": "https://en.wikinews.org/wiki/A",
        "author": "Wikinews",
        "published_date": None,
        "publisher": "Wikinews",
    }
    assert article["extra"] == {
        "id": "GUM_news_afghan",
        "date_created": "2017-07-18",
        "date": "03/04/2017",
    }


def test_csv_headers_in_any_case():
    text = 'Headline,Body,Published,Byline\nA,The text.,"July 21, 2017",Ann\n'
    (article,) = read_csv(text, DEFAULTS.ingest)
    assert (article["title"], article["text"], article["published_date"], article["author"]) == (
        "A",
        "The text.",
        "2017-07-21",
        "Ann",
    )
    assert article["extra"] == {}


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_csv_separator_is_the_headers(sep):
    text = f'title{sep}text{sep}author\nA{sep}"One, two; three."{sep}Ann\n'
    (article,) = read_csv(text, DEFAULTS.ingest)
    assert (article["title"], article["text"]) == ("A", "One, two; three.")
    assert article["author"] == "Ann"


def test_a_text_column_holding_no_text_is_named():
    (rejected,) = read_jsonl(json.dumps({"body": ["a", "list"]}), DEFAULTS.ingest)
    assert isinstance(rejected, Rejected) and "'body' holds no text" in rejected.detail


def test_markdown_front_matter_keeps_the_keys_it_did_not_take():
    text = "---\nheadline: T\npublished: 2024-03-05\ndate: 2024-03-06\nsource: Daily\n---\nBody.\n"
    (article,) = read_markdown(text, DEFAULTS.ingest)
    assert (article["title"], article["published_date"], article["publisher"]) == (
        "T",
        "2024-03-06",  # `date` comes before `published` in ingest.fields
        "Daily",
    )
    assert article["extra"] == {"published": date(2024, 3, 5)}


def test_a_sidecar_reads_the_same_keys():
    sidecar = {"Headline": "H", "pubDate": "July 21, 2017"}
    seed = {
        "source": "a.txt",
        "source_sha256": "0" * 64,
        "raw": b"Some text of the article.\n",
        "sidecar": json.dumps(sidecar).encode(),
        "sidecar_name": "a.txt.meta.json",
    }
    (record,) = parse_seed(seed, DEFAULTS.ingest)
    assert (record["title"], record["published_date"]) == ("H", "2017-07-21")
    assert json.loads(record["metadata"])["sidecar"] == sidecar  # every key kept


def test_a_key_listed_for_two_fields_or_a_field_without_keys_is_refused():
    raw = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    raw["ingest"]["fields"]["publisher"].append("Byline")
    with pytest.raises(ParamsError, match="'Byline' is listed for both author and publisher"):
        parse(raw)
    raw["ingest"]["fields"]["publisher"].pop()
    raw["ingest"]["fields"]["text"] = []
    with pytest.raises(ParamsError, match="text: needs at least one key"):
        parse(raw)
