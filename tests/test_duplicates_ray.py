"""clean's duplicate reduce for the Ray engine, its pieces without a cluster: keys sorted by id
and by content digest and cut into blocks anywhere give the copies of `FindDuplicates`
(tests/test_ray_engine.py runs it on a real Ray cluster)."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from pipeline.duplicates import FindDuplicates, fold
from pipeline.duplicates_ray import KEYS, gathered, key_table, shared_in_block
from tests.test_duplicates_compact import hexid, packed, records


def copies_from_blocks(keys: list[bytes], rows_per_block: int, objects: int) -> dict:
    """The Ray path's steps in this process: keys in `objects` tables, two sorts, blocks of
    `rows_per_block` rows, the rows gathered and folded."""
    step = max(1, -(-len(keys) // objects))
    parts = [key_table(keys[i : i + step], i) for i in range(0, len(keys), step)]
    table = pa.concat_tables(parts) if parts else KEYS.empty_table()
    shared: dict[int, bytes] = {}
    for column in ("id", "content"):
        ordered = table.sort_by(column)
        blocks = [
            shared_in_block(column, ordered.slice(i, rows_per_block))
            for i in range(0, ordered.num_rows, rows_per_block)
        ]
        shared.update(gathered(blocks, column))
    return fold(sorted(shared.items()))


@given(records=records, rows_per_block=st.integers(1, 9), objects=st.integers(1, 4))
def test_blocks_cut_anywhere_give_the_local_copies(records, rows_per_block, objects):
    keys = [packed(i, c, hexid(1000 + n)) for n, (i, c) in enumerate(records)]
    local = FindDuplicates()
    local.add(keys)
    assert copies_from_blocks(keys, rows_per_block, objects) == local.result()


def test_key_table_keeps_every_byte_and_position():
    """Trailing zero bytes stay (numpy's bytes strings would drop them), positions start where
    the object does."""
    keys = [bytes(16) + b"\x01" + bytes(15) + b"\xff" * 16, b"\x00\x07" * 8 + bytes(32)]
    table = key_table(keys, 10)
    assert table.schema == KEYS
    assert table["position"].to_pylist() == [10, 11]
    columns = (table[name].to_pylist() for name in ("id", "content", "own"))
    assert [a + b + c for a, b, c in zip(*columns, strict=True)] == keys


def test_a_block_sends_its_runs_of_two_or_more_and_its_cut_ends():
    ids = [b"a", b"b", b"c", b"c", b"d", b"e", b"e"]
    table = pa.table(
        {
            "position": list(range(7)),
            "id": ids,
            "content": [bytes([n]) for n in range(7)],
            "own": [b"o"] * 7,
        },
        schema=KEYS,
    )
    block = shared_in_block("id", table).to_pylist()
    # a: the first run (cut); c, c: a run of two; d: alone inside, dropped; e, e: the last run.
    assert [(r["id"], r["whole"]) for r in block] == [
        (b"a", False),
        (b"c", True),
        (b"c", True),
        (b"e", False),
        (b"e", False),
    ]
    assert shared_in_block("id", table.slice(0, 0)).num_rows == 0
