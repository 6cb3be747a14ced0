"""Typed, frozen view of `params.yaml`: one pydantic dataclass per section.

params.yaml is the one source of values: no field has a default here, so a key missing from the
file is an error, not a silent fallback. Unknown keys and values of the wrong type are errors
too; `load` reports every one of them at once, each with its dotted key, the expected type and
(for a misspelt key) the closest known one.
"""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ConfigDict, TypeAdapter, ValidationError, field_validator, model_validator
from pydantic.dataclasses import dataclass

from pipeline.params_errors import describe, did_you_mean

DEFAULT_PATH = Path("params.yaml")
SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")
UNRELEASED = "+unreleased"  # the build metadata of a build that is no release


def is_unreleased(version: str) -> bool:
    """A build's version (`PublishParams.build_version`) names no release."""
    return version.endswith(UNRELEASED)


# Strict: "lots" is no batch size and "5" no number. YAML is validated as JSON, where a list is
# the only way to write a tuple, so lists are accepted for tuple fields.
_STRICT = ConfigDict(extra="forbid", strict=True)
section = dataclass(frozen=True, config=_STRICT)


class ParamsError(ValueError):
    """params.yaml does not match the sections and keys defined here."""


@section
class EngineParams:
    batch_size: int
    row_group_rows: int
    compression: Literal["zstd", "snappy", "gzip", "brotli", "lz4", "none"]
    compression_level: int
    max_error_share: float
    workers: int  # processes per stage; 0: every core (CORPUS_WORKERS overrides)
    # per-article results kept between runs (pipeline/cache.py); None: no cache
    cache_dir: str | None

    @field_validator("batch_size", "row_group_rows")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        return value

    @field_validator("workers")
    @classmethod
    def _workers(cls, value: int) -> int:
        if value < 0:
            raise ValueError("must be 0 (every core) or more")
        return value


def key_spelling(key: str) -> str:
    """How a metadata key is matched (`FieldParams`, `pipeline.readers.fields`): case and
    surrounding spaces aside, "Title " is `title`."""
    return key.strip().casefold()


@section
class FieldParams:
    """The keys that may hold each record field in a JSONL/CSV row, a Markdown front matter or
    a sidecar, first choice first (pipeline/readers/fields.py); `text` is read from exports."""

    text: tuple[str, ...]
    title: tuple[str, ...]
    url: tuple[str, ...]
    author: tuple[str, ...]
    published_date: tuple[str, ...]
    publisher: tuple[str, ...]
    license: tuple[str, ...]

    @model_validator(mode="after")
    def _each_key_one_field(self) -> FieldParams:
        owners: dict[str, str] = {}
        for field in dataclasses.fields(self):
            keys = getattr(self, field.name)
            if not keys:
                raise ValueError(f"{field.name}: needs at least one key")
            for key in keys:
                other = owners.setdefault(key_spelling(key), field.name)
                if other != field.name:
                    raise ValueError(f"key {key!r} is listed for both {other} and {field.name}")
        return self


@section
class HtmlParams:
    """How pipeline/readers/html.py extracts an article from a page (measured by
    bench/readability_eval.py)."""

    prune_boilerplate: bool  # drop hidden/dialog/navigation/"unlikely candidate" elements
    prune_min_chars: int  # pruned page gives fewer characters, the whole page more: whole
    prune_min_share: float  # or fewer words than this share of the whole page's: whole
    recall_pass: bool  # also extract favouring recall; keep it if it only adds a little:
    recall_max_growth: float  # at most this share more words than the balanced pass
    recall_min_overlap: float  # and keeping at least this share of its words
    include_tables: bool
    include_captions: bool  # <figcaption> text is article text
    min_text_chars: int  # less extracted text than this is no article: no_content
    date_extensive_search: bool  # dates in running text too (more copyright years)
    date_max: str  # latest acceptable date: a constant, not the clock


@section
class IngestParams:
    extensions: tuple[str, ...]
    sidecar_suffixes: tuple[str, ...]
    fields: FieldParams
    html: HtmlParams
    max_bytes: int
    title_max_chars: int
    preferred_encodings: tuple[str, ...]
    # A file of that name at the root of seeds/ lists ids or URLs (one a line, # comments) that
    # must never reach a release: takedowns. It is not an article.
    blocklist: str


@section
class CleanParams:
    unicode_form: Literal["NFC", "NFKC", "NFD", "NFKD"]
    fix_mojibake: bool
    unescape_html_entities: bool
    strip_control_chars: bool
    strip_zero_width: bool
    remove_soft_hyphens: bool
    normalize_whitespace: bool


@section
class NearDuplicateParams:
    threshold: float  # estimated Jaccard similarity of word shingles that makes a pair
    num_perm: int
    shingle_words: int
    seed: int


@section
class SplitParams:
    train: float
    validation: float
    test: float


@section
class PiiParams:
    redact: bool


@section
class DateParams:
    latest_year: int  # dates_v3: a bare number after this is no year ("| 2339 |" in a table)


@section
class Bounds:
    """A filter's bounds: a record whose value is outside [min, max] is quarantined."""

    min: float | None = None  # an absent bound is no bound, not a value taken from elsewhere
    max: float | None = None

    @model_validator(mode="after")
    def _one_bound_at_least(self) -> Bounds:
        if self.min is None and self.max is None:
            raise ValueError("a filter needs `min`, `max` or both")
        return self


@section
class AnnotateParams:
    # slot -> annotator name (see pipeline/annotators/__init__.py)
    annotators: dict[str, str]
    language_candidates: tuple[str, ...]
    words_per_minute: int
    spacy_model: str
    spacy_batch_size: int
    near_duplicates: NearDuplicateParams
    split: SplitParams
    pii: PiiParams
    dates: DateParams
    # column (dotted for struct fields) -> bounds; records outside are quarantined as
    # `filtered`. Empty: annotations describe, they do not drop.
    filters: dict[str, Bounds]

    @field_validator("annotators")
    @classmethod
    def _slots_exist(cls, annotators: dict[str, str]) -> dict[str, str]:
        from pipeline.schema import record_schema

        slots = sorted(
            {f.spec["x-annotator"] for f in record_schema().fields if "x-annotator" in f.spec}
        )
        for slot in annotators:
            if slot not in slots:
                raise ValueError(f"no annotator slot {slot!r}{did_you_mean(slot, slots)}")
        return annotators

    @field_validator("filters")
    @classmethod
    def _filter_columns_exist(cls, filters: dict[str, Bounds]) -> dict[str, Bounds]:
        numeric = numeric_columns()
        for column in filters:
            if column not in numeric:
                raise ValueError(
                    f"no numeric column {column!r} to filter on{did_you_mean(column, numeric)}"
                )
        return filters


@section
class Range:
    """A closed interval a figure of the validated table must fall in."""

    min: float
    max: float

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min > self.max:
            raise ValueError("`min` must not exceed `max`")
        return self


@section
class QuantileRange:
    """The `quantile` of a column must fall in [min, max]."""

    quantile: float
    min: float
    max: float


@section
class TableCheckParams:
    """great-expectations on the whole validated table; a failure stops the stage."""

    # Shares, quantiles and means are checked from this many articles on: below, one article
    # is a share of 1/n and says nothing about the corpus. Uniqueness is always checked.
    min_articles: int
    max_quarantine_share: float  # of the records validate reads
    # articles whose text another article has too (under another title, so clean kept both)
    max_duplicate_text_share: float
    # |share of a split - annotate.split ratio| <= tolerance + sigmas * binomial standard
    # deviation over the near-duplicate clusters (the unit the split is drawn for)
    split_tolerance: float
    split_sigmas: float
    languages: tuple[str, ...]  # the corpus's expected languages
    min_language_share: float  # of the articles in one of `languages`
    max_empty_title_share: float
    max_missing_date_share: float
    word_count_quantiles: tuple[QuantileRange, ...]
    entities_per_1k_words: Range  # mean over articles
    quotes_per_article: Range  # mean over articles


@section
class DriftParams:
    """How far a release's headline figures may move from the previous release's
    (pipeline/drift.py)."""

    max_article_loss: float  # share of the previous release's articles
    max_article_gain: float  # share of the previous release's articles
    max_quantile_change: float  # relative change of a word-count quantile
    max_rate_change: float  # absolute change of a rate (quarantine, near-duplicate, PII, ...)
    max_mix_change: float  # total variation distance of a mix (languages, publishers, ...)


@section
class ValidateParams:
    min_word_count: int  # beyond the schema: a record with fewer words is quarantined
    table: TableCheckParams
    drift: DriftParams


@section
class PublishParams:
    name: str
    version: str | None  # set by `corpus release`; None: a build that is no release
    # The day `corpus release` made the release (CITATION.cff's date-released, Croissant's
    # datePublished): a param like the version, so rebuilding the tag gives the same bytes.
    released: date | None
    previous: str | None  # the version this one follows; None: the first release
    accepted_drift: str | None  # why drift from `previous` beyond validate.drift was accepted
    license: str  # a Hub licence id; `other` needs license_name and license_link
    license_name: str | None
    license_link: str | None
    homepage: str  # cited as the release's URL
    authors: tuple[str, ...]
    year: int  # citation year: a param, never the clock
    # split -> Parquet files its rows are spread over by a hash of their id: a record stays in
    # its file from release to release, so a new article rewrites one file of its split.
    buckets: dict[str, int]
    # A split's files are doubled (from `buckets`) until each holds about this many rows or
    # fewer: publish holds one file in memory while it writes it.
    max_rows_per_file: int

    @property
    def build_version(self) -> str:
        """The version this build carries: `version` for a release; any other build is the
        release it follows plus `+unreleased` (semver build metadata), so a build between two
        releases never claims a version whose contents it does not have."""
        if self.version is not None:
            return self.version
        return f"{self.previous or '0.0.0'}{UNRELEASED}"

    @field_validator("version", "previous")
    @classmethod
    def _semantic_version(cls, value: str | None) -> str | None:
        if value is not None and not SEMVER.fullmatch(value):
            raise ValueError(f"{value!r} is not a version MAJOR.MINOR.PATCH")
        return value

    @field_validator("max_rows_per_file")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        return value

    @field_validator("buckets")
    @classmethod
    def _buckets_per_split(cls, buckets: dict[str, int]) -> dict[str, int]:
        if set(buckets) != {"train", "validation", "test"} or min(buckets.values()) < 1:
            raise ValueError("needs train, validation and test, each at least 1")
        return buckets

    @field_validator("released", mode="before")
    @classmethod
    def _iso_date(cls, value: Any) -> Any:
        """YAML reads 2026-03-02 as a date and "2026-03-02" (as `corpus release` writes it) as
        a string: both are the same day."""
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"{value!r} is not a date YYYY-MM-DD") from None
        return value

    @model_validator(mode="after")
    def _released_is_a_release(self) -> PublishParams:
        if self.released is not None and self.version is None:
            raise ValueError(
                "released (a date) needs a version: a build that is no release has none"
            )
        return self

    @model_validator(mode="after")
    def _other_licence_is_named(self) -> PublishParams:
        if self.license == "other" and not (self.license_name and self.license_link):
            raise ValueError("license `other` needs license_name and license_link")
        return self


@section
class Params:
    engine: EngineParams
    ingest: IngestParams
    clean: CleanParams
    annotate: AnnotateParams
    validate: ValidateParams
    publish: PublishParams

    def as_dict(self) -> dict[str, Any]:
        """The params as JSON values (a date as YYYY-MM-DD), as the manifest records them."""
        return TypeAdapter(Params).dump_python(self, mode="json")


def numeric_columns() -> list[str]:
    """Annotated columns a filter may name: numbers, dotted inside structs (`quality.x`)."""
    from pipeline.schema import record_schema  # late: the schema module is not needed to load

    out: list[str] = []
    for f in record_schema().fields:
        if f.base_type in ("integer", "number"):
            out.append(f.name)
        elif f.base_type == "object":
            for name, sub in f.spec.get("properties", {}).items():
                types = sub.get("type")
                types = [types] if isinstance(types, str) else types or []
                if {"integer", "number"} & set(types):
                    out.append(f"{f.name}.{name}")
    return out


_ADAPTER = TypeAdapter(Params)


def parse(raw: Any, source: str = "params.yaml") -> Params:
    """Params from the YAML value `raw`; ParamsError lists every problem, one per line."""
    if not isinstance(raw, dict):
        raise ParamsError(f"{source}: must be a mapping of sections, not {type(raw).__name__}")
    try:
        return _ADAPTER.validate_json(json.dumps(raw, default=str))
    except ValidationError as e:
        problems = sorted({describe(err, source, Params) for err in e.errors()})
        raise ParamsError("\n".join(problems)) from None


def load(path: Path = DEFAULT_PATH) -> Params:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise ParamsError(f"{path.name}: not valid YAML: {e}") from None
    return parse(raw if raw is not None else {}, path.name)
