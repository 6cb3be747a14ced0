"""HTML reader: one web page -> its main article (text with paragraph breaks, and metadata).

Reads:  the decoded text of one `.html` seed (a whole page, or a fragment such as "<p>..</p>").
Returns: one `Article`, or `Rejected(NO_CONTENT, detail)` when the page has no article text.
Params: `ingest.html` (`HtmlParams` in pipeline/params.py); `read_html(text)` alone uses the
        defaults.

Main-content extraction is trafilatura's; this module decides what it is given and what is kept.

1. The page is parsed once (lxml, through trafilatura's tolerant loader).
2. Obvious non-content is pruned before extraction (`prune_boilerplate`): hidden elements,
   <nav>, <aside>, <footer>, dialogs, navigation roles, and elements whose class or id names
   them as boilerplate (comments, related links, sharing widgets, gallery legends, cookie
   banners, ...): Mozilla Readability's "unlikely candidates" rule. <main> and <article> are
   never pruned by class name. Figures are kept for their captions. If the pruned page yields
   less than `prune_min_chars` and the whole page at least that, the whole page is used.
3. Two passes of trafilatura (comments excluded, its fallback extractors on): balanced, then
   recall. The recall pass wins when it keeps what the balanced pass found and adds little
   (`recall_min_overlap`, `recall_max_growth`): it then recovered headings, tables or captions
   the balanced pass dropped as uncertain. When it adds much more it has let boilerplate in;
   when it keeps little of the balanced text it has lost the article.
4. trafilatura's XML is rendered here (`render`), not with its text output: blocks (paragraphs,
   headings, quotes, lists, tables, code) are separated by one blank line ("\n\n"), list
   items and table rows are lines of their block ("\n", cells joined by " | "), and <br> is a
   line break. A first block that repeats the title is dropped: the title has its own field.
5. Metadata is what the page declares: <meta> (Dublin Core, OpenGraph, Twitter), JSON-LD,
   <html lang>, <link rel=canonical>. trafilatura reads author, site name, description and
   (with htmldate, from markup only unless `date_extensive_search`) the publication date; title
   (`choose_title`), language and canonical URL are chosen here.

Same input, same output: nothing depends on the clock (`date_max` is a constant). No input
raises: what trafilatura cannot read is no_content.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from copy import deepcopy
from typing import Any
from urllib.parse import urlsplit

import trafilatura
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.metadata import extract_metadata
from trafilatura.utils import load_html

from pipeline.params import HtmlParams
from pipeline.quarantine import NO_CONTENT, Rejected
from pipeline.readers import Article

LOGGER = logging.getLogger(__name__)


def options_from(params: Any = None) -> HtmlParams:
    """The `HtmlParams` in `params`: itself, its `html` section (IngestParams), or defaults."""
    params = getattr(params, "html", params)
    return params if isinstance(params, HtmlParams) else HtmlParams()


def read_html(text: str, params: Any = None) -> list[Article | Rejected]:
    """The article in one HTML page (a one-element list), or why there is none."""
    options = options_from(params)
    tree = parse(text)
    if tree is None:
        return [Rejected(NO_CONTENT, "not an HTML document")]
    body, how = extract_text(tree, options)
    article = page_metadata(tree, options) if len(body) >= options.min_text_chars else None
    text = _drop_title(body, article.get("title") if article else None)
    if article is None or len(text) < options.min_text_chars:
        detail = f"{len(text)} characters of main text (min_text_chars={options.min_text_chars})"
        return [Rejected(NO_CONTENT, detail)]
    article["text"] = text
    article["extra"]["extraction"] = how
    return [article]


def _drop_title(text: str, title: str | None) -> str:
    """The text without its first block when that block is the title (kept in `title`)."""
    first, _, rest = text.partition("\n\n")
    if title and rest and _SPACE.sub(" ", first).strip().casefold() == title.casefold():
        return rest
    return text


# --- parsing -------------------------------------------------------------------------------


def parse(text: str) -> HtmlElement | None:
    """The lxml tree of a page or fragment, or None when lxml cannot build one."""
    if not isinstance(text, str) or not text.strip():
        return None
    # lxml refuses NUL and most C0 controls (and lone surrogates); they are never article text.
    text = _XML_INVALID.sub("", text)
    # trafilatura's loader refuses (and logs an error for) what does not look like a whole
    # document: an exported article body ("<p>...</p>") is still HTML, read inside a <body>.
    wrapped = f"<html><body>{text}</body></html>"
    for candidate in (text, wrapped) if _DOCUMENT.search(text) else (wrapped,):
        try:
            tree = load_html(candidate)
        except (ValueError, TypeError, etree.LxmlError) as exc:
            LOGGER.debug("unparseable HTML: %s", exc)
            continue
        if isinstance(tree, HtmlElement):
            return tree
    return None


_XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_DOCUMENT = re.compile(r"<(?:!doctype|html|head|body)[\s>]", re.IGNORECASE)


# --- main text -----------------------------------------------------------------------------


def extract_text(tree: HtmlElement, options: HtmlParams) -> tuple[str, str]:
    """(main text, which pass produced it) of a parsed page; "" when nothing was found."""
    source, how = tree, "unpruned"
    if options.prune_boilerplate:
        source, how = prune(deepcopy(tree), options.include_captions), "pruned"
    text = _extract(source, options, recall=False)
    if how == "pruned" and len(text) < options.prune_min_chars:
        # Readability's own safeguard: pruning by class names may remove the article itself.
        # The whole page is used only if it has an article-sized text: on a page that is all
        # boilerplate, the pruned nothing is the right answer.
        whole = _extract(tree, options, recall=False)
        if len(whole) >= options.prune_min_chars:
            source, text, how = tree, whole, "unpruned"
    if options.recall_pass and text:
        more = _extract(source, options, recall=True)
        if _adds_little(text, more, options):
            text, how = more, f"{how}+recall"
    return text, how


def _extract(tree: HtmlElement, options: HtmlParams, recall: bool) -> str:
    try:
        document = trafilatura.bare_extraction(
            tree,
            favor_recall=recall,
            include_comments=False,
            include_tables=options.include_tables,
            include_images=False,
            with_metadata=False,
        )
    except Exception as exc:  # noqa: BLE001 (any failure inside trafilatura means "no text")
        LOGGER.debug("trafilatura failed: %r", exc)
        return ""
    body = getattr(document, "body", None)
    return render(body) if body is not None else ""


_WORD = re.compile(r"\w+")


def _adds_little(base: str, more: str, options: HtmlParams) -> bool:
    """Whether `more` keeps (nearly) all words of `base` and adds only a few."""
    words, more_words = Counter(_WORD.findall(base.lower())), Counter(_WORD.findall(more.lower()))
    n, m = sum(words.values()), sum(more_words.values())
    if not n or m <= n:
        return False
    kept = sum((words & more_words).values())
    return kept >= options.recall_min_overlap * n and m <= (1 + options.recall_max_growth) * n


# --- pruning -------------------------------------------------------------------------------

# Mozilla Readability (Readability.js, REGEXPS.unlikelyCandidates / okMaybeItsACandidate),
# plus cookie and consent banners. "Maybe" names veto a removal; its loose "and" (brand,
# landing, ...) is kept as Readability has it: it errs towards keeping text.
_UNLIKELY = re.compile(
    r"-ad-|ai2html|banner|breadcrumbs|combx|comment|community|cover-wrap|disqus|extra|footer|gdpr"
    r"|header|legends|menu|related|remark|replies|rss|shoutbox|sidebar|skyscraper|social|sponsor"
    r"|supplemental|ad-break|agegate|pagination|pager|popup|yom-remote|cookie|consent",
    re.IGNORECASE,
)
_MAYBE = re.compile(r"and|article|body|column|content|main|mathjax|shadow", re.IGNORECASE)
_UNLIKELY_ROLES = {
    "menu", "menubar", "complementary", "navigation", "alert", "alertdialog", "dialog",
}  # fmt: skip
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# trafilatura's main extractor deletes these tags too, but its fallback extractors (used on
# small pages) bring them back: a page of nothing but navigation would not be no_content.
_BOILERPLATE_TAGS = {"nav", "dialog", "menu", "template", "footer", "aside"}
# Elements that declare themselves the content are never pruned by their class names.
_CONTENT_TAGS = {"html", "body", "main", "article", "a"}


def prune(tree: HtmlElement, keep_captions: bool = True) -> HtmlElement:
    """Remove hidden and boilerplate elements from `tree` (in place) and return it."""
    doomed = [el for el in tree.iter(etree.Element) if _is_boilerplate(el)]
    for el in doomed:
        _remove(el)
    if keep_captions:
        # trafilatura deletes <figure> with everything in it; keep the caption as a paragraph.
        for figure in list(tree.iter("figure")):
            figure.tag = "div"
            for caption in figure.iter("figcaption"):
                caption.tag = "p"
    return tree


def _is_boilerplate(el: HtmlElement) -> bool:
    if el.tag in ("html", "body"):
        return False
    if el.tag in _BOILERPLATE_TAGS:
        return True
    if el.get("hidden") is not None or _HIDDEN_STYLE.search(el.get("style") or ""):
        return True
    if el.get("aria-hidden") == "true" and "fallback-image" not in (el.get("class") or ""):
        return True
    if el.get("role") in _UNLIKELY_ROLES or el.get("aria-modal") == "true":
        return True
    names = f"{el.get('class') or ''} {el.get('id') or ''}"
    return (
        el.tag not in _CONTENT_TAGS
        and _UNLIKELY.search(names) is not None
        and _MAYBE.search(names) is None
        and not any(a.tag in ("table", "code", "pre") for a in el.iterancestors())
    )


def _remove(el: HtmlElement) -> None:
    """Remove an element and its subtree, keeping the text that follows it (its tail)."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


# --- rendering -----------------------------------------------------------------------------

# trafilatura's output elements: blocks, lines of a block, and everything else inline.
_BLOCKS = {
    "p", "head", "quote", "list", "table", "code", "graphic", "div", "details", "summary",
    "figure", "note", "doc", "body", "main", "article",
}  # fmt: skip
_LINES = {"item", "row"}
_SPACE = re.compile(r"\s+")


class _Writer:
    """Collects lines; the strongest break asked for between two lines is the one written."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.line: list[str] = []
        self.pending = ""

    def text(self, text: str | None) -> None:
        if text:
            self.line.append(text)

    def brk(self, sep: str) -> None:
        self.flush()
        if len(sep) > len(self.pending):
            self.pending = sep

    def flush(self) -> None:
        line = _SPACE.sub(" ", "".join(self.line)).strip()
        self.line = []
        if line:
            if self.parts:
                self.parts.append(self.pending or "\n\n")
            self.parts.append(line)
            self.pending = ""


def render(body: etree._Element) -> str:
    """Plain text of trafilatura's XML: "\\n\\n" between blocks, "\\n" between lines of one."""
    writer = _Writer()
    _walk(body, "block", writer)
    writer.flush()
    return "".join(writer.parts)


def _walk(el: etree._Element, context: str, w: _Writer) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag == "code" and context != "cell" and _is_code_block(el):
        _code_block(el, context, w)
        w.text(el.tail)
        return
    if context == "cell":
        # Table cells are inline: anything block-like inside one is a space.
        brk = " " if tag in _BLOCKS or tag in _LINES or tag == "lb" else ""
        w.text(brk)
    else:
        brk = _break(tag, context)
        if brk:
            w.brk(brk)
    if tag == "cell" and el.getprevious() is not None:
        w.text(" | ")
    inner = (
        "cell"
        if context == "cell" or tag == "cell"
        else "line"
        if context == "line" or tag in _LINES
        else "block"
    )
    if tag:  # comments and processing instructions have no text of their own
        w.text(el.text)
        for child in el:
            _walk(child, inner, w)
    if tag != "lb" and brk:
        if context == "cell":
            w.text(" ")
        else:
            w.brk(brk)
    w.text(el.tail)


def _break(tag: str, context: str) -> str:
    if tag == "lb" or tag in _LINES:
        return "\n"
    if tag in _BLOCKS:
        return "\n" if context == "line" else "\n\n"
    return ""


def _is_code_block(el: etree._Element) -> bool:
    return "\n" in "".join(el.itertext()).strip() or el.find(".//lb") is not None


def _code_block(el: etree._Element, context: str, w: _Writer) -> None:
    """A code block keeps its lines (indentation is not kept: clean strips every line)."""
    sep = "\n" if context != "block" else "\n\n"
    w.brk(sep)
    for child in el.iter("lb"):
        child.text = "\n"  # a detached copy is not needed: this tree is ours
    for line in "".join(el.itertext()).split("\n"):
        w.text(line)
        w.brk("\n")
    w.brk(sep)


# --- metadata ------------------------------------------------------------------------------


def page_metadata(tree: HtmlElement, options: HtmlParams) -> Article:
    """Title, author, language, date, canonical URL and publisher the page declares."""
    meta = _meta_tags(tree)
    found = _declared_metadata(tree, options)
    publisher = meta.get("og:site_name") or found.get("sitename")
    url = canonical(tree, meta) or found.get("url")
    extra = {
        "description": found.get("description"),
        "image": found.get("image"),
        "hostname": _hostname(url),
        "categories": found.get("categories"),
        "tags": found.get("tags"),
        "license": found.get("license"),
    }
    return Article(
        title=choose_title(tree, meta, publisher) or _clean(found.get("title")),
        author=_clean(found.get("author")),
        language=declared_language(tree, meta),
        published_date=_iso_date(found.get("date")),
        url=url,
        publisher=_clean(publisher),
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


def _hostname(url: str | None) -> str | None:
    try:
        return urlsplit(url).hostname if url else None
    except ValueError:  # e.g. an unclosed "[" of an IPv6 address
        return None


def _clean(value: str | None) -> str | None:
    value = _SPACE.sub(" ", value or "").strip()
    return value or None


def _meta_tags(tree: HtmlElement) -> dict[str, str]:
    """`<meta>` content by lower-cased key; `property` (RDFa, OpenGraph) wins over `name`.

    One `property` may hold several keys ("og:title twitter:title"); "DC.title" is "dc:title".
    Among equal keys the first wins.
    """
    by_property: dict[str, str] = {}
    by_name: dict[str, str] = {}
    for el in tree.iter("meta"):
        content = _clean(el.get("content"))
        if not content:
            continue
        for key in (el.get("property") or "").split():
            by_property.setdefault(_meta_key(key), content)
        for attr in ("name", "itemprop"):
            if el.get(attr):
                by_name.setdefault(_meta_key(el.get(attr)), content)
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


def canonical(tree: HtmlElement, meta: dict[str, str]) -> str | None:
    """The absolute http(s) URL of `<link rel=canonical>`, else of og:url."""
    for el in tree.iter("link"):
        rels = (el.get("rel") or "").lower().split()
        href = (el.get("href") or "").strip()
        if "canonical" in rels and _ABSOLUTE.match(href) and _hostname(href):
            return href
    url = meta.get("og:url", "")
    return url if _ABSOLUTE.match(url) and _hostname(url) else None


_ABSOLUTE = re.compile(r"^https?://[^\s/]+", re.IGNORECASE)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: str | None) -> str | None:
    return value if value and _DATE.match(value) else None


# Separators in titles ("Headline | Site"), and those that may set off a site name.
_TITLE_SEP = re.compile(r"\s+[|\-–—·:»«/]\s+|\s*[|·»«]\s*")
_SITE_SEP = re.compile(r"\s+[|\-–—·»«/]\s+|\s*[|·»«]\s*")
# Declared headlines, in Mozilla Readability's order of preference.
_TITLE_KEYS = (
    "dc:title", "dcterm:title", "dcterms:title", "og:title", "title", "twitter:title",
    "parsely:title",
)  # fmt: skip
SITE_SUFFIX_MAX_WORDS = 3


def choose_title(tree: HtmlElement, meta: dict[str, str], publisher: str | None) -> str | None:
    """The article's headline.

    A headline the page declares in `<meta>` (Dublin Core, OpenGraph, Twitter) is the most
    reliable, with a site name it carries cut off. `<title>` usually carries the site name
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
    title = _clean(title_el.text_content()) if title_el is not None else None
    headings = [h for h in (_clean(h.text_content()) for h in tree.iter("h1")) if h]
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
