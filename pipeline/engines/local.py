"""The local engine: the splitter in this process, or in a pool of forked worker processes.

Workers are forked (the 'fork' start method), so the splitter, closures and all, reaches them
without being pickled; only batches and pieces cross between processes (Arrow IPC, inside
pickle). Each worker keeps what it loads, so spaCy is loaded once per worker, on its first batch
(`pipeline.annotators.nlp.load` is cached per process). At most `2 * workers` batches are in
flight: memory stays bounded by the batch size, whatever the corpus size, and results are
yielded in input order.
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

import pyarrow as pa

from pipeline.engine import Piece, Splitter

_split: Splitter | None = None  # the worker's splitter, set when it is forked


def serial(split: Splitter, batches: Iterable[pa.RecordBatch]) -> Iterator[Piece]:
    for batch in batches:
        yield split(batch)


def _start(split: Splitter) -> None:
    global _split
    _split = split


def _work(batch: pa.RecordBatch) -> Piece:
    assert _split is not None, "a worker runs batches only after _start"
    return _split(batch)


def pool_map(split: Splitter, batches: Iterable[pa.RecordBatch], workers: int) -> Iterator[Piece]:
    """`serial`, on `workers` forked processes; pieces in input order."""
    batches = iter(batches)
    head = list(itertools.islice(batches, 2))
    if len(head) < 2:  # one batch cannot be shared out: no pool worth forking
        yield from serial(split, head)
        return
    batches = itertools.chain(head, batches)
    context = multiprocessing.get_context("fork")
    window: deque[Future[Piece]] = deque()
    with ProcessPoolExecutor(workers, context, initializer=_start, initargs=(split,)) as pool:
        try:
            for batch in batches:
                window.append(pool.submit(_work, batch))
                if len(window) >= 2 * workers:
                    yield window.popleft().result()
            while window:
                yield window.popleft().result()
        finally:  # an error or an interrupt: drop what has not started
            for future in window:
                future.cancel()
