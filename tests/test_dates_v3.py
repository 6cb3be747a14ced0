"""`dates_v3`: DATE entities that name no date, and days a verbless clause does not place
(date_guards.py, dates.py)."""

from __future__ import annotations

import pytest
import spacy
from spacy.tokens import Span

from pipeline.annotators import Context, load_all
from pipeline.annotators import nlp as nlp_module
from pipeline.annotators.date_guards import date_span, names_no_date
from tests.defaults import PARAMS

PUBLISHED = "2024-10-10"  # a Thursday
LATEST = PARAMS.annotate.dates.latest_year


@pytest.fixture(scope="module")
def dates():
    """dates(version, text) -> [(text, date)], offsets checked."""
    nlp_module.load(PARAMS.annotate.spacy_model)
    registry = load_all()

    def run(version: str, text: str) -> list[tuple[str, str | None]]:
        record = {"id": "0" * 32, "text": text, "published_date": PUBLISHED}
        (columns,) = registry[version].annotate([record], Context([text], PARAMS.annotate))
        for d in columns["dates_mentioned"]:
            assert text[d["start"] : d["end"]] == d["text"]
        return [(d["text"], d["date"]) for d in columns["dates_mentioned"]]

    return run


def _entity(text: str, words: str) -> Span:
    """A DATE span over the first occurrence of `words` in `text` (spaCy's tokenizer, no model)."""
    doc = spacy.blank("en")(text)
    span = doc.char_span(text.index(words), text.index(words) + len(words), label="DATE")
    assert span is not None
    doc.ents = [span]
    return span


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("He was arrested at 1119 Eighth St. on Monday.", "1119"),  # an address
        ("She lives at 2134 Caldwell Place, police said.", "2134"),
        ("A resolution of 1080 pixels by 1920 pixels.", "1920"),  # a measure
        ("Passengers of Flight 1549 were rescued.", "1549"),  # a thing's number
        ("| Ryan Blaney | 2339 | 1 | 1 |", "2339"),  # later than annotate.dates.latest_year
        ("The crowds came out for Black Friday deals.", "Friday"),  # a named day
        ("Rain is forecast for Super Tuesday.", "Tuesday"),
    ],
)
def test_entities_that_name_no_date(text, words):
    assert names_no_date(_entity(text, words), LATEST)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("The company was founded in 1119 by monks.", "1119"),
        ("The 2020 Audi e-tron goes on sale.", "2020"),  # a model year before a name
        ("Emissions must fall by 2100, the report said.", "2100"),
        ("Unveiled at CES 2020 in Las Vegas.", "2020"),
        ("The production model 2020 LC 500 Convertible.", "2020"),
        ("They met on Friday.", "Friday"),
        ("Last Friday the talks broke down.", "Friday"),  # "last" names no day
    ],
)
def test_years_and_days_stay_dates(text, words):
    assert not names_no_date(_entity(text, words), LATEST)


def test_date_span_drops_the_spaces_and_punctuation_it_ran_on_to():
    text = "Posted November 4, 2019\n\nSubscribe now."
    doc = spacy.blank("en")(text)
    start = text.index("November")
    span = doc.char_span(start, text.index("Subscribe"), label="DATE", alignment_mode="expand")
    assert date_span(span).text == "November 4, 2019"


def test_v3_against_v2_on_real_parses(dates):
    address = "Police arrested Jane Doe, 32, of 1119 Eighth St. on Tuesday."
    assert ("1119", "1119") in dates("dates_v2", address)
    assert ("1119", None) in dates("dates_v3", address)
    assert ("Tuesday", "2024-10-08") in dates("dates_v3", address)  # a past clause: last Tuesday

    shopping = "The Black Friday sales begin."
    assert dates("dates_v2", shopping) == [("Friday", "2024-10-04")]  # the Friday before
    assert dates("dates_v3", shopping) == [("Friday", None)]


def test_a_day_in_a_clause_without_a_verb_is_not_placed(dates):
    # a tour's list: no verb says whether June 9 is the June before publication or after it
    tour = (
        "The 2020 tour:\n\nJune 9 – West Palm Beach, FL @ Coral Sky Amphitheatre\n\n"
        "June 10 – Tampa, FL @ MidFlorida Amphitheatre"
    )
    assert dates("dates_v2", tour)[1:] == [("June 9", "2024-06-09"), ("June 10", "2024-06-10")]
    assert dates("dates_v3", tour) == [("2020", "2020"), ("June 9", None), ("June 10", None)]
    # with a verb the tense still places it, before or after
    assert dates("dates_v3", "The band played in Tampa on June 9.") == [("June 9", "2024-06-09")]
    assert dates("dates_v3", "The band will play in Tampa on June 9.") == [("June 9", "2025-06-09")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The minister resigned yesterday.", [("yesterday", "2024-10-09")]),
        ("The minister will resign on Tuesday.", [("Tuesday", "2024-10-15")]),
        ("The minister resigned in December.", [("December", "2023-12")]),
        ("The minister resigned last year.", [("last year", "2023")]),
        ("It began on 5 March 2024.", [("5 March 2024", "2024-03-05")]),
        ("The bridge was built in 1905.", [("1905", "1905")]),
    ],
)
def test_v3_resolves_what_v2_resolves(dates, text, expected):
    assert dates("dates_v3", text) == dates("dates_v2", text) == expected
