"""Format readers: plain text, Markdown, JSONL and CSV exports (HTML: test_reader_html.py)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from pipeline.quarantine import Rejected
from pipeline.readers import drop_title, normalize_date
from pipeline.readers.markdown import read_markdown
from pipeline.readers.table import read_csv, read_jsonl
from pipeline.readers.text import read_text
from tests.defaults import PARAMS as DEFAULTS

PARAMS = DEFAULTS.ingest


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-05", "2024-03-05"),
        ("2024-03-05T23:30:00Z", "2024-03-05"),
        ("2024-03-05T10:00:00+02:00", "2024-03-05"),
        ("Tue, 05 Mar 2024 10:00:00 GMT", "2024-03-05"),
        ("last Tuesday", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_date(value, expected):
    assert normalize_date(value) == expected


def test_text_reader_takes_headline_and_drops_file_newline():
    (article,) = read_text("Headline\n\nFirst paragraph.\n\nSecond.\n", PARAMS)
    # The headline stays in the text until ingest knows the final title (drop_title).
    assert article == {"text": "Headline\n\nFirst paragraph.\n\nSecond.", "title": "Headline"}


# A first line that is a byline or a date is that, not the title; the next line may be the title.
TEXT_HEADERS = [
    (
        "By Jane Smith\n\nHarbour wall repaired\n\nWorkers finished.\n",
        {"author": "Jane Smith", "title": "Harbour wall repaired"},
        {"byline": "By Jane Smith"},
        "Workers finished.",
    ),
    (
        "March 5, 2024\n\nHarbour wall repaired\n\nWorkers finished.\n",
        {"published_date": "2024-03-05", "title": "Harbour wall repaired"},
        {"dateline": "March 5, 2024"},
        "Workers finished.",
    ),
    (  # both, in either order; what is no name leaves the author (byline.py); CRLF
        "Tuesday, 5 March 2024\r\n\r\nBY JOHN SMITH, Associated Press\r\n\r\n"
        "Harbour wall repaired\r\n\r\nWorkers finished.\r\n",
        {"author": "JOHN SMITH", "published_date": "2024-03-05", "title": "Harbour wall repaired"},
        {"dateline": "Tuesday, 5 March 2024", "byline": "BY JOHN SMITH, Associated Press"},
        "Workers finished.",
    ),
    (  # the next line is an opening, not a title
        "By Jane Smith and Tom Lee\n\nWorkers finished the wall.\n\nIt reopens.\n",
        {"author": "Jane Smith; Tom Lee", "title": None},
        {"byline": "By Jane Smith and Tom Lee"},
        "Workers finished the wall.\n\nIt reopens.",
    ),
]


@pytest.mark.parametrize(
    ("text", "fields", "extra", "body"), TEXT_HEADERS, ids=["byline", "date", "both", "no-title"]
)
def test_text_byline_or_date_first_line_is_no_title(text, fields, extra, body):
    (article,) = read_text(text, PARAMS)
    assert {k: article.get(k) for k in fields} == fields
    assert article["extra"] == extra  # the lines as written, kept in `metadata`
    # Not in the text: the title, when there is one, is its first block (drop_title).
    text = drop_title(article["text"], article["title"])
    assert text.replace("\r\n", "\n") == body


@pytest.mark.parametrize(
    "first",
    [
        "By the harbour wall",  # running text, not names
        "By Jane Smith | March 5, 2024",  # a date in it: no name has digits
        "May 2024",  # no day: not a date
    ],
)
def test_text_first_line_that_is_no_byline_or_date_stays_the_title(first):
    (article,) = read_text(f"{first}\n\nWorkers finished.\n", PARAMS)
    assert (article["title"], article.get("author"), article.get("published_date")) == (
        first,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("text", "title", "expected"),
    [
        ("Headline\n\nBody.", "Headline", "Body."),
        ("Headline\r\n \r\nBody.", "Headline", "Body."),  # CRLF, a space on the blank line
        ("\ufeffHeadline\n\nBody.", "Headline", "Body."),
        ("Rail  FARES\n\nBody.", "rail fares", "Body."),  # case and spacing do not count
        ("Headline\n\nBody.", "Another title", "Headline\n\nBody."),  # a heading is text
        ("Headline", "Headline", "Headline"),  # never emptied
        ("Headline\n\n  ", "Headline", "Headline\n\n  "),
        ("Headline\nBody.", "Headline", "Headline\nBody."),  # not a block of its own
        ("Headline\n\nBody.", None, "Headline\n\nBody."),
    ],
)
def test_drop_title(text, title, expected):
    assert drop_title(text, title) == expected


def test_markdown_front_matter_title_and_blocks():
    text = (
        "---\ntitle: Budget row\ndate: 2024-03-05\nauthor: [Ann Lee, Bo Chan]\ntags: [a]\n---\n"
        "# Council votes\n\nThe **council** met on [Monday](https://x.example/m) and\n"
        "agreed a plan.\n\n> “We will not back down,” she said.\n\n- one item\n- two items\n\n"
        "![chart](chart.png)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    (article,) = read_markdown(text, PARAMS)
    assert article["title"] == "Budget row"
    assert article["published_date"] == "2024-03-05"
    assert article["author"] == "Ann Lee; Bo Chan"
    assert article["extra"] == {"tags": ["a"]}
    assert article["text"].split("\n\n") == [
        "Council votes",  # kept: the front matter already gave the title
        "The council met on Monday and agreed a plan.",
        "“We will not back down,” she said.",
        "one item",
        "two items",
        "a | b",
        "1 | 2",
    ]


def test_markdown_first_h1_is_title_without_front_matter():
    (article,) = read_markdown("# Title here\n\nBody text.\n", PARAMS)
    # Kept in the text by the reader; ingest drops it once the title is final (drop_title).
    assert (article["title"], article["text"]) == ("Title here", "Title here\n\nBody text.")


def test_markdown_toml_front_matter():
    text = (
        '+++\ntitle = "Budget row"\ndate = 2024-03-05\nauthors = ["Ann Lee", "Bo Chan"]\n'
        "lastmod = 2024-03-06T10:00:00Z\n+++\n\nThe council met.\n"
    )
    (article,) = read_markdown(text, PARAMS)
    assert (article["title"], article["published_date"]) == ("Budget row", "2024-03-05")
    assert article["author"] == "Ann Lee; Bo Chan"
    assert article["text"] == "The council met."
    assert set(article["extra"]) == {"lastmod"}


def test_markdown_html_blocks_are_text():
    text = (
        "# Title\n\n<p>Written as <b>HTML</b> in the Markdown.</p>\n\nMarkdown again.\n\n"
        '<div class="note">\nA note.\n</div>\n\n<!-- a comment -->\n'
    )
    (article,) = read_markdown(text, PARAMS)
    assert article["text"].split("\n\n") == [
        "Title",
        "Written as HTML in the Markdown.",
        "Markdown again.",
        "A note.",
    ]


# Front matter its language cannot read is refused, as Jekyll and Hugo refuse the file: read as
# Markdown it would publish the metadata as the first paragraph and the article without them.
BAD_FRONT_MATTER = [
    (
        "---\ntitle: Breaking: Markets fall sharply\nauthor: Tom Lee\n---\nShares fell.\n",
        "YAML front matter: mapping values are not allowed here (line 2, column 16)",
    ),
    (
        "---\ntitle: [unclosed\n---\nBody.\n",
        "YAML front matter: expected ',' or ']', but got '<stream end>' (line 2, column 17)",
    ),
    ('+++\ntitle = "unclosed\n+++\nBody.\n', "TOML front matter: Unterminated string"),
    (
        '+++\ntitle = "T"\nauthor = @\n+++\nBody.\n',
        "TOML front matter: Invalid value (line 3, column 10)",
    ),
]


@pytest.mark.parametrize(
    ("text", "detail"), BAD_FRONT_MATTER, ids=["yaml", "yaml-flow", "toml", "toml-line"]
)
def test_markdown_front_matter_that_does_not_parse_is_quarantined(text, detail):
    (rejected,) = read_markdown(text, PARAMS)
    assert isinstance(rejected, Rejected)
    assert (rejected.reason, rejected.detail) == ("bad_front_matter", detail)


def test_markdown_rule_and_heading_that_read_as_yaml_but_no_mapping_stay_text():
    # A thematic break, then a setext heading: "Introduction" is YAML too, but a string.
    (article,) = read_markdown("---\nIntroduction\n---\nBody.\n", PARAMS)
    assert article["text"] == "Introduction\n\nBody."


JSONL = "\n".join(
    [
        json.dumps(
            {
                "text": "One.",
                "title": "T1",
                "url": "https://a.example/1",
                "date": "2024-01-02",
                "tag": "x",
            }
        ),
        "not json",
        "",
        json.dumps(["a", "list"]),
        json.dumps({"title": "no text"}),
        json.dumps({"summary": "Not a text column.", "headline": "H"}),
    ]
)


def test_jsonl_one_article_per_line_bad_lines_rejected_alone():
    items = read_jsonl(JSONL, PARAMS)
    assert [i.reason if isinstance(i, Rejected) else "ok" for i in items] == [
        "ok",
        "bad_row",
        "bad_row",
        "bad_row",
        "bad_row",  # "summary" is none of ingest.fields.text
    ]
    first = items[0]
    assert first["row"] == 1 and first["published_date"] == "2024-01-02"
    assert first["extra"] == {"tag": "x"}
    assert [i.row for i in items if isinstance(i, Rejected)] == [2, 4, 5, 6]


def test_jsonl_columns_are_configurable():
    fields = replace(DEFAULTS.ingest.fields, text=("story",), title=("headline",))
    line = json.dumps({"story": "Custom column.", "headline": "H", "text": "not the text"})
    (article,) = read_jsonl(line, replace(DEFAULTS.ingest, fields=fields))
    assert (article["text"], article["title"], article["row"]) == ("Custom column.", "H", 1)
    assert article["extra"] == {"text": "not the text"}


def test_csv_rows_quoted_commas_and_newlines():
    text = (
        'title,text,author\nA,"Text, with comma\nand a line break.",Ann\nB,,Bo\nC,Three.,Cy,extra\n'
    )
    items = read_csv(text, PARAMS)
    assert items[0]["text"] == "Text, with comma\nand a line break."
    assert items[0]["author"] == "Ann" and items[0]["row"] == 1
    assert [(i.reason, i.row) for i in items[1:]] == [("bad_row", 2), ("bad_row", 3)]


def test_csv_long_field_is_read():
    text = "text\n" + '"' + "word " * 60_000 + '"\n'
    (article,) = read_csv(text, PARAMS)
    assert len(article["text"]) == 300_000


def test_json_export_one_object_or_an_array():
    from pipeline.readers.table import read_json

    news_please = {  # news-please writes one such object a file
        "title": "Council votes",
        "maintext": "The council voted on Monday.",
        "authors": ["Ann Lee"],
        "date_publish": "2017-02-17 13:53:46",
        "source_domain": "example.com",
        "url": "https://example.com/a",
        "language": "en",
    }
    (article,) = read_json(json.dumps(news_please), DEFAULTS.ingest)
    assert (article["text"], article["author"], article["published_date"]) == (
        "The council voted on Monday.",
        "Ann Lee",
        "2017-02-17",
    )
    assert (article["publisher"], article["row"]) == ("example.com", 1)
    assert article["extra"] == {"language": "en"}
    array = json.dumps([news_please, "no article", {"title": "no text"}])
    items = read_json(array, DEFAULTS.ingest)
    assert [getattr(i, "reason", "ok") for i in items] == ["ok", "bad_row", "bad_row"]
    (broken,) = read_json("{not json", DEFAULTS.ingest)
    assert broken.reason == "bad_row" and broken.detail.startswith("not JSON")


def test_json_export_as_an_api_answer_or_json_lines_and_names_as_objects():
    from pipeline.readers.table import read_json

    newsapi = {  # NewsAPI's answer: the articles in one array, the publisher an object
        "status": "ok",
        "totalResults": 2,
        "articles": [
            {
                "source": {"id": None, "name": "Harbour News"},
                "author": {"name": "Ann Lee"},
                "title": "Pier reopens",
                "content": "The pier reopened on Monday.",
                "publishedAt": "2024-03-05T09:00:00Z",
            },
            {"title": "No text", "description": "Only a summary."},
        ],
    }
    first, second = read_json(json.dumps(newsapi), DEFAULTS.ingest)
    assert (first["text"], first["author"], first["publisher"], first["published_date"]) == (
        "The pier reopened on Monday.",
        "Ann Lee",
        "Harbour News",
        "2024-03-05",
    )
    assert second.reason == "bad_row"
    lines = "\n".join(json.dumps({"title": t, "text": f"{t} text."}) for t in ("One", "Two"))
    assert [a["title"] for a in read_json(lines, DEFAULTS.ingest)] == ["One", "Two"]
    # an object with its own text is one article, whatever arrays it holds
    (one,) = read_json(json.dumps({"text": "Body.", "tags": [{"a": 1}]}), DEFAULTS.ingest)
    assert one["text"] == "Body."


# Windows line endings (CRLF, as Notepad and Excel save): front matter and the .txt headline
# are found as with LF.
CRLF_FRONT_MATTER = [
    "---\r\ntitle: Harbour wall repaired\r\nauthor: Jane Roe\r\ndate: 2024-03-05\r\n---\r\n",
    '+++\r\ntitle = "Harbour wall repaired"\r\nauthor = "Jane Roe"\r\ndate = 2024-03-05\r\n+++\r\n',
]


@pytest.mark.parametrize("front_matter", CRLF_FRONT_MATTER, ids=["yaml", "toml"])
def test_markdown_front_matter_with_windows_line_endings(front_matter):
    text = front_matter + "\r\nWorkers finished the repairs.\r\nThe road reopens.\r\n"
    (article,) = read_markdown(text, PARAMS)
    assert (article["title"], article["author"], article["published_date"]) == (
        "Harbour wall repaired",
        "Jane Roe",
        "2024-03-05",
    )
    assert article["text"] == "Workers finished the repairs. The road reopens."


def test_text_headline_with_windows_line_endings():
    (article,) = read_text("Harbour wall repaired\r\n\r\nWorkers finished.\r\n", PARAMS)
    assert article["title"] == "Harbour wall repaired"
    assert drop_title(article["text"], article["title"]) == "Workers finished."


def test_markdown_inline_br_is_a_line_break():
    text = "Visit us at:<br>12 Harbour Road<BR/>Portsmouth<br />PO1 2AB\n\nOpen <b>daily</b>.\n"
    (article,) = read_markdown(text, PARAMS)
    assert article["text"] == "Visit us at:\n12 Harbour Road\nPortsmouth\nPO1 2AB\n\nOpen daily."


# Excel's first line "sep=;" names the separator; it is not the header.
@pytest.mark.parametrize("sep", [";", "\t", ","])
def test_csv_excel_sep_line_names_the_separator(sep):
    text = f"sep={sep}\r\nTitle{sep}Text{sep}Author\r\nHarbour plan{sep}The council met.{sep}Jo\r\n"
    (article,) = read_csv(text, PARAMS)
    assert (article["title"], article["text"], article["author"]) == (
        "Harbour plan",
        "The council met.",
        "Jo",
    )
    assert (article["row"], article["extra"]) == (1, {})


def test_csv_space_after_the_separator_before_a_quoted_field():
    text = 'title, text, author\n"Harbour plan", "Text, with a comma.", "Jo Bloggs"\n'
    (article,) = read_csv(text, PARAMS)
    assert (article["title"], article["text"], article["author"]) == (
        "Harbour plan",
        "Text, with a comma.",
        "Jo Bloggs",
    )


def _outcomes(items):
    return [(i.reason, i.row) if isinstance(i, Rejected) else (i["title"], i["row"]) for i in items]


def test_csv_stray_quote_never_closed_is_quarantined_not_merged():
    text = (
        'title,text\nOne,"Fine text."\nTwo,"stray quote here\nThree,The third article text.\n'
        "Four,The fourth.\n"
    )
    items = read_csv(text, PARAMS)
    assert _outcomes(items) == [("One", 1), ("bad_row", 2)]
    assert items[1].detail == (
        "row 2: a quoted field is never closed: lines 3-5, to the end of the file, read as one"
        " row (a stray quote?)"
    )


def test_csv_stray_quote_on_the_last_line_is_quarantined():
    items = read_csv('title,text\nOne,Fine.\nTwo,"The second.\n', PARAMS)
    assert _outcomes(items) == [("One", 1), ("bad_row", 2)]


def test_csv_stray_quote_closed_wrongly_later_is_quarantined_not_merged():
    text = 'title,text\nOne,Fine.\nTwo,"stray quote here\nThree,"The third."\nFour,The fourth.\n'
    items = read_csv(text, PARAMS)
    assert _outcomes(items) == [("One", 1), ("bad_row", 2), ("Four", 3)]
    assert items[1].detail == (
        "row 2: a quoted field closes wrongly on line 4 (',' expected after '\"'): lines 3-4 read"
        " as one row (a stray quote?)"
    )


@pytest.mark.parametrize(
    "text",
    [
        'title,text\nA,"Line one\nline two, with a comma."\nB,Two.\n',  # each line two cells
        'title,text\r\nA,"Line one\r\n\r\nline two."\r\nB,"Two."',  # CRLF, no final newline
        'title,text\nA,"He said ""yes""\nand left."\nB,Two.\n',  # doubled quotes inside
    ],
)
def test_csv_quoted_fields_over_line_breaks_stay_one_article(text):
    assert _outcomes(read_csv(text, PARAMS)) == [("A", 1), ("B", 2)]
