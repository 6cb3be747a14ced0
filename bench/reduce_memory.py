"""What each corpus-wide step holds per article: bytes measured with tracemalloc, plus what
Arrow's memory pool holds (tracemalloc does not see Arrow's allocations).

    python -m bench.reduce_memory [--n 100000]

Each reduce is fed N synthetic keys of the real shape and size (32-hex ids, SHA-256 hex hashes,
128 x uint32 MinHash signatures of random values, validate's table rows, publish's
fingerprints), and the memory it holds after the last key (and, for the MinHash clusters, the
peak while `finish` builds the LSH index) is divided by N. Nothing is read from disk.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import random
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas  # noqa: F401 - imported here, so that no step counts the import
import pyarrow as pa

from pipeline.annotate import finish
from pipeline.annotators.near_duplicates import minhash_v1
from pipeline.changes import Fingerprints
from pipeline.duplicates import FindDuplicates
from pipeline.engine import Reduce
from pipeline.record_checks import FirstIdWins
from tests.defaults import PARAMS


def hexid(i: int, n: int = 32) -> str:
    return hashlib.sha256(str(i).encode()).hexdigest()[:n]


def held(build: Callable[[], Any]) -> tuple[int, int]:
    """(bytes still held by what `build` returns, peak bytes while building it); a `build` that
    returns (bytes to leave out, result) is measured from that baseline."""
    arrow = pa.total_allocated_bytes()
    tracemalloc.start()
    kept = build()
    gc.collect()  # the LSH index holds reference cycles: count what is really still held
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    arrow = pa.total_allocated_bytes() - arrow  # its peak is not known: at least this
    current, peak = current + arrow, peak + arrow
    if isinstance(kept, tuple) and len(kept) == 2 and isinstance(kept[0], int):
        current, peak = current - kept[0], peak - kept[0]
    del kept
    return current, peak


def duplicates(n: int, reduce: Reduce | None = None) -> Reduce:
    """The keys as the map makes them: 48 raw bytes (id, content digest, the path's id)."""
    reduce = FindDuplicates() if reduce is None else reduce
    for start in range(0, n, 256):
        keys = [
            bytes.fromhex(hexid(i))
            + hashlib.sha256(b"%d" % i).digest()[:16]
            + bytes.fromhex(hexid(-i))
            for i in range(start, start + 256)
        ]
        reduce.add(keys)
    return reduce


def duplicates_result(n: int) -> Any:
    """Held: the copies found (the keys are let go); peak: the keys and the sort that finds them."""
    return duplicates(n).result()


def duplicates_on_ray(n: int) -> Any:
    """The Ray engine's duplicate reduce (`FindDuplicatesOnRay`) on a local Ray cluster: keys
    fed and found as `duplicates_result`'s, but held in Ray's object store (which tracemalloc
    does not see) and sorted there; the stage's process holds an object reference per 8,192
    keys, then the records that share an id or a text (none among these keys)."""
    from pipeline.duplicates_ray import FindDuplicatesOnRay

    start_ray()
    duplicates(512, FindDuplicatesOnRay()).result()  # Ray Data's imports and first tasks, once
    gc.collect()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    return base, duplicates(n, FindDuplicatesOnRay()).result()


def start_ray() -> None:
    import ray

    if not ray.is_initialized():
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)


def signatures(n: int) -> list[tuple[str, bytes]]:
    rng = np.random.default_rng(1)
    return [(hexid(i), rng.integers(0, 2**32, 128, dtype="<u4").tobytes()) for i in range(n)]


def minhash_finish(n: int) -> Any:
    pairs = signatures(n)
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    columns = finish(minhash_v1, PARAMS, pairs)
    return base, (pairs, columns)  # held: the columns alone (pairs are in the baseline)


def minhash_on_ray(n: int) -> Any:
    """The Ray engine's MinHash reduce (`ObjectStoreReduce`, `near_duplicates_ray`) on a local
    Ray cluster: what the stage's process holds is an object reference per batch of keys and,
    once its sort ran, the records found in clusters. The keys themselves are in Ray's
    object store (shared memory that spills to disk), which tracemalloc does not see."""
    from pipeline.annotators.near_duplicates_ray import finish_on_ray
    from pipeline.engines.ray_reduce import ObjectStoreReduce

    def run(pairs: list[tuple[str, bytes]]) -> Any:
        reduce = ObjectStoreReduce("near", lambda dataset: finish_on_ray(dataset, PARAMS.annotate))
        for start in range(0, len(pairs), 256):
            reduce.add(pairs[start : start + 256])
        return reduce.result()

    start_ray()
    pairs = signatures(n)
    run(pairs[:512])  # Ray Data's imports and first tasks, once: not per article
    gc.collect()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    return base, (pairs, run(pairs))


def fresh(value: str) -> str:
    """A string object of its own, as each key unpickled from a worker has."""
    return (value + " ")[:-1]


def validate(n: int) -> Any:
    reduce = FirstIdWins()
    languages = ["en", "fr", "de"]
    for start in range(0, n, 256):
        keys = []
        for i in range(start, start + 256):
            ident = hexid(i)
            row = {
                "quarantined": 0,
                "id": ident,
                "content_sha256": hexid(i, 64),
                "language": fresh(random.choice(languages)),
                "split": fresh("train"),
                "word_count": 400 + i % 300,
                "entities_per_1k_words": 50.0 + i % 7,
                "quotes": i % 5,
                "title_missing": 0,
                "date_missing": 0,
                "cluster": hexid(i),
                "publisher": fresh("BBC"),
                "source_format": fresh("txt"),
                "entity_labels": {"PERSON": 3, "ORG": 2},
                "pii": 0,
            }
            keys.append(("passed", ident, f"business/{i:03d}-{i // 2225}.txt", row))
        reduce.add(keys)
    return reduce


def validate_frame(n: int) -> Any:
    """The table once every key is in (`result()` lets the ids seen go) and the frame the table
    suite runs on: what validate holds when great-expectations starts."""
    table = validate(n).result()
    return table, table.frame(["train", "validation", "test"])


def publish(n: int) -> Any:
    """The clusters and splits columns (`read_clusters`, `stable_splits`) and the new
    fingerprints (`Fingerprints`, folded a batch at a time as the engine feeds it)."""
    clusters = pa.table({"id": [hexid(i) for i in range(n)]})
    clusters = clusters.append_column("near_duplicate_cluster", clusters["id"])
    clusters = clusters.append_column("split", pa.array(["train"] * n))
    prints = Fingerprints()
    for start in range(0, n, 256):
        digest = hashlib.sha256(str(start).encode()).digest()
        prints.add(
            [(hexid(i), hexid(i, 64), digest, digest, "train") for i in range(start, start + 256)]
        )
    return clusters, prints.result()


STEPS = {
    "clean: exact and id duplicates (FindDuplicates)": duplicates,
    "clean: duplicates result (sort, fold)": duplicates_result,
    "clean: duplicates on Ray (refs, then two sorts)": duplicates_on_ray,
    "annotate: MinHash keys (id, 512-byte signature)": signatures,
    "annotate: MinHash finish (LSH index, clusters)": minhash_finish,
    "annotate: MinHash on Ray (refs, then its sort)": minhash_on_ray,
    "validate: duplicate_id + table (FirstIdWins)": validate,
    "validate: finished table + the suite's frame": validate_frame,
    "publish: clusters, splits, new fingerprints": publish,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.reduce_memory", description=__doc__)
    parser.add_argument("--n", type=int, default=100_000, help="articles (synthetic keys)")
    n = parser.parse_args(argv).n
    random.seed(1)
    print(f"{'step':<50} {'held B/article':>15} {'peak B/article':>15}")
    for name, step in STEPS.items():
        current, peak = held(lambda step=step: step(n))
        print(f"{name:<50} {current / n:>15.0f} {peak / n:>15.0f}")


if __name__ == "__main__":
    main()
