"""An export's text written as HTML -> plain text with paragraph breaks.

WordPress exports, RSS `content:encoded` and news APIs give an article's body as HTML
("<p>One.</p><p>Two &amp; three.</p>"); published as it is, the tags would be the article's
words. Such a text is rendered as an HTML page's main content is (`html_render.render`, on
trafilatura's element names): blocks apart by a blank line, list items and table rows a line
each, scripts and styles dropped. A blank line of the source stays a paragraph break: exports
that mark paragraphs with blank lines and words with <em> are common too. A plain text that
names tags in its sentences ("the <br> tag") is not HTML (`is_markup`).
"""

from __future__ import annotations

import itertools
import re

import lxml.html

from pipeline.readers.html_render import render

# A tag that is markup beyond doubt: a block element, a line break, or the end of an inline one.
_MARKUP = re.compile(
    r"<(?:/?(?:p|div|br|li|ul|ol|h[1-6]|blockquote|table|tr|td|th|section|article|figure"
    r"|figcaption|pre)\b[^<>]*|/(?:a|b|i|em|strong|span|u|sup|sub))>",
    re.IGNORECASE,
)
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n\s*")
# HTML elements -> the names `render` knows (trafilatura's); others are inline.
_RENAMED = {
    "br": "lb", "li": "item", "dt": "item", "dd": "item", "tr": "row", "td": "cell", "th": "cell",
    "ul": "list", "ol": "list", "dl": "list", "blockquote": "quote", "pre": "code",
    "h1": "head", "h2": "head", "h3": "head", "h4": "head", "h5": "head", "h6": "head",
    "section": "div", "article": "div", "header": "div", "footer": "div", "aside": "div",
    "figcaption": "p", "caption": "p",
}  # fmt: skip
_DROPPED = frozenset({"script", "style", "noscript", "template", "iframe", "object", "svg"})


# What sets a tag named in a sentence apart from its neighbours: "the <br> tag", "(<p>)".
_PROSE_BEFORE = frozenset(" \t\"'`([{“‘«")
_PROSE_AFTER = frozenset(" \t\"'`)]}”’»,.;:!?")


# An element with an attribute value (<a href="...">): code, not prose.
_ATTRIBUTE = re.compile(r"<[a-z][a-z0-9]*\s+[a-z][\w:-]*\s*=\s*[\"']", re.IGNORECASE)


# The start of an inline element: not markup by itself ("a <b or c>"), but its place is telling.
_INLINE_START = re.compile(r"<(?:a|b|i|em|strong|span|u|sup|sub)\b[^<>]*>", re.IGNORECASE)


def is_markup(text: str) -> bool:
    """Whether `text` is HTML: it has a tag that marks up its text rather than being named in it."""
    if _MARKUP.search(text) is None:
        return False
    if _ATTRIBUTE.search(text):
        return True  # "<a href='x'> Title </a>": the closing tag is spaced, the element is not
    # "<strong>Title </strong>": the end is spaced, the start touches the text.
    tags = itertools.chain(_MARKUP.finditer(text), _INLINE_START.finditer(text))
    return any(not _named_in_prose(text, tag) for tag in tags)


def _named_in_prose(text: str, tag: re.Match[str]) -> bool:
    """Whether `tag` is a word of a sentence: a space or quotes on both sides, within a line.

    Markup touches what it marks up ("<p>One", "two</b>", "one<br>two") or has a line of its
    own (pretty-printed HTML, a text that starts with a tag); a plain text that writes about HTML
    ("the <br> tag", "close it with </p>.") would lose those words if read as HTML.
    """
    before = text[tag.start() - 1] if tag.start() else "\n"
    after = text[tag.end()] if tag.end() < len(text) else " "
    return before in _PROSE_BEFORE and after in _PROSE_AFTER


def markup_text(text: str) -> str:
    """The text of an HTML fragment, "" when it has none."""
    root = lxml.html.fragment_fromstring(_BLANK_LINE.sub("<div></div>", text), create_parent="div")
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            continue  # a comment: no text of its own
        if el.tag in _DROPPED:
            el.drop_tree()  # keeps the text after it
        else:
            el.tag = _RENAMED.get(el.tag, el.tag)
    return render(root)
