"""What is wrong with a params.yaml, one line a problem: `params.parse`'s error messages.

Each names the dotted key, the expected type and the value found, or, for an unknown key, the
closest key the section knows.
"""

from __future__ import annotations

import dataclasses
import difflib
import sys
from typing import Any


def did_you_mean(word: str, choices: list[str]) -> str:
    """A suffix naming the closest of `choices` to a misspelt `word` ("did you mean"), or ""."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _fields_at(loc: tuple[Any, ...], root: type) -> list[str]:
    """Field names of the section found at `loc` (a pydantic error location) under `root`."""
    module = sys.modules[root.__module__]
    cls: Any = root
    parts = list(loc)
    while parts:
        hint = str({f.name: f.type for f in dataclasses.fields(cls)}.get(parts.pop(0), ""))
        if hint.startswith("dict[str, ") and parts:
            parts.pop(0)  # a mapping's own key (a filter's column): the value's fields follow
            hint = hint.removeprefix("dict[str, ").removesuffix("]")
        # Field types are names (postponed annotations): a section is a dataclass of the module.
        cls = getattr(module, hint, None) if hint.isidentifier() else None
        if not dataclasses.is_dataclass(cls):
            return []
    return [f.name for f in dataclasses.fields(cls)]


_EXPECTED = {
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "string_type": "a string",
    "tuple_type": "a list",
    "list_type": "a list",
    "dict_type": "a mapping of keys to values",
    "dataclass_type": "a mapping of keys to values",
    "literal_error": "",
}


def describe(error: dict[str, Any], source: str, root: type) -> str:
    """One line for one pydantic error of the params whose top section is `root`: the dotted
    key, then what was wrong (for a misspelt key, the closest known one)."""
    loc = tuple(error["loc"])
    key = ".".join(str(p) for p in loc) or "(top level)"
    kind = error["type"]
    value = error.get("input")
    if kind in ("unexpected_keyword_argument", "extra_forbidden"):
        known = _fields_at(loc[:-1], root)
        return f"{source}: {key}: unknown key{did_you_mean(str(loc[-1]), known)}"
    if kind == "missing" or kind == "missing_argument":
        return f"{source}: {key}: missing (params.yaml must give every key; there are no defaults)"
    if kind == "value_error":
        return f"{source}: {key}: {error['ctx']['error']}"
    expected = _EXPECTED.get(kind)
    if expected:
        got = f"{value!r} ({type(value).__name__})"
        return f"{source}: {key}: expected {expected}, got {got}"
    return f"{source}: {key}: {error['msg']} (got {value!r})"
