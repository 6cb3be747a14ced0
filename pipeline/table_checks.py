"""Table checks: great-expectations on the whole validated table, and the table's headline figures.

Records stream through validate one batch at a time; `Table` keeps one small row per record (a
few numbers and ids, not the text), so the checks see the whole table in one run whatever its
size: ids and content hashes unique, split shares within tolerance of `annotate.split`, the
language set, the quarantine share, empty titles and dates, word-count quantiles, entities per
1,000 words and quotes per article, bounded by `validate.table`. A quarantined record is a row
with `quarantined = 1` and nothing else, so that the quarantine share is a mean like the others.

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

import dataclasses
import math
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pipeline.params import Params

FIGURE_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
UNKNOWN = "(unknown)"
SUITE = "table"


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


@dataclass(frozen=True)
class Expectation:
    """One great-expectations expectation of the table suite, and why it is there."""

    name: str  # the GX class, e.g. ExpectColumnValuesToBeUnique
    kwargs: dict[str, Any]
    why: str

    @property
    def label(self) -> str:
        return label(self.name, self.kwargs)


def label(name: str, kwargs: dict[str, Any]) -> str:
    """`expect_column_mean_to_be_between(quotes, max_value=30)`: unique within the suite."""
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
    args = [kwargs["column"]] if "column" in kwargs else []
    args += [f"{k}={v}" for k, v in kwargs.items() if k != "column"]
    return f"{snake}({', '.join(map(str, args))})"


def split_range(ratio: float, clusters: int, params: Params) -> tuple[float, float]:
    """Shares a split may have: its ratio, give or take the tolerance and `split_sigmas`
    binomial standard deviations over `clusters` draws."""
    t = params.validate.table
    spread = t.split_tolerance + t.split_sigmas * math.sqrt(ratio * (1 - ratio) / max(clusters, 1))
    return round(max(0.0, ratio - spread), 6), round(min(1.0, ratio + spread), 6)


def suite(table: Table, params: Params) -> tuple[list[Expectation], list[Expectation]]:
    """(expectations to run, expectations skipped because the table is too small for them)."""
    t = params.validate.table
    always = [
        Expectation("ExpectColumnValuesToBeUnique", {"column": "id"}, "one record per id"),
        Expectation(
            "ExpectColumnValuesToBeUnique",
            {"column": "content_sha256", "mostly": round(1 - t.max_duplicate_text_share, 6)},
            "articles with the same text (under another title: clean keeps both)",
        ),
    ]
    between = "ExpectColumnMeanToBeBetween"
    sized = [
        Expectation(
            between,
            {"column": "quarantined", "max_value": t.max_quarantine_share},
            "share of the records read that validate set aside",
        ),
        Expectation(
            "ExpectColumnValuesToBeInSet",
            {"column": "language", "value_set": list(t.languages), "mostly": t.min_language_share},
            "the corpus's languages",
        ),
        Expectation(
            between,
            {"column": "title_missing", "max_value": t.max_empty_title_share},
            "share of articles without a title",
        ),
        Expectation(
            between,
            {"column": "date_missing", "max_value": t.max_missing_date_share},
            "share of articles without a published date",
        ),
        Expectation(
            "ExpectColumnQuantileValuesToBeBetween",
            {
                "column": "word_count",
                "quantile_ranges": {
                    "quantiles": [q.quantile for q in t.word_count_quantiles],
                    "value_ranges": [[q.min, q.max] for q in t.word_count_quantiles],
                },
            },
            "article lengths in words",
        ),
        Expectation(
            between,
            {
                "column": "entities_per_1k_words",
                "min_value": t.entities_per_1k_words.min,
                "max_value": t.entities_per_1k_words.max,
            },
            "named entities per 1,000 words, mean over articles",
        ),
        Expectation(
            between,
            {
                "column": "quotes",
                "min_value": t.quotes_per_article.min,
                "max_value": t.quotes_per_article.max,
            },
            "quotations per article, mean over articles",
        ),
    ]
    clusters = len(table.clusters)
    ratios = dataclasses.asdict(params.annotate.split)
    for split, ratio in ratios.items():
        low, high = split_range(ratio, clusters, params)
        sized.append(
            Expectation(
                between,
                {"column": f"in_{split}", "min_value": low, "max_value": high},
                f"share of articles in {split} (annotate.split: {ratio})",
            )
        )
    if table.articles >= t.min_articles:
        return always + sized, []
    return always, sized


def run(table: Table, params: Params) -> list[dict[str, Any]]:
    """Run the suite on the whole table: one result per expectation, skipped ones included."""
    expectations, skipped = suite(table, params)
    splits = [f.name for f in dataclasses.fields(params.annotate.split)]
    results = _run_gx(table, expectations, splits) if table.records_in else {}
    out = []
    for e in expectations:
        success, observed = results.get(e.label, (False, "no records to check"))
        out.append({"expectation": e.label, "why": e.why, "observed": observed, "success": success})
    reason = f"skipped: fewer than {params.validate.table.min_articles} articles"
    out += [
        {"expectation": e.label, "why": e.why, "observed": reason, "success": None} for e in skipped
    ]
    return out


def _run_gx(
    table: Table, expectations: list[Expectation], splits: list[str]
) -> dict[str, tuple[bool, Any]]:
    # great-expectations phones home unless told not to; there is no network here to wait for.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx  # late: importing it takes seconds
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("corpus").add_dataframe_asset("records")
    batch = asset.add_batch_definition_whole_dataframe("table").get_batch(
        batch_parameters={"dataframe": table.frame(splits)}
    )
    gx_suite = context.suites.add(gx.ExpectationSuite(name=SUITE))
    labels = {}
    for e in expectations:
        added = gx_suite.add_expectation(getattr(gx.expectations, e.name)(**e.kwargs))
        labels[str(added.id)] = e.label
    result = batch.validate(gx_suite, result_format="SUMMARY")
    return {
        labels[str(r.expectation_config.id)]: (bool(r.success), observed(r)) for r in result.results
    }


def observed(result: Any) -> Any:
    """What GX measured: a value (a mean, quantiles) or, for a per-row expectation, how many
    rows failed and a few of their values."""
    info = result.exception_info or {}
    if info.get("raised_exception"):
        return f"error: {info.get('exception_message')}"
    r = result.result
    if "observed_value" in r:
        return _plain(r["observed_value"])
    return {
        "unexpected": int(r.get("unexpected_count") or 0),
        "unexpected_share": round(float(r.get("unexpected_percent") or 0.0) / 100, 6),
        "examples": sorted({str(v) for v in r.get("partial_unexpected_list") or []})[:5],
    }


def _plain(value: Any) -> Any:
    """JSON-ready, rounded: numpy numbers to Python ones, floats to 6 places."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return round(value, 6) if math.isfinite(value) else None
    return value
