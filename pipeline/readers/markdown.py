"""Markdown: one article per file, read with markdown-it-py (CommonMark plus tables).

YAML front matter (or Hugo's TOML, between "+++" lines) gives metadata (its keys as
`ingest.fields` names them; the others are kept in `metadata`); front matter that does not
parse quarantines the file (`bad_front_matter`). The first level-1 heading is the title when
the front matter has none. The heading stays in `text`: ingest removes it there
when it is the final title (`pipeline.readers.drop_title`, the rule for every format), so a
heading the front matter or a sidecar overrides is kept as text, and one that repeats the
front-matter title is not. The text keeps every block (paragraphs, headings, list items,
quotes, code, table rows, the blocks of an HTML block) as its own paragraph and drops only
markup: link targets, image references, HTML tags (a `<br>` is a line break).
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from pipeline import quarantine as q
from pipeline.params import IngestParams
from pipeline.quarantine import Rejected
from pipeline.readers import Article
from pipeline.readers.fields import FIELDS, metadata_fields, unused
from pipeline.readers.markup import markup_text
from pipeline.readers.text import strip_final_newline

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
# Hugo's TOML front matter, between "+++" lines.
_TOML_FRONT_MATTER = re.compile(r"\A\+\+\+[ \t]*\n(.*?)\n\+\+\+[ \t]*(?:\n|\Z)", re.S)
_MD = MarkdownIt("commonmark").enable("table")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
# CommonMark's line endings: LF, CRLF or a lone CR.
_LINE_ENDING = re.compile(r"\r\n?")


def split_front_matter(text: str) -> tuple[dict[str, Any], str] | Rejected:
    """(front matter, rest): YAML between "---" lines, or TOML between "+++" lines.

    Front matter its language cannot parse is refused (`bad_front_matter`), as Jekyll and Hugo
    refuse the file: read as Markdown, it would be published as the first paragraph and the
    article without its metadata. YAML that parses to no mapping stays text: "---", a line and
    "---" is also a thematic break and a setext heading.
    """
    if match := _TOML_FRONT_MATTER.match(text):
        try:
            return tomllib.loads(match.group(1)), text[match.end() :]
        except tomllib.TOMLDecodeError as exc:
            return Rejected(q.BAD_FRONT_MATTER, f"TOML front matter: {_toml_error(exc)}")
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        return Rejected(q.BAD_FRONT_MATTER, f"YAML front matter: {_yaml_error(exc)}")
    if not isinstance(meta, dict):
        return {}, text
    return meta, text[match.end() :]


# Where a parser places its error, counted in the front matter: the file's line is one more
# (the opening "---" or "+++").
_TOML_AT = re.compile(r"\s*\(at (?:line (\d+), (column \d+)|end of document)\)$")


def _yaml_error(exc: yaml.YAMLError) -> str:
    """The problem PyYAML found and its line and column in the file."""
    if not isinstance(exc, yaml.MarkedYAMLError) or exc.problem_mark is None:
        return str(exc).split("\n", 1)[0]
    mark = exc.problem_mark
    return f"{exc.problem} (line {mark.line + 2}, column {mark.column + 1})"


def _toml_error(exc: tomllib.TOMLDecodeError) -> str:
    """tomllib's message with its line counted in the file."""

    def in_file(m: re.Match[str]) -> str:
        return f" (line {int(m[1]) + 1}, {m[2]})" if m[1] else ""

    return _TOML_AT.sub(in_file, str(exc).split("\n", 1)[0])


def is_line_break(token: Token) -> bool:
    """Markdown's hard break, or HTML's `<br>` written inline (dropped as markup, it glued the
    words on either side: "at:<br>12 Harbour Road" read "at:12 Harbour Road")."""
    return token.type == "hardbreak" or (
        token.type == "html_inline" and _BR.fullmatch(token.content.strip()) is not None
    )


def inline_text(token: Token) -> str:
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")  # a wrapped source line, not a line break in the article
        elif is_line_break(child):
            parts.append("\n")
        # link_open/close keep their text children; images and other inline HTML are markup
    return "".join(parts).strip()


def blocks(tokens: list[Token]) -> list[tuple[str, str]]:
    """(kind, text) of each block in document order; kind is the opening token's tag."""
    out: list[tuple[str, str]] = []
    row: list[str] | None = None
    for i, token in enumerate(tokens):
        if token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            out.append(("tr", " | ".join(row)))
            row = None
        elif token.type == "inline":
            text = inline_text(token)
            if row is not None:
                row.append(text)
            elif text:
                out.append((tokens[i - 1].tag if i else "p", text))
        elif token.type in ("fence", "code_block") and token.content.strip():
            out.append(("code", token.content.rstrip("\n")))
        elif token.type == "html_block":
            # "<p>...</p>" or "<div>...</div>" written in the Markdown: its text is the article's
            blocks_of_html = markup_text(token.content).split("\n\n")
            out.extend(("html", block) for block in blocks_of_html if block)
    return out


def read_markdown(text: str, params: IngestParams) -> list[Article | Rejected]:
    # markdown-it reads every line ending as one, but the front matter is found before it
    # parses: a file saved on Windows (CRLF) would keep its front matter as the first paragraph.
    split = split_front_matter(_LINE_ENDING.sub("\n", text))
    if isinstance(split, Rejected):
        return [split]
    meta, body = split
    found = blocks(_MD.parse(body))
    fields, used = metadata_fields(meta, params.fields)
    if "title" not in fields and found and found[0][0] == "h1":
        fields["title"] = found[0][1]
    return [
        Article(
            text=strip_final_newline("\n\n".join(block for _, block in found)),
            **{field: fields.get(field) for field in FIELDS},
            extra=unused(meta, used),
        )
    ]
