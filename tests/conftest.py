"""Small named fixtures shared by the unit tests (the e2e test has its own, in its module)."""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from pipeline.params import Params
from pipeline.schema import record_schema
from pipeline.shards import ShardWriter, read_batches
from tests.defaults import PARAMS

# Property tests: the same examples on every run (a red CI is then reproducible here), and no
# health check that fails a test because a busy 2-core CI machine generated data slowly.
settings.register_profile(
    "project", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("project")

DATA = Path(__file__).resolve().parent / "data"
REPO = DATA.parent.parent

# What `messy_seeds_dir` adds to the hand-written seeds, and what ingest must make of each.
MESSY_SEEDS: dict[str, str | None] = {
    "legacy/council-tax.txt": None,  # Windows-1252 with a pound sign: accepted
    "legacy/with-bom.txt": None,  # UTF-8 with a byte order mark: accepted
    "broken/binary.txt": "undecodable",
    "broken/empty.txt": "empty_input",
    "broken/blank.txt": "empty_input",
    "broken/scan.pdf": "unsupported_format",
    "broken/bad-sidecar.txt": "bad_sidecar",
}
COUNCIL_TAX = (
    "Council tax bill\n\n"
    "The average bill will rise to £2,171 next year, the council said.\n\n"
    "Residents’ groups called the increase “unaffordable”.\n"
)


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def messy_seed_reasons() -> dict[str, str | None]:
    """Seed added by `messy_seeds_dir` -> its quarantine reason (None: accepted)."""
    return dict(MESSY_SEEDS)


@pytest.fixture
def council_tax_text() -> str:
    """The text of the Windows-1252 seed `legacy/council-tax.txt`."""
    return COUNCIL_TAX


@pytest.fixture
def repo_params_path() -> Path:
    return REPO / "params.yaml"


@pytest.fixture
def params(tmp_path: Path) -> Params:
    """Default params with tiny batches and row groups, so a handful of rows crosses both; the
    results cache in the test's own folder (params.yaml's is relative to the working directory,
    and a test that patches a step must not leave its results in a developer's cache)."""
    engine = replace(
        PARAMS.engine, batch_size=2, row_group_rows=3, cache_dir=str(tmp_path / ".corpus-cache")
    )
    return replace(PARAMS, engine=engine)


@pytest.fixture
def seeds_dir(tmp_path: Path) -> Path:
    """A writable copy of the hand-written seeds in tests/data/seeds."""
    return Path(shutil.copytree(DATA / "seeds", tmp_path / "seeds"))


@pytest.fixture
def binary_bytes() -> bytes:
    """Bytes no text encoding explains (seeded, so every run sees the same bytes)."""
    return random.Random(20240601).randbytes(2048)


@pytest.fixture
def messy_seeds_dir(seeds_dir: Path, binary_bytes: bytes) -> Path:
    """The hand-written seeds plus every kind of file ingest must refuse or skip.

    Odd bytes are made here rather than committed, so no editor or git filter can "fix" them.
    """
    files = {
        "legacy/council-tax.txt": COUNCIL_TAX.encode("cp1252"),
        "legacy/with-bom.txt": "\ufeffBOM headline\n\nText after a byte order mark.\n".encode(),
        "broken/binary.txt": binary_bytes,
        "broken/empty.txt": b"",
        "broken/blank.txt": b" \n\t\r\n  ",
        "broken/scan.pdf": b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n",
        "broken/bad-sidecar.txt": b"A perfectly good article.\n",
        "broken/bad-sidecar.txt.meta.json": b'{"url": "https://example.com/a",',
        # Not articles: dotfiles, anything in a hidden folder, a sidecar without its seed.
        ".DS_Store": b"\x00\x00\x00\x01Bud1",
        ".cache/old.txt": b"A cached article that is not a seed.\n",
        "orphan.txt.meta.json": b'{"url": "https://example.com/orphan"}',
    }
    for name, raw in files.items():
        path = seeds_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(raw)
    return seeds_dir


@pytest.fixture
def stage_paths(tmp_path: Path) -> Callable[[str], tuple[Path, Path, Path]]:
    """`stage_paths("clean")` -> (records folder, quarantine folder, metrics file) under tmp."""

    def paths(stage: str) -> tuple[Path, Path, Path]:
        root = tmp_path / "data"
        return (
            root / stage / "records",
            root / "quarantine" / stage,
            root / stage / "metrics.json",
        )

    return paths


@pytest.fixture
def make_record() -> Callable[..., dict[str, Any]]:
    """An ingest-stage record with valid values; keyword arguments override fields."""

    def make(**fields: Any) -> dict[str, Any]:
        record = {
            "id": "0" * 32,
            "text": "Rail fares in England will rise by 4.6% from March.",
            "title": "Rail fares to rise",
            "author": None,
            "published_date": None,
            "publisher": None,
            "url": None,
            "license": None,
            "source": "bbc/rail-fares.txt",
            "source_row": None,
            "source_sha256": "a" * 64,
            "source_format": "txt",
            "encoding": "utf-8",
            "metadata": "{}",
        }
        return {**record, **fields}

    return make


@pytest.fixture
def write_stage_rows(tmp_path: Path, params: Params) -> Callable[[str, list[dict[str, Any]]], Path]:
    """Write rows as the given stage's output (its Arrow schema) to a tmp shard folder."""

    def write(stage: str, rows: list[dict[str, Any]]) -> Path:
        folder = tmp_path / "input" / stage
        with ShardWriter(folder, record_schema().arrow(stage), params.engine) as writer:
            writer.write_rows(rows)
        return folder

    return write


@pytest.fixture
def read_rows() -> Callable[[Path], list[dict[str, Any]]]:
    """Every row of a shard folder, in order, as Python dicts."""

    def read(folder: Path) -> list[dict[str, Any]]:
        return [row for batch in read_batches(folder, 1000) for row in batch.to_pylist()]

    return read


@pytest.fixture
def read_json() -> Callable[[Path], Any]:
    return lambda path: json.loads(Path(path).read_text(encoding="utf-8"))
