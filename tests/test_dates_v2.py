"""`dates_v2`: dates mentioned, relative ones resolved against `published_date` (dates.py)."""

from __future__ import annotations

import pytest

from pipeline.annotators import Context, load_all
from pipeline.annotators import nlp as nlp_module
from tests.defaults import PARAMS

PUBLISHED = "2024-10-10"  # a Thursday


@pytest.fixture(scope="module")
def dates():
    """dates(text, published_date) -> [(text, date)] of dates_v2, offsets checked."""
    nlp_module.load(PARAMS.annotate.spacy_model)
    annotator = load_all()["dates_v2"]

    def run(text: str, published: str | None = PUBLISHED) -> list[tuple[str, str | None]]:
        record = {"id": "0" * 32, "text": text, "published_date": published}
        (columns,) = annotator.annotate([record], Context([text], PARAMS.annotate))
        for d in columns["dates_mentioned"]:
            assert text[d["start"] : d["end"]] == d["text"]
            assert set(d) == {"text", "date", "start", "end"}
        return [(d["text"], d["date"]) for d in columns["dates_mentioned"]]

    return run


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The minister resigned yesterday.", [("yesterday", "2024-10-09")]),
        ("The minister resigns tomorrow.", [("tomorrow", "2024-10-11")]),
        ("The minister resigned on Tuesday.", [("Tuesday", "2024-10-08")]),
        ("The minister will resign on Tuesday.", [("Tuesday", "2024-10-15")]),
        ("The minister resigned last Friday.", [("last Friday", "2024-10-04")]),
        ("The minister resigned in April.", [("April", "2024-04")]),
        ("The minister resigned in December.", [("December", "2023-12")]),
        ("The minister will resign in December.", [("December", "2024-12")]),
        ("The minister resigned on March 5.", [("March 5", "2024-03-05")]),
        ("The minister resigned last year.", [("last year", "2023")]),
        ("The minister will resign next year.", [("next year", "2025")]),
        ("The minister resigned this month.", [("this month", "2024-10")]),
        ("The minister resigned earlier this week.", [("earlier this week", "2024-10")]),
        ("The minister resigned two days ago.", [("two days ago", "2024-10-08")]),
        ("The minister resigned three years ago.", [("three years ago", "2021")]),
        ("Seventeen years ago she arrived.", [("Seventeen years ago", "2007")]),
        ("It began on 5 March 2024.", [("5 March 2024", "2024-03-05")]),  # explicit, as in v1
    ],
)
def test_relative_dates_resolved_against_the_publication_date(dates, text, expected):
    assert dates(text) == expected


def test_a_week_across_two_months_is_not_one_month(dates):
    # published Thursday 10 October 2024: last week is 30 September - 6 October
    assert dates("The minister resigned last week.") == [("last week", None)]


@pytest.mark.parametrize(
    "text", ["The deal took shape in the 1990s.", "Prices rose in recent years."]
)
def test_vague_dates_stay_null(dates, text):
    assert [iso for _, iso in dates(text)] == [None]


def test_without_a_publication_date_only_explicit_dates_are_resolved(dates):
    text = "It began in March 2024 and ended yesterday."
    assert dates(text, None) == [("March 2024", "2024-03"), ("yesterday", None)]
    assert dates(text, "not a date") == [("March 2024", "2024-03"), ("yesterday", None)]


def test_v1_is_unchanged_by_the_publication_date():
    text = "It ended yesterday."
    record = {"id": "0" * 32, "text": text, "published_date": PUBLISHED}
    (columns,) = load_all()["dates_v1"].annotate([record], Context([text], PARAMS.annotate))
    assert columns["dates_mentioned"][0]["date"] is None
