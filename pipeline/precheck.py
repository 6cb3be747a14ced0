"""A fast yes to "is this record valid under the JSON Schema?", so jsonschema runs only on the
records that may not be.

jsonschema walks the schema anew for every value (about 2.6 ms for an annotated article with
40 entities, most of it in the `items` of the span arrays); validate reads tens of thousands of
such records. `compile_schema` turns the keywords the record schema uses (type, properties,
required, additionalProperties, items, enum, pattern, minimum, maximum, minLength, maxLength)
into plain Python closures, about twenty times faster. It may only err on the strict side: a
keyword it does not know, or a value it is unsure of (a float where an integer is asked for),
makes it answer False, and then jsonschema decides and words the errors, as it does for every
record that is not valid. So jsonschema stays the authority on what is valid and what is said.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Precheck = Callable[[Any], bool]
# Keywords that describe and constrain nothing.
ANNOTATIONS = {"description", "title", "$comment", "examples", "default", "$schema", "$id"}


def _never(_value: Any) -> bool:
    return False


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_TYPES: dict[str, Precheck] = {
    "string": lambda v: isinstance(v, str),
    # A float that is an integer (1.0) is one for jsonschema: unsure here, so no.
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": _is_number,
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
}


def compile_schema(spec: dict[str, Any]) -> Precheck:
    """A function that is True only for values `spec` accepts (False: ask jsonschema)."""
    keywords = {k: v for k, v in spec.items() if k not in ANNOTATIONS and not k.startswith("x-")}
    closed = keywords.get("type") == "object" and keywords.get("additionalProperties") is False
    if closed and set(keywords) <= {"type", "properties", "required", "additionalProperties"}:
        return _closed_object(keywords.get("properties", {}), keywords.get("required", []))
    checks: list[Precheck] = []
    for key, value in keywords.items():
        check = _keyword(key, value, spec)
        if check is None:
            return _never
        checks.append(check)
    if len(checks) == 1:
        return checks[0]

    # Loops, not all() over a generator: this runs for every value of every record.
    def every(v: Any) -> bool:
        for check in checks:  # noqa: SIM110
            if not check(v):
                return False
        return True

    return every


def _closed_object(properties: dict[str, Any], required: list[str]) -> Precheck:
    """The common case, in one function: an object with these properties and no other."""
    subs = [(name, compile_schema(sub)) for name, sub in properties.items()]
    known, needed = frozenset(properties), frozenset(required)

    def closed_object(v: Any) -> bool:
        if type(v) is not dict or not known.issuperset(v) or not needed.issubset(v):
            return False
        for name, check in subs:  # noqa: SIM110
            if name in v and not check(v[name]):
                return False
        return True

    return closed_object


def _keyword(key: str, value: Any, spec: dict[str, Any]) -> Precheck | None:
    """The check of one keyword; None for one this module does not know."""
    if key == "type":
        names = [value] if isinstance(value, str) else list(value)
        if any(n not in _TYPES for n in names):
            return None
        tests = [_TYPES[n] for n in names]
        return tests[0] if len(tests) == 1 else lambda v: any(t(v) for t in tests)
    if key == "properties":
        subs = [(name, compile_schema(sub)) for name, sub in value.items()]
        return lambda v: (
            not isinstance(v, dict) or all(name not in v or check(v[name]) for name, check in subs)
        )
    if key == "required":
        names = list(value)
        return lambda v: not isinstance(v, dict) or all(name in v for name in names)
    if key == "additionalProperties":
        if value is True:
            return lambda v: True
        if value is not False:
            return None
        known = frozenset(spec.get("properties", {}))
        return lambda v: not isinstance(v, dict) or known.issuperset(v)
    if key == "items" and isinstance(value, dict):
        item = compile_schema(value)

        def items(v: Any) -> bool:
            if isinstance(v, list):
                for x in v:  # noqa: SIM110
                    if not item(x):
                        return False
            return True

        return items
    if key == "enum" and all(isinstance(e, str) for e in value):
        allowed = frozenset(value)
        return lambda v: isinstance(v, str) and v in allowed
    if key == "pattern":
        search = re.compile(value).search
        return lambda v: not isinstance(v, str) or search(v) is not None
    if key in ("minimum", "maximum") and _is_number(value):
        if key == "minimum":
            return lambda v: not _is_number(v) or v >= value
        return lambda v: not _is_number(v) or v <= value
    if key in ("minLength", "maxLength") and isinstance(value, int):
        if key == "minLength":
            return lambda v: not isinstance(v, str) or len(v) >= value
        return lambda v: not isinstance(v, str) or len(v) <= value
    return None
