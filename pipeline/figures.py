"""The validated table: one small row per record, and the release's headline figures.

Records stream through validate one batch at a time; `Table` keeps one small row per record (a
few numbers and ids, not the text), so the table checks (pipeline/table_checks.py) see the whole
table in one run whatever its size. A quarantined record is a row with `quarantined = 1` and
nothing else, so that the quarantine share is a mean like the others.

`figures()` is the release's headline figures (the `figures` of validation.json and of the
metrics file), the values `pipeline.drift.drift` compares between two releases:

    articles               validated articles (those that go on to publish)
    records_in             records validate read
    quarantined            records validate set aside
    quarantine_rate        quarantined / records_in
    languages              {language code: share of articles}
    splits                 {split: share of articles}
    publishers             {publisher, "(unknown)" when null: share of articles}
    source_formats         {txt, md, html, jsonl, csv: share of articles}
    entity_labels          {entity label: share of all entities}
    word_count_quantiles   {"0.05", "0.25", "0.5", "0.75", "0.95": words at that quantile}
    near_duplicate_rate    share of articles with a near duplicate among the validated ones
    pii_rate               share of articles with an e-mail, phone number or IP address
    empty_title_rate       share of articles without a title
    missing_date_rate      share of articles without a published date
    entities_per_1k_words  mean over articles
    quotes_per_article     mean over articles

Shares and means are rounded to 6 places, so the same table always gives the same bytes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

FIGURE_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
UNKNOWN = "(unknown)"


def table_row(record: dict[str, Any]) -> dict[str, Any]:
    """What the table keeps of a validated record: a few numbers, ids and labels, not the text."""
    words = record["word_count"]
    entities = record["entities"]
    pii = record["pii"]
    return {
        "quarantined": 0,
        "id": record["id"],
        "content_sha256": record["content_sha256"],
        "language": record["language"],
        "split": record["split"],
        "word_count": words,
        "entities_per_1k_words": 1000 * len(entities) / words if words else None,
        "quotes": len(record["quotes"]),
        "title_missing": int(not record["title"]),
        "date_missing": int(record["published_date"] is None),
        "cluster": record["near_duplicate_cluster"],
        "publisher": record["publisher"] or UNKNOWN,
        "source_format": record["source_format"],
        "entity_labels": Counter(e["label"] for e in entities),
        "pii": int(bool(pii["emails"] or pii["phone_numbers"] or pii["ip_addresses"])),
    }


@dataclass
class Table:
    """One row per record validate read; the columns the table checks need and no more."""

    rows: dict[str, list[Any]] = field(
        default_factory=lambda: {
            name: []
            for name in (
                "quarantined",
                "id",
                "content_sha256",
                "language",
                "split",
                "word_count",
                "entities_per_1k_words",
                "quotes",
                "title_missing",
                "date_missing",
            )
        }
    )
    clusters: Counter = field(default_factory=Counter)
    publishers: Counter = field(default_factory=Counter)
    source_formats: Counter = field(default_factory=Counter)
    entity_labels: Counter = field(default_factory=Counter)
    pii: int = 0

    def add(self, record: dict[str, Any]) -> None:
        self.add_row(table_row(record))

    def add_row(self, row: dict[str, Any]) -> None:
        """One validated record's `table_row` (made wherever the record was checked)."""
        for name, values in self.rows.items():
            values.append(row[name])
        self.clusters[row["cluster"]] += 1
        self.publishers[row["publisher"]] += 1
        self.source_formats[row["source_format"]] += 1
        self.entity_labels.update(row["entity_labels"])
        self.pii += row["pii"]

    def add_quarantined(self) -> None:
        for name, values in self.rows.items():
            values.append(1 if name == "quarantined" else None)

    @property
    def records_in(self) -> int:
        return len(self.rows["quarantined"])

    @property
    def articles(self) -> int:
        return self.records_in - sum(self.rows["quarantined"])

    def frame(self, splits: list[str]):
        import pandas as pd  # late: only the table checks need it

        frame = pd.DataFrame(self.rows)
        for name in ("word_count", "entities_per_1k_words", "quotes", "title_missing"):
            frame[name] = frame[name].astype("float64")
        frame["date_missing"] = frame["date_missing"].astype("float64")
        for split in splits:
            frame[f"in_{split}"] = (frame["split"] == split).astype("float64")
            frame.loc[frame["quarantined"] == 1, f"in_{split}"] = None
        return frame

    def figures(self) -> dict[str, Any]:
        n, rows = self.articles, self.rows
        kept = [i for i, q in enumerate(rows["quarantined"]) if not q]
        words = np.array([rows["word_count"][i] for i in kept], dtype="float64")
        quantiles = np.quantile(words, FIGURE_QUANTILES) if n else [0.0] * len(FIGURE_QUANTILES)
        density = [rows["entities_per_1k_words"][i] for i in kept]
        density = [d for d in density if d is not None]
        duplicated = sum(c for c in self.clusters.values() if c > 1)
        return {
            "articles": n,
            "records_in": self.records_in,
            "quarantined": self.records_in - n,
            "quarantine_rate": _share(self.records_in - n, self.records_in),
            "languages": _mix(Counter(rows["language"][i] for i in kept)),
            "splits": _mix(Counter(rows["split"][i] for i in kept)),
            "publishers": _mix(self.publishers),
            "source_formats": _mix(self.source_formats),
            "entity_labels": _mix(self.entity_labels),
            "word_count_quantiles": {
                str(q): round(float(v), 6) for q, v in zip(FIGURE_QUANTILES, quantiles, strict=True)
            },
            "near_duplicate_rate": _share(duplicated, n),
            "pii_rate": _share(self.pii, n),
            "empty_title_rate": _share(sum(rows["title_missing"][i] for i in kept), n),
            "missing_date_rate": _share(sum(rows["date_missing"][i] for i in kept), n),
            "entities_per_1k_words": round(sum(density) / len(density), 6) if density else 0.0,
            "quotes_per_article": _share(sum(rows["quotes"][i] for i in kept), n),
        }


def _share(part: float, whole: float) -> float:
    return round(part / whole, 6) if whole else 0.0


def _mix(counts: Counter) -> dict[str, float]:
    total = sum(counts.values())
    return {key: _share(counts[key], total) for key in sorted(counts)}
