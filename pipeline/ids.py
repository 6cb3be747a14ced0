"""Deterministic ids and content hashes: the same article gets the same id in every release."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING_PARAM = re.compile(r"^(utm_.*|fbclid|gclid|mc_cid|mc_eid)$")


def file_sha256(path: Path) -> str:
    """sha256 of a file, read in 1 MiB blocks (seeds and release shards can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_hex(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def canonical_url(url: str) -> str:
    """One spelling per article URL: lower-case scheme and host, no fragment, no tracking."""
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    query = [(k, v) for k, v in query if not _TRACKING_PARAM.match(k)]
    netloc = parts.netloc.lower().removesuffix(":80").removesuffix(":443")
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), netloc, path, urlencode(query), ""))


def is_site_root(url: str) -> bool:
    """A site's home page: its path empty or "/", and no query once tracking is dropped.

    Many templates put the home page in every article's `<link rel=canonical>` or og:url; taken
    as the article's URL, it gave every article of the site one id. A query left after
    `canonical_url` ("/?p=4512", WordPress) names an article. Raises ValueError as urllib does.
    """
    parts = urlsplit(canonical_url(url))
    return parts.path in ("", "/") and not parts.query


def url_key(url: str) -> str:
    """What every spelling of one article's URL has in common: `canonical_url` without the
    scheme, a leading `www.` or a trailing slash, its query sorted ("example.com/news/a").

    For matching a URL someone wrote down (a takedown request copies it from a browser, a
    share link or an old citation) against a record's. Ids keep `canonical_url`: folding these
    spellings into the id would change the id, and so the published id, of every article
    whose URL has one of them. A URL without a scheme ("www.example.com/a") is read as a host
    and a path, not as a relative path. Raises ValueError for what urllib cannot parse.
    """
    text = url.strip()
    if "://" not in text and not text.startswith("//"):
        text = f"//{text}"
    parts = urlsplit(canonical_url(text))
    host = parts.netloc.removeprefix("www.")
    path = parts.path.rstrip("/")
    query = "&".join(sorted(parts.query.split("&"))) if parts.query else ""
    return f"{host}{path}?{query}" if query else f"{host}{path}"


def source_ref(source: str, row: int | None) -> str:
    """Where an article is in seeds/: its path, and its row in an export (`a/b.jsonl#3`)."""
    return source if row is None else f"{source}#{row}"


def record_id(url: str | None, source: str) -> str:
    """Stable id: the canonical URL when known (survives renames), else the path under seeds/."""
    key = f"url:{canonical_url(url)}" if url else f"path:{source}"
    return sha256_hex(key)[:32]


def hex_digest(value: str, digits: int = 32) -> bytes | None:
    """The bytes of `digits` lowercase hex digits (ids and cluster ids, as made here), None for
    any other string: a digest stands for one string only."""
    if len(value) != digits:
        return None
    try:
        digest = bytes.fromhex(value)
    except ValueError:
        return None
    # fromhex also reads upper case and skips spaces: only the one spelling maps to the bytes.
    return digest if digest.hex() == value else None
