"""Pruning a parsed page before extraction: hidden and boilerplate elements out.

Mozilla Readability's "unlikely candidates" rule, plus hidden elements, navigation, dialogs and
cookie banners. `prune` works on a tree the caller owns (a copy); whether its result is used is
decided in pipeline/readers/html.py (`extract_text`).
"""

from __future__ import annotations

import re

from lxml import etree
from lxml.html import HtmlElement

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
    doomed = [el for el in tree.iter(etree.Element) if is_boilerplate(el)]
    for el in doomed:
        _remove(el)
    if keep_captions:
        # trafilatura deletes <figure> with everything in it; keep the caption as a paragraph.
        for figure in list(tree.iter("figure")):
            figure.tag = "div"
            for caption in figure.iter("figcaption"):
                caption.tag = "p"
    return tree


def is_boilerplate(el: HtmlElement) -> bool:
    """Whether `el` is hidden, navigation, a dialog, or named as boilerplate by class or id."""
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
