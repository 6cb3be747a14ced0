"""Stage `annotate`: the metadata that researchers and model trainers filter on.

Reads:  `data/clean/records/`.
Writes: `data/annotate/records/` (adds the columns whose x-stage is "annotate": language,
        counts, readability, quality signals, entities, quotations, dates, PII flags,
        near-duplicate cluster, split), `data/quarantine/annotate/` (records outside
        `annotate.filters`, or that made an annotator fail), `metrics/annotate.json`
        (distributions, and which annotator and model filled each slot).
Params: `engine`, `annotate`.

The columns come from versioned annotators (pipeline/annotators/) chosen per slot in
`annotate.annotators`. Batch annotators see a batch at a time (spaCy parses it once for all of
them). Corpus annotators (near-duplicate clusters) need every record: the first pass runs the
annotators up to the first corpus annotator and stages the records; the corpus annotator then
sees everything, and the second pass adds its columns and runs the annotators listed after it
(the split, which follows the clusters so near duplicates never straddle splits).
"""

from __future__ import annotations

import functools
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipeline import engines
from pipeline import params as params_mod
from pipeline.annotate_batch import apply_annotators, apply_filters, plan, slot_fields
from pipeline.annotate_tally import Tally
from pipeline.annotators import BatchAnnotator, CorpusAnnotator, describe
from pipeline.cache import Cache
from pipeline.engine import Reduce, Result, check_error_share, run_batches
from pipeline.params import AnnotateParams
from pipeline.schema import quarantine_schema, record_schema
from pipeline.shards import ShardWriter, count_rows, read_batches, reset_dir
from pipeline.stage import parse_args, progress_bar, write_metrics

STAGE = "annotate"


def stage_schema(last_slot_fields: set[str]) -> pa.Schema:
    """Arrow schema of the staged first pass: annotate's fields but the later slots' ones."""
    full = record_schema().arrow(STAGE)
    return pa.schema([f for f in full if f.name not in last_slot_fields], metadata=full.metadata)


# The first pass hands its annotators a batch's records a chunk of at most this many characters
# of text at a time (a longer text is a chunk of its own): what a chunk's annotators hold at
# once (the spaCy docs, ...) follows its text, so a fixed number of characters, not the batch's
# rows, bounds it (a batch of 256 long articles is not a larger chunk). Annotators work record
# by record (what the results cache relies on), so the chunks change nothing they write.
CHUNK_CHARS = 100_000


def chunks(records: list[dict[str, Any]], limit: int) -> list[list[dict[str, Any]]]:
    """`records` in order, cut into runs of at most `limit` characters of text (or one text)."""
    out: list[list[dict[str, Any]]] = []
    size = 0
    for record in records:
        n = len(record["text"])
        if not out or size + n > limit:
            out.append([])
            size = 0
        out[-1].append(record)
        size += n
    return out


def first_pass(
    first: list[BatchAnnotator],
    corpus: CorpusAnnotator | None,
    params: AnnotateParams,
    cache: Cache | None,
    records: list[dict[str, Any]],
) -> tuple[list[Result], dict[str, Any]]:
    """The first pass over one batch, a chunk at a time (`CHUNK_CHARS`): (annotated records,
    {id: the corpus annotator's value})."""
    annotated: list[dict[str, Any]] = []
    values: list[Any] = []
    for chunk in chunks(records, CHUNK_CHARS):
        done, found = apply_annotators(chunk, first, params, corpus, cache)
        annotated += done
        values += found
    return annotated, dict(zip((r["id"] for r in annotated), values, strict=True)) if corpus else {}


def second_pass(
    second: list[BatchAnnotator],
    corpus_columns: dict[str, Any],
    params: AnnotateParams,
    records: list[dict[str, Any]],
) -> list[Result]:
    """The second pass over one batch: the corpus annotator's columns, the later annotators,
    then the filters."""
    for record in records:
        record.update(corpus_columns.get(record["id"], {}))
    annotated, _ = apply_annotators(records, second, params)
    return [apply_filters(r, params.filters) for r in annotated]


def finish(
    corpus: CorpusAnnotator | None, params: params_mod.Params, pairs: list[tuple[str, Any]]
) -> dict[str, Any]:
    """The corpus annotator's reduce: (id, value) of every record, in corpus order -> columns.

    A dict first: a batch retried record by record after a failure adds no record twice."""
    if corpus is None:
        return {}
    prepared = dict(pairs)
    return corpus.finish(list(prepared), list(prepared.values()), params.annotate)


def corpus_reduce_for(corpus: CorpusAnnotator | None, params: params_mod.Params) -> Reduce:
    """The corpus annotator's reduce: folded in this process, or on the Ray engine, where the
    annotator has a distributed form, left on the cluster (pipeline/engines/ray_reduce.py)."""
    if corpus is not None and corpus.finish_on_ray is not None and engines.kind() == "ray":
        from pipeline.engines.ray_reduce import ObjectStoreReduce

        on_ray = functools.partial(corpus.finish_on_ray, params=params.annotate)
        return ObjectStoreReduce("corpus_annotator", on_ray)
    return Reduce("corpus_annotator", None, functools.partial(finish, corpus, params))


def run(inp: Path, out: Path, quarantine: Path, metrics: Path, params: params_mod.Params) -> dict:
    first, corpus, second = plan(params.annotate)
    later = slot_fields({a.slot for a in ([corpus] if corpus else []) + second})
    staged = out.with_name(out.name + ".staging")
    writer = ShardWriter(reset_dir(staged), stage_schema(later), params.engine)
    qwriter = ShardWriter(reset_dir(quarantine), quarantine_schema().arrow(), params.engine)
    # The corpus annotator is a reduce (`pipeline.engine.Reduce`): the first pass's batch
    # function returns its per-record values as the batch's extras, {id: value}, from whichever
    # worker ran it; they are held here (512 bytes a record for MinHash: README, "Scale") and
    # `finish` sees them all; on Ray they stay in the cluster's object store instead, for a Ray
    # Data sort (`corpus_reduce_for`). A record the first pass quarantined has none.
    # The tally is read off the written batches: nothing the batch functions mutate is seen here.
    corpus_reduce = corpus_reduce_for(corpus, params)
    # Per-article results of the first pass's annotators, kept between runs (pipeline/cache.py).
    # The second pass (the split) is a hash per record: cheaper to redo than to look up.
    cache = Cache(params.engine.cache_dir) if params.engine.cache_dir else None

    total = count_rows(inp)
    with progress_bar(f"{STAGE} 1/2", total) as advance:
        counts = run_batches(
            functools.partial(first_pass, first, corpus, params.annotate, cache),
            read_batches(inp, params.engine.batch_size),
            STAGE,
            writer,
            qwriter,
            advance,
            engine=params.engine,
            reduce=corpus_reduce,
        )
    corpus_columns = corpus_reduce.result()

    writer = ShardWriter(reset_dir(out), record_schema().arrow(STAGE), params.engine)
    qwriter = ShardWriter(
        quarantine, quarantine_schema().arrow(), params.engine, prefix="second-pass"
    )
    tally = Tally()

    with progress_bar(f"{STAGE} 2/2", counts.records_out) as advance:
        second_counts = run_batches(
            functools.partial(second_pass, second, corpus_columns, params.annotate),
            read_batches(staged, params.engine.batch_size),
            STAGE,
            writer,
            qwriter,
            advance,
            engine=params.engine,
            on_output=tally.add_batch,
        )
    shutil.rmtree(staged)
    counts.records_out = second_counts.records_out
    counts.quarantined.update(second_counts.quarantined)
    check_error_share(counts, params.engine.max_error_share)
    result = {
        **counts.as_dict(),
        **tally.as_dict(),
        "annotators": describe(first + ([corpus] if corpus else []) + second, params.annotate),
    }
    write_metrics(metrics, result)
    return result


def main(argv: list[str] | None = None) -> dict:
    args, params = parse_args(argv, __name__, __doc__, ["input", "out", "quarantine", "metrics"])
    return run(args.input, args.out, args.quarantine, args.metrics, params)


if __name__ == "__main__":
    main()
