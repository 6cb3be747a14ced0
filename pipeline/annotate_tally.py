"""What annotate's metrics file reports about the annotated corpus, read off the batches the
stage writes (the batch functions may run in other processes, where nothing they count is
seen)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pyarrow as pa


class Tally:
    """What the metrics file reports about the annotated corpus."""

    COLUMNS = ("language", "split", "entities", "near_duplicate_cluster", "quotes", "pii")

    def __init__(self) -> None:
        self.languages: Counter = Counter()
        self.splits: Counter = Counter()
        self.entity_labels: Counter = Counter()
        self.clusters: Counter = Counter()
        self.quotes = self.quotes_with_speaker = self.pii_records = 0

    def add(self, record: dict[str, Any]) -> None:
        self.languages[record.get("language")] += 1
        self.splits[record.get("split")] += 1
        self.entity_labels.update(e["label"] for e in record.get("entities") or [])
        self.clusters[record.get("near_duplicate_cluster")] += 1
        quotes = record.get("quotes") or []
        self.quotes += len(quotes)
        self.quotes_with_speaker += sum(1 for x in quotes if x["speaker"])
        pii = record.get("pii") or {}
        self.pii_records += any(pii.get(k) for k in ("emails", "phone_numbers", "ip_addresses"))

    def add_batch(self, batch: pa.RecordBatch) -> None:
        """Every record of a written batch (only the columns the tally reads are converted)."""
        wanted = [c for c in self.COLUMNS if c in batch.schema.names]
        for record in batch.select(wanted).to_pylist():
            self.add(record)

    def as_dict(self) -> dict[str, Any]:
        multi = [n for n in self.clusters.values() if n > 1]
        return {
            "languages": dict(self.languages.most_common()),
            "splits": dict(sorted((str(k), v) for k, v in self.splits.items())),
            "entities_by_label": dict(self.entity_labels.most_common()),
            "quotes": self.quotes,
            "quotes_with_speaker": self.quotes_with_speaker,
            "records_with_pii": self.pii_records,
            "near_duplicate_clusters": len(multi),
            "records_in_near_duplicate_clusters": sum(multi),
        }
