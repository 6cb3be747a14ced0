"""What a web page declares about its article: title, author, language, date, URL, publisher.

Sources: <meta> (Dublin Core, OpenGraph, Twitter), JSON-LD, <html lang>, <link rel=canonical>.
trafilatura reads site name, description and (with htmldate, from markup only unless
`date_extensive_search`) the publication date; the title (pipeline/readers/html_title.py),
author (pipeline/readers/html_author.py), language and canonical URL are chosen here. Nothing
depends on the clock (`date_max`).
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit

from lxml.html import HtmlElement
from trafilatura.metadata import extract_metadata

from pipeline.ids import is_site_root
from pipeline.params import HtmlParams
from pipeline.readers import Article
from pipeline.readers.html_author import page_author
from pipeline.readers.html_title import choose_title, squash

LOGGER = logging.getLogger(__name__)


def page_metadata(tree: HtmlElement, options: HtmlParams) -> Article:
    """Title, author, language, date, canonical URL and publisher the page declares; a URL that
    is the site's home page is no article's URL (the next the page gives is taken, or none)."""
    values = meta_values(tree)
    meta = first_values(values)
    found = _declared_metadata(tree, options)
    publisher = site_name(meta.get("og:site_name") or found.get("sitename"))
    declared = declared_urls(tree, meta, found.get("url"))
    url = next((u for u in declared if not is_site_root(u)), None)
    extra = {
        "description": found.get("description"),
        "image": found.get("image"),
        "hostname": _hostname(url or next(iter(declared), None)),  # a home page names the site
        "categories": found.get("categories"),
        "tags": found.get("tags"),
        "license": found.get("license"),
    }
    return Article(
        title=choose_title(tree, meta, publisher) or squash(found.get("title")),
        author=page_author(tree, values, publisher),
        language=declared_language(tree, meta),
        published_date=_iso_date(found.get("date")),
        url=url,
        publisher=publisher,
        extra={key: value for key, value in extra.items() if value},
    )


def _declared_metadata(tree: HtmlElement, options: HtmlParams) -> dict[str, Any]:
    """trafilatura's metadata (meta tags, JSON-LD, htmldate), {} if it fails."""
    date_config = {
        "original_date": True,  # publication, not last modification
        "extensive_search": options.date_extensive_search,
        "max_date": options.date_max,
    }
    try:
        return extract_metadata(tree, date_config=date_config).as_dict()
    except Exception as exc:  # noqa: BLE001 (a metadata bug must not cost the article)
        LOGGER.debug("trafilatura metadata failed: %r", exc)
        return {}


# "Copyright 2014", "© 2019 Example Media": a copyright line where a site name was expected.
_COPYRIGHT = re.compile(
    r"^(?:copyright\b|©|\(c\))\s*(?:©\s*)?(?:\d{4}(?:\s*[-–]\s*\d{4})?)?\W*", re.IGNORECASE
)


def site_name(value: str | None) -> str | None:
    """A declared site name as a name: a URL is its host ("https://www.tmz.com" -> "tmz.com"),
    a handle loses its "@" ("@politifact"), a copyright line its "Copyright 2014"; None when no
    name is left."""
    name = squash(value)
    if not name:
        return None
    if "://" in name:
        host = _hostname(name)
        name = host.removeprefix("www.") if host else None
    else:
        name = _COPYRIGHT.sub("", name.removeprefix("@")).strip()
    return name if name and any(c.isalpha() for c in name) else None


def _hostname(url: str | None) -> str | None:
    try:
        return urlsplit(url).hostname if url else None
    except ValueError:  # e.g. an unclosed "[" of an IPv6 address
        return None


def first_values(values: dict[str, list[str]]) -> dict[str, str]:
    """The first of each key's `meta_values`."""
    return {key: listed[0] for key, listed in values.items()}


def meta_values(tree: HtmlElement) -> dict[str, list[str]]:
    """Every `<meta>` content by lower-cased key, in document order (a page may name several
    authors, one tag each); `property` (RDFa, OpenGraph) wins over `name`.

    One `property` may hold several keys ("og:title twitter:title"); "DC.title" is "dc:title".
    """
    by_property: dict[str, list[str]] = {}
    by_name: dict[str, list[str]] = {}
    for el in tree.iter("meta"):
        content = squash(el.get("content"))
        if not content:
            continue
        for key in (el.get("property") or "").split():
            by_property.setdefault(_meta_key(key), []).append(content)
        for attr in ("name", "itemprop"):
            if el.get(attr):
                by_name.setdefault(_meta_key(el.get(attr)), []).append(content)
    return {**by_name, **by_property}


def _meta_key(key: str) -> str:
    return _META_PREFIX.sub(r"\1:", key.strip().lower())


_META_PREFIX = re.compile(r"^(dc|dcterm|dcterms|og|twitter|parsely)\s*[.:-]\s*")
_LANG = re.compile(r"^([a-z]{2,3})(?:[-_][a-z0-9]{1,8})*$", re.IGNORECASE)


def declared_language(tree: HtmlElement, meta: dict[str, str]) -> str | None:
    """Primary language subtag the page declares, lower-case ("en-US" -> "en"), or None."""
    html = tree if tree.tag == "html" else tree.find(".//html")
    attrs = [html.get("lang"), html.get("xml:lang")] if html is not None else []
    http_equiv = [
        el.get("content")
        for el in tree.iter("meta")
        if (el.get("http-equiv") or "").lower() == "content-language"
    ]
    named = [meta.get(key) for key in ("content-language", "language", "dc.language", "og:locale")]
    for value in [*attrs, *http_equiv, *named]:
        match = _LANG.match((value or "").split(",")[0].strip())
        if match:
            return match.group(1).lower()
    return None


def declared_urls(tree: HtmlElement, meta: dict[str, str], found: str | None) -> list[str]:
    """The absolute http(s) URLs the page gives for itself, first choice first: each
    `<link rel=canonical>`, og:url, then trafilatura's (`found`: twitter:url, `<base>`, ...).

    `page_metadata` takes the first that is not a site's home page (`ids.is_site_root`).
    """
    links = [
        (el.get("href") or "").strip()
        for el in tree.iter("link")
        if "canonical" in (el.get("rel") or "").lower().split()
    ]
    urls = [*links, meta.get("og:url", ""), found or ""]
    return [u for u in urls if _ABSOLUTE.match(u) and _hostname(u)]


_ABSOLUTE = re.compile(r"^https?://[^\s/]+", re.IGNORECASE)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: str | None) -> str | None:
    return value if value and _DATE.match(value) else None
