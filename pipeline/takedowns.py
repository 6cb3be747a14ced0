"""Takedowns: which records `seeds/blocklist.txt` names, and which of its entries named none.

An entry is a record id (32 hex digits) or a URL, one a line, `#` starting a comment. A URL
entry takes down the record whose URL is the same article's URL however either is spelt
(`ids.url_key`: scheme, a leading `www.`, a trailing slash, tracking parameters, the fragment
and the query's order aside): a takedown request copies the URL from a browser or a share link,
rarely in the spelling the seed has, and an exact match let such articles be published.

An entry that takes down nothing is reported (ingest's `blocklist_unmatched`), not an error: a
takedown of an article no longer in seeds/ is normal, but so is a mistyped entry, and only a
person can tell them apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline import quarantine as q
from pipeline.engine import Reduce
from pipeline.ids import url_key
from pipeline.quarantine import Rejected

_ID = re.compile(r"[0-9a-fA-F]{32}")


class BlocklistError(ValueError):
    """A blocklist line that is neither an id nor a URL: a takedown that could not be applied."""


@dataclass(frozen=True)
class Blocklist:
    """The entries as written, in file order, and the entries naming each id and URL key."""

    entries: tuple[str, ...] = ()
    ids: dict[str, tuple[str, ...]] = field(default_factory=dict)
    urls: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def naming(self, record: dict[str, Any]) -> tuple[str, ...]:
        """Every entry that names the record, by its id or by its URL; () for none."""
        by_url = self.urls.get(url_key(record["url"]), ()) if record.get("url") else ()
        return self.ids.get(record["id"], ()) + by_url


@dataclass(frozen=True)
class TakenDown(Rejected):
    """A takedown's quarantine result, with the blocklist entries that named the record."""

    entries: tuple[str, ...] = ()


def load_blocklist(path: Path) -> Blocklist:
    """The blocklist at `path` (none there: an empty one). Stops on a line that is no URL."""
    if not path.is_file():
        return Blocklist()
    entries: list[str] = []
    ids: dict[str, tuple[str, ...]] = {}
    urls: dict[str, tuple[str, ...]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
        entry = line.split("#", 1)[0].strip()
        if not entry or entry in entries:
            continue
        entries.append(entry)
        if _ID.fullmatch(entry):
            ids[entry.lower()] = (*ids.get(entry.lower(), ()), entry)
            continue
        try:
            key = url_key(entry)
        except ValueError as exc:
            raise BlocklistError(f"{path}:{number}: {entry!r} is no id and no URL: {exc}") from exc
        urls[key] = (*urls.get(key, ()), entry)
    return Blocklist(tuple(entries), ids, urls)


def take_down(record: dict[str, Any] | Rejected, blocklist: Blocklist) -> dict[str, Any] | Rejected:
    """The record, or its takedown when the blocklist names it (the row will keep no text)."""
    if isinstance(record, Rejected) or not blocklist.entries:
        return record
    entries = blocklist.naming(record)
    if not entries:
        return record
    detail = f"{record['id']} is listed in the blocklist as {', '.join(entries)}"
    return TakenDown(q.TAKEDOWN, detail, record.get("source_row"), record["id"], entries)


def matched_entries(result: dict[str, Any] | Rejected) -> tuple[str, ...] | None:
    """The reduce's key: the entries a takedown used (module level: it is sent to workers)."""
    return result.entries if isinstance(result, TakenDown) else None


def unmatched_reduce(blocklist: Blocklist) -> Reduce:
    """A reduce whose result is the blocklist's entries that took nothing down, in file order."""

    def unmatched(keys: list[tuple[str, ...]]) -> list[str]:
        used = {entry for entries in keys for entry in entries}
        return [entry for entry in blocklist.entries if entry not in used]

    return Reduce("blocklist", matched_entries, unmatched)
