"""Table checks: great-expectations on the whole validated table.

The suite runs on `pipeline.figures.Table` (one small row per record, not the text), so it sees
the whole table in one run whatever its size: ids and content hashes unique, split shares within
tolerance of `annotate.split`, the language set, the quarantine share, empty titles and dates,
word-count quantiles, entities per 1,000 words and quotes per article, bounded by
`validate.table`. The table's headline figures are `Table.figures()` (pipeline/figures.py).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.figures import DIGESTS, Table
from pipeline.params import Params

SUITE = "table"
# How the great-expectations run is made: `call(fn, *args)` returns `fn(*args)`, made in this
# process (`in_process`) or in another (`pipeline.engines.Ahead.call`).
Call = Callable[..., Any]


def in_process(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


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
    ]
    # Only for the slots params.yaml fills: without an entities annotator every article's
    # figure is null, and a mean of nothing is no figure to bound (it failed as "observed null").
    means = (
        (
            "entities",
            "entities_per_1k_words",
            t.entities_per_1k_words,
            "named entities per 1,000 words",
        ),
        ("quotes", "quotes", t.quotes_per_article, "quotations per article"),
    )
    for slot, column, bounds, what in means:
        if slot in params.annotate.annotators:
            kwargs = {"column": column, "min_value": bounds.min, "max_value": bounds.max}
            sized.append(Expectation(between, kwargs, f"{what}, mean over articles"))
    clusters = table.cluster_count
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


def run(table: Table, params: Params, call: Call = in_process) -> list[dict[str, Any]]:
    """Run the suite on the whole table: one result per expectation, skipped ones included.
    `call` makes the great-expectations run: here, or where validate prepared it
    (`pipeline.engines.Ahead`)."""
    expectations, skipped = suite(table, params)
    splits = [f.name for f in dataclasses.fields(params.annotate.split)]
    results = call(_run_gx, table, expectations, splits) if table.records_in else {}
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
    # Here, not at the top: importing it takes seconds and some 80 MiB. With 2 or more workers
    # this runs in a process of its own that imported it while the checks ran (validate's
    # `engines.Ahead`); a thread in the stage's process saved no time on 2 cores and added its
    # memory to the checks' peak (357 against 311 MiB at 20,000 articles).
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("corpus").add_dataframe_asset("records")
    batch = asset.add_batch_definition_whole_dataframe("table").get_batch(
        batch_parameters={"dataframe": table.frame(splits)}
    )
    gx_suite = context.suites.add(gx.ExpectationSuite(name=SUITE))
    added = {}
    for e in expectations:
        added[str(gx_suite.add_expectation(getattr(gx.expectations, e.name)(**e.kwargs)).id)] = e
    result = batch.validate(gx_suite, result_format="SUMMARY")
    out = {}
    for r in result.results:
        e = added[str(r.expectation_config.id)]
        column = e.kwargs.get("column")
        # The frame's id and content hash columns are codes: examples are given as strings.
        decode = functools.partial(table.decode, column) if column in DIGESTS else None
        out[e.label] = (bool(r.success), observed(r, decode))
    return out


def observed(result: Any, decode: Callable[[Any], str] | None = None) -> Any:
    """What GX measured: a value (a mean, quantiles) or, for a per-row expectation, how many
    rows failed and a few of their values (through `decode`, if given)."""
    info = result.exception_info or {}
    if info.get("raised_exception"):
        return f"error: {info.get('exception_message')}"
    r = result.result
    if "observed_value" in r:
        return _plain(r["observed_value"])
    examples = r.get("partial_unexpected_list") or []
    return {
        "unexpected": int(r.get("unexpected_count") or 0),
        "unexpected_share": round(float(r.get("unexpected_percent") or 0.0) / 100, 6),
        "examples": sorted({str(decode(v) if decode else v) for v in examples})[:5],
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
