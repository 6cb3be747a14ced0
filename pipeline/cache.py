"""Per-article results kept between runs, so a rerun computes only what changed.

An annotator's result is stored under (annotator key, content key):

- the *annotator key* (`annotator_key`) hashes what decides the annotator's output besides its
  input: its name, its code (the source of its module and of every `pipeline` module that module
  imports, transitively, plus the rule data files when it reads them), the model it records
  (spaCy model and version, py3langid version...) and the params it reads (`PARAMS_READ`; the
  whole `annotate` section for an annotator not listed there). Changing one annotator's params
  or code changes its key only: the others' results are still found.
- the *content key* (`content_key`) hashes the fields of the record the annotator reads
  (`INPUTS`: the text, and the title or language when it reads them; every field for an
  annotator not listed there), as it sees them (after PII redaction, with the columns of the
  annotators before it).

The store also keeps clean's per-article results (`pipeline.clean_cache`): under a key of clean's
code and params, and a content key of the record's text and title, what clean derived from them
(text, title, clean_log, or the reason it refused the article; a text or title it left as it
was is stored as None).

Beside the results, the store keeps each text's spaCy parse (`pipeline.annotators.nlp`, keyed by
the model, its version and the text's sha256): an annotator built on the parse whose params or
code changed (`counts_v1`'s `words_per_minute`, `entities_v2`'s rule files) recomputes from the
stored parse, about 2% of the cost of parsing again.

The store is one SQLite file (`<engine.cache_dir>/results.sqlite`, WAL mode: worker processes
read and write it at once), a table of (annotator key, content key, pickled columns). Each batch
writes its results as it finishes, so an interrupted run resumes where it stopped. The cache
sits outside DVC's outputs (git-ignored and dvc-ignored) and never changes what a stage writes:
a cold cache gives the same bytes as a warm one, and deleting the folder is always safe.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import hashlib
import json
import os
import pickle
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pipeline.params import AnnotateParams

FILE = "results.sqlite"
ROOT = Path(__file__).resolve().parent
# Modules every annotator imports for their types, not their behaviour: a new params key or a
# schema edit must not throw every cached result away (param *values* are in the key).
NOT_CODE = {"pipeline.params", "pipeline.schema"}
RULES = ROOT / "annotators" / "rules"

# The record fields each annotator reads. An annotator missing here is keyed by every field.
_SPACY = ("spacy_model", "spacy_batch_size")
INPUTS: dict[str, tuple[str, ...]] = {
    "language_v1": ("text",),
    "counts_v1": ("text",),
    "counts_v2": ("text",),
    "readability_v1": ("text", "language"),
    "quality_v1": ("text",),
    "entities_v1": ("text",),
    "entities_v2": ("text",),
    "entities_v3": ("text",),
    "entities_v4": ("text",),
    "entities_v5": ("text",),
    "quotes_v1": ("text",),
    "quotes_v2": ("text",),
    "quotes_v3": ("text",),
    "quotes_v4": ("text",),
    "quotes_v5": ("text",),
    "quotes_v6": ("text",),
    "dates_v1": ("text",),
    "dates_v2": ("text", "published_date"),
    "dates_v3": ("text", "published_date"),
    "dates_v4": ("text", "published_date"),
    "dates_v5": ("text", "published_date"),
    "pii_v1": ("text",),
    "pii_v2": ("text", "title", "author", "publisher", "metadata"),
    "pii_v3": ("text", "title", "author", "publisher", "metadata"),
    "minhash_v1": ("text",),
}
# The `annotate` params each annotator reads. An annotator missing here: all of them.
PARAMS_READ: dict[str, tuple[str, ...]] = {
    "language_v1": ("language_candidates",),
    "counts_v1": ("words_per_minute", *_SPACY),
    "counts_v2": ("words_per_minute",),
    "readability_v1": (),
    "quality_v1": (),
    "entities_v1": _SPACY,
    "entities_v2": _SPACY,
    "entities_v3": _SPACY,
    "entities_v4": _SPACY,
    "entities_v5": _SPACY,
    "quotes_v1": _SPACY,
    "quotes_v2": _SPACY,
    "quotes_v3": _SPACY,
    "quotes_v4": _SPACY,
    "quotes_v5": _SPACY,
    "quotes_v6": _SPACY,
    "dates_v1": _SPACY,
    "dates_v2": _SPACY,
    "dates_v3": (*_SPACY, "dates"),
    "dates_v4": (*_SPACY, "dates"),
    "dates_v5": (*_SPACY, "dates"),
    "pii_v1": ("pii",),
    "pii_v2": ("pii",),
    "pii_v3": ("pii",),
    "minhash_v1": ("near_duplicates",),
}


def digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def _module_file(name: str) -> Path | None:
    parts = name.split(".")[1:]
    for candidate in (
        ROOT.joinpath(*parts, "__init__.py"),
        ROOT.joinpath(*parts).with_suffix(".py"),
    ):
        if parts and candidate.is_file():
            return candidate
    return None


def _imports(name: str, path: Path) -> set[str]:
    """The `pipeline` modules imported anywhere in the file (function bodies included)."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("pipeline."))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            if base == "pipeline" or base.startswith("pipeline."):
                found.add(base)
                found.update(f"{base}.{a.name}" for a in node.names)  # submodules, if any
    return {m for m in found if _module_file(m) is not None}


@functools.cache
def code_files(module: str) -> tuple[Path, ...]:
    """The source of `module` and of the `pipeline` modules it imports, transitively, and the
    rule data files when `rule_data` is among them: the code an annotator's output depends on."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        path = _module_file(name)
        if name in seen or name in NOT_CODE or path is None:
            continue
        seen.add(name)
        todo.extend(_imports(name, path) - seen)
    files = sorted(p for p in map(_module_file, seen) if p is not None)
    if "pipeline.annotators.rule_data" in seen:
        files += sorted(RULES.glob("*.yaml"))
    return tuple(files)


@functools.cache
def code_hash(module: str) -> str:
    """Once per process: the code that runs is the code imported when it started, and an
    annotator asks for its key once per batch chunk (thousands of times in a large run)."""
    h = hashlib.sha256()
    for path in code_files(module):
        h.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


# annotator_key's answers in this process: {(annotator, id(params)): (params, key)}. The params
# object is kept with its key, so its id cannot be reused by another while it is here.
_KEYS: dict[tuple[str, int], tuple[AnnotateParams, str]] = {}


def annotator_key(annotator: Any, params: AnnotateParams) -> str:
    """What, besides its input, decides an annotator's output (see the module docstring).
    Computed once per annotator and params object in a process."""
    memo = (annotator.name, id(params))
    if memo in _KEYS and _KEYS[memo][0] is params:
        return _KEYS[memo][1]
    key = _annotator_key(annotator, params)
    _KEYS[memo] = (params, key)
    return key


def _annotator_key(annotator: Any, params: AnnotateParams) -> str:
    fn = getattr(annotator, "annotate", None) or annotator.prepare
    values = dataclasses.asdict(params)
    names = PARAMS_READ.get(annotator.name)
    if names is None:
        names = tuple(k for k in values if k not in ("annotators", "filters"))
    return digest(
        {
            "annotator": annotator.name,
            "code": code_hash(fn.__module__),
            "model": annotator.model(params) if annotator.model else None,
            "params": {k: values[k] for k in names},
        }
    )


def content_key(name: str, record: dict[str, Any]) -> str:
    fields = INPUTS.get(name) or tuple(sorted(record))
    return digest([[f, record.get(f)] for f in fields])


class Cache:
    """The results store at `folder`. Holds only its path: each process (a forked worker, a Ray
    task) opens its own connection on first use."""

    def __init__(self, folder: str | os.PathLike[str]):
        # Absolute, from the stage's working directory: a Ray worker runs in the job's own
        # directory, where a relative `engine.cache_dir` would name another (empty) store.
        self.path = Path(folder).absolute() / FILE
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        self.hits = self.misses = 0

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"].parent)  # type: ignore[misc]

    def _db(self) -> sqlite3.Connection:
        if self._conn is None or self._pid != os.getpid():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=120, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS results (annotator TEXT NOT NULL, content TEXT NOT "
                "NULL, value BLOB NOT NULL, PRIMARY KEY (annotator, content)) WITHOUT ROWID"
            )
            self._conn, self._pid = conn, os.getpid()
        return self._conn

    def get(self, annotator: str, contents: Iterable[str]) -> dict[str, Any]:
        """{content key: stored value} for the keys that are stored."""
        wanted = list(dict.fromkeys(contents))
        found: dict[str, Any] = {}
        db = self._db()
        for start in range(0, len(wanted), 500):  # SQLite's limit on bound parameters
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = db.execute(
                f"SELECT content, value FROM results WHERE annotator = ? AND content IN ({marks})",
                [annotator, *chunk],
            )
            found.update((content, pickle.loads(value)) for content, value in rows)
        self.hits += len(found)
        self.misses += len(wanted) - len(found)
        return found

    def cached(
        self, key: str, contents: list[str], items: list[Any], compute: Callable[[Any], Any]
    ) -> list[Any]:
        """The stored value of each item's content key, `compute(item)` for those not stored yet
        (once per content): one look-up, then one transaction for what was computed."""
        found = self.get(key, contents)
        new: dict[str, Any] = {}
        for item, content in zip(items, contents, strict=True):
            if content not in found and content not in new:
                new[content] = compute(item)
        self.put(key, new)
        found.update(new)
        return [found[c] for c in contents]

    def put(self, annotator: str, values: dict[str, Any]) -> None:
        if not values:
            return
        rows = [(annotator, k, pickle.dumps(v, protocol=5)) for k, v in values.items()]
        db = self._db()
        with db:  # one transaction per batch
            db.execute("BEGIN IMMEDIATE")
            db.executemany("INSERT OR REPLACE INTO results VALUES (?, ?, ?)", rows)
