"""How to cite a release: the BibTeX entry the dataset card shows and `CITATION.cff` (GitHub's
and Zenodo's citation file), both from `publish`'s params and the release's input hash, so a
citation names the exact version, and nothing in it depends on the clock (a release's date is
`publish.released`, which `corpus release` sets).
"""

from __future__ import annotations

from typing import Any

import yaml

from pipeline import __version__
from pipeline.manifest import Release
from pipeline.versions import tag  # the git tag, and the Hub revision, of a version


def bibtex(r: Release) -> str:
    pub = r.params.publish
    key = f"{pub.name}_{pub.build_version}"
    key = key.replace("-", "_").replace(".", "_").replace("+", "_")
    published = f"Dataset release {tag(pub.version)}" if pub.version else "Unreleased build"
    return f"""@misc{{{key},
  author       = {{{" and ".join("{" + a + "}" for a in pub.authors)}}},
  title        = {{{pub.name}}},
  version      = {{{pub.build_version}}},
  year         = {{{pub.year}}},
  url          = {{{pub.homepage}}},
  howpublished = {{{published}}},
  note         = {{corpus-pipeline {__version__}, input hash {r.input_hash[:16]}}},
}}"""


def citation_cff(r: Release) -> str:
    pub = r.params.publish
    cff: dict[str, Any] = {
        "cff-version": "1.2.0",
        "message": "If you use this dataset, please cite it as below.",
        "type": "dataset",
        "title": pub.name,
        "version": pub.build_version,
        **({"date-released": pub.released.isoformat()} if pub.released else {}),
        "authors": [{"name": a} for a in pub.authors],
        "url": pub.homepage,
    }
    if pub.license == "other":
        cff["license-url"] = pub.license_link
    else:
        cff["license"] = pub.license
    cff["keywords"] = ["news", "corpus", "nlp"]
    return yaml.safe_dump(cff, sort_keys=False, allow_unicode=True, width=100)
