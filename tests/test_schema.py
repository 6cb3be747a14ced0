"""The JSON Schema in schemas/ and what pipeline/schema.py derives from it."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from pipeline.schema import (
    SCHEMA_DIR,
    STAGES,
    Field,
    _load,
    expectations,
    quarantine_schema,
    record_schema,
)

INGEST_FIELDS = [
    "id",
    "text",
    "title",
    "author",
    "published_date",
    "publisher",
    "url",
    "license",
    "source",
    "source_row",
    "source_sha256",
    "source_format",
    "encoding",
    "metadata",
]
CLEAN_FIELDS = [
    "id",
    "content_sha256",
    *INGEST_FIELDS[1:],
    "clean_log",
    "duplicates",
]
ANNOTATE_FIELDS = [
    "language",
    "language_score",
    "char_count",
    "word_count",
    "sentence_count",
    "paragraph_count",
    "reading_time_minutes",
    "flesch_reading_ease",
    "quality",
    "entities",
    "people",
    "organizations",
    "places",
    "quotes",
    "dates_mentioned",
    "pii",
    "near_duplicate_cluster",
    "split",
]
ALL_FIELDS = [*CLEAN_FIELDS, *ANNOTATE_FIELDS]
# What ingest may not know about an article: null, never an empty string.
NULLABLE = {"title", "author", "published_date", "publisher", "url", "license", "source_row"}
# Readability is modelled for English only: null elsewhere.
# Readability, and what spaCy's English model finds, are null for an article in another language.
SPACY_COLUMNS = {"entities", "people", "organizations", "places", "quotes", "dates_mentioned"}
NULLABLE_ANNOTATED = NULLABLE | {"flesch_reading_ease"} | SPACY_COLUMNS
CLEAN_LOG_ENTRY = pa.struct(
    [
        pa.field("step", pa.string(), nullable=False),
        pa.field("chars_removed", pa.int64(), nullable=False),
    ]
)


def raw_json(name: str) -> dict:
    return json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("stage", "names"),
    [
        ("ingest", INGEST_FIELDS),
        ("clean", CLEAN_FIELDS),
        ("annotate", ALL_FIELDS),
        ("validate", ALL_FIELDS),
        ("publish", ALL_FIELDS),
    ],
)
def test_arrow_schema_of_a_stage_holds_its_and_earlier_fields_in_schema_order(stage, names):
    assert record_schema().arrow(stage).names == names


def test_arrow_schema_without_stage_is_every_field():
    assert record_schema().arrow().names == ALL_FIELDS == list(raw_json("record")["properties"])


@pytest.mark.parametrize("stage", STAGES)
def test_only_types_with_null_are_nullable(stage):
    nullable = {f.name for f in record_schema().arrow(stage) if f.nullable}
    assert nullable == (NULLABLE if stage in ("ingest", "clean") else NULLABLE_ANNOTATED)


def test_quarantine_schema_nullability():
    schema = quarantine_schema().arrow()
    assert schema.names == [
        "stage",
        "reason",
        "detail",
        "source",
        "source_row",
        "source_sha256",
        "id",
        "record",
    ]
    assert {f.name for f in schema if f.nullable} == {"source_row", "id", "record"}


@pytest.mark.parametrize(
    ("name", "arrow_type"),
    [
        ("id", pa.string()),
        ("title", pa.string()),
        ("published_date", pa.string()),
        ("source_row", pa.int64()),
        ("clean_log", pa.list_(CLEAN_LOG_ENTRY)),
        ("duplicates", pa.list_(pa.string())),
        ("language_score", pa.float64()),
        ("char_count", pa.int64()),
        ("word_count", pa.int64()),
    ],
)
def test_arrow_types(name, arrow_type):
    assert record_schema().arrow().field(name).type == arrow_type


def test_clean_log_entries_are_structs_with_required_fields():
    struct = record_schema().arrow().field("clean_log").type.value_type
    assert [(f.name, f.type, f.nullable) for f in struct] == [
        ("step", pa.string(), False),
        ("chars_removed", pa.int64(), False),
    ]


def test_arrow_schema_carries_schema_name_and_version():
    version = raw_json("record")["x-schema-version"]
    metadata = record_schema().arrow("clean").metadata
    assert metadata == {b"schema": b"record", b"schema_version": version.encode()}


def test_unknown_stage_is_an_error():
    with pytest.raises(ValueError):
        record_schema().arrow("tokenize")


@pytest.mark.parametrize(
    ("spec", "nullable", "arrow_type", "stage"),
    [
        ({"type": "string"}, False, pa.string(), "ingest"),
        ({"type": ["string", "null"]}, True, pa.string(), "ingest"),
        ({"type": ["string"]}, False, pa.string(), "ingest"),
        ({"type": ["null", "integer"], "x-stage": "annotate"}, True, pa.int64(), "annotate"),
        ({"type": "boolean", "x-stage": "validate"}, False, pa.bool_(), "validate"),
        ({"type": "array", "items": {"type": "number"}}, False, pa.list_(pa.float64()), "ingest"),
        (
            {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["a"],
                    "properties": {"a": {"type": "string"}, "b": {"type": ["integer", "null"]}},
                },
                "x-stage": "clean",
            },
            False,
            pa.list_(
                pa.struct([pa.field("a", pa.string(), nullable=False), pa.field("b", pa.int64())])
            ),
            "clean",
        ),
        (
            {"type": ["object", "null"], "properties": {"c": {"type": "boolean"}}},
            True,
            pa.struct([pa.field("c", pa.bool_())]),  # not required: nullable
            "ingest",
        ),
    ],
)
def test_field_from_spec(spec, nullable, arrow_type, stage):
    field = Field("f", spec, required=True)
    assert (field.nullable, field.arrow_type(), field.stage) == (nullable, arrow_type, stage)


@pytest.mark.parametrize("name", ["record", "quarantine"])
def test_every_field_is_described(name):
    properties = raw_json(name)["properties"]
    undescribed = [n for n, spec in properties.items() if not spec.get("description", "").strip()]
    assert undescribed == []


def test_every_record_field_names_a_known_stage():
    properties = raw_json("record")["properties"]
    unknown = {n: s.get("x-stage") for n, s in properties.items() if s.get("x-stage") not in STAGES}
    assert unknown == {}


@pytest.mark.parametrize("name", ["record", "quarantine"])
def test_every_field_is_required_and_no_other_is_allowed(name):
    spec = raw_json(name)
    assert sorted(spec["required"]) == sorted(spec["properties"])
    assert spec["additionalProperties"] is False


def test_loaded_schema_matches_the_json_file():
    schema, spec = record_schema(), raw_json("record")
    assert schema.name == "record"
    assert schema.version == spec["x-schema-version"]
    assert schema.names == list(spec["properties"])
    assert all(f.required for f in schema.fields)


@pytest.fixture
def tiny_schema(tmp_path):
    """A hand-written schema using each keyword the expectations suite translates once."""
    spec = {
        "x-schema-version": "9.9.9",
        "required": ["key", "code", "kind", "score", "body"],
        "properties": {
            "key": {"type": "string", "pattern": "^[a-z]+$", "x-unique": True},
            "code": {"type": ["integer", "null"], "minimum": 0},
            "kind": {"type": "string", "enum": ["a", "b"]},
            "score": {"type": "number", "minimum": 0, "maximum": 1},
            "body": {"type": "string", "minLength": 1},
            "note": {"type": ["string", "null"], "maxLength": 10},
        },
    }
    path = tmp_path / "tiny.schema.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    return _load(path)


def test_expectations_translate_one_keyword_into_one_expectation(tiny_schema):
    assert tiny_schema.name == "tiny"
    assert expectations(tiny_schema) == [
        (
            "ExpectTableColumnsToMatchOrderedList",
            {"column_list": ["key", "code", "kind", "score", "body", "note"]},
        ),
        ("ExpectColumnValuesToNotBeNull", {"column": "key"}),
        ("ExpectColumnValuesToMatchRegex", {"column": "key", "regex": "^[a-z]+$"}),
        ("ExpectColumnValuesToBeUnique", {"column": "key"}),
        ("ExpectColumnValuesToBeBetween", {"column": "code", "min_value": 0, "max_value": None}),
        ("ExpectColumnValuesToNotBeNull", {"column": "kind"}),
        ("ExpectColumnValuesToBeInSet", {"column": "kind", "value_set": ["a", "b"]}),
        ("ExpectColumnValuesToNotBeNull", {"column": "score"}),
        ("ExpectColumnValuesToBeBetween", {"column": "score", "min_value": 0, "max_value": 1}),
        ("ExpectColumnValuesToNotBeNull", {"column": "body"}),
        (
            "ExpectColumnValueLengthsToBeBetween",
            {"column": "body", "min_value": 1, "max_value": None},
        ),
        (
            "ExpectColumnValueLengthsToBeBetween",
            {"column": "note", "min_value": None, "max_value": 10},
        ),
    ]
    assert tiny_schema.field("code").required and not tiny_schema.field("note").required


def test_record_expectations_follow_the_record_schema():
    suite = expectations(record_schema())
    by_kind: dict[str, list[dict]] = {}
    for kind, kwargs in suite:
        by_kind.setdefault(kind, []).append(kwargs)

    assert suite[0] == ("ExpectTableColumnsToMatchOrderedList", {"column_list": ALL_FIELDS})
    not_null = [k["column"] for k in by_kind["ExpectColumnValuesToNotBeNull"]]
    assert not_null == [n for n in ALL_FIELDS if n not in NULLABLE_ANNOTATED]
    assert by_kind["ExpectColumnValuesToBeUnique"] == [{"column": "id"}]
    assert {"column": "id", "regex": "^[0-9a-f]{32}$"} in by_kind["ExpectColumnValuesToMatchRegex"]
    assert {
        "column": "published_date",
        "regex": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    } in by_kind["ExpectColumnValuesToMatchRegex"]
    assert by_kind["ExpectColumnValuesToBeInSet"] == [
        {"column": "source_format", "value_set": ["txt", "md", "html", "jsonl", "json", "csv"]},
        {"column": "split", "value_set": ["train", "validation", "test"]},
    ]
    assert {"column": "language_score", "min_value": 0, "max_value": 1} in by_kind[
        "ExpectColumnValuesToBeBetween"
    ]
    assert {"column": "source_row", "min_value": 1, "max_value": None} in by_kind[
        "ExpectColumnValuesToBeBetween"
    ]
