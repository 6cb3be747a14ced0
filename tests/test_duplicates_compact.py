"""`FindDuplicates` on packed 48-byte keys gives the answer of folding every record's key as it
comes (the rule before the keys were packed), and `duplicate_key` packs what it is given."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline import quarantine as q
from pipeline.duplicates import Duplicate, FindDuplicates, duplicate_key
from pipeline.ids import record_id, source_ref


def hexid(i: int) -> str:
    return hashlib.sha256(b"id %d" % i).hexdigest()[:32]


def digest(i: int) -> bytes:
    return hashlib.sha256(b"content %d" % i).digest()[:16]


def fold_every_key(keys: list[tuple[str, bytes, str]]) -> dict[int, Duplicate]:
    """The rule as it was written before: every key folded in order, ids as hex strings."""
    by_content: dict[bytes, str] = {}
    ids: set[str] = set()
    found = {}
    for position, (id_, content, own) in enumerate(keys):
        if id_ in ids:
            found[position] = Duplicate(id_, q.DUPLICATE_ID, f"same id as {id_}", own)
        elif content in by_content:
            kept = by_content[content]
            why = f"same title and text as {kept}"
            found[position] = Duplicate(kept, q.EXACT_DUPLICATE, why, id_)
        else:
            ids.add(id_)
            by_content[content] = id_
    return found


def packed(id_: str, content: bytes, own: str) -> bytes:
    return bytes.fromhex(id_) + content + bytes.fromhex(own)


def ids_and_contents(rows: list[tuple[int, int, bool]]) -> list[tuple[str, bytes]]:
    """(id, content digest) of each record: one of a few shared ids, or an id of its own."""
    return [(hexid(i if shared else 100 + n), digest(c)) for n, (i, c, shared) in enumerate(rows)]


# Few ids and contents among many records: copies of each kind, chains (a copy by content whose
# id a later record has), and records that share nothing.
records = st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6), st.booleans()), max_size=60).map(
    ids_and_contents
)


@given(records=records, batch=st.integers(1, 7))
def test_result_is_folding_every_key_in_order(records, batch):
    keys = [(id_, content, hexid(1000 + n)) for n, (id_, content) in enumerate(records)]
    reduce = FindDuplicates()
    for start in range(0, len(keys), batch):
        assert reduce.add([packed(*k) for k in keys[start : start + batch]]) == {}
    assert reduce.result() == fold_every_key(keys)


def test_both_kinds_and_a_chain():
    a, b, c = hexid(1), hexid(2), hexid(3)
    keys = [
        (a, digest(1), hexid(10)),  # kept
        (b, digest(1), hexid(11)),  # same text as a: its id b is not kept...
        (b, digest(2), hexid(12)),  # ... so this b is kept
        (b, digest(3), hexid(13)),  # same id as the kept b
        (c, digest(3), hexid(14)),  # digest(3) was never kept: kept
    ]
    reduce = FindDuplicates()
    reduce.add([packed(*k) for k in keys])
    assert reduce.result() == {
        1: Duplicate(a, q.EXACT_DUPLICATE, f"same title and text as {a}", b),
        3: Duplicate(b, q.DUPLICATE_ID, f"same id as {b}", hexid(13)),
    }
    assert reduce.result() == {}  # the keys were let go


def test_duplicate_key_packs_id_content_digest_and_path_id():
    record = {
        "id": hexid(1),
        "title": "Rail fares",
        "content_sha256": "ab" * 32,
        "source": "bbc/rail.jsonl",
        "source_row": 3,
    }
    key = duplicate_key(record)
    content = hashlib.sha256(("ab" * 32 + "\0+Rail fares").encode()).digest()[:16]
    own = record_id(None, source_ref("bbc/rail.jsonl", 3))
    assert key == bytes.fromhex(hexid(1)) + content + bytes.fromhex(own)
    assert duplicate_key(q.Rejected(q.EMPTY_AFTER_CLEAN, "")) is None


@pytest.mark.parametrize("bad", ["ABCDEF" + "0" * 26, "abc", "g" * 32, "0" * 33])
def test_duplicate_key_refuses_an_id_that_is_not_32_lower_case_hex_digits(bad):
    record = {"id": bad, "title": None, "content_sha256": "0" * 64, "source": "a.txt"}
    with pytest.raises(ValueError, match="32 lower-case hex"):
        duplicate_key({**record, "source_row": None})
