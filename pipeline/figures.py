"""The validated table: one small row per record, and the release's headline figures.

Records stream through validate one batch at a time; `Table` keeps one small row per record (a
few numbers and ids, not the text), so the table checks (pipeline/table_checks.py) see the whole
table in one run whatever its size. A quarantined record is a row with `quarantined = 1` and
nothing else, so that the quarantine share is a mean like the others.

The table is held column by column in typed arrays, not as a Python object per value (lists of
those held about 550 bytes an article, before the frame): numbers as float64 (NaN: none),
languages and splits as codes into a small vocabulary, ids and content hashes as their 16 and
32 bytes (`hex_digest`), near-duplicate cluster ids as their 16 bytes too, counted when the table
is finished (`Table.finish`): only the sizes are kept.

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

import math
from array import array
from collections import Counter
from typing import Any

import numpy as np
import pyarrow as pa

from pipeline.ids import hex_digest

FIGURE_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
UNKNOWN = "(unknown)"
# The table's columns by how they are held: numbers (float64, NaN for none), values from a small
# vocabulary (codes), hex digests (their bytes).
NUMBERS = ("word_count", "entities_per_1k_words", "quotes", "title_missing", "date_missing")
CODED = ("language", "split")
# column -> its hex digits.
DIGESTS = {"id": 32, "content_sha256": 64}


def table_row(record: dict[str, Any]) -> dict[str, Any]:
    """What the table keeps of a validated record: a few numbers, ids and labels, not the text."""
    words = record["word_count"]
    entities = record["entities"]  # None: not annotated (not in the spaCy model's language)
    quotes = record["quotes"]
    pii = record["pii"]
    return {
        "quarantined": 0,
        "id": record["id"],
        "content_sha256": record["content_sha256"],
        "language": record["language"],
        "split": record["split"],
        "word_count": words,
        "entities_per_1k_words": 1000 * len(entities) / words
        if words and entities is not None
        else None,
        "quotes": None if quotes is None else len(quotes),
        "title_missing": int(not record["title"]),
        "date_missing": int(record["published_date"] is None),
        "cluster": record["near_duplicate_cluster"],
        "publisher": record["publisher"] or UNKNOWN,
        "source_format": record["source_format"],
        "entity_labels": Counter(e["label"] for e in entities or []),
        "pii": int(bool(pii["emails"] or pii["phone_numbers"] or pii["ip_addresses"])),
    }


class Table:
    """One row per record validate read; the columns the table checks need and no more."""

    def __init__(self) -> None:
        self.quarantined = array("B")
        self.numbers = {name: array("d") for name in NUMBERS}
        self.codes = {name: array("I") for name in CODED}
        self.vocab: dict[str, dict[str, int]] = {name: {} for name in CODED}  # value -> code
        # Each validated record's id and content hash as their bytes, in order; a value that is
        # no digest's one spelling (the schema's `$` admits a final newline) waits in `_odd`,
        # by its validated row.
        self.digests = {name: bytearray() for name in DIGESTS}
        self._odd: dict[str, dict[int, str]] = {name: {} for name in DIGESTS}
        self._rows = 0  # validated rows
        self._distinct: dict[str, tuple[np.ndarray, list[str]]] = {}  # see `frame`
        # Each validated record's cluster id, until `finish`: its 16 bytes, or (any id that is
        # not 32 hex digits) a count in `_other_clusters`.
        self._clusters: bytearray | None = bytearray()
        self._other_clusters: Counter = Counter()
        self._cluster_sizes = np.zeros(0, dtype="int64")
        self.publishers: Counter = Counter()
        self.source_formats: Counter = Counter()
        self.entity_labels: Counter = Counter()
        self.pii = 0

    def add(self, record: dict[str, Any]) -> None:
        self.add_row(table_row(record))

    def add_row(self, row: dict[str, Any]) -> None:
        """One validated record's `table_row` (made wherever the record was checked)."""
        if self._clusters is None:
            raise RuntimeError("the table is finished: no row can be added")
        self.quarantined.append(0)
        for name in NUMBERS:
            value = row[name]
            self.numbers[name].append(math.nan if value is None else value)
        for name in CODED:
            self.codes[name].append(self.vocab[name].setdefault(row[name], len(self.vocab[name])))
        for name, digits in DIGESTS.items():
            digest = hex_digest(row[name], digits)
            if digest is None:
                self._odd[name][self._rows] = row[name]
            else:
                self.digests[name] += digest
        self._rows += 1
        digest = hex_digest(row["cluster"])
        if digest is None:
            self._other_clusters[row["cluster"]] += 1
        else:
            self._clusters += digest
        self.publishers[row["publisher"]] += 1
        self.source_formats[row["source_format"]] += 1
        self.entity_labels.update(row["entity_labels"])
        self.pii += row["pii"]

    def add_quarantined(self) -> None:
        if self._clusters is None:
            raise RuntimeError("the table is finished: no row can be added")
        self.quarantined.append(1)
        for name in NUMBERS:
            self.numbers[name].append(math.nan)
        for name in CODED:
            self.codes[name].append(0)  # no value: `quarantined` says so

    def finish(self) -> None:
        """No more rows: the near-duplicate clusters are counted and their ids let go (the
        figures and the split tolerance need only the sizes). Idempotent; whatever reads the
        table calls it."""
        if self._clusters is not None:
            digests = np.frombuffer(self._clusters, dtype="V16")
            _, sizes = np.unique(digests, return_counts=True)
            other = np.array(list(self._other_clusters.values()), dtype="int64")
            self._cluster_sizes = np.concatenate([sizes.astype("int64"), other])
            self._clusters = None

    @property
    def records_in(self) -> int:
        return len(self.quarantined)

    @property
    def articles(self) -> int:
        return self.records_in - self.quarantined.count(1)

    @property
    def cluster_count(self) -> int:
        """Near-duplicate clusters among the validated records."""
        self.finish()
        return len(self._cluster_sizes)

    def column(self, name: str) -> np.ndarray:
        """A number column as float64, NaN where there is none: a view, not a copy (the table
        can no longer grow while it is held)."""
        return np.frombuffer(self.numbers[name], dtype="float64")

    def _codes(self, name: str) -> np.ndarray:
        return np.frombuffer(self.codes[name], dtype="uint32")

    def _set_aside(self) -> np.ndarray:
        return np.frombuffer(self.quarantined, dtype="uint8").astype(bool)

    def frame(self, splits: list[str]):
        """The pandas frame the table suite runs on: numbers as float64 (shared with the table,
        not copied), languages as pandas's `str` (Arrow), `in_<split>` 1.0 or 0.0 for each
        validated record (NaN for a quarantined one), so that a split's share is a mean.

        `id` and `content_sha256` are codes, not strings: a value's rank among the column's
        distinct values, as float64 (NaN for a quarantined record). Equal codes are equal
        strings, so uniqueness is checked exactly as on the strings, and `decode` gives a code's
        string back. Why: great-expectations fingerprints the frame it is given
        (`pandas.util.hash_pandas_object`), which turns every distinct string of a column into a
        Python object. With the strings, the table checks added 13 MiB to the process at 20,000
        articles and 37 at 80,000; with codes, 3 and 11 (the table of `bench.reduce_memory`, with
        great-expectations imported before)."""
        import pandas as pd  # late: only the table checks need it

        self.finish()
        set_aside = self._set_aside()
        columns: dict[str, Any] = {"quarantined": set_aside.astype("int64")}
        for name, digits in DIGESTS.items():
            columns[name] = self._digest_codes(name, digits, set_aside)
        columns["language"] = _str_column(self._decoded("language", set_aside))
        columns |= {name: self.column(name) for name in NUMBERS}
        codes = self._codes("split")
        for split in splits:
            code = self.vocab["split"].get(split)
            share = (codes == code).astype("float64") if code is not None else np.zeros(len(codes))
            share[set_aside] = math.nan
            columns[f"in_{split}"] = share
        return pd.DataFrame(columns, copy=False)

    def _digest_codes(self, name: str, digits: int, set_aside: np.ndarray) -> np.ndarray:
        """A digest column's codes (see `frame`), NaN for the quarantined records: the distinct
        digests in byte order, then the distinct odd values (no digest spells them) after."""
        odd = self._odd[name]
        digests = np.frombuffer(self.digests[name], dtype=f"V{digits // 2}")
        distinct, ranks = np.unique(digests, return_inverse=True)
        others = sorted(set(odd.values()))
        self._distinct[name] = (distinct, others)
        validated = np.empty(self._rows)
        is_odd = np.zeros(self._rows, dtype=bool)
        is_odd[list(odd)] = True
        validated[~is_odd] = ranks
        code_of = {value: len(distinct) + i for i, value in enumerate(others)}
        validated[is_odd] = [code_of[value] for _, value in sorted(odd.items())]
        codes = np.full(len(set_aside), math.nan)
        codes[~set_aside] = validated
        return codes

    def decode(self, name: str, code: float) -> str:
        """The string a code of `frame`'s `id` or `content_sha256` column stands for."""
        distinct, others = self._distinct[name]
        i = int(code)
        return distinct[i].tobytes().hex() if i < len(distinct) else others[i - len(distinct)]

    def _decoded(self, name: str, set_aside: np.ndarray) -> pa.Array:
        """A coded column back to its strings, null for the quarantined records."""
        values = pa.array(list(self.vocab[name]), pa.large_string())
        return values.take(pa.array(self._codes(name), mask=set_aside))

    def _counts(self, name: str, kept: np.ndarray) -> Counter:
        """How many validated records have each value of a coded column."""
        counts = np.bincount(self._codes(name)[kept], minlength=len(self.vocab[name]))
        return Counter(
            {v: int(counts[code]) for v, code in self.vocab[name].items() if counts[code]}
        )

    def figures(self) -> dict[str, Any]:
        self.finish()
        n = self.articles
        kept = ~self._set_aside()
        words = self.column("word_count")[kept]
        quantiles = np.quantile(words, FIGURE_QUANTILES) if n else [0.0] * len(FIGURE_QUANTILES)
        density = self.column("entities_per_1k_words")[kept]
        # Python's sum, in row order, as the figure has always been computed: the same bytes.
        density = density[~np.isnan(density)].tolist()
        sizes = self._cluster_sizes
        return {
            "articles": n,
            "records_in": self.records_in,
            "quarantined": self.records_in - n,
            "quarantine_rate": _share(self.records_in - n, self.records_in),
            "languages": _mix(self._counts("language", kept)),
            "splits": _mix(self._counts("split", kept)),
            "publishers": _mix(self.publishers),
            "source_formats": _mix(self.source_formats),
            "entity_labels": _mix(self.entity_labels),
            "word_count_quantiles": {
                str(q): round(float(v), 6) for q, v in zip(FIGURE_QUANTILES, quantiles, strict=True)
            },
            "near_duplicate_rate": _share(int(sizes[sizes > 1].sum()), n),
            "pii_rate": _share(self.pii, n),
            "empty_title_rate": _share(self._total("title_missing", kept), n),
            "missing_date_rate": _share(self._total("date_missing", kept), n),
            "entities_per_1k_words": round(sum(density) / len(density), 6) if density else 0.0,
            # Over the articles whose quotes were annotated (null: another language).
            "quotes_per_article": _share(self._total("quotes", kept), self._count("quotes", kept)),
        }

    def _total(self, name: str, kept: np.ndarray) -> int:
        """The sum of a column of whole numbers over the validated records (exact in float64),
        nulls left out."""
        return int(np.nansum(self.column(name)[kept]))

    def _count(self, name: str, kept: np.ndarray) -> int:
        """The validated records whose value of a number column is not null."""
        return int((~np.isnan(self.column(name)[kept])).sum())


def _str_column(values: pa.Array | pa.ChunkedArray):
    """Arrow strings as the column a frame of Python strings gets, without a copy: pandas's
    `str` dtype, or object if there is no string at all (every record quarantined)."""
    import pandas as pd

    if values.null_count == len(values):
        return np.full(len(values), None, dtype=object)
    return pd.arrays.ArrowStringArray(values, dtype=pd.StringDtype("pyarrow", na_value=np.nan))


def _share(part: float, whole: float) -> float:
    return round(part / whole, 6) if whole else 0.0


def _mix(counts: Counter) -> dict[str, float]:
    total = sum(counts.values())
    return {key: _share(counts[key], total) for key in sorted(counts)}
