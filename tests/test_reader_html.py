"""The HTML reader: main text with paragraph breaks, declared metadata, no_content, no raising."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.quarantine import NO_CONTENT, Rejected
from pipeline.readers.html import options_from, parse, pruning_lost_article, read_html
from pipeline.readers.html_metadata import site_name
from pipeline.readers.html_prune import prune
from tests.defaults import PARAMS

HTML_PARAMS = PARAMS.ingest.html

HTML = Path(__file__).resolve().parent / "data" / "html"

ARTICLE_TEXT = """\
The town council voted on Tuesday to build three new cycle lanes connecting the railway station \
to the town centre, after a consultation that drew more than 2,000 responses.

Work on the first route, along Mill Road, will start in May. The council said the lanes would \
cost £1.2 million, paid for by a regional transport grant & local funds.

What residents said

Most respondents supported the plan, though shop owners on Mill Road raised concerns about \
deliveries and parking during the works.

“This is the safest way to get children to school,” said one parent who responded to the \
consultation.

The three routes are:

Mill Road, from the station to the market square
Canal Street, along the towpath to the leisure centre
Church Lane, past the primary school

Route | Length
Mill Road | 1.4 km
Canal Street | 2.1 km

A final decision on the Church Lane route is expected next month,
once the council has reviewed the traffic survey."""


@pytest.fixture
def html_dir() -> Path:
    return HTML


@pytest.fixture
def article_html(html_dir: Path) -> str:
    """A local news page: head metadata, cookie banner, nav, article, related, comments, footer."""
    return (html_dir / "article.html").read_text(encoding="utf-8")


def read_one(text: str, params=None) -> dict:
    items = read_html(text, params)
    assert len(items) == 1
    (item,) = items
    assert not isinstance(item, Rejected), item
    return item


def page(body: str, head: str = "", lang: str = "") -> str:
    """A small page around `body`, with enough text for trafilatura to call it an article."""
    filler = (
        "<p>The library will open on Sundays from next month, the council said on Monday.</p>"
        "<p>Opening hours on weekdays stay the same, and the reading room keeps late nights.</p>"
    )
    attrs = f' lang="{lang}"' if lang else ""
    return f"<!DOCTYPE html><html{attrs}><head>{head}</head><body>{body}{filler}</body></html>"


# --- main text -----------------------------------------------------------------------------


def test_article_text_is_the_article_with_its_blocks(article_html: str) -> None:
    assert read_one(article_html)["text"] == ARTICLE_TEXT


def test_paragraphs_are_separated_by_one_blank_line(article_html: str) -> None:
    text = read_one(article_html)["text"]
    blocks = text.split("\n\n")
    assert len(blocks) == 9
    assert "\n\n\n" not in text
    assert all(block == block.strip() and block for block in blocks)


@pytest.mark.parametrize(
    "marker",
    [
        "SCRIPT-TEXT-MUST-NOT-APPEAR",  # <script> in <head>
        "INLINE-SCRIPT-MUST-NOT-APPEAR",  # <script> inside the article
        "NAVLINK",  # <nav> in the site header
        "RELATEDLINK",  # <aside class="related-links">
        "COMMENTTEXT",  # the comments section
        "FOOTERTEXT",  # the site footer
        "cookies",  # the cookie banner
        "font-family",  # <style>
    ],
)
def test_boilerplate_is_dropped(article_html: str, marker: str) -> None:
    assert marker not in read_one(article_html)["text"]


def test_headline_is_not_repeated_in_text(article_html: str) -> None:
    article = read_one(article_html)
    assert article["title"] == "Council approves new cycle lanes"
    assert not article["text"].startswith(article["title"])


def test_entities_are_decoded(article_html: str) -> None:
    text = read_one(article_html)["text"]
    assert "£1.2 million" in text and "grant & local funds" in text
    assert "“This is the safest way" in text
    assert "&pound;" not in text and "&amp;" not in text and "&ldquo;" not in text


def test_line_break_inside_a_paragraph_is_kept(article_html: str) -> None:
    assert "next month,\nonce the council" in read_one(article_html)["text"]


STORY = [
    "The ferry will run twice a day from June, the harbour board said after its meeting.",
    "Tickets go on sale next week, and residents of the island travel at half price.",
    "The board will review the timetable in the autumn, once it has a summer of figures.",
]


@pytest.mark.parametrize("sep", ["<br><br>", "<br>\n<br>", "<br/> <br/><br/>"])
def test_two_line_breaks_are_a_paragraph_break(sep: str) -> None:
    # Older sites and forums separate paragraphs with <br><br> and no <p> at all.
    text = read_one(page(f'<div class="story">{sep.join(STORY)}</div>'))["text"]
    assert text.split("\n\n")[:3] == STORY


def test_preformatted_text_keeps_its_lines() -> None:
    poem = "<pre>Roses are red,\n  violets are blue,\nsugar is sweet.</pre>"
    shell = "<pre>curl -O https://example.org/data.csv\nwc -l data.csv</pre>"
    text = read_one(page(f"<article><p>{STORY[0]}</p>{poem}<p>{STORY[1]}</p>{shell}</article>"))[
        "text"
    ]
    assert "Roses are red,\nviolets are blue,\nsugar is sweet." in text
    assert "curl -O https://example.org/data.csv\nwc -l data.csv" in text


def test_fragment_without_html_element_is_read(html_dir: Path) -> None:
    article = read_one((html_dir / "fragment.html").read_text(encoding="utf-8"))
    assert article["text"].split("\n\n") == [
        "The waiting list for allotments in the borough has closed after reaching 600 names, "
        "the parks department said on Friday.",
        "People already on the list will keep their place. The department expects to reopen it "
        "next spring, once twelve new plots at Hill Farm are ready.",
    ]
    assert article["language"] is None and article["url"] is None


def test_prune_drops_hidden_and_boilerplate_but_not_content_elements() -> None:
    tree = parse(
        "<html><body>"
        '<div hidden><p>HIDDEN-ATTR</p></div><div style="display: none">HIDDEN-STYLE</div>'
        '<div aria-hidden="true">ARIA-HIDDEN</div><div role="navigation">ROLE-NAV</div>'
        '<div class="share-social">SOCIAL</div><div id="comments-list">COMMENTS</div>'
        '<article class="post commented">ARTICLE-KEPT<div class="main-content comment">MAYBE-KEPT'
        '</div></article><table><tr><td class="sidebar">IN-TABLE-KEPT</td></tr></table>'
        "<figure><img src=x.jpg><figcaption>CAPTION-KEPT</figcaption></figure>"
        "</body></html>"
    )
    text = " ".join(prune(tree).itertext())
    for gone in ("HIDDEN-ATTR", "HIDDEN-STYLE", "ARIA-HIDDEN", "ROLE-NAV", "SOCIAL", "COMMENTS"):
        assert gone not in text
    for kept in ("ARTICLE-KEPT", "MAYBE-KEPT", "IN-TABLE-KEPT", "CAPTION-KEPT"):
        assert kept in text
    assert tree.find(".//figure") is None and tree.find(".//p") is not None  # caption -> <p>


def _sidebar_page(paragraphs: int) -> str:
    """A page whose article body sits in a container named like boilerplate ("sidebar").

    Only its lede (over `prune_min_chars`) is outside the container: pruning by class names keeps
    the lede and loses the rest.
    """
    lede = (
        "<p>The regional water board said on Wednesday that the reservoir above the valley had "
        "reached its lowest level since records began in 1921, after the driest summer in a "
        "century, and that it would ask every household in the district to cut its use of "
        "water by a fifth until the autumn rains had refilled it to at least half of its "
        "capacity. Hosepipes are banned from Monday and car washes must close at weekends.</p>"
        "<p>Farmers may still draw water for livestock and for crops under glass, the board "
        "said.</p>"
    )
    towns = ["Ashford", "Brampton", "Carlow", "Dunmore", "Elmstead", "Fenwick", "Glenholm"]
    body = "".join(
        f"<p>In {towns[i % len(towns)]}, paragraph {i} of the report says, engineers counted "
        f"{100 + i} leaking mains last month and repaired {50 + i} of them; the rest will be "
        f"fixed by the end of the year, when a new pumping station opens near the old mill "
        f"and the board reviews the ban on hosepipes and sprinklers for the {i + 2}nd time.</p>"
        for i in range(paragraphs)
    )
    return (
        "<!DOCTYPE html><html lang=en><head><title>Reservoir at record low</title></head><body>"
        '<nav><a href="/">Home</a> <a href="/news">News</a></nav>'
        f'<article><h1>Reservoir at record low</h1>{lede}<div class="story-sidebar-wrap">'
        f"{body}</div></article><footer>FOOTERTEXT</footer></body></html>"
    )


def test_pruning_that_loses_the_article_falls_back_to_the_whole_page() -> None:
    """The guard: pruned text < prune_min_share of the whole page's words -> the whole page."""
    page_html = _sidebar_page(paragraphs=20)
    article = read_one(page_html, HTML_PARAMS)
    assert article["extra"]["extraction"].startswith("unpruned")
    assert "paragraph 19 of the report" in article["text"]
    assert article["text"].startswith("The regional water board")
    # Without it the pruned page wins (its lede is over prune_min_chars): the article is lost.
    lede_only = read_one(page_html, replace(HTML_PARAMS, prune_min_share=0.0))
    assert lede_only["extra"]["extraction"].startswith("pruned")
    assert "paragraph" not in lede_only["text"]


@pytest.mark.parametrize(
    ("pruned_words", "whole_words", "lost"),
    [
        (100, 2000, True),  # 5 %: pruning removed nearly all of what trafilatura keeps
        (100, 1000, False),  # 10 %: exactly the share, pruning is trusted
        (300, 1000, False),  # the usual case: navigation, teasers, galleries removed
        (1000, 1000, False),
        (5, 1000, True),  # short (< prune_min_chars): Readability's own retry
        (5, 50, False),  # ... but not when the whole page is no article either
    ],
)
def test_pruning_lost_article(pruned_words: int, whole_words: int, lost: bool) -> None:
    options = replace(HTML_PARAMS, prune_min_share=0.1, prune_min_chars=500)
    pruned, whole = " ".join(["words"] * pruned_words), " ".join(["words"] * whole_words)
    assert pruning_lost_article(pruned, whole, options) is lost


# --- metadata ------------------------------------------------------------------------------


def test_article_metadata(article_html: str) -> None:
    article = read_one(article_html)
    assert {
        k: article[k] for k in ("author", "language", "published_date", "url", "publisher")
    } == {
        "author": "Priya Shah",
        "language": "en",
        "published_date": "2024-03-05",
        "url": "https://gazette.example.org/news/cycle-lanes",  # canonical, not og:url
        "publisher": "The Riverside Gazette",
    }
    assert article["extra"]["description"].startswith("Three new routes")
    assert article["extra"]["hostname"] == "gazette.example.org"
    assert article["extra"]["extraction"] in {"pruned", "pruned+recall"}


@pytest.mark.parametrize(
    ("head", "body", "title"),
    [
        # declared headline wins over <title> and <h1>
        (
            '<meta property="og:title" content="Declared"><title>Other - Site</title>',
            "",
            "Declared",
        ),
        # ... with the site name cut off when the page names its site
        (
            '<meta property="og:title" content="Bridge reopens | Gazette">'
            '<meta property="og:site_name" content="Gazette">',
            "",
            "Bridge reopens",
        ),
        # Dublin Core first, property over name, several keys in one property
        (
            '<meta name="og:title" content="By name"><meta property="og:title twitter:title" '
            'content="By property"><meta property="dc:title" content="Dublin Core">',
            "",
            "Dublin Core",
        ),
        ('<meta name="og:title" content="By name">', "", "By name"),
        # <title>: the segment that is the <h1>
        (
            "<title>Site News | Bridge reopens after repairs</title>",
            "<h1>Bridge reopens after repairs</h1>",
            "Bridge reopens after repairs",
        ),
        # <title>: an <h1> that is the short last segment is the logo, i.e. the site name
        (
            "<title>Outside the web: standalone binaries · V8</title>",
            "<h1>V8</h1>",
            "Outside the web: standalone binaries",
        ),
        # <title>: a short last segment after a longer headline is the site name
        (
            "<title>Lorem ipsum dolor sit amet – My website</title>",
            "",
            "Lorem ipsum dolor sit amet",
        ),
        # ... but not when it is the longer part
        (
            "<title>News: The bridge over the river reopens</title>",
            "",
            "News: The bridge over the river reopens",
        ),
        ("<title>  Plain   title </title>", "", "Plain title"),
        # no <title>: the first <h1>
        ("", "<h1>Only a heading</h1>", "Only a heading"),
    ],
)
def test_title(head: str, body: str, title: str) -> None:
    assert read_one(page(body, head))["title"] == title


@pytest.mark.parametrize(
    ("lang", "head", "language"),
    [
        ("en-US", "", "en"),
        ("pt_BR", "", "pt"),
        ("DE", "", "de"),
        ("zh-Hant-TW", "", "zh"),
        ("english", "", None),  # not a language tag
        ("", '<meta http-equiv="Content-Language" content="fr-CA, en">', "fr"),
        ("", '<meta property="og:locale" content="es_ES">', "es"),
        ("", "", None),
    ],
)
def test_declared_language(lang: str, head: str, language: str | None) -> None:
    assert read_one(page("", head, lang))["language"] == language


@pytest.mark.parametrize(
    ("head", "url"),
    [
        ('<link rel="canonical" href="https://example.org/a">', "https://example.org/a"),
        (
            '<link rel="canonical" href="/relative"><meta property="og:url" '
            'content="https://example.org/og">',
            "https://example.org/og",
        ),
        ('<link rel="canonical" href="http://[broken">', None),
        ("", None),
    ],
)
def test_canonical_url(head: str, url: str | None) -> None:
    assert read_one(page("", head))["url"] == url


HOME = '<link rel="canonical" href="https://metronews.example/">'
OG_HOME = '<meta property="og:url" content="https://metronews.example">'


@pytest.mark.parametrize(
    ("head", "url"),
    [
        # A home page in every article's canonical link or og:url (a misconfigured template) is
        # no article's URL: the next URL the page gives is taken, else none.
        (HOME, None),
        ('<link rel="canonical" href="https://metronews.example">', None),
        ('<link rel="canonical" href="https://metronews.example/?utm_source=rss#top">', None),
        (HOME + OG_HOME, None),
        (
            HOME + '<meta property="og:url" content="https://metronews.example/city/tram-line">',
            "https://metronews.example/city/tram-line",
        ),
        (
            OG_HOME + '<link rel="canonical" href="https://metronews.example/city/tram-line">',
            "https://metronews.example/city/tram-line",
        ),
        # A query that names the article makes the site's root an article's URL (WordPress).
        (
            '<link rel="canonical" href="https://metronews.example/?p=4512">',
            "https://metronews.example/?p=4512",
        ),
        (HOME + '<base href="https://metronews.example/">', None),  # trafilatura's fallback
    ],
)
def test_a_home_page_is_no_article_url(head: str, url: str | None) -> None:
    article = read_one(page("", head))
    assert article["url"] == url
    assert article["extra"]["hostname"] == "metronews.example"  # the site is still known


@pytest.mark.parametrize(
    ("head", "date"),
    [
        ('<meta property="article:published_time" content="2023-11-02T08:00:00Z">', "2023-11-02"),
        ('<meta property="article:published_time" content="2999-01-01">', None),  # > date_max
        ("", None),
    ],
)
def test_published_date(head: str, date: str | None) -> None:
    assert read_one(page("", head))["published_date"] == date


# --- no content, garbage, determinism, params ----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "hello",
        "<<<>>>",
        "<html><body></body></html>",
        "\x00\x01\x02\x03 binary \xff\xfe",
        pytest.param("<div>" * 3000 + "</div>" * 3000, id="deeply-nested"),
    ],
)
def test_garbage_is_no_content(text: str) -> None:
    (item,) = read_html(text)
    assert isinstance(item, Rejected) and item.reason == NO_CONTENT


def test_page_of_boilerplate_only_is_no_content(html_dir: Path) -> None:
    (item,) = read_html((html_dir / "boilerplate-only.html").read_text(encoding="utf-8"))
    assert isinstance(item, Rejected) and item.reason == NO_CONTENT


def test_same_input_same_output(article_html: str) -> None:
    assert read_html(article_html) == read_html(article_html)


def test_params_by_attribute_name(article_html: str) -> None:
    strict = replace(HTML_PARAMS, min_text_chars=10_000)
    (item,) = read_html(article_html, strict)
    assert isinstance(item, Rejected) and "min_text_chars=10000" in item.detail
    # the whole Params object works too: its `html` section is used
    (item,) = read_html(article_html, SimpleNamespace(html=strict))
    assert isinstance(item, Rejected)
    assert options_from(None) == HTML_PARAMS  # no params: the repository's params.yaml
    with pytest.raises(TypeError):
        options_from(SimpleNamespace(unrelated=1))


# fmt: off
_TAGS = ["p", "div", "h1", "h2", "ul", "li", "table", "tr", "td", "br", "script", "nav", "a",
         "blockquote", "pre", "code", "figure", "figcaption", "title", "meta", "html", "body"]
# fmt: on
_html_soup = st.lists(
    st.one_of(
        st.sampled_from(_TAGS).map(lambda t: f"<{t}>"),
        st.sampled_from(_TAGS).map(lambda t: f"</{t}>"),
        st.sampled_from(
            [
                '<meta property="og:title" content="x">',
                '<html lang="en-GB">',
                "&amp;",
                "&#0;",
                "&#xD800;",
                "<!--",
                "-->",
                "<![CDATA[",
                "\x00",
            ]
        ),
        st.text(max_size=40),
    ),
    max_size=40,
).map("".join)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), _html_soup))
def test_never_raises_on_garbage(text: str) -> None:
    items = read_html(text)
    assert len(items) == 1
    (item,) = items
    if isinstance(item, Rejected):
        assert item.reason == NO_CONTENT
    else:
        assert item["text"] == item["text"].strip() and "\n\n\n" not in item["text"]
        assert len(item["text"]) >= HTML_PARAMS.min_text_chars
    assert read_html(text) == items  # deterministic


# --- the Readability test pages ------------------------------------------------------------


@pytest.mark.integration
def test_readability_corpus_targets() -> None:
    """Acceptance: median F1 >= 0.98 and mean F1 >= 0.96 over the real pages (source > 4 KB)."""
    from bench.readability_eval import CorpusMissing, corpus_dir, evaluate

    start = time.perf_counter()
    try:
        result = evaluate(corpus_dir(), engines=("ours",))
    except CorpusMissing as exc:
        pytest.skip(str(exc))
    summary = result["summary"]["ours"]
    assert summary["cases"] >= 60
    assert summary["median_f1"] >= 0.98, summary
    assert summary["mean_f1"] >= 0.96, summary
    assert time.perf_counter() - start < 60


# --- the article-extraction benchmark (held out: nothing was tuned on it) ------------------

# A page scored this much F1 below plain trafilatura is "much worse". The caption convention
# differs between the two sets (Mozilla's expected text keeps <figcaption>, the benchmark's
# ground truth drops it; `include_captions` follows Mozilla): captions alone cost a page up to
# 0.13 here (phys.org), a lost article costs far more (the page: 0.10 against 0.98).
MUCH_WORSE_F1 = 0.15
LOST_RECALL = 0.1  # recall this much below plain trafilatura's: (part of) the article lost


@pytest.mark.integration
def test_extraction_benchmark_not_worse_than_trafilatura() -> None:
    """Acceptance: mean F1 (the benchmark's evaluate.py) at least plain trafilatura's, and no
    page that loses the article or scores much worse than plain trafilatura."""
    from bench.extraction_eval import CorpusMissing, corpus_dir, evaluate

    try:
        result = evaluate(corpus_dir(), PARAMS.ingest, n_bootstrap=0)
    except CorpusMissing as exc:
        pytest.skip(str(exc))
    summary = result["summary"]["all"]
    assert summary["ours"]["pages"] >= 180
    assert summary["ours"]["f1"] >= summary["trafilatura"]["f1"], summary
    rows = [(r["key"], r["ours"], r["trafilatura"]) for r in result["rows"]]
    lost = [k for k, ours, peer in rows if ours["recall"] < peer["recall"] - LOST_RECALL]
    worse = [k for k, ours, peer in rows if ours["f1"] < peer["f1"] - MUCH_WORSE_F1]
    assert not lost and not worse, (lost, worse)


@pytest.mark.parametrize(
    ("declared", "publisher"),
    [
        ("https://www.newsnation.in", "newsnation.in"),  # a URL: its host
        ("@politifact", "politifact"),  # a handle
        ("Copyright 2014", None),  # a copyright line, no name
        ("© 2019 Example Media", "Example Media"),
        ("BBC News", "BBC News"),
        ("Mac & i", "Mac & i"),
        ("U.S. News", "U.S. News"),
    ],
)
def test_publisher_is_a_site_name(declared, publisher):
    assert site_name(declared) == publisher
