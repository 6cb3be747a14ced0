"""`croissant.json`: the release described in Croissant 1.0 (JSON-LD, mlcommons.org/croissant),
so that tools which know nothing of this project (mlcroissant, TFDS, the Hub) find its files,
their sha256 and its fields.

Every file written before it (shards, `changes.parquet`, card, plots, `CITATION.cff`) is a
`FileObject` with its real sha256 and size; `manifest.json`, written after, lists them all. A
`FileSet` (`data/*.parquet`) is what the `records` RecordSet reads. Its fields are derived from
`pipeline.schema`, never restated: scalar columns map to one field each, lists of scalars are
`repeated`, a struct is a field with one `subField` per property (read with a JSON path into the
column), and a list of structs is a repeated field with sub-fields. The `changes` RecordSet (when
the release has `changes.parquet`) takes its fields from that file's own schema. Nothing depends
on the clock or the checkout path.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from pipeline.changes import CHANGES_FILE
from pipeline.ids import file_sha256
from pipeline.manifest import DATA_DIR, Release
from pipeline.schema import Field, record_schema

CONFORMS_TO = "http://mlcommons.org/croissant/1.0"
# The Croissant 1.0 context as the specification publishes it.
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "samplingRate": "cr:samplingRate",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}
PARQUET = "application/x-parquet"
ENCODINGS = {
    ".parquet": PARQUET,
    ".md": "text/markdown",
    ".png": "image/png",
    ".cff": "application/yaml",
    ".json": "application/json",
    ".html": "text/html",
}
MANIFEST = "manifest.json"
ARROW_TYPES = {"string": "sc:Text", "large_string": "sc:Text", "int64": "sc:Integer"}
FILE_SET = "parquet-files"
RECORD_SET = "records"
# JSON Schema scalar -> Croissant data type (what mlcroissant casts the values to).
DATA_TYPES = {
    "string": "sc:Text",
    "integer": "sc:Integer",
    "number": "sc:Float",
    "boolean": "sc:Boolean",
}


def _base(spec: dict[str, Any]) -> str:
    types = spec["type"]
    return types if isinstance(types, str) else next(t for t in types if t != "null")


def field_jsonld(f: Field) -> dict[str, Any]:
    """One column of the schema as a Croissant field of the `records` RecordSet."""
    spec, base = f.spec, f.base_type
    repeated = base == "array"
    if repeated:
        spec = spec["items"]
    out: dict[str, Any] = {
        "@type": "cr:Field",
        "@id": f"{RECORD_SET}/{f.name}",
        "name": f.name,
        "description": f.description,
    }
    if _base(spec) == "object":
        out["subField"] = [
            {
                "@type": "cr:Field",
                "@id": f"{RECORD_SET}/{f.name}/{name}",
                "name": name,
                "dataType": DATA_TYPES[_base(sub)],
                "source": _source(f.name, json_path=name),
            }
            for name, sub in spec["properties"].items()
        ]
    else:
        out["dataType"] = DATA_TYPES[_base(spec)]
        out["source"] = _source(f.name)
    if repeated:
        out["repeated"] = True
    return out


def _source(column: str, json_path: str | None = None) -> dict[str, Any]:
    source: dict[str, Any] = {"fileSet": {"@id": FILE_SET}, "extract": {"column": column}}
    if json_path:
        source["transform"] = {"jsonPath": json_path}
    return source


def file_objects(release: Path) -> list[dict[str, Any]]:
    """Every file of the release written so far (all but `manifest.json`, written after this,
    and `croissant.json` itself), with its real size and sha256."""
    paths = sorted(
        p for p in release.rglob("*") if p.is_file() and p.name not in ("croissant.json", MANIFEST)
    )
    return [
        {
            "@type": "cr:FileObject",
            "@id": path.relative_to(release).as_posix(),
            "name": path.relative_to(release).as_posix(),
            "contentUrl": path.relative_to(release).as_posix(),
            "encodingFormat": ENCODINGS.get(path.suffix, "application/octet-stream"),
            "contentSize": f"{path.stat().st_size} B",
            "sha256": file_sha256(path),
        }
        for path in paths
    ]


def changes_record_set(release: Path) -> list[dict[str, Any]]:
    """The `changes` RecordSet, its fields read from `changes.parquet`'s own schema."""
    path = release / CHANGES_FILE
    if not path.exists():
        return []
    schema = pq.read_schema(path)
    fields = [
        {
            "@type": "cr:Field",
            "@id": f"changes/{f.name}",
            "name": f.name,
            "dataType": ARROW_TYPES[str(f.type)],
            "source": {"fileObject": {"@id": CHANGES_FILE}, "extract": {"column": f.name}},
        }
        for f in schema
    ]
    description = (schema.metadata or {}).get(b"description", b"").decode()
    return [
        {
            "@type": "cr:RecordSet",
            "@id": "changes",
            "name": "changes",
            "description": description or "Record-level changes against the previous release.",
            "field": fields,
        }
    ]


def croissant(release: Path, r: Release) -> dict[str, Any]:
    pub = r.params.publish
    file_set = {
        "@type": "cr:FileSet",
        "@id": FILE_SET,
        "name": FILE_SET,
        "description": "Every Parquet shard of the release (one Hugging Face split per prefix).",
        "encodingFormat": PARQUET,
        "includes": f"{DATA_DIR}/*.parquet",
    }
    schema = record_schema()
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": pub.name,
        "description": (
            f"News and opinion articles, cleaned, annotated and validated by corpus-pipeline "
            f"(record schema {schema.name} {schema.version}); release {pub.build_version}."
        ),
        "version": pub.build_version,
        # The release's date, else the citation year (both params): never the clock.
        "datePublished": pub.released.isoformat() if pub.released else str(pub.year),
        "license": pub.license_link if pub.license == "other" else pub.license,
        "url": pub.homepage,
        "creator": [{"@type": "sc:Organization", "name": a} for a in pub.authors],
        "citeAs": citation_text(r),
        "inLanguage": sorted(r.languages),
        "distribution": [*file_objects(release), file_set],
        "recordSet": [
            {
                "@type": "cr:RecordSet",
                "@id": RECORD_SET,
                "name": RECORD_SET,
                "description": schema.json_schema.get("description", ""),
                "key": {"@id": f"{RECORD_SET}/id"},
                "field": [field_jsonld(f) for f in schema.fields],
            },
            *changes_record_set(release),
        ],
    }


def citation_text(r: Release) -> str:
    pub = r.params.publish
    authors = ", ".join(pub.authors)
    return f"{authors} ({pub.year}). {pub.name}, version {pub.build_version}. {pub.homepage}"


def write_croissant(release: Path, r: Release) -> None:
    """Write `croissant.json` into the release; the data files must be written already."""
    text = json.dumps(croissant(release, r), indent=2, ensure_ascii=False) + "\n"
    (release / "croissant.json").write_text(text, encoding="utf-8")
