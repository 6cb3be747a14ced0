"""`dates_v5` and `entities_v5` (pipeline/annotators/date_tense.py, entity_names._one_line):
no span across a paragraph break, the ages v4 missed, and the future tenses v4 read as past."""

from __future__ import annotations

import pytest

from pipeline.annotators import Context, load_all
from tests.defaults import PARAMS

PUBLISHED = "2024-03-06"  # a Wednesday


def _columns(name: str, text: str) -> dict:
    record = {"id": "0" * 32, "text": text, "published_date": PUBLISHED}
    (columns,) = load_all()[name].annotate([record], Context([text], PARAMS.annotate))
    return columns


def _mentions(name: str, text: str) -> list[tuple[str, str | None]]:
    found = _columns(name, text)["dates_mentioned"]
    for m in found:
        assert text[m["start"] : m["end"]] == m["text"]
    return [(m["text"], m["date"]) for m in found]


def _dated(name: str, text: str, span: str) -> str | None:
    return dict(_mentions(name, text))[span]


@pytest.mark.parametrize(
    ("text", "span", "v4", "v5"),
    [
        # The future without "will": v4 took the day before the publication date.
        ("The summit is set to take place on May 16.", "May 16", "2023-05-16", "2024-05-16"),
        ("The bank is expected to raise rates on Friday.", "Friday", "2024-03-01", "2024-03-08"),
        ("The new phone goes on sale on April 2.", "April 2", "2023-04-02", "2024-04-02"),
        ("The exhibition runs through April 11.", "April 11", "2023-04-11", "2024-04-11"),
        ("The minister is holding a briefing on Friday.", "Friday", "2024-03-01", "2024-03-08"),
        # The past stays the past: a past tense, "was due to", a date inside a noun phrase.
        ("The summit took place on February 16.", "February 16", "2024-02-16", "2024-02-16"),
        ("He was due to be released from prison in September.", "September", "2023-09", "2023-09"),
        ("The firm says Monday's vote was a mistake.", "Monday", "2024-03-04", "2024-03-04"),
    ],
)  # fmt: skip
def test_dates_v5_reads_the_future_v4_read_as_past(text, span, v4, v5):
    assert _dated("dates_v4", text, span) == v4
    assert _dated("dates_v5", text, span) == v5


def test_dates_v5_drops_the_ages_v4_kept():
    text = (
        "The nine-month-old girl and her brother, aged 17, met a 93 year-old man on Monday. "
        "She learned to read at the age of four."
    )
    v4, v5 = dict(_mentions("dates_v4", text)), dict(_mentions("dates_v5", text))
    ages = {"nine-month-old", "17", "93 year-old", "the age of four"}
    assert ages & set(v4) and not ages & set(v5)
    assert v5["Monday"] == v4["Monday"] == "2024-03-04"


def test_a_dateline_is_dated_where_v4_ran_it_into_the_next_paragraph():
    text = "Tuesday, March 5, 2024\n\nThe Plains of Arafat were crowded on the day of the Hajj."
    dateline = [m for m in _mentions("dates_v5", text) if m[0].startswith("Tuesday")]
    assert dateline == [("Tuesday, March 5, 2024", "2024-03-05")]


@pytest.mark.parametrize(
    ("text", "v5"),
    [
        # A paragraph break ends a name; the model ran this one on.
        ("Read more from Joseph Cox\n\nCaudevilla said the drugs were pure.", "Joseph Cox"),
        # A single break after a long line is wrapped prose: the name goes on.
        (
            "The author would like to thank Andrea Marchesini, Anne van Kesteren and Ben\n"
            "Kelly for their help with the specification.",
            "Ben\nKelly",
        ),
    ],
)
def test_entities_v5_end_at_a_paragraph_break(text, v5):
    people = [
        e["text"] for e in _columns("entities_v5", text)["entities"] if e["label"] == "PERSON"
    ]
    assert v5 in people
    assert all("\n\n" not in p for p in people)
