"""`byline_names`: the names in an author as a page writes it (pipeline/readers/byline.py)."""

from __future__ import annotations

import pytest

from pipeline.readers.byline import byline_names, is_ui_label, names_only


@pytest.mark.parametrize(
    ("author", "site", "names"),
    [
        ("GREG BEACHAM, AP Sports Writer", None, ["GREG BEACHAM"]),  # a job title
        ("Tom Gillespie News reporter", None, ["Tom Gillespie"]),  # ... with no separator
        ("Jane Doe Reporter", None, ["Jane Doe"]),
        ("JILL LAWLESS Associated Press", None, ["JILL LAWLESS"]),  # a wire service
        ("Jill Disis, CNN Business", "CNN", ["Jill Disis"]),  # the site
        ("Troy L. Smith, Cleveland.com", None, ["Troy L. Smith"]),  # a domain
        ("Amy Kuperinsky | NJ Advance Media for NJ.com", None, ["Amy Kuperinsky"]),
        ("Ilana Muhlstein, MS, RDN", None, ["Ilana Muhlstein"]),  # credentials
        ("Analysis by Chris Cillizza, CNN Editor-at-large", None, ["Chris Cillizza"]),
        ("By John Smith, Staff Reporter", None, ["John Smith"]),
        ("BY: Jane Doe", None, ["Jane Doe"]),
        ("Tom Gillespie News reporter @TomGillespie1", None, ["Tom Gillespie"]),  # a handle
        ("MEG KINNARD and ERRIN HAINES, Associated Press", None, ["MEG KINNARD", "ERRIN HAINES"]),
    ],
)
def test_what_is_no_name_goes(author, site, names):
    assert byline_names(author, site) == names


@pytest.mark.parametrize(
    "author",
    [
        "Kooman, F.",  # "Last, First"
        "Doe, Jane",
        "Mac & i",  # a magazine, not two people
        "Johnson & Johnson",
        "Bruce Y. Lee",  # an initial's full stop is no separator
        "John Smith, III",  # a suffix, not credentials
        "Associated Press",  # the whole byline an agency: it is the author
        "Senior Editor",
        "News Nation Bureau",  # an organisation's byline keeps its words
        "Practical Horseman Editorial Staff",
        "Dr. Jane Doe",
        "Byron Smith",
    ],
)
def test_names_stay_as_written(author):
    assert byline_names(author, "Example News") == [author]


@pytest.mark.parametrize(
    ("byline", "names"),
    [
        ("Jane Doe", True),
        ("Ludwig van Beethoven and Jane Doe", True),
        ("A. N. Other & B. Roe", True),
        ("Authority control", False),  # a box whose class "authority-control" held "author"
        ("The Russian and Syrian defense ministries", False),
        ("jdadmin", False),
    ],
)
def test_a_body_byline_is_names_only(byline, names):
    assert names_only(byline) is names


def test_a_site_is_named_word_for_word():
    assert byline_names("Jones, Skylar", "Sky") == ["Jones, Skylar"]
    assert byline_names("Doe, F.", "Foo F. C.") == ["Doe, F."]
    assert byline_names("Jane Doe, CNN", "CNN Business") == ["Jane Doe"]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Follow Author", True),
        ("FOLLOW", True),
        ("Sign in", True),
        ("Log In to comment", True),
        ("S'abonner", True),
        ("Thomas More", False),  # words a name may hold are not in the list
        ("Signe Inman", False),  # whole words only
        ("Jane Doe", False),
    ],
)
def test_labels_of_controls(text, label):
    assert is_ui_label(text) is label
    assert (byline_names(text, None) == []) is label
