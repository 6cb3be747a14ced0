"""The byline of a web page: who the page declares wrote it, else the byline in its body.

In Mozilla Readability's order of preference:

1. the `author` (or `creator`) of the page's JSON-LD article (`ARTICLE_TYPES`): a name, a
   Person or Organization's `name`, or a list of them;
2. `<meta>` author keys (`_META_KEYS`), a profile URL not being a name; every tag of the first
   key that gives a name (two `DC.Creator` tags are two authors);
3. a byline element of the body, found by trafilatura's author XPaths, the first that is not a
   control's label ("Follow Author": `byline.is_ui_label`, as for any candidate).

A declared name is kept as written ("Mac & i", "Kooman, F."), with only what is no name taken
out: URLs, e-mail addresses, a leading "By". A body byline is running text, so more goes: a
date and what follows it ("By Nathan Willis March 25, 2015"), an editor ("Written by A Edited
by B"), credentials ("Brenda Goodman, MA"), and trafilatura splits it into names. Several names
are joined with "; " (a declared "Last, First" keeps its comma), each once whatever its case.
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Iterator
from copy import deepcopy
from typing import Any

from lxml.html import HtmlElement
from trafilatura.htmlprocessing import prune_unwanted_nodes
from trafilatura.json_metadata import normalize_authors
from trafilatura.utils import trim
from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS

from pipeline.readers import AUTHOR_SEPARATOR
from pipeline.readers.byline import byline_names, is_ui_label, names_only, without_extras
from pipeline.readers.html_title import squash

# schema.org types of an article, as Readability lists them (its `JSON_LD_ARTICLE_TYPES`).
ARTICLE_TYPES = frozenset({
    "Article", "AdvertiserContentArticle", "NewsArticle", "AnalysisNewsArticle",
    "AskPublicNewsArticle", "BackgroundNewsArticle", "OpinionNewsArticle",
    "ReportageNewsArticle", "ReviewNewsArticle", "Report", "SatiricalArticle",
    "ScholarlyArticle", "MedicalScholarlyArticle", "SocialMediaPosting", "BlogPosting",
    "LiveBlogPosting", "DiscussionForumPosting", "TechArticle", "APIReference",
})  # fmt: skip
# Yoast (WordPress) puts the post's author on its `WebPage` object, not on an article.
PAGE_TYPES = frozenset({"WebPage"})
# Readability's order (Dublin Core first), then keys other sites use.
_META_KEYS = (
    "dc:creator", "dcterm:creator", "dcterms:creator", "author", "parsely:author",
    "article:author", "sailthru.author", "byl",
)  # fmt: skip
# JSON-LD wrapped for XHTML parsers: <![CDATA[ ... ]]>, as Readability unwraps it.
_CDATA = re.compile(r"^\s*(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>\s*$")
_URL = re.compile(r"\(?\s*(?:https?://|www\.)\S*\s*\)?", re.IGNORECASE)
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_BY = re.compile(r"^by\b\s*:?\s*", re.IGNORECASE)
_ENDS = " ,;:|-–—·/"
# A date written in a byline: "March 25, 2015", "Monday, February 29", "Mar. 5", "25 March".
_MONTH = "|".join(n for n in (*calendar.month_name[1:], *calendar.month_abbr[1:]))
_WEEKDAY = "|".join(n for n in (*calendar.day_name, *calendar.day_abbr))
_DATE = re.compile(
    rf"(?:\b(?:{_WEEKDAY})\b\.?,?\s+)?(?:\b(?:{_MONTH})\b\.?\s+\d|\b\d{{1,2}}(?:st|nd|rd|th)?\s+"
    rf"(?:{_MONTH})\b)|\b(?:{_WEEKDAY})\b,\s|\b(?:updated|published|posted)\b",
    re.IGNORECASE,
)
# "Posted by Jane Doe": the verb goes with "by"; it does not start a date line ("Posted: ...").
_POSTED_BY = re.compile(r"^\s*(?:posted|published|updated|written)\s+by\b\s*", re.IGNORECASE)
_DATE_PREPOSITION = re.compile(r"\s+(?:on|at)$", re.IGNORECASE)
_EDITOR = re.compile(r"\b(?:edited|photographs?|photos?|illustrations?)\s+by\b.*", re.IGNORECASE)
# A later part of a body byline that is no name of its own: credentials ("Brenda Goodman, MA",
# "PhD") or an initial split off. As the first part, capitals are an agency ("AFP") and stay.
_CREDENTIAL = re.compile(r"^(?:[A-Z]\.?|[A-Z]{2,3}|Ph\.?\s?D\.?)$")
_BYLINE_CHARS = 120  # longer is a paragraph of the article, not its byline


def page_author(tree: HtmlElement, meta: dict[str, list[str]], site: str | None) -> str | None:
    """The page's author(s) (see the module docstring), or None. `meta` is every `<meta>` value
    by key (`html_metadata.meta_values`). A declared author named as the site is (`site`, the
    page's site name) is the site, as an organization is."""
    people, organizations = _json_ld_authors(tree)
    if site:
        organizations += [n for n in people if n.casefold() == site.casefold()]
        people = [n for n in people if n.casefold() != site.casefold()]
    for names in (_declared_names(people), _meta_name(meta)):
        if found := _join(_people(names, site)):
            return found
    # An organization as the article's author is often the site itself ("Sky" above a
    # reporter's byline): the byline in the body, when there is one, says more.
    return _join(_people(_body_byline(tree, site), site)) or _join(_declared_names(organizations))


def _people(names: list[str], site: str | None) -> list[str]:
    """The names in `names` without job titles, wire services, the site (`byline.py`)."""
    return [person for name in names for person in byline_names(name, site)]


def _declared_names(values: list[str]) -> list[str]:
    return [name for value in values if (name := _declared_name(value))]


def _meta_name(meta: dict[str, list[str]]) -> list[str]:
    """The names of the first `_META_KEYS` key that gives one, cleaned: every tag of that key
    (an Internet-Draft has a `DC.Creator` per author)."""
    for key in _META_KEYS:
        if names := [name for value in meta.get(key, []) if (name := _declared_name(value))]:
            return names
    return []


def _declared_name(value: str | None) -> str | None:
    value = _EMAIL.sub(" ", _URL.sub(" ", value or ""))
    value = squash(value.replace("()", " "))
    value = _BY.sub("", value or "").strip(_ENDS)
    return value if any(c.isalpha() for c in value) else None


def _json_ld_authors(tree: HtmlElement) -> tuple[list[str], list[str]]:
    """The names of the page's JSON-LD articles' authors, in document order: people (and bare
    names), then organizations. An author given as a reference ({"@id": ...}) is the object
    of the page's JSON-LD with that `@id` (Yoast's `@graph`)."""
    objects = [item for data in _json_ld(tree) for item in _objects(data)]
    by_id = {item["@id"]: item for item in objects if isinstance(item.get("@id"), str)}
    for types in (ARTICLE_TYPES, PAGE_TYPES):
        found = _authors([item for item in objects if _types(item) & types], by_id)
        if any(found):
            return found
    return [], []


def _authors(items: list[dict[str, Any]], by_id: dict[str, Any]) -> tuple[list[str], list[str]]:
    people: list[str] = []
    organizations: list[str] = []
    for item in items:
        for author in _listed(item.get("author") or item.get("creator")):
            if isinstance(author, dict) and set(author) == {"@id"}:
                author = by_id.get(author["@id"], author)
            if name := _name(author):
                is_org = isinstance(author, dict) and "Organization" in _types(author)
                (organizations if is_org else people).append(name)
    return people, organizations


def _json_ld(tree: HtmlElement) -> Iterator[Any]:
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() == "application/ld+json":
            try:
                yield json.loads(_CDATA.sub("", script.text_content()), strict=False)
            except ValueError:
                continue


def _objects(data: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object of a JSON-LD document, lists and `@graph` included."""
    if isinstance(data, list):
        for item in data:
            yield from _objects(item)
    elif isinstance(data, dict):
        yield data
        yield from _objects(data.get("@graph"))


def _types(item: dict[str, Any]) -> set[str]:
    found = item.get("@type")
    return {t for t in (found if isinstance(found, list) else [found]) if isinstance(t, str)}


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _name(author: Any) -> str | None:
    if isinstance(author, str):
        return author
    if not isinstance(author, dict):
        return None
    if isinstance(author.get("name"), str):
        return author["name"]
    parts = [author.get(k) for k in ("givenName", "additionalName", "familyName")]
    return " ".join(p for p in parts if isinstance(p, str)) or None


def _body_byline(tree: HtmlElement, site: str | None) -> list[str]:
    """The names of the byline trafilatura's author XPaths find in the body, without dates,
    editors and job titles (before trafilatura splits it: "AP Sports Writer" would be a name)."""
    subtree = prune_unwanted_nodes(deepcopy(tree), AUTHOR_DISCARD_XPATHS)
    found = next(_byline_candidates(subtree), None)
    if not found:
        return []
    found = _POSTED_BY.sub("", found)
    date = _DATE.search(found)
    found = _EDITOR.sub("", found[: date.start()] if date else found).strip(_ENDS)
    found = _DATE_PREPOSITION.sub("", found)  # "John Smith on" [March 5, 2019]
    found = without_extras(found, site)
    if not names_only(found):
        return []  # "Authority control" (a class "authority-control" looks like "author")
    names = (normalize_authors(None, found) or "").split("; ") if found else []
    return names[:1] + [n for n in names[1:] if not _CREDENTIAL.match(n)]


def _byline_candidates(tree: HtmlElement) -> Iterator[str]:
    """The texts trafilatura's author XPaths find, in its order (`extract_metainfo`: 3 to 119
    characters), but for the labels of controls: a button of class "follow-author-form" says
    "Follow Author", and the element after it may be the byline."""
    for expression in AUTHOR_XPATHS:
        for el in expression(tree):
            text = trim(" ".join(el.itertext()))
            if 2 < len(text) < _BYLINE_CHARS and not is_ui_label(text):
                yield text


def _join(names: list[str]) -> str | None:
    """`names` once each, ignoring case (the first spelling not in capitals wins), joined."""
    chosen: dict[str, str] = {}
    for name in names:
        key = name.casefold()
        if key not in chosen or (chosen[key].isupper() and not name.isupper()):
            chosen[key] = name
    return AUTHOR_SEPARATOR.join(chosen.values()) or None
