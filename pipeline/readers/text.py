"""Plain text: one article per file; a BBC-style headline line is the title."""

from __future__ import annotations

from pipeline.params import IngestParams
from pipeline.readers import Article

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


def read_text(text: str, params: IngestParams) -> list[Article]:
    """The whole text, headline included: ingest drops it from `text` when it is the title
    (`pipeline.readers.drop_title`), and keeps it when a sidecar gives another title."""
    title, _ = split_title(text, params.title_max_chars)
    return [Article(text=strip_final_newline(text), title=title)]
