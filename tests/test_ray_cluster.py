"""The local cluster `corpus run --engine ray` starts once for all its stages
(pipeline/cli_ray.py): joined with its token, refused without, gone afterwards."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytest.importorskip("ray")

from pipeline.cli_ray import listening, local_cluster  # noqa: E402
from pipeline.engines.ray_data import SAME_ENV  # noqa: E402

# A driver as a stage is one: it joins the cluster RAY_ADDRESS names, with the run's environment.
DRIVER = "import ray; ray.init(); print(ray.get(ray.remote(lambda: 6 * 7).remote()))"


def driver(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", DRIVER], env=env, capture_output=True, text=True, timeout=180
    )


def test_the_run_cluster_takes_its_token_only_and_stops_with_the_run():
    outside = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    with local_cluster(1) as joining:
        assert set(joining) == {"RAY_ADDRESS", "RAY_AUTH_MODE", "RAY_AUTH_TOKEN", SAME_ENV}
        assert joining[SAME_ENV] == "1"  # started from this environment: nothing to ship
        port = int(joining["RAY_ADDRESS"].rsplit(":", 1)[1])
        joined = driver({**outside, **joining})
        assert joined.stdout.strip() == "42", joined.stderr[-2000:]
        refused = driver({**outside, "RAY_ADDRESS": joining["RAY_ADDRESS"]})
        assert refused.returncode != 0 and "42" not in refused.stdout
    assert not listening(port)
