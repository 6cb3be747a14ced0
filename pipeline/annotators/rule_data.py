"""The annotators' rule data (`pipeline/annotators/rules/*.yaml`: gazetteers, title and cue
words), read and version-checked by `pipeline.rule_data`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.rule_data import read_path

RULES = Path(__file__).resolve().parent / "rules"


def read(name: str, version: int) -> dict[str, Any]:
    """`rules/<name>.yaml`, checked to be `version`."""
    return read_path(RULES / f"{name}.yaml", version)
