"""Annotators: named, versioned producers of the annotate stage's columns.

Each column of the record schema written by `annotate` names its *slot* (`x-annotator` in
`schemas/record.schema.json`: "language", "entities", ...). `params.yaml` chooses, per slot, which
registered annotator fills it (`annotate.annotators: {entities: entities_v1, ...}`), and the
release manifest records the choice and the model behind it. A change of behaviour is a new name
(`entities_v2`) in a new module: one module and one params line, nothing else.

Two kinds:
- `BatchAnnotator`: a function over a batch of records -> one dict of its slot's columns per
  record. Batches let spaCy's `nlp.pipe` amortise its work; a `Context` shares what several
  annotators need (the parsed spaCy docs) within one batch.
- `CorpusAnnotator`: needs every record before it can answer (near-duplicate clusters). It
  `prepare`s a small per-record value in the first pass and `finish`es with all of them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pipeline.params import AnnotateParams
from pipeline.words import WORD

Columns = dict[str, Any]


@dataclass
class Context:
    """Per-batch shared work: computed once, on first use, for the annotators that need it."""

    texts: list[str]
    params: AnnotateParams
    _cache: dict[str, Any] = field(default_factory=dict)
    # Kept between runs (a `pipeline.cache.Cache`), or None: the spaCy parse of each text, so an
    # annotator whose params or code changed re-reads the parse instead of redoing it.
    store: Any = None

    def get(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]


@dataclass(frozen=True)
class BatchAnnotator:
    slot: str
    name: str
    annotate: Callable[[list[dict[str, Any]], Context], list[Columns]]
    model: Callable[[AnnotateParams], str] | None = None  # what, beyond code, shapes the output
    # May return a new `text` (and other free-text fields): such an annotator runs before every
    # other one, whatever its place in params, so that no offset or count describes old text.
    rewrites_text: bool = False
    # The languages (`language` column values) it can describe, or None: every language. A
    # record in another language gets null in the slot's columns
    # (`annotate_batch.apply_annotators`): an English NER model's "people" of a Russian article
    # are noise, not an annotation.
    languages: Callable[[AnnotateParams], frozenset[str]] | None = None


@dataclass(frozen=True)
class CorpusAnnotator:
    slot: str
    name: str
    # First pass, per batch: one JSON/Arrow-friendly value per record (e.g. a MinHash signature).
    prepare: Callable[[list[dict[str, Any]], Context], list[Any]]
    # After the first pass: (ids, prepared values, params) -> {id: columns}.
    finish: Callable[[list[str], list[Any], AnnotateParams], dict[str, Columns]]
    model: Callable[[AnnotateParams], str] | None = None
    # On the Ray engine, if set: (every record's (id, bytes value) as a Ray Dataset, or None,
    # params) -> {id: columns}, the same answer as `finish` without holding the values in one
    # process (`pipeline.engines.ray_reduce`).
    finish_on_ray: Callable[[Any, AnnotateParams], Mapping[str, Columns]] | None = None


WORDS_KEY = "words"


def shared_words(context: Context) -> list[list[str]]:
    """The words of each text of the batch (`pipeline.words.WORD`), found once for every
    annotator that asks (`counts` counts them, `quality` measures them)."""
    return context.get(WORDS_KEY, lambda: [WORD.findall(text) for text in context.texts])


Annotator = BatchAnnotator | CorpusAnnotator
REGISTRY: dict[str, Annotator] = {}
# Modules that register annotators; importing this package imports them all.
MODULES = (
    "language",
    "counts",
    "readability",
    "quality",
    "nlp",
    "entities",
    "dates",
    "quotes",
    "pii",
    "near_duplicates",
    "split",
)


def register(annotator: Annotator) -> Annotator:
    if annotator.name in REGISTRY:
        raise ValueError(f"annotator {annotator.name} registered twice")
    REGISTRY[annotator.name] = annotator
    return annotator


def batch_annotator(
    slot: str,
    name: str,
    model: Callable[[AnnotateParams], str] | None = None,
    rewrites_text: bool = False,
    languages: Callable[[AnnotateParams], frozenset[str]] | None = None,
):
    """Decorator: register `fn(records, context) -> [columns]` as the annotator `name`."""

    def wrap(fn: Callable[[list[dict[str, Any]], Context], list[Columns]]):
        register(BatchAnnotator(slot, name, fn, model, rewrites_text, languages))
        return fn

    return wrap


def load_all() -> dict[str, Annotator]:
    for module in MODULES:
        importlib.import_module(f"pipeline.annotators.{module}")
    return REGISTRY


def load_slots(slots: Iterable[str]) -> dict[str, Annotator]:
    """The registry once the modules of `slots` are imported: a slot's annotators live in the
    module named after it (`entities_v2` in `entities.py`), so a run without entities, quotes
    and dates never imports spaCy's parsing modules (about 0.9 s of a stage's start-up)."""
    for slot in slots:
        if slot in MODULES:
            importlib.import_module(f"pipeline.annotators.{slot}")
    return REGISTRY


def chosen(params: AnnotateParams) -> list[Annotator]:
    """The annotators params.yaml chose, in params order; unknown names are an error."""
    registry = load_slots(params.annotators)
    if any(name not in registry for name in params.annotators.values()):
        registry = load_all()  # the error below names the slot; or a name lives elsewhere
    out = []
    for slot, name in params.annotators.items():
        if name not in registry:
            raise KeyError(f"annotate.annotators.{slot}: no annotator named {name!r}")
        if registry[name].slot != slot:
            raise KeyError(f"annotator {name} fills slot {registry[name].slot!r}, not {slot!r}")
        out.append(registry[name])
    return out


def describe(annotators: Iterable[Annotator], params: AnnotateParams) -> dict[str, dict[str, str]]:
    """{slot: {"annotator": name, "model": ...}}: what the manifest records."""
    return {
        a.slot: {"annotator": a.name, **({"model": a.model(params)} if a.model else {})}
        for a in annotators
    }
