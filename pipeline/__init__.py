"""corpus-pipeline: raw articles in, versioned, validated, reproducible dataset releases out."""

__version__ = "0.1.0"
