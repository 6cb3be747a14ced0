"""Ingest's input hash made as files are read (`InputHash`), and the compact file list it reads
(`seed_files.scan`): the same value as hashing the sorted list of every (path, digest)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline import ingest, seed_files
from pipeline.ids import file_sha256, sha256_hex
from pipeline.ingest import InputHash, UnsortedSources

# Sorted: "a-b/y.txt" < "a.txt" < "a/x.txt" ('-' < '.' < '/'); os.walk gives the top folder's
# "a.txt" first, then each folder's files together: never the sorted order.
FILES = {
    "a/x.txt": "Ex\n\nThe first text.\n",
    "a-b/y.txt": "Why\n\nThe second text.\n",
    "a.txt": "Eh\n\nThe third text.\n",
    "b/c/d.txt": "Dee\n\nThe fourth text.\n",
    "b/c/d.txt.meta.json": '{"title": "Dee"}',
    "b/orphan.txt.meta.json": "{}",
}


def sorted_list_hash(entries: list[tuple[str, str]]) -> str:
    """The input hash as ingest computed it before `InputHash`: one list, sorted at the end."""
    return sha256_hex("".join(f"{path}\t{digest}\n" for path, digest in sorted(entries)))


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    root = tmp_path / "seeds"
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def walk_order(root: Path) -> list[str]:
    return [
        (Path(folder) / name).relative_to(root).as_posix()
        for folder, _, names in os.walk(root)
        for name in names
    ]


def every_input(root: Path) -> list[tuple[str, str]]:
    """(relative path, sha256) of every file under `root`, sidecars taken by a seed aside."""
    return [
        (rel, file_sha256(root / rel)) for rel in walk_order(root) if rel != "b/c/d.txt.meta.json"
    ]


def run(seeds: Path, tmp_path: Path, params) -> dict:
    out = tmp_path / "out"
    return ingest.run(seeds, out / "records", out / "quarantine", out / "m.json", params)


def test_scan_lists_relative_paths_in_sorted_order_not_walk_order(seeds, params):
    files = seed_files.scan(seeds, params.ingest)

    sources = [f.source for f in files]
    expected = ["a-b/y.txt", "a.txt", "a/x.txt", "b/c/d.txt", "b/orphan.txt.meta.json"]
    assert sources == sorted(sources) == expected
    assert walk_order(seeds) != sorted(walk_order(seeds))
    by_source = {f.source: f for f in files}
    assert by_source["b/c/d.txt"].sidecar == "d.txt.meta.json"
    assert by_source["b/c/d.txt"].sidecar_path(seeds) == seeds / "b/c/d.txt.meta.json"
    assert by_source["b/orphan.txt.meta.json"].unused.reason == "orphan_sidecar"
    assert not hasattr(files[0], "__dict__")  # slotted: held for every file of the corpus
    assert seed_files.list_seeds(seeds, params.ingest) == [
        seeds / s for s in sources if not s.endswith(".meta.json")
    ]


def test_read_seed_batches_rows_come_in_scan_order(seeds, params):
    files = seed_files.scan(seeds, params.ingest)
    batches = seed_files.read_seed_batches(seeds, files, params.ingest, batch_size=2)
    rows = [row for batch in batches for row in batch.to_pylist()]
    assert [r["source"] for r in rows] == [f.source for f in files]
    assert rows[3]["sidecar_name"] == "d.txt.meta.json"
    assert rows[4]["error"] == "orphan_sidecar"


def test_input_hash_equals_the_sorted_list_hash(seeds, tmp_path, params):
    result = run(seeds, tmp_path, params)
    assert result["input_hash"] == sorted_list_hash(every_input(seeds))


@pytest.mark.parametrize("name", ["0-first.txt", "a.txt", "a/z.txt", "zz-last.txt"])
def test_the_blocklist_is_merged_in_at_its_sorted_place(seeds, tmp_path, params, name):
    blocklist = seeds / "blocklist.txt"
    blocklist.write_text("# nothing blocked\n", encoding="utf-8")
    entry = (name, file_sha256(blocklist))
    # The blocklist's entry named as any file of the folder, to put it before, among (a tie on
    # the path: the digest decides, as in a sort) and after the files.
    listed = [(p, d) for p, d in every_input(seeds) if p != "blocklist.txt"]
    hashed = InputHash([entry])
    for path, digest in sorted(listed):
        hashed.add(path, digest)
    assert hashed.hexdigest() == sorted_list_hash([*listed, entry])


def test_ingest_hashes_its_blocklist(seeds, tmp_path, params):
    (seeds / "blocklist.txt").write_text("# nothing blocked\n", encoding="utf-8")
    result = run(seeds, tmp_path, params)
    assert result["input_hash"] == sorted_list_hash(every_input(seeds))
    assert result["files_in"] == 4  # the blocklist is input, not a seed


def test_input_hash_function_keeps_its_meaning():
    entries = [("b.txt", "2" * 64), ("a.txt", "1" * 64), ("a-b.txt", "3" * 64)]
    assert ingest.input_hash(entries) == sorted_list_hash(entries)
    assert ingest.input_hash([]) == sha256_hex("")


def test_a_source_out_of_sorted_order_fails_loudly():
    hashed = InputHash()
    hashed.add("a/x.txt", "1" * 64)
    with pytest.raises(UnsortedSources, match="a-b/y.txt"):
        hashed.add("a-b/y.txt", "2" * 64)
