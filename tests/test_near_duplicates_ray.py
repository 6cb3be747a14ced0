"""minhash_v1's reduce for the Ray engine, its pieces without a cluster: sorted blocks cut
anywhere give the clusters of `near_duplicates.clusters` (tests/test_ray_engine.py runs it on a
real Ray cluster)."""

from __future__ import annotations

from dataclasses import replace

import pyarrow as pa
import pytest
from datasketch import MinHashLSH

from pipeline.annotators.near_duplicates import clusters
from pipeline.annotators.near_duplicates_ray import (
    Clustered,
    band_rows,
    components,
    gathered,
    group_edges,
    sorted_block_edges,
)
from tests.defaults import PARAMS
from tests.test_annotators_basic import random_signatures


def clusters_from_blocks(ids, signatures, params, rows_per_block: int) -> list[str]:
    """The Ray path's steps in this process: bands, a sort, blocks of `rows_per_block` rows."""
    lsh = MinHashLSH(threshold=params.threshold, num_perm=params.num_perm)
    keys = pa.table({"id": ids, "value": pa.array(signatures, pa.binary())})
    ordered = band_rows(list(lsh.hashranges), params.num_perm, keys).sort_by("bucket")
    blocks = [
        sorted_block_edges(params.threshold, params.num_perm, ordered.slice(i, rows_per_block))
        for i in range(0, ordered.num_rows, rows_per_block)
    ]
    found = Clustered(components(gathered(blocks, params.threshold, params.num_perm)))
    return [found[i]["near_duplicate_cluster"] for i in ids]


@pytest.mark.parametrize("rows_per_block", [1, 2, 7, 100, 10**6])
@pytest.mark.parametrize("threshold", [0.5, 0.8])
def test_blocks_cut_anywhere_give_the_local_clusters(rows_per_block: int, threshold: float):
    ids, signatures = random_signatures(300, seed=3)
    params = replace(PARAMS.annotate.near_duplicates, threshold=threshold)
    expected = clusters(ids, signatures, params)
    assert 1 < len(set(expected)) < len(ids)
    assert clusters_from_blocks(ids, signatures, params, rows_per_block) == expected


def test_a_bucket_sends_a_spanning_forest():
    """Five copies, one unlike them: four edges, each to the smallest id."""
    _, signatures = random_signatures(1, seed=5)
    other = bytes(len(signatures[0]))
    ids = ["e" * 32, "b" * 32, "d" * 32, "z" * 32, "c" * 32, "f" * 32]
    table = pa.table({"id": ids, "signature": [signatures[0]] * 3 + [other] + [signatures[0]] * 2})
    edges = group_edges(0.8, 128, table).to_pylist()
    assert sorted((e["root"], e["member"]) for e in edges) == [("b" * 32, m * 32) for m in "cdef"]


def test_components_take_the_smallest_id_whatever_the_order():
    edges = [("c", "d"), ("a", "e"), ("d", "e"), ("x", "y")]
    expected = {"a": "a", "c": "a", "d": "a", "e": "a", "x": "x", "y": "x"}
    assert components(edges) == expected
    assert components(reversed(edges)) == expected
    found = Clustered(expected)
    assert found["q"] == {"near_duplicate_cluster": "q"}  # not in a cluster: its own
    assert found["e"] == {"near_duplicate_cluster": "a"}
    assert len(found) == 6
