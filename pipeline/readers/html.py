"""HTML reader: one web page -> its main article (text with paragraph breaks, and metadata).

Reads:  the decoded text of one `.html` seed (a whole page, or a fragment such as "<p>..</p>").
Returns: one `Article`, or `Rejected(NO_CONTENT, detail)` when the page has no article text.
Params: `ingest.html` (`HtmlParams` in pipeline/params.py); `read_html(text)` alone uses the
        values in the repository's params.yaml.

Main-content extraction is trafilatura's; this module decides what it is given and what is kept.

1. The page is parsed once (lxml, through trafilatura's tolerant loader). The lines of a <pre>
   without <code> become <br> elements, so that they stay lines (`_pre_lines_as_breaks`).
2. Obvious non-content is pruned before extraction (pipeline/readers/html_prune.py): hidden
   elements, <nav>, <aside>, <footer>, dialogs, navigation roles, and elements whose class or
   id names them as boilerplate: Mozilla Readability's "unlikely candidates" rule.
3. The pruned page is not used when pruning has lost the article (`pruning_lost_article`):
   the whole page is extracted too, and wins when the pruned text is short (under
   `prune_min_chars`, Readability's own retry) or a small share of it (fewer words than
   `prune_min_share` of the whole page's: a class name that looked like boilerplate was the
   article's container).
4. Two passes of trafilatura (comments excluded, its fallback extractors on): balanced, then
   recall. The recall pass wins when it keeps what the balanced pass found and adds little
   (`recall_min_overlap`, `recall_max_growth`): it then recovered headings, tables or captions
   the balanced pass dropped as uncertain. When it adds much more it has let boilerplate in;
   when it keeps little of the balanced text it has lost the article.
5. trafilatura's XML is rendered by pipeline/readers/html_render.py (blocks separated by one
   blank line, lines of a list or table by one line break). A first block that repeats the
   title is dropped: the title has its own field.
6. Metadata is what the page declares (pipeline/readers/html_metadata.py, html_title.py).

Same input, same output: nothing depends on the clock. No input raises: what trafilatura cannot
read is no_content.
"""

from __future__ import annotations

import functools
import logging
import re
from collections import Counter
from copy import deepcopy
from pathlib import Path
from typing import Any

import trafilatura
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from pipeline import params as params_mod
from pipeline.params import HtmlParams
from pipeline.quarantine import NO_CONTENT, Rejected
from pipeline.readers import Article
from pipeline.readers.html_metadata import page_metadata
from pipeline.readers.html_prune import prune
from pipeline.readers.html_render import render

LOGGER = logging.getLogger(__name__)
REPO_PARAMS = Path(__file__).resolve().parents[2] / "params.yaml"


@functools.cache
def _repo_options() -> HtmlParams:
    return params_mod.load(REPO_PARAMS).ingest.html


def options_from(params: Any = None) -> HtmlParams:
    """The `HtmlParams` in `params`: itself, its `html` section (IngestParams), or, for None,
    the repository's params.yaml."""
    if params is None:
        return _repo_options()
    params = getattr(params, "html", params)
    if not isinstance(params, HtmlParams):
        raise TypeError(f"HtmlParams or IngestParams expected, not {type(params).__name__}")
    return params


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


_SPACE = re.compile(r"\s+")


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
    _pre_lines_as_breaks(tree)
    source, how = tree, "unpruned"
    if options.prune_boilerplate:
        source, how = prune(deepcopy(tree), options.include_captions), "pruned"
    text = _extract(source, options, recall=False)
    if how == "pruned" and _may_have_lost_article(text, tree, options):
        whole = _extract(tree, options, recall=False)
        if pruning_lost_article(text, whole, options):
            source, text, how = tree, whole, "unpruned"
    if options.recall_pass and text:
        more = _extract(source, options, recall=True)
        if _adds_little(text, more, options):
            text, how = more, f"{how}+recall"
    return text, how


def _pre_lines_as_breaks(tree: HtmlElement) -> None:
    """Line breaks of a <pre> without <code> as <br> elements, in place.

    trafilatura turns such a <pre> (a poem, shell commands) into a <quote>, whose text is then
    rendered as running text; a <pre> with <code> becomes a code block, which keeps its lines.
    """
    for pre in tree.iter("pre"):
        if next(pre.iter("code"), None) is None:
            for el in list(pre.iter()):
                _split_text(el)
                if el is not pre:
                    _split_tail(el)


def _split_text(el: HtmlElement) -> None:
    first, *lines = (el.text or "").split("\n")
    el.text = first
    for i, line in enumerate(lines):
        el.insert(i, _line_break(el, line))


def _split_tail(el: HtmlElement) -> None:
    first, *lines = (el.tail or "").split("\n")
    el.tail = first
    for line in reversed(lines):
        el.addnext(_line_break(el, line))


def _line_break(near: HtmlElement, tail: str) -> HtmlElement:
    br = near.makeelement("br", {})
    br.tail = tail
    return br


def pruning_lost_article(pruned: str, whole: str, options: HtmlParams) -> bool:
    """Whether the whole page's text (`whole`) is to be kept instead of the pruned page's.

    Pruning by class names is a guess (Readability's "unlikely candidates"): "sidebar",
    "related" or "extra" in the class of the article's own container removes the article, and
    trafilatura then finds only what is left: a caption, a teaser, the first paragraph. Two
    signs, each enough, provided the whole page gives an article-sized text:

    - the pruned text is short (under `prune_min_chars`): Readability's own retry. On a page
      that is all boilerplate, the pruned nothing is the right answer, hence the proviso;
    - it has fewer words than `prune_min_share` of the whole page's: pruning that removes
      nearly everything trafilatura would keep has more likely removed the article than the
      boilerplate around it.
    """
    if len(whole) < options.prune_min_chars:
        return False
    if len(pruned) < options.prune_min_chars:
        return True
    return _words(pruned) < options.prune_min_share * _words(whole)


def _may_have_lost_article(pruned: str, tree: HtmlElement, options: HtmlParams) -> bool:
    """Whether the whole page must be extracted to check the pruned text (a cheap bound).

    The whole page's text has at most the words of all the page's text nodes: when the pruned
    text already has `prune_min_share` of those, the check cannot fail and is skipped.
    """
    if len(pruned) < options.prune_min_chars:
        return True
    return _words(pruned) < options.prune_min_share * _words(" ".join(_PAGE_TEXT(tree)))


# Text nodes that can be article text: not inside scripts, styles and the like.
_PAGE_TEXT = etree.XPath(
    "//text()[not(ancestor::script or ancestor::style or ancestor::noscript"
    " or ancestor::template or ancestor::head)]"
)


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


def _words(text: str) -> int:
    return sum(1 for _ in _WORD.finditer(text))


def _adds_little(base: str, more: str, options: HtmlParams) -> bool:
    """Whether `more` keeps (nearly) all words of `base` and adds only a few."""
    words, more_words = Counter(_WORD.findall(base.lower())), Counter(_WORD.findall(more.lower()))
    n, m = sum(words.values()), sum(more_words.values())
    if not n or m <= n:
        return False
    kept = sum((words & more_words).values())
    return kept >= options.recall_min_overlap * n and m <= (1 + options.recall_max_growth) * n
