"""corpus-pipeline: raw articles in, versioned, validated, reproducible dataset releases out."""

import os
import sys

# Every Arrow allocation of this package's processes from jemalloc, which hands freed pages back
# at once (no decay): `pipeline.stage.return_freed_memory` says why. Arrow's C++ reads these once,
# when pyarrow is first imported, and this package is imported before any stage module imports
# pyarrow; set later, `pa.set_memory_pool` reaches only what pyarrow allocates itself, not the
# Parquet writer's buffers, which then stay in mimalloc: validate's peak was 362 MiB at 20,000
# articles with them there, 298 without. Ray's workers import pyarrow first: the Ray engine hands
# them these variables (`pipeline.engines.ray_data.worker_env`). pyarrow's Linux wheels have
# jemalloc; elsewhere Arrow would only warn, so the default is left alone. A value set by the
# user wins.
ARROW_ALLOCATOR = {
    "ARROW_DEFAULT_MEMORY_POOL": "jemalloc",
    "JE_ARROW_MALLOC_CONF": "dirty_decay_ms:0,muzzy_decay_ms:0",
}
if sys.platform.startswith("linux"):
    for _name, _value in ARROW_ALLOCATOR.items():
        os.environ.setdefault(_name, _value)

__version__ = "0.1.0"
