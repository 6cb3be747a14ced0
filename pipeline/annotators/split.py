"""Slot `split`: train, validation or test.

`split_v1`, a batch annotator for the second pass -> `split`. It reads the record's
`near_duplicate_cluster` (so the near_duplicates slot must be finished first) and hashes it:
the first 53 bits of sha256(cluster id), big-endian, over 2**53, give u in [0, 1), compared
with the cumulative ratios of `annotate.split` in the order train, validation, test. Near
duplicates share a cluster, hence a split; a record's split changes only if its cluster does,
never with the order or number of the other records.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from pipeline.annotators import Columns, Context, batch_annotator
from pipeline.params import SplitParams

SPLITS = ("train", "validation", "test")


def check_ratios(ratios: SplitParams) -> list[tuple[float, str]]:
    """[(cumulative upper bound, split)] for the splits with a positive ratio."""
    values = {name: getattr(ratios, name) for name in SPLITS}
    if any(not 0 <= value <= 1 for value in values.values()):
        raise ValueError(f"annotate.split ratios must lie in [0, 1]: {values}")
    if not math.isclose(sum(values.values()), 1.0, abs_tol=1e-9):
        raise ValueError(f"annotate.split ratios must sum to 1, not {sum(values.values())}")
    bounds, total = [], 0.0
    for name in SPLITS:
        total += values[name]
        if values[name] > 0:
            bounds.append((total, name))
    # The sum may fall a hair short of 1: the last split takes everything up to 1.
    bounds[-1] = (1.0, bounds[-1][1])
    return bounds


def unit_interval(key: str) -> float:
    """sha256 of `key` mapped uniformly to [0, 1)."""
    # 53 bits: exactly representable in a float, so u never rounds up to 1.
    return (int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") >> 11) / 2**53


def split_of(cluster: str, bounds: list[tuple[float, str]]) -> str:
    u = unit_interval(cluster)
    return next(name for bound, name in bounds if u < bound)


@batch_annotator("split", "split_v1")
def split_v1(records: list[dict[str, Any]], context: Context) -> list[Columns]:
    bounds = check_ratios(context.params.split)
    out = []
    for record in records:
        if "near_duplicate_cluster" not in record:
            raise KeyError("split_v1 reads `near_duplicate_cluster`: run near_duplicates first")
        out.append({"split": split_of(record["near_duplicate_cluster"], bounds)})
    return out
