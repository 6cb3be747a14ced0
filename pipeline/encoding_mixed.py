"""UTF-8 with a few bytes of a legacy encoding: a file edited by two tools.

"Straßensperrung in München ... 5€" saved as UTF-8 and then appended to by an editor writing
Windows-1252 is valid UTF-8 except for the appended "€" (0x80) and "ß" (0xDF). Read whole in
one code page it is garbled everywhere ("StraĂźensperrung"); read as UTF-8 with only the bytes
that are not UTF-8 decoded in a legacy encoding, it is right. That mixed reading is one more
candidate for `encoding.best_guess`, judged by its characters like the others, and each run of
bytes it reads in the fallback costs an anomaly (`foreign_runs`): a switch of encoding inside
one file is as odd as a word that mixes scripts. So a few stray bytes in a UTF-8 text read
right, while a Windows-1252 text whose "É’" happens to be the UTF-8 of "ɒ" keeps its own
reading. Its name, the encoding recorded, is "utf-8+<codec>" (`mixed_name`).
"""

from __future__ import annotations

import re

_SEPARATOR = "+"
# Python's "surrogateescape" error handler keeps each byte that is not UTF-8 as one of these.
_ESCAPED = re.compile("[\udc80-\udcff]+")


def mixed_name(fallback: str) -> str:
    return f"utf-8{_SEPARATOR}{fallback}"


def codecs_of(encoding: str) -> list[str]:
    """The Python codecs a recorded encoding name is made of: ["utf-8", "cp1252"] for a mixed
    reading, the name alone for any other."""
    return encoding.split(_SEPARATOR)


def is_mixed(encoding: str) -> bool:
    return _SEPARATOR in encoding


def foreign_runs(raw: bytes) -> int:
    """How many runs of bytes that are not UTF-8 `raw` holds: the switches a mixed reading
    claims."""
    return len(_ESCAPED.findall(raw.decode("utf-8", "surrogateescape")))


def decode_mixed(raw: bytes, fallback: str, errors: str = "strict") -> str:
    """`raw` as UTF-8, each run of bytes that are not UTF-8 decoded with `fallback` (raising
    UnicodeDecodeError, with strict `errors`, when it cannot decode them either). Without a
    UTF-8 sequence of two bytes or more this is the fallback's own reading."""

    def fall_back(run: re.Match[str]) -> str:
        return run.group().encode("utf-8", "surrogateescape").decode(fallback, errors)

    return _ESCAPED.sub(fall_back, raw.decode("utf-8", "surrogateescape"))
