"""What an HTML page says its encoding is, read as browsers read it.

`declared_charset` finds the label in a <meta> tag; `declared_codec` turns it into the Python
codec a browser would use (the WHATWG Encoding Standard's label table, from webencodings), which
`encoding.decode` tries right after UTF-8.
"""

from __future__ import annotations

import codecs
import encodings
import re

import webencodings

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def declared_charset(raw: bytes) -> str | None:
    """The charset an HTML page declares in a <meta> tag near its start, if any."""
    match = _META_CHARSET.search(raw[:4096])
    return match.group(1).decode("ascii").lower() if match else None


def declared_codec(label: str) -> str | None:
    """The Python codec a browser decodes a page declaring `label` with, None for a label no
    browser knows. Pages that say "iso-8859-1" or "us-ascii" are full of Windows-1252's curly
    quotes and dashes (bytes 0x80 to 0x9F), which is why the WHATWG Encoding Standard maps
    those labels to windows-1252; and a Python-only name ("unicode_escape") is no charset.
    WHATWG's "replacement" and "x-user-defined" have no Python codec: ignored too."""
    encoding = webencodings.lookup(label)
    if encoding is None:
        return None
    if encoding.name in ("utf-16le", "utf-16be"):
        # A tag that could be read as ASCII is not UTF-16: HTML's prescan takes UTF-8 then.
        return "utf_8"
    name = encodings.normalize_encoding(encoding.codec_info.name)  # "iso8859-2" -> "iso8859_2"
    try:
        codecs.lookup(name)
    except LookupError:
        return None
    return name
