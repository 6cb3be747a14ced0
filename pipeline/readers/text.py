"""Plain text: one article per file; a BBC-style headline line is the title.

Lines that stand alone at the top and are a byline ("By Jane Smith") or a date ("March 5,
2024") give the author and the published date, not the title (`split_header`); the headline
may follow them.
"""

from __future__ import annotations

from typing import Any

from pipeline.params import IngestParams
from pipeline.readers import AUTHOR_SEPARATOR, Article
from pipeline.readers.byline import byline_line
from pipeline.readers.fields import export_date

# A first line ending like a sentence (or a clause) is the article's opening, not its title,
# once the quotes and brackets that close it are set aside: 'Jugnot "tops French actor league"'
# is a headline (BBC's style: about 9% of its headlines), '"We will win," he said.' and
# 'He said: "It is over."' are openings. A question stays an opening ("Who will pay?").
_CLOSERS = "\"'”’»)]"
_SENTENCE_END = ".!?:;,…"


def split_title(text: str, max_chars: int) -> tuple[str | None, str]:
    """A first line that stands alone, is short and has no sentence-final punctuation is a title.

    BBC-style plain-text exports put the headline on line 1, then a blank line. An opening
    paragraph that happens to be one line is not a title: it ends like a sentence.
    """
    lines = text.lstrip("\ufeff").split("\n", 2)
    if len(lines) < 3 or lines[1].strip() or not lines[2].strip():
        return None, text
    first = lines[0].strip()
    core = first.rstrip(_CLOSERS)
    if not core or len(first) > max_chars or core[-1] in _SENTENCE_END:
        return None, text
    return first, lines[2]


def strip_final_newline(text: str) -> str:
    """The newline ending a text file's last line belongs to the file format, not the article.

    Anything more (blank lines, spaces) is left for clean to repair and record.
    """
    return text.removesuffix("\n").removesuffix("\r")


def standing_line(text: str) -> tuple[str, str] | None:
    """(first line, what follows the blank line after it) when the first line stands alone
    and something follows; else None."""
    lines = text.split("\n", 2)
    if len(lines) < 3 or lines[1].strip() or not lines[2].strip():
        return None
    return lines[0].strip(), lines[2]


def split_header(text: str) -> tuple[dict[str, str], dict[str, Any], str]:
    """(fields, lines as written, rest): the lines standing alone at the top of `text` that are
    a byline (`author`, through byline.py's cleaning) or a date (`published_date`, read as
    exports' dates are), each at most once and in either order. A dateline or byline is no
    headline: taken for the title, it hid the real one on the next line."""
    fields: dict[str, str] = {}
    written: dict[str, Any] = {}
    rest = text.lstrip("\ufeff")
    while found := standing_line(rest):
        line, after = found
        if "author" not in fields and (names := byline_line(line)):
            fields["author"], written["byline"] = AUTHOR_SEPARATOR.join(names), line
        elif "published_date" not in fields and (day := export_date(line)):
            fields["published_date"], written["dateline"] = day, line
        else:
            break
        rest = after
    return fields, written, rest if fields else text


def read_text(text: str, params: IngestParams) -> list[Article]:
    """The text without its byline and date lines (`split_header`; kept in `extra`) and with
    its headline: ingest drops the headline from `text` when it is the title
    (`pipeline.readers.drop_title`), and keeps it when a sidecar gives another title."""
    fields, written, text = split_header(text)
    title, _ = split_title(text, params.title_max_chars)
    extra = {"extra": written} if written else {}
    return [Article(text=strip_final_newline(text), title=title, **fields, **extra)]
