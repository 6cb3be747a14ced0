"""Rule data files (`pipeline/annotators/rules/*.yaml`): gazetteers, title and cue words.

Each file starts with a comment saying where its data comes from and carries a `version`; the
code that reads it names the version it was written for, so an edited file that changes an
annotator's output cannot go unnoticed (a new version is a new file and a new annotator).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

RULES = Path(__file__).resolve().parent / "rules"


def read(name: str, version: int) -> dict[str, Any]:
    """`rules/<name>.yaml`, checked to be `version`."""
    return read_path(RULES / f"{name}.yaml", version)


@functools.cache
def read_path(path: Path, version: int) -> dict[str, Any]:
    """A rule data file anywhere in the package (the readers keep theirs beside them),
    checked to be `version`."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("version") != version:
        found = data.get("version") if isinstance(data, dict) else None
        raise ValueError(f"{path}: version {found!r}, the code reading it expects {version}")
    return data
