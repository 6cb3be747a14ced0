"""A stage's process hands freed Arrow memory back to the system (pipeline.stage)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# What a stage's `main` does first: parse its arguments (pipeline.stage.parse_args). Then 256
# buffers of 1 MiB, written (resident), are freed: the resident size before, with and after.
PROBE = """
import os, numpy as np, pyarrow as pa
from pipeline.stage import parse_args

def resident_mib():
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") >> 20

parse_args(["--input", "in", "--out", "out"], "pipeline.probe", None, ["input", "out"])
before = resident_mib()
buffers = [pa.allocate_buffer(1 << 20) for _ in range(256)]
for buffer in buffers:
    np.frombuffer(buffer, dtype=np.uint8)[:] = 1
during = resident_mib()
del buffers, buffer
print(pa.default_memory_pool().backend_name, before, during, resident_mib())
"""


def test_stage_process_gives_freed_arrow_memory_back():
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    pool, (before, during, after) = out[0], map(int, out[1:])
    assert pool == "jemalloc"
    assert during - before >= 250
    # pyarrow's default pool (mimalloc) keeps all 256 MiB resident after the free.
    assert after - before < (during - before) / 2


# What `python -m pipeline.<stage>` does: the package first, then the modules that import
# pyarrow. A stage's shard writer then writes a Parquet file: how much Arrow's mimalloc served.
WRITER_PROBE = """
import pipeline
import pyarrow as pa
from pipeline.shards import ShardWriter
from tests.defaults import PARAMS
from pathlib import Path

table = pa.table({"text": ["x" * 3000] * 2000})
writer = ShardWriter(Path("{out}"), table.schema, PARAMS.engine)
writer.write_batch(table.to_batches()[0])
writer.close()
print(pa.default_memory_pool().backend_name, pa.mimalloc_memory_pool().max_memory())
"""


def test_the_parquet_writer_of_a_stage_allocates_from_jemalloc_too(tmp_path: Path):
    """`pa.set_memory_pool` does not reach the buffers Arrow's C++ Parquet writer allocates;
    ARROW_DEFAULT_MEMORY_POOL, set by the package before pyarrow is imported, does."""
    probe = WRITER_PROBE.replace("{out}", str(tmp_path / "out"))
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True, env=env
    ).stdout.split()
    assert out == ["jemalloc", "0"]
