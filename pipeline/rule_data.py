"""Rule data files: gazetteers, word lists (`pipeline/annotators/rules/`, `pipeline/readers/`).

Each file starts with a comment saying where its data comes from and carries a `version`; the
code that reads it names the version it was written for, so an edited file that changes a
stage's output cannot go unnoticed (a new version is a new file and, for an annotator, a new
annotator).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml


@functools.cache
def read_path(path: Path, version: int) -> dict[str, Any]:
    """The rule data file at `path`, checked to be `version`."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("version") != version:
        found = data.get("version") if isinstance(data, dict) else None
        raise ValueError(f"{path}: version {found!r}, the code reading it expects {version}")
    return data
