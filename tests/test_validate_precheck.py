"""The compiled pre-check says yes only to records jsonschema accepts (else jsonschema decides)."""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from pipeline.precheck import compile_schema
from pipeline.schema import record_schema
from tests.test_validate import GOOD, article
from tests.test_validate_path import TEXTS

SCHEMA = record_schema().json_schema
VALID = compile_schema(SCHEMA)
JSONSCHEMA = Draft202012Validator(SCHEMA)
RICH = article("council.txt", TEXTS["council.txt"])  # entities, a quote, a date

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.sampled_from([1.0, 0.5, -1.0, 2**63])
    | st.sampled_from(["", "x", "en", "EN", "txt", "pdf", "0" * 32, "0" * 64, "2024-01-31"]),
    lambda inner: (
        st.lists(inner, max_size=2)
        | st.dictionaries(st.sampled_from(["text", "start", "a"]), inner, max_size=2)
    ),
    max_leaves=4,
)


def paths(value, prefix=()):
    """Every path into a record: keys of objects, indices of lists."""
    yield prefix
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from paths(sub, (*prefix, key))
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            yield from paths(sub, (*prefix, i))


PATHS = [p for p in paths(RICH) if p]


def mutate(record: dict, path: tuple, action: str, value) -> dict:
    out = copy.deepcopy(record)
    *parents, last = path
    node = out
    for part in parents:
        node = node[part]
    if action == "delete" and isinstance(node, dict):
        del node[last]
    elif action == "extra" and isinstance(node, dict):
        node["unexpected_key"] = value
    else:
        node[last] = value
    return out


def test_valid_records_need_no_jsonschema():
    assert VALID(GOOD) and VALID(RICH)
    assert RICH["entities"] and RICH["quotes"] and RICH["dates_mentioned"]


@settings(max_examples=500)
@given(
    st.sampled_from(PATHS),
    st.sampled_from(["set", "set", "delete", "extra"]),
    JSON_VALUES,
)
def test_a_yes_is_always_jsonschemas_yes(path, action, value):
    record = mutate(RICH, path, action, value)
    if VALID(record):
        assert JSONSCHEMA.is_valid(record), (path, action, value)


def test_an_unknown_keyword_defers_to_jsonschema():
    assert not compile_schema({"type": "string", "format": "date"})("2024-01-31")
    assert not compile_schema({"type": "integer"})(1.0)  # jsonschema's integer; unsure here
    assert compile_schema({"type": ["string", "null"], "pattern": "^a"})(None)
