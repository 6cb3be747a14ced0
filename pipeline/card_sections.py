"""The dataset card's body sections that describe this release's records (`card.card_text`
assembles them): an example record, the statistics and plots, the filters and redaction, the
limitations and the changelog. Each is a function of the release and its statistics
(`pipeline.card_stats`), so the same release gives the same text.
"""

from __future__ import annotations

import json

import numpy as np

from pipeline.card_stats import EXAMPLE_LIST_ITEMS, EXAMPLE_TEXT_CHARS, PII_KINDS, Stats, truncate
from pipeline.changes import CHANGE_KINDS, CHANGES_FILE
from pipeline.manifest import Release


def example_section(stats: Stats) -> str:
    if stats.example is None:
        return "## An example record\n\nThis release has no records.\n"
    # One line per column: nested values stay compact, and the block is still valid JSON.
    lines = [
        f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}"
        for k, v in truncate(stats.example).items()
    ]
    shown = "{\n" + ",\n".join(lines) + "\n}"
    return f"""## An example record

The record with the smallest `id` of the first split; strings longer than
{EXAMPLE_TEXT_CHARS} characters and lists longer than {EXAMPLE_LIST_ITEMS} items are cut here (not
in the data).

```json
{shown}
```
"""


def statistics_section(r: Release, stats: Stats, images: dict[str, str]) -> str:
    counts, words = r.counts, stats.word_counts
    reasons = (
        "\n".join(f"| `{reason}` | {n} |" for reason, n in counts["quarantined_by_reason"].items())
        or "| (none) | 0 |"
    )
    splits = ", ".join(f"`{s.name}` {s.rows}" for s in r.splits) or "none"
    languages = ", ".join(
        f"`{lang}` {n}" for lang, n in sorted(r.languages.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    if len(words):
        q = np.percentile(words, [0, 25, 50, 75, 100]).tolist()
        lengths = (
            f"Words per article: min {q[0]:.0f}, quartiles {q[1]:.0f} / {q[2]:.0f} / {q[3]:.0f}, "
            f"max {q[4]:.0f}, mean {float(np.mean(words)):.1f}; {int(words.sum())} words in all."
        )
    else:
        lengths = "No articles."
    return f"""## Statistics

| | articles |
|---|---|
| found in `seeds/` ({counts["files"]} files) | {counts["articles"]} |
| published | {counts["published"]} |
| quarantined | {counts["quarantined"]} |

Quarantined by reason:

| reason | articles |
|---|---|
{reasons}

Splits (from a hash of each record's near-duplicate cluster, so near duplicates share a split):
{splits}.

{lengths}

![Length distribution]({images["lengths"]})

Languages (py3langid): {languages or "none"}.

![Languages]({images["languages"]})

The most frequent people, organisations and places (`people`, `organizations`, `places`;
counted once per article):

![Top named entities]({images["entities"]})
"""


def filters_section(r: Release, stats: Stats) -> str:
    annotate = r.params.annotate
    if annotate.filters:
        rows = "\n".join(
            f"| `{column}` | {'' if b.min is None else b.min} | {'' if b.max is None else b.max} |"
            for column, b in sorted(annotate.filters.items())
        )
        filters = (
            "Records outside these bounds were quarantined as `filtered` "
            f"({r.counts['quarantined_by_reason'].get('filtered', 0)} articles):\n\n"
            f"| column | min | max |\n|---|---|---|\n{rows}"
        )
    else:
        filters = "none; the annotations describe the articles, none was dropped for them."
    found = ", ".join(
        f"{PII_KINDS[kind]} in {stats.pii[kind]}" for kind in PII_KINDS if stats.pii[kind]
    )
    pii_annotator = r.annotators.get("pii", {}).get("annotator", annotate.annotators.get("pii"))
    if annotate.pii.redact:
        redaction = (
            "on (`annotate.pii.redact: true`): the e-mail addresses, phone numbers and IP\n"
            f"addresses `{pii_annotator}` found were replaced in `text` by `[EMAIL]`, `[PHONE]`,\n"
            f"`[IP]` ({stats.redacted} articles)."
        )
    else:
        redaction = (
            "off (`annotate.pii.redact: false`): the e-mail addresses, phone numbers and IP\n"
            f"addresses `{pii_annotator}` found are counted in the `pii` column, left in `text`."
        )
    return f"""## Filters and redaction

Filters (`annotate.filters`): {filters}

Redaction: {redaction}
Articles with at least one: {found or "none"}.

Exact duplicates (same title and text) and id duplicates (same canonical URL) are set aside at
the clean stage and listed in the kept record's `duplicates`; near duplicates are kept, marked
by `near_duplicate_cluster`, and always share a split.
"""


LIMITATIONS = """## Limitations

- The articles are what `seeds/` held: their selection, topics, time span and outlets are not
  a sample of the news, and the card's statistics describe this release only.
- The annotations are automatic. Named entities come from a small spaCy model with rules
  (about 0.77 exact-match micro F1 on 24 GUM news articles, lowest on organisations); quotes,
  speakers and resolved dates inherit its mistakes. Entities, quotes, dates and readability
  are only computed for English articles (null for the others); the language of very short
  texts is often wrong.
- PII detection is pattern-based (e-mails, phone numbers, IP addresses): names, addresses and
  other personal data are not detected, let alone redacted.
- Near duplicates are found by MinHash at one threshold; paraphrases below it can fall in
  different splits.
- The articles keep their publishers' copyright; the licence below covers the release's
  annotations and layout, not the texts.
"""


def changelog_section(r: Release, stats: Stats) -> str:
    pub = r.params.publish
    if pub.previous is None:
        return f"## Changelog\n\nFirst release: {r.counts['published']} records.\n"
    if stats.changes is None:
        return f"## Changelog\n\nFollows {pub.previous}; no record-level changes were recorded.\n"
    rows = "\n".join(f"| `{kind}` | {stats.changes.get(kind, 0)} |" for kind in CHANGE_KINDS)
    withdrawn = ", ".join(f"`{reason}` {n}" for reason, n in sorted(stats.withdrawn.items()))
    text = f"""## Changelog

{pub.build_version} against {pub.previous}; one row per changed record, with the reason and both
content hashes, in `{CHANGES_FILE}`:

| change | records |
|---|---|
{rows}
"""
    return text + (f"\nWithdrawn, by reason: {withdrawn}.\n" if withdrawn else "")
