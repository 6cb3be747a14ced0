"""The repository's params.yaml: the one source of default values, for tests as for the code.

Tests vary it with `dataclasses.replace(PARAMS.annotate, words_per_minute=200)`, which
validates the new value like params.yaml's own.
"""

from pathlib import Path

from pipeline.params import load

PARAMS = load(Path(__file__).resolve().parent.parent / "params.yaml")
