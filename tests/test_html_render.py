"""html_render: trafilatura's XML as text; tables laid out for the page versus data tables."""

from __future__ import annotations

import pytest
from lxml import etree

from pipeline.readers.html import read_html
from pipeline.readers.html_render import render

STORY = [
    "The ferry will run twice a day from June, the harbour board said after its meeting.",
    "Tickets go on sale next week, and residents of the island travel at half price.",
    "The board will review the timetable in the autumn, once it has a summer of figures.",
]
PARAGRAPHS = "".join(f"<p>{s}</p>" for s in STORY)


def rendered(xml: str) -> str:
    return render(etree.fromstring(f"<body>{xml}</body>"))


@pytest.mark.parametrize(
    "cell",
    [
        f"<head>Ferry timetable set</head>{PARAGRAPHS}",  # a heading and paragraphs
        PARAGRAPHS,  # paragraphs only
        "<lb/><lb/>".join(STORY),  # <br><br> between paragraphs, no <p>
        f"{STORY[0]}<p>{STORY[1]}</p><p>{STORY[2]}</p>",  # text, then paragraphs
    ],
)
def test_paragraphs_in_a_layout_table_cell_stay_paragraphs(cell: str) -> None:
    text = rendered(f"<table><row><cell>Home</cell><cell>{cell}</cell></row></table>")
    assert text.split("\n\n")[-3:] == STORY
    assert " | " not in text


def test_long_prose_in_a_cell_is_a_layout() -> None:
    prose = " ".join(STORY * 3)  # one paragraph of over 500 characters
    text = rendered(f"<table><row><cell>Menu</cell><cell>{prose}</cell></row></table>")
    assert text == f"Menu\n\n{prose}"


def test_a_layout_table_keeps_line_breaks_and_text_around_it() -> None:
    cell = "<head>Changes</head><p>+ Added slime<lb/>+ Added banners</p>"
    text = rendered(f"<p>Before.</p><table><row><cell>{cell}</cell></row></table><p>After.</p>")
    assert text == "Before.\n\nChanges\n\n+ Added slime\n+ Added banners\n\nAfter."


DATA = (
    "<table><row><cell role='head'>Route</cell><cell role='head'>Length</cell></row>"
    "<row><cell>Mill Road</cell><cell>1.4 km</cell></row>"
    "<row><cell>Canal Street<lb/>(towpath)</cell><cell>2.1 km</cell></row></table>"
)


def test_a_data_table_is_rows_of_cells() -> None:
    assert rendered(DATA) == "Route | Length\nMill Road | 1.4 km\nCanal Street (towpath) | 2.1 km"


def test_a_data_table_with_one_layout_like_cell_stays_a_data_table() -> None:
    # An infobox or a list of films: one cell with a paragraph in it among many short ones.
    rows = "".join(f"<row><cell>Film {i}</cell><cell>{1990 + i}</cell></row>" for i in range(9))
    odd = "<row><cell>Groundhog Day</cell><cell>1993<p>remade 2017</p></cell></row>"
    text = rendered(f"<table>{rows}{odd}</table>")
    assert text.split("\n")[0] == "Film 0 | 1990"
    assert text.split("\n")[-1] == "Groundhog Day | 1993 remade 2017"


def test_a_data_table_inside_a_layout_cell_stays_a_data_table() -> None:
    cell = f"{PARAGRAPHS}{DATA}"
    text = rendered(f"<table><row><cell>{cell}</cell></row></table>")
    assert text.split("\n\n") == [*STORY, rendered(DATA)]


def test_a_page_laid_out_in_a_table_keeps_its_paragraphs() -> None:
    body = (
        '<table><tr><td><a href="/">Home</a></td><td><h2>Ferry timetable set</h2>'
        f"{PARAGRAPHS}</td></tr></table>"
    )
    html = f"<!DOCTYPE html><html><head><title>Ferry</title></head><body>{body}</body></html>"
    (article,) = read_html(html)
    assert article["text"].split("\n\n")[-3:] == STORY
