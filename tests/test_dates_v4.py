"""`dates_v4`: DATE entities that name no time on the calendar are no date mentions
(pipeline/annotators/dates.py, date_guards.is_date)."""

from __future__ import annotations

import pytest

from pipeline.annotators import Context, load_all
from tests.defaults import PARAMS

PUBLISHED = "2024-03-10"


def _mentions(name: str, text: str) -> list[tuple[str, str | None]]:
    record = {"id": "0" * 32, "text": text, "published_date": PUBLISHED}
    (columns,) = load_all()[name].annotate([record], Context([text], PARAMS.annotate))
    for m in columns["dates_mentioned"]:
        assert text[m["start"] : m["end"]] == m["text"]
    return [(m["text"], m["date"]) for m in columns["dates_mentioned"]]


@pytest.mark.parametrize(
    ("text", "no_dates", "dates"),
    [
        (
            "Jacobsen, 21, said the 31-year-old striker, who is in his mid-thirties, scored in "
            "the first half on Tuesday, 5 March 2024.",
            ["21", "31-year-old", "mid-thirties", "the first half"],
            [("Tuesday", "2024-03-05"), ("March 2024", "2024-03")],
        ),
        (
            "The band played in the seventies and again in '94; sales rose in Q3 and at "
            "Christmas, for fans aged under 30 and those 30-39.",
            ["under 30", "30-39"],
            [("the seventies", None), ("'94", None), ("Q3", None), ("Christmas", None)],
        ),
        (
            "The server at 192.168.1.1 failed last week, the firm said on its quarterly call.",
            ["192.168.1.1 failed", "quarterly"],
            [("last week", None)],
        ),
    ],
)
def test_dates_v4_drops_what_names_no_time_on_the_calendar(text, no_dates, dates):
    v3 = _mentions("dates_v3", text)
    # the model's DATE entities as v3 published them, with a null date ...
    assert [m for m in v3 if m[0] in no_dates] == [(t, None) for t in no_dates]
    # ... are gone in v4, and every other mention is v3's
    assert _mentions("dates_v4", text) == [m for m in v3 if m[0] not in no_dates] == dates


def test_dates_v4_dates_a_span_within_one_year_by_that_year():
    text = (
        "Sales fell at the end of 2004 and should recover by mid-2005, as they have every year "
        "since 2001 and between 1996 and 1998. In the first six months of 2005 and the third "
        "quarter of 2004 the rate was flat; in spring 2006 it rose."
    )
    v3 = dict(_mentions("dates_v3", text))
    v4 = dict(_mentions("dates_v4", text))
    within = {
        "the end of 2004": "2004",
        "mid-2005": "2005",
        "the first six months of 2005": "2005",
        "the third quarter of 2004": "2004",
        "spring 2006": "2006",
    }
    assert {span: v3[span] for span in within} == dict.fromkeys(within)
    assert {span: v4[span] for span in within} == within
    # spans that reach past one year keep v3's date
    assert v4["between 1996 and 1998"] is None and v4["2001"] == "2001"
