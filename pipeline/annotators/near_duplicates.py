"""Slot `near_duplicates`: which articles are (nearly) the same text.

`minhash_v1`, a corpus annotator -> `near_duplicate_cluster`: the smallest record id among the
articles connected to it by a near-duplicate pair; an article with none is its own cluster.
Params: `annotate.near_duplicates` (threshold, num_perm, shingle_words, seed).

- `prepare`, per record: a MinHash signature (datasketch, scheme "affine32": 32-bit values) of
  the set of word `shingle_words`-grams of the lower-cased text (the title is not included, so a
  re-headlined copy is a duplicate). A text shorter than one shingle is one shingle; a text
  without words is its own lower-cased, stripped self. The signature is `num_perm` little-endian
  uint32 values as `bytes` (4 * num_perm bytes): compact, exact, and one Arrow `binary` column
  when the stage stages it in Parquet.
- `finish`: the bands of `MinHashLSH(threshold, num_perm)` (its `b` bands of `r` values) find
  candidate pairs: two records whose values are equal on a whole band, as the LSH index's
  buckets do, but found by sorting each band's rows (numpy) instead of an index of Python
  objects (about 4 KB a record; this holds the signature matrix and a few integers per record
  and band). A candidate is a pair when the signatures' estimated Jaccard similarity (share of
  equal values) is at least `threshold`; union-find joins pairs into clusters. Nothing depends
  on the order of the records. On the Ray engine the same clusters come from a Ray Data sort
  instead (`near_duplicates_ray.py`), with no process holding every signature.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib.metadata import version
from typing import Any

import numpy as np
from datasketch import MinHash, MinHashLSH

from pipeline.annotators import Columns, Context, CorpusAnnotator, register
from pipeline.params import AnnotateParams, NearDuplicateParams
from pipeline.words import WORD

SCHEME = "affine32"
_DTYPE = np.dtype("<u4")


def shingles(text: str, size: int) -> set[bytes]:
    """The word `size`-grams of the lower-cased text, UTF-8 encoded."""
    words = WORD.findall(text.lower())
    if not words:
        return {text.strip().lower().encode()}
    if len(words) <= size:
        return {" ".join(words).encode()}
    return {" ".join(words[i : i + size]).encode() for i in range(len(words) - size + 1)}


@cache
def _permutations(num_perm: int, seed: int) -> np.ndarray:
    # Derived from the seed on every MinHash; made once per process instead.
    return MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations


def signature(text: str, params: NearDuplicateParams) -> bytes:
    minhash = MinHash(
        num_perm=params.num_perm,
        seed=params.seed,
        permutations=_permutations(params.num_perm, params.seed),
        scheme=SCHEME,
    )
    minhash.update_batch(shingles(text, params.shingle_words))
    return minhash.hashvalues.astype(_DTYPE).tobytes()


def prepare(records: list[dict[str, Any]], context: Context) -> list[bytes]:
    params = context.params.near_duplicates
    return [signature(record["text"], params) for record in records]


def _signature_matrix(signatures: list[bytes], num_perm: int) -> np.ndarray:
    for value in signatures:
        if len(value) != num_perm * _DTYPE.itemsize:
            raise ValueError(
                f"a signature of {len(value)} bytes is not {num_perm} uint32 values: were the "
                "signatures prepared with another annotate.near_duplicates.num_perm?"
            )
    return np.frombuffer(b"".join(signatures), dtype=_DTYPE).reshape(len(signatures), num_perm)


class _Band:
    """The rows of one band of the signature matrix, grouped by equal values (an LSH bucket)."""

    def __init__(self, values: np.ndarray) -> None:
        rows = np.ascontiguousarray(values).view(np.dtype((np.void, values.shape[1] * 4)))
        _, self.bucket = np.unique(rows.ravel(), return_inverse=True)
        self.members = np.argsort(self.bucket, kind="stable")  # rows, bucket by bucket
        self.size = np.bincount(self.bucket)
        self.start = np.cumsum(self.size) - self.size

    def shared(self) -> np.ndarray:
        """Which rows share their bucket with another row."""
        return self.size[self.bucket] > 1

    def bucket_of(self, i: int) -> np.ndarray:
        b = self.bucket[i]
        return self.members[self.start[b] : self.start[b] + self.size[b]]


def clusters(ids: list[str], signatures: list[bytes], params: NearDuplicateParams) -> list[str]:
    """The cluster id (smallest member id) of each record, in the order of `ids`."""
    if len(set(ids)) != len(ids):
        raise ValueError("record ids must be unique to cluster near duplicates")
    matrix = _signature_matrix(signatures, params.num_perm)
    # The LSH index's bands (b bands of r values); its candidates for a record are the records
    # equal to it on at least one whole band.
    lsh = MinHashLSH(threshold=params.threshold, num_perm=params.num_perm)
    bands = [_Band(matrix[:, start:end]) for start, end in lsh.hashranges]

    parent = list(range(len(ids)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    shared = np.zeros(len(ids), dtype=bool)
    for band in bands:
        shared |= band.shared()
    for i in np.flatnonzero(shared).tolist():
        candidates = np.unique(np.concatenate([band.bucket_of(i) for band in bands]))
        candidates = candidates[candidates > i]
        if candidates.size == 0:
            continue
        similarity = (matrix[candidates] == matrix[i]).mean(axis=1)
        for j in candidates[similarity >= params.threshold].tolist():
            a, b = find(i), find(j)
            if a != b:  # the root is always the member with the smallest id
                a, b = (a, b) if ids[a] < ids[b] else (b, a)
                parent[b] = a
    return [ids[find(i)] for i in range(len(ids))]


def finish(ids: list[str], signatures: list[Any], params: AnnotateParams) -> dict[str, Columns]:
    found = clusters(ids, signatures, params.near_duplicates)
    return {i: {"near_duplicate_cluster": c} for i, c in zip(ids, found, strict=True)}


def _model(params: AnnotateParams) -> str:
    return f"datasketch {version('datasketch')} MinHash {SCHEME}"


def _finish_on_ray(dataset: Any, params: AnnotateParams) -> Mapping[str, Columns]:
    from pipeline.annotators.near_duplicates_ray import finish_on_ray  # late: it imports this

    return finish_on_ray(dataset, params)


minhash_v1 = register(
    CorpusAnnotator("near_duplicates", "minhash_v1", prepare, finish, _model, _finish_on_ray)
)
