"""The record schema in `schemas/` and everything derived from it.

`schemas/record.schema.json` is the single source of truth. This module derives, never restates:
the Arrow schema of every stage's output (and through it the Hugging Face features), the
great-expectations suite, and the column table of the dataset card.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
STAGES = ("ingest", "clean", "annotate", "validate", "publish")

# JSON Schema scalar type -> Arrow type. Strings are Arrow `string` (32-bit offsets): one
# record batch of articles is far below 2 GiB. Hugging Face features are derived from the Arrow
# schema by `datasets` itself (see pipeline/publish.py), so they cannot drift from it.
_SCALARS: dict[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
}


def arrow_type(spec: dict[str, Any]) -> pa.DataType:
    """Arrow type of a JSON Schema: scalars, arrays of anything, objects as structs."""
    types = spec["type"]
    base = types if isinstance(types, str) else next(t for t in types if t != "null")
    if base == "array":
        return pa.list_(arrow_type(spec["items"]))
    if base == "object":
        required = set(spec.get("required", []))
        return pa.struct(
            [
                pa.field(name, arrow_type(sub), nullable=name not in required or _nullable(sub))
                for name, sub in spec["properties"].items()
            ]
        )
    return _SCALARS[base]


def _nullable(spec: dict[str, Any]) -> bool:
    return isinstance(spec.get("type"), list) and "null" in spec["type"]


@dataclass(frozen=True)
class Field:
    name: str
    spec: dict[str, Any]
    required: bool

    @property
    def nullable(self) -> bool:
        types = self.spec.get("type")
        return isinstance(types, list) and "null" in types

    @property
    def base_type(self) -> str:
        types = self.spec["type"]
        if isinstance(types, str):
            return types
        (base,) = [t for t in types if t != "null"]
        return base

    @property
    def stage(self) -> str:
        return self.spec.get("x-stage", "ingest")

    @property
    def description(self) -> str:
        return self.spec.get("description", "")

    def arrow_type(self) -> pa.DataType:
        return arrow_type(self.spec)


@dataclass(frozen=True)
class RecordSchema:
    name: str
    version: str
    json_schema: dict[str, Any]
    fields: tuple[Field, ...]

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def arrow(self, stage: str | None = None) -> pa.Schema:
        """Arrow schema of a stage's output: fields written by that stage or an earlier one."""
        fields = self.fields_until(stage) if stage else self.fields
        return pa.schema(
            [pa.field(f.name, f.arrow_type(), nullable=f.nullable) for f in fields],
            metadata={"schema": self.name, "schema_version": self.version},
        )

    def fields_until(self, stage: str) -> tuple[Field, ...]:
        last = STAGES.index(stage)
        return tuple(f for f in self.fields if STAGES.index(f.stage) <= last)


def _load(path: Path) -> RecordSchema:
    spec = json.loads(path.read_text(encoding="utf-8"))
    required = set(spec.get("required", []))
    fields = tuple(Field(n, s, n in required) for n, s in spec["properties"].items())
    return RecordSchema(path.name.split(".")[0], spec["x-schema-version"], spec, fields)


def schema_from(path: Path) -> RecordSchema:
    """A record schema from any file (a release's own `schema.json`, say)."""
    return _load(Path(path))


@cache
def record_schema() -> RecordSchema:
    return _load(SCHEMA_DIR / "record.schema.json")


@cache
def quarantine_schema() -> RecordSchema:
    return _load(SCHEMA_DIR / "quarantine.schema.json")


def expectations(schema: RecordSchema) -> list[tuple[str, dict[str, Any]]]:
    """great-expectations suite derived from the JSON Schema, as (expectation class, kwargs).

    Only what JSON Schema says is translated; the mapping is one keyword -> one expectation so
    that a failure in the report points back at one line of the schema.
    """
    out: list[tuple[str, dict[str, Any]]] = [
        ("ExpectTableColumnsToMatchOrderedList", {"column_list": schema.names}),
    ]
    for f in schema.fields:
        col = {"column": f.name}
        if not f.nullable:
            out.append(("ExpectColumnValuesToNotBeNull", col))
        spec = f.spec
        if "pattern" in spec:
            out.append(("ExpectColumnValuesToMatchRegex", {**col, "regex": spec["pattern"]}))
        if "enum" in spec:
            out.append(("ExpectColumnValuesToBeInSet", {**col, "value_set": spec["enum"]}))
        if "minimum" in spec or "maximum" in spec:
            bounds = {"min_value": spec.get("minimum"), "max_value": spec.get("maximum")}
            out.append(("ExpectColumnValuesToBeBetween", {**col, **bounds}))
        if "minLength" in spec or "maxLength" in spec:
            bounds = {"min_value": spec.get("minLength"), "max_value": spec.get("maxLength")}
            out.append(("ExpectColumnValueLengthsToBeBetween", {**col, **bounds}))
        if spec.get("x-unique"):
            out.append(("ExpectColumnValuesToBeUnique", col))
    return out
