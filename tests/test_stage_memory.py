"""A stage's process hands freed Arrow memory back to the system (pipeline.stage)."""

from __future__ import annotations

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
