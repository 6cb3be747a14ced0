"""An export's text written as HTML is read as text (pipeline/readers/markup.py)."""

from __future__ import annotations

import json

import pytest

from pipeline.readers.markup import is_markup, markup_text
from pipeline.readers.table import read_csv, read_jsonl
from tests.defaults import PARAMS

INGEST = PARAMS.ingest


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>One <b>bold</b> claim.</p><p>Two &amp; three.</p>", "One bold claim.\n\nTwo & three."),
        # paragraphs by blank lines, words marked with inline tags (WordPress without wpautop)
        (
            "First <em>para</em>.\n\nSecond with a <a href='x'>link</a>.",
            "First para.\n\nSecond with a link.",
        ),
        ("<h2>Sub</h2><ul><li>one</li><li>two</li></ul>", "Sub\n\none\ntwo"),
        ("Before<script>var x = 1;</script> after<br>next line", "Before after\nnext line"),
        (
            "<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>",
            "a | b\n1 | 2",
        ),
        # two or more <br> are a paragraph break, one is a line break
        ("<p>One<br><br>Two</p>", "One\n\nTwo"),
        (
            "One.<br>\n<br> Two,<br>still two.<br><br><br>Three.",
            "One.\n\nTwo,\nstill two.\n\nThree.",
        ),
        ("<pre>a = 1\nb = 2</pre>", "a = 1\nb = 2"),
        # pretty-printed: every tag on a line of its own
        ("<p>\n  One.\n</p>\n<p>\n  Two.\n</p>", "One.\n\nTwo."),
        ("<p>“Yes,” she said.</p>", "“Yes,” she said."),
        ('Read <a href="https://example.org/a"> the report </a> first.', "Read the report first."),
        ("<strong>Results </strong>", "Results"),
    ],
)
def test_markup_text(html, text):
    assert is_markup(html)
    assert markup_text(html) == text


@pytest.mark.parametrize(
    "text",
    [
        "Plain text.\n\nTwo paragraphs.",
        "If x < y and y > z, then x < z.",
        "A <b or c> d",
        # tags named in running text are words of the text
        "The post mentions the <br> tag and the </b> tag in passing.",
        'Lines are broken with <br>. Use "<p>" or (<div>) for blocks, and `</li>`.',
        "Close it with </p> and open the next with <p> as usual.",
    ],
)
def test_plain_text_is_not_markup(text):
    assert not is_markup(text)


def test_exports_read_html_bodies_as_text():
    body = "<p>The council met.</p><p>It agreed &amp; voted.</p>"
    (row,) = read_jsonl(json.dumps({"title": "T", "content": body}), INGEST)
    assert row["text"] == "The council met.\n\nIt agreed & voted."
    (row,) = read_csv('title,text\n"T","' + body + '"\n', INGEST)
    assert row["text"] == "The council met.\n\nIt agreed & voted."


def test_an_export_text_that_names_tags_keeps_them():
    text = "The guide mentions the <br> tag and the </b> tag, then moves on."
    (row,) = read_jsonl(json.dumps({"title": "T", "text": text}), INGEST)
    assert row["text"] == text


def test_an_html_body_without_text_is_no_text():
    (item,) = read_jsonl(json.dumps({"title": "T", "text": "<p><img src='a.png'></p>"}), INGEST)
    assert item.reason == "bad_row"
