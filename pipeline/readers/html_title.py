"""The headline of a web page: declared in <meta>, else from <title> and <h1>, site name cut."""

from __future__ import annotations

import re

from lxml.html import HtmlElement

_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")
# Separators in titles ("Headline | Site"), and those that may set off a site name.
_TITLE_SEP = re.compile(r"\s+[|\-–—·:»«/]\s+|\s*[|·»«]\s*")
_SITE_SEP = re.compile(r"\s+[|\-–—·»«/]\s+|\s*[|·»«]\s*")
# Declared headlines, in Mozilla Readability's order of preference.
_TITLE_KEYS = (
    "dc:title", "dcterm:title", "dcterms:title", "og:title", "title", "twitter:title",
    "parsely:title",
)  # fmt: skip
SITE_SUFFIX_MAX_WORDS = 3


def squash(value: str | None) -> str | None:
    """`value` with runs of whitespace as one space, stripped; None when nothing is left."""
    value = _SPACE.sub(" ", value or "").strip()
    return value or None


def choose_title(tree: HtmlElement, meta: dict[str, str], publisher: str | None) -> str | None:
    """The article's headline.

    A headline the page declares in `<meta>` (`meta`: Dublin Core, OpenGraph, Twitter) is the
    most reliable, with a site name it carries cut off. `<title>` usually carries the site name
    ("Headline - Site", "Site | Headline"), and an `<h1>` may be the site's logo:

    - an `<h1>` that is one segment of `<title>` is the headline, unless it is the last segment
      and shorter than the rest: then it is the logo, i.e. the site name;
    - a first or last segment that names the site (`publisher`) is cut;
    - failing those, a last segment of at most `SITE_SUFFIX_MAX_WORDS` words after a longer
      headline is taken for the site name (Readability's rule).
    """
    sites = [publisher] if publisher else []
    for key in _TITLE_KEYS:
        if meta.get(key):
            return _strip_site(meta[key], sites)
    title_el = tree.find(".//title")
    title = squash(title_el.text_content()) if title_el is not None else None
    headings = [h for h in (squash(h.text_content()) for h in tree.iter("h1")) if h]
    if not title:
        return headings[0] if headings else None
    parts = [p for p in _TITLE_SEP.split(title) if p]
    if len(parts) > 1:
        for heading in headings:
            if heading == parts[-1] and len(heading) < len(title) - len(heading):
                sites.append(heading)
            elif heading in parts:
                return heading
    stripped = _strip_site(title, sites)
    if stripped != title:
        return stripped
    seps = list(_SITE_SEP.finditer(title))
    if seps:
        head, tail = title[: seps[-1].start()].strip(), title[seps[-1].end() :].strip()
        n_tail = len(_WORD.findall(tail))
        if 0 < n_tail <= SITE_SUFFIX_MAX_WORDS and len(_WORD.findall(head)) > n_tail:
            return head
    return title


def _strip_site(title: str, sites: list[str]) -> str:
    seps = list(_SITE_SEP.finditer(title))
    if not seps or not sites:
        return title
    names = [_key(s) for s in sites]
    head, tail = title[: seps[-1].start()].strip(), title[seps[-1].end() :].strip()
    if len(head) > len(tail) and any(_names_site(_key(tail), n) for n in names):
        return head
    head, tail = title[: seps[0].start()].strip(), title[seps[0].end() :].strip()
    if len(tail) > len(head) and any(_names_site(_key(head), n) for n in names):
        return tail
    return title


def _key(text: str) -> str:
    return re.sub(r"\W+", "", text.lower().lstrip("@"))


def _names_site(segment: str, site: str) -> bool:
    """Whether a title segment is the site name (or its first words: "Aktuálně.cz - Víte...")."""
    return len(segment) >= 2 and (segment == site or site.startswith(segment))
