"""validate's table held in typed columns, and its ids seen compactly: the same figures, frame,
duplicate_id messages and great-expectations results as the plain Python rows they replace."""

from __future__ import annotations

import hashlib
import random
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from pipeline import quarantine as q
from pipeline.figures import DIGESTS, FIGURE_QUANTILES, Table, _mix, _share
from pipeline.record_checks import FirstIdWins, IdSources
from tests.defaults import PARAMS

SPLITS = ["train", "validation", "test"]
FRAME_COLUMNS = [
    "quarantined",
    "id",
    "content_sha256",
    "language",
    "word_count",
    "entities_per_1k_words",
    "quotes",
    "title_missing",
    "date_missing",
]


def hexid(i: int, n: int = 32) -> str:
    return hashlib.sha256(str(i).encode()).hexdigest()[:n]


def row(rng: random.Random, n: int) -> dict:
    words = rng.choice([0, 1, 17, 400, 1234])
    return {
        "quarantined": 0,
        "id": hexid(rng.randrange(n)),
        "content_sha256": hexid(rng.randrange(n), 64),
        "language": rng.choice(["en", "fr", "de"]),
        "split": rng.choice(["train", "validation", "test", "other"]),
        "word_count": words,
        "entities_per_1k_words": 1000 * rng.randrange(30) / words if words else None,
        "quotes": rng.randrange(9),
        "title_missing": rng.randrange(2),
        "date_missing": rng.randrange(2),
        "cluster": hexid(rng.randrange(max(1, n // 2))),
        "publisher": rng.choice(["BBC", "(unknown)", "Reuters"]),
        "source_format": rng.choice(["txt", "md"]),
        "entity_labels": Counter({"PERSON": rng.randrange(3), "ORG": rng.randrange(2)}),
        "pii": rng.randrange(2),
    }


def rows_of(n: int, seed: int = 1, quarantined: float = 0.1) -> list[dict | None]:
    """n table rows, None for a quarantined record."""
    rng = random.Random(seed)
    return [None if rng.random() < quarantined else row(rng, n) for _ in range(n)]


def table_of(rows: list[dict | None]) -> Table:
    table = Table()
    for r in rows:
        table.add_quarantined() if r is None else table.add_row(r)
    return table


def plain_figures(rows: list[dict | None]) -> dict:
    """The headline figures computed the straightforward way, from the rows as Python values."""
    kept = [r for r in rows if r is not None]
    n = len(kept)
    words = np.array([r["word_count"] for r in kept], dtype="float64")
    quantiles = np.quantile(words, FIGURE_QUANTILES) if n else [0.0] * len(FIGURE_QUANTILES)
    density = [r["entities_per_1k_words"] for r in kept if r["entities_per_1k_words"] is not None]
    clusters = Counter(r["cluster"] for r in kept)
    labels = sum((r["entity_labels"] for r in kept), Counter())
    return {
        "articles": n,
        "records_in": len(rows),
        "quarantined": len(rows) - n,
        "quarantine_rate": _share(len(rows) - n, len(rows)),
        "languages": _mix(Counter(r["language"] for r in kept)),
        "splits": _mix(Counter(r["split"] for r in kept)),
        "publishers": _mix(Counter(r["publisher"] for r in kept)),
        "source_formats": _mix(Counter(r["source_format"] for r in kept)),
        "entity_labels": _mix(labels),
        "word_count_quantiles": {
            str(q): round(float(v), 6) for q, v in zip(FIGURE_QUANTILES, quantiles, strict=True)
        },
        "near_duplicate_rate": _share(sum(c for c in clusters.values() if c > 1), n),
        "pii_rate": _share(sum(r["pii"] for r in kept), n),
        "empty_title_rate": _share(sum(r["title_missing"] for r in kept), n),
        "missing_date_rate": _share(sum(r["date_missing"] for r in kept), n),
        "entities_per_1k_words": round(sum(density) / len(density), 6) if density else 0.0,
        "quotes_per_article": _share(sum(r["quotes"] for r in kept), n),
    }


def plain_frame(rows: list[dict | None]) -> pd.DataFrame:
    """The table suite's frame built the straightforward way: pandas from lists of values."""
    columns = {
        name: [
            1 if r is None and name == "quarantined" else None if r is None else r[name]
            for r in rows
        ]
        for name in FRAME_COLUMNS
    }
    frame = pd.DataFrame(columns)
    for name in FRAME_COLUMNS[4:]:
        frame[name] = frame[name].astype("float64")
    for split in SPLITS:
        share = [None if r is None else float(r["split"] == split) for r in rows]
        frame[f"in_{split}"] = pd.Series(share, dtype="float64")
    return frame


@pytest.mark.parametrize(
    ("n", "quarantined"), [(0, 0.1), (1, 0.0), (7, 0.5), (3, 1.0), (2000, 0.1)]
)
def test_figures_and_frame_are_those_of_the_plain_rows(n, quarantined):
    rows = rows_of(n, seed=n, quarantined=quarantined)
    table = table_of(rows)
    assert table.figures() == plain_figures(rows)
    assert table.cluster_count == len({r["cluster"] for r in rows if r is not None})
    if n:  # dtypes included: str columns (object when every record is quarantined), float64
        plain = plain_frame(rows)
        pd.testing.assert_frame_equal(decoded_frame(table, plain), plain)


def decoded_frame(table: Table, plain: pd.DataFrame) -> pd.DataFrame:
    """The table's frame with its id and hash codes turned back into the strings: codes are
    ranks among the distinct values (0, 1, ...), so decoding them to the very strings shows that
    equal codes are equal strings and different codes different ones."""
    frame = table.frame(SPLITS)
    for name in DIGESTS:
        codes = frame[name].dropna()
        assert sorted(set(codes)) == list(range(len(set(codes))))
        strings = frame[name].map(lambda c, name=name: table.decode(name, c), na_action="ignore")
        if plain[name].dtype == object:  # every record quarantined: None, as pandas makes it
            strings = strings.astype(object).where(strings.notna(), None)
        frame[name] = strings.astype(plain[name].dtype)
    return frame


def test_ids_and_hashes_no_digest_spells_keep_their_own_codes():
    rows = rows_of(50, seed=4)
    kept = [r for r in rows if r is not None]
    kept[0]["id"], kept[1]["id"] = kept[2]["id"] + "\n", kept[2]["id"] + "\n"
    kept[3]["content_sha256"] = kept[4]["content_sha256"].upper()
    table = table_of(rows)
    plain = plain_frame(rows)
    pd.testing.assert_frame_equal(decoded_frame(table, plain), plain)
    codes = table.frame(SPLITS)["id"].dropna().tolist()
    assert codes.count(codes[0]) == 2 and codes[0] != codes[2]


def test_figures_with_quarantined_rows_and_no_entity_density():
    rows = rows_of(300, seed=5)
    for r in rows[::3]:
        if r is not None:
            r["word_count"], r["entities_per_1k_words"] = 0, None
    assert table_of(rows).figures() == plain_figures(rows)


def test_cluster_ids_that_are_not_32_hex_digits_are_counted_apart():
    rows = rows_of(200, seed=6, quarantined=0.0)
    for i, r in enumerate(rows[:40]):  # the same 32 digits, spelt three ways: three clusters
        r["cluster"] = [hexid(0), hexid(0).upper(), hexid(0) + "\n", "c"][i % 4]
    table = table_of(rows)
    assert table.figures() == plain_figures(rows)
    assert table.cluster_count == len({r["cluster"] for r in rows})


def test_a_finished_table_takes_no_more_rows():
    table = table_of(rows_of(10))
    table.finish()
    with pytest.raises(RuntimeError, match="finished"):
        table.add_quarantined()


def test_id_sources_answer_as_a_dict_would():
    rng = random.Random(2)
    ids = [hexid(i) for i in range(3000)]
    odd = [ids[0] + "\n", ids[1].upper(), "0" * 32, "f" * 31, "x" * 32]  # exact too
    plain, seen = {}, IdSources()
    for i in range(20000):  # grows its slots several times
        ident = rng.choice(ids + odd)
        assert seen.source(ident) == plain.get(ident)
        if ident not in plain:
            plain[ident] = f"dir/é{i}.txt"
            seen.add(ident, plain[ident])
    assert len(seen) == len(plain)


def test_a_duplicate_id_names_the_earlier_records_source():
    rng = random.Random(3)
    first, again = row(rng, 10), row(rng, 10)
    again["id"] = first["id"]
    other = row(rng, 10)
    other["id"] = first["id"] + "\n"  # not the same id, though the same 32 digits
    reduce = FirstIdWins()
    assert reduce.add([("passed", first["id"], "a/one.txt", first)]) == {}
    refused = reduce.add(
        [("failed", ("counts",)), ("passed", again["id"], "b/two.txt", again)]
        + [("passed", other["id"], "c/three.txt", other)]
    )
    assert list(refused) == [1]
    assert refused[1].reason == q.DUPLICATE_ID
    assert refused[1].detail == "duplicate_id: id already published for a/one.txt"
    assert reduce.failed == Counter({"counts": 1, "duplicate_id": 1})
    table = reduce.result()
    assert (table.records_in, table.articles) == (4, 2)


def test_the_unique_expectations_report_what_they_did_on_plain_rows():
    """The table suite on the typed columns and on a frame of Python values: the same counts,
    shares and examples of repeated ids and hashes."""
    import great_expectations as gx

    from pipeline import table_checks

    rows = rows_of(400, seed=7)
    for i, r in enumerate(rows[:60]):
        if r is not None:
            r["id"], r["content_sha256"] = hexid(i % 7), hexid(i % 5, 64)
    for i, r in enumerate(rows[60:70]):  # no digest's spelling: held apart, compared as strings
        if r is not None:
            r["id"], r["content_sha256"] = hexid(i % 2) + "\n", hexid(i % 3, 64).upper()
    table = table_of(rows)
    expectations, _ = table_checks.suite(table, PARAMS)
    ours = table_checks._run_gx(table, expectations, SPLITS)

    context = gx.get_context(mode="ephemeral")
    asset = context.data_sources.add_pandas("plain").add_dataframe_asset("rows")
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
        batch_parameters={"dataframe": plain_frame(rows)}
    )
    suite = context.suites.add(gx.ExpectationSuite(name="plain"))
    labels = {}
    for e in expectations:
        added = suite.add_expectation(getattr(gx.expectations, e.name)(**e.kwargs))
        labels[str(added.id)] = e.label
    result = batch.validate(suite, result_format="SUMMARY")
    plain = {
        labels[str(r.expectation_config.id)]: (bool(r.success), table_checks.observed(r))
        for r in result.results
    }
    assert ours == plain
    unique_id = ours["expect_column_values_to_be_unique(id)"]
    assert unique_id[0] is False and unique_id[1]["examples"]


def test_no_entity_or_quote_mean_is_bounded_without_their_annotators():
    """A pipeline without the entities and quotes slots (the cheap path) has null figures there:
    nothing to bound, rather than a mean of nothing that fails as "observed null"."""
    from dataclasses import replace

    from pipeline import table_checks

    table = table_of(rows_of(200, seed=3))
    columns = {e.kwargs.get("column") for e in table_checks.suite(table, PARAMS)[0]}
    assert {"entities_per_1k_words", "quotes"} <= columns
    slots = {k: v for k, v in PARAMS.annotate.annotators.items() if k not in ("entities", "quotes")}
    cheap = replace(PARAMS, annotate=replace(PARAMS.annotate, annotators=slots))
    columns = {e.kwargs.get("column") for e in table_checks.suite(table, cheap)[0]}
    assert not {"entities_per_1k_words", "quotes"} & columns
