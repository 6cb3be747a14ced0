"""The byline of a web page: JSON-LD, then <meta>, then the body; only what is no name removed."""

from __future__ import annotations

import json

import lxml.html
import pytest

from pipeline.readers.html_author import page_author
from pipeline.readers.html_metadata import first_values, meta_values

BODY = "<p>" + "Words of the article. " * 20 + "</p>"


def page(head: str = "", byline: str = "", site: str | None = None) -> str | None:
    html = f"<html><head>{head}</head><body>{byline}<article>{BODY}</article></body></html>"
    tree = lxml.html.fromstring(html)
    return page_author(tree, meta_values(tree), site)


def ld(data: object, cdata: bool = False) -> str:
    text = json.dumps(data)
    if cdata:
        text = f"<![CDATA[{text}]]>"
    return f'<script type="application/ld+json">{text}</script>'


def test_json_ld_people_first_then_meta() -> None:
    head = (
        ld({"@type": "NewsArticle", "author": [{"@type": "Person", "name": "Ann Lee"}, "Bo Chan"]})
        + '<meta name="author" content="Someone Else">'
    )
    assert page(head) == "Ann Lee; Bo Chan"


def test_json_ld_in_cdata_and_references_in_a_graph() -> None:
    graph = {
        "@graph": [
            {"@type": "WebPage", "@id": "p", "author": {"@id": "#/person/1"}},
            {"@type": "Person", "@id": "#/person/1", "name": "Lewis White"},
        ]
    }
    assert page(ld(graph, cdata=True)) == "Lewis White"


def test_json_ld_comments_and_other_objects_are_not_the_article() -> None:
    head = ld({"@type": "Comment", "author": {"name": "A Commenter"}})
    assert page(head, '<span class="author">By Dana Scully</span>') == "Dana Scully"


def test_meta_keys_in_readability_order_and_property_over_name() -> None:
    head = (
        '<meta name="author" content="Meta Name Author">'
        '<meta name="DC.creator" content="Dublin Core Name">'
        '<meta property="dc:creator" content="Dublin Core Property">'
    )
    assert page(head) == "Dublin Core Property"


@pytest.mark.parametrize(
    ("declared", "author"),
    [
        ("Bradley M. Kuhn (http://ebb.org/bkuhn/)", "Bradley M. Kuhn"),
        ("By Jane Doe", "Jane Doe"),
        ("Jane Doe jane@example.org", "Jane Doe"),
        ("Mac & i", "Mac & i"),  # kept as written: declared, not split on "&"
        ("Kooman, F.", "Kooman, F."),
        ("https://example.org/authors/jane", None),  # a profile URL names no one
    ],
)
def test_declared_names_lose_only_what_is_no_name(declared: str, author: str | None) -> None:
    assert page(f'<meta name="author" content="{declared}">') == author


@pytest.mark.parametrize(
    ("byline", "author"),
    [
        ("By Nathan Willis March 25, 2015", "Nathan Willis"),
        ("By Joe Wee Monday, February 29, 2016", "Joe Wee"),
        ("By GILLIAN MOHNEY March 11, 2015 3:46 PM", "GILLIAN MOHNEY"),
        ("Carrie Arnold 12 November 2019", "Carrie Arnold"),
        ("Written by Rob Ewaschuk Edited by Betsy Beyer", "Rob Ewaschuk"),
        ("By Brenda Goodman, MA", "Brenda Goodman"),
        ("By Ann Lee and Bo Chan", "Ann Lee; Bo Chan"),
        ("By Theresa May", "Theresa May"),  # a month name with no date after it is a name
        ("Posted by Jane Doe", "Jane Doe"),
        ("Posted by John Smith on March 5, 2019", "John Smith"),
        ("Published by Ann Lee | Updated 5 June 2020", "Ann Lee"),
        ("AFP", "AFP"),  # capitals alone are an agency, not a credential
    ],
)
def test_body_byline_without_dates_editors_or_credentials(byline: str, author: str) -> None:
    assert page(byline=f'<div class="author">{byline}</div>') == author


def test_a_name_once_whatever_its_case() -> None:
    head = ld({"@type": "Article", "author": ["STEVEN SOLOMON", "Steven Solomon", "Bo Chan"]})
    assert page(head) == "Steven Solomon; Bo Chan"


def test_organization_or_the_site_named_as_author_comes_after_the_body_byline() -> None:
    org = ld({"@type": "NewsArticle", "author": {"@type": "Organization", "name": "Sky"}})
    site = ld({"@type": "NewsArticle", "author": {"@type": "Person", "name": "AppleInsider"}})
    byline = '<span class="author">Tom Gillespie</span>'
    assert page(org, byline) == "Tom Gillespie"
    assert page(site, byline, site="AppleInsider") == "Tom Gillespie"
    assert page(org) == "Sky"  # no byline: the organization is the author the page gives
    assert page(site, site="appleinsider") == "AppleInsider"


def test_no_author_anywhere() -> None:
    assert page() is None
    broken = '<script type="application/ld+json">{oops</script>'
    assert page(ld({"@type": "Article"}) + broken) is None


def test_job_titles_agencies_and_the_site_are_no_names() -> None:
    # every source goes through `byline_names`: JSON-LD, <meta> and the body
    head = ld({"@type": "NewsArticle", "author": "MEG KINNARD and ERRIN HAINES, Associated Press"})
    assert page(head) == "MEG KINNARD; ERRIN HAINES"
    assert page('<meta name="author" content="Jill Disis, CNN Business">', site="CNN") == (
        "Jill Disis"
    )
    byline = '<span class="byline">By GREG BEACHAM, AP Sports Writer</span>'
    assert page(byline=byline) == "GREG BEACHAM"


def test_every_meta_tag_of_the_first_author_key_is_an_author() -> None:
    # An Internet-Draft has one DC.Creator per author: the second is no less an author.
    head = (
        '<meta name="DC.Creator" content="Kooman, F.">'
        '<meta name="DC.Creator" content="Jong, Michiel de">'
        '<meta name="author" content="Someone Else">'
    )
    assert page(head) == "Kooman, F.; Jong, Michiel de"
    assert page('<meta name="author" content="Ann Lee"><meta name="author" content="ann lee">') == (
        "Ann Lee"
    )


def test_first_values_keep_the_first_of_equal_keys() -> None:
    tree = lxml.html.fromstring(
        '<html><head><meta name="author" content="Ann Lee"><meta name="author" content="Bo Chan">'
        '<meta property="og:title" content="Title"></head><body></body></html>'
    )
    assert first_values(meta_values(tree)) == {"author": "Ann Lee", "og:title": "Title"}
    assert meta_values(tree)["author"] == ["Ann Lee", "Bo Chan"]


@pytest.mark.parametrize("label", ["Follow Author", "Subscribe", "Sign in", "Share this story"])
def test_a_control_where_a_byline_is_looked_for_is_no_author(label: str) -> None:
    button = f'<form class="follow-author-form"><button>{label}</button></form>'
    assert page(byline=button) is None
    # the next candidate is the byline (both found by the same XPath, the button first)
    assert page(byline=f'{button}<section class="post-author">By Jane Doe</section>') == (
        "Jane Doe"
    )
    # a declared author that is a label gives way to the next source
    assert page(
        f'<meta name="author" content="{label}">', '<span class="author">Bo Chan</span>'
    ) == ("Bo Chan")
