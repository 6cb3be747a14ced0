"""What the docs say matches what runs: each stage's --help names the metrics file dvc.yaml
gives it, and the README's examples name versions that can exist."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
import yaml

from pipeline import versions

ROOT = Path(__file__).resolve().parent.parent
STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def metrics_path(stage: str) -> str | None:
    found = re.search(r"--metrics (\S+)", STAGES[stage]["cmd"])
    return found.group(1) if found else None


@pytest.mark.parametrize("stage", [s for s in STAGES if metrics_path(s)])
def test_a_stage_help_names_the_metrics_file_dvc_gives_it(stage):
    doc = importlib.import_module(f"pipeline.{stage}").__doc__
    assert f"data/{stage}/metrics.json" not in doc
    assert metrics_path(stage) in doc or "metrics" not in doc.split("Params:")[0]


def test_the_readme_and_example_name_no_version_before_the_first():
    first = versions.parse(versions.bump(None, "minor"))
    for path in (ROOT / "README.md", ROOT / "examples" / "train_topics.py"):
        named = re.findall(
            r"(?:--version |revision=\"v|\"version\": \")(\d+\.\d+\.\d+)", path.read_text()
        )
        assert named, path
        assert all(versions.parse(v) >= first for v in named), (path, named)
