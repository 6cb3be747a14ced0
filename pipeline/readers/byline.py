"""An author as a web page writes it -> the names it holds, without what is no name.

Bylines carry more than names: a job title ("GREG BEACHAM, AP Sports Writer", "Tom Gillespie
News reporter"), a wire service ("JILL LAWLESS Associated Press"), the site ("Jill Disis, CNN
Business", "Troy L. Smith, Cleveland.com"), a handle ("@TomGillespie1"), credentials ("Ilana
Muhlstein, MS, RDN"), "By" or a word that introduces them ("Analysis by"), and two names in one
("MEG KINNARD and ERRIN HAINES"). Word lists are in `bylines.yaml`. A part that may be a name
stays: "Kooman, F." is one name written "Last, First", "Mac & i" the name of a magazine. A name
that is the label of a button or link ("Follow Author", `ui_labels.yaml`) is no name at all.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.rule_data import read_path

RULES = read_path(Path(__file__).with_name("bylines.yaml"), version=1)
UI_LABELS = read_path(Path(__file__).with_name("ui_labels.yaml"), version=1)["labels"]
ROLES = frozenset(RULES["roles"])
AGENCIES = frozenset(RULES["agencies"])
_INTRODUCTION = re.compile(
    rf"^(?:(?:{'|'.join(RULES['introductions'])})\s+)?by\b\s*:?\s*", re.IGNORECASE
)
# Between a name and what follows it: ", ", " | ", " - ", or ". " after a word of two letters
# or more (not after an initial: "Bruce Y. Lee").
_SEPARATOR = re.compile(r"\s*(?:[,|]|\s[-–—]\s|(?<=[^\W\d_]{2})\.\s)\s*")
# Social media handles after the name ("Tom Gillespie News reporter @TomGillespie1").
_HANDLES = re.compile(r"(?:\s+@\w+)+$")
_CREDENTIAL = re.compile(r"^(?![IVX]+$)(?:[A-Z]{2,4}|Ph\.?\s?D\.?|M\.?D\.?)$")  # MS, RDN; not III
_DOMAIN = re.compile(r"\.[a-z]{2,}$", re.IGNORECASE)  # "NJ.com"
_AND = re.compile(r"\s+(?:and|&)\s+")
_WORDS = re.compile(r"[^\W_]+")
# Lower-case words a name (or a list of names) may hold.
_NAME_PARTICLES = frozenset(RULES["name_particles"])
_NAME_WORD = re.compile(r"^[^\W\d_][\w'’.-]*$")
_LABEL_WORDS = [_WORDS.findall(label.casefold()) for label in UI_LABELS]


def byline_names(author: str, site: str | None) -> list[str]:
    """The names in one declared or found `author`, `site` being the page's site name; none
    when it is a button's label."""
    if is_ui_label(author):
        return []
    name = without_extras(author, site)
    people = _AND.split(name)
    return people if len(people) > 1 and all(map(_person_like, people)) else [name]


def is_ui_label(text: str) -> bool:
    """Whether `text` holds the label of a control ("Follow Author", "Sign in"), whole words
    and ignoring case: found where a byline is looked for, it is no author's name."""
    words = _WORDS.findall(text.casefold())
    return any(_holds(words, label) for label in _LABEL_WORDS)


def _holds(words: list[str], part: list[str]) -> bool:
    n = len(part)
    return any(words[i : i + n] == part for i in range(len(words) - n + 1))


def byline_line(line: str) -> list[str]:
    """The names a line that is a byline and nothing else gives ("By Jane Smith", "BY JOHN
    SMITH, Associated Press", "Analysis by Chris Cillizza"), else []: it starts with "by" (or an
    introduction and "by") and, once what is no name is taken out, holds names only and no
    digit ("By the harbour wall" and "By Jane Smith | March 5, 2024" are no bylines)."""
    if not _INTRODUCTION.match(line.strip()):
        return []
    name = without_extras(line, None)
    if not any(c.isalpha() for c in name) or any(c.isdigit() for c in name):
        return []
    return byline_names(line, None) if names_only(name) else []


def without_extras(author: str, site: str | None) -> str:
    """`author` without an introduction, and without what follows its names that is no name."""
    name = _HANDLES.sub("", author.strip()) or author.strip()
    return _without_job(_without_tail(_INTRODUCTION.sub("", name), site))


def _without_tail(name: str, site: str | None) -> str:
    """`name` without the parts after it that are no name, last part first."""
    while separators := list(_SEPARATOR.finditer(name)):
        last = separators[-1]
        if last.start() == 0 or not _no_name(name[last.end() :], site):
            break
        name = name[: last.start()]
    return name


def _no_name(part: str, site: str | None) -> bool:
    folded = part.casefold()
    words = folded.replace("-", " ").split() + folded.split()
    return (
        any(word in ROLES for word in words)
        or folded in AGENCIES
        or bool(site and _names_site(part, site))
        or bool(_DOMAIN.search(part))
        or all(_CREDENTIAL.match(word) for word in part.split())
    )


def _names_site(part: str, site: str) -> bool:
    """`part` holds the site's name ("CNN Business" on CNN) or is a part of it ("CNN" on "CNN
    Business"), word for word: "Skylar" does not name Sky, an initial no site."""
    words, site_words = _WORDS.findall(part.casefold()), _WORDS.findall(site.casefold())
    holds_site = bool(site_words) and _holds(words, site_words)
    within = all(len(w) > 1 for w in words) and set(words) <= set(site_words)  # not "F."
    return bool(words) and (holds_site or within)


def _without_job(name: str) -> str:
    """`name` without a wire service or a job title written after it with no separator:
    "JILL LAWLESS Associated Press", "Jane Doe Reporter", "Tom Gillespie News reporter" (a desk
    before the title goes with it when two words of name are left)."""
    words = name.split()
    for n in (3, 2, 1):
        if len(words) - n >= 2 and " ".join(words[-n:]).casefold() in AGENCIES:
            return " ".join(words[:-n])
    if len(words) >= 3 and words[-1].casefold() in ROLES:
        return " ".join(words[:-2] if len(words) >= 4 else words[:-1])
    return name


def _person_like(name: str) -> bool:
    """Two to four capitalised words: a person's name, not "Johnson" of "Johnson & Johnson"."""
    words = name.split()
    return 2 <= len(words) <= 4 and all(_NAME_WORD.match(w) and w[0].isupper() for w in words)


def names_only(byline: str) -> bool:
    """Every word of `byline` could be part of a name: capitalised, an initial, a particle
    ("van", "de"), a joining "and", or no word at all ("&", "-"). Running text is not."""
    return all(
        not word[0].isalpha() or word[0].isupper() or word.casefold() in _NAME_PARTICLES
        for word in byline.split()
    )
