"""Annotators language, counts, readability, quality, pii, near_duplicates and split, called
through the framework (registry name -> annotator, a Context per batch)."""

from __future__ import annotations

import random
import string
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.annotators import BatchAnnotator, Context, CorpusAnnotator, load_all
from pipeline.params import AnnotateParams, SplitParams
from pipeline.words import paragraph_count, word_count
from tests.defaults import PARAMS

ENGLISH = (
    "The government announced on Tuesday that it would raise taxes on fuel to pay for new "
    "hospitals and schools across the country."
)
FRENCH = (
    "Le gouvernement a annoncé mardi qu'il augmenterait les taxes sur le carburant pour financer "
    "de nouveaux hôpitaux et des écoles dans tout le pays."
)
GERMAN = (
    "Die Regierung kündigte am Dienstag an, die Steuern auf Kraftstoff zu erhöhen, um neue "
    "Krankenhäuser und Schulen im ganzen Land zu finanzieren."
)
ANNOTATORS = load_all()
QUALITY_FIELDS = [
    "mean_word_length",
    "symbol_to_word_ratio",
    "alpha_word_fraction",
    "stop_word_count",
    "end_punctuation_line_fraction",
    "bullet_line_fraction",
    "ellipsis_line_fraction",
    "duplicate_line_fraction",
    "duplicate_line_char_fraction",
    "top_2gram_char_fraction",
    "top_3gram_char_fraction",
    "top_4gram_char_fraction",
    "duplicate_5gram_char_fraction",
    "duplicate_10gram_char_fraction",
]


def annotate(
    name: str, records: list[dict[str, Any]], params: AnnotateParams | None = None
) -> list[dict[str, Any]]:
    annotator = ANNOTATORS[name]
    assert isinstance(annotator, BatchAnnotator)
    context = Context([r["text"] for r in records], params or PARAMS.annotate)
    return annotator.annotate(records, context)


def one(name: str, text: str, params: AnnotateParams | None = None, **fields: Any) -> dict:
    return annotate(name, [{"text": text, **fields}], params)[0]


def near_duplicate_clusters(
    texts: dict[str, str], params: AnnotateParams | None = None
) -> dict[str, str]:
    """{id: cluster} for records {id: text}, prepared in batches of 3 like the stage would."""
    params = params or PARAMS.annotate
    annotator = ANNOTATORS["minhash_v1"]
    assert isinstance(annotator, CorpusAnnotator)
    records = [{"id": i, "text": t} for i, t in texts.items()]
    prepared = []
    for start in range(0, len(records), 3):
        batch = records[start : start + 3]
        prepared += annotator.prepare(batch, Context([r["text"] for r in batch], params))
    finished = annotator.finish([r["id"] for r in records], prepared, params)
    return {i: columns["near_duplicate_cluster"] for i, columns in finished.items()}


def test_every_slot_is_registered_under_its_name():
    slots = {
        "language_v1": "language",
        "counts_v1": "counts",
        "readability_v1": "readability",
        "quality_v1": "quality",
        "pii_v1": "pii",
        "minhash_v1": "near_duplicates",
        "split_v1": "split",
    }
    assert {name: ANNOTATORS[name].slot for name in slots} == slots
    assert isinstance(ANNOTATORS["minhash_v1"], CorpusAnnotator)


# --- language ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"), [(ENGLISH, "en"), (FRENCH, "fr"), (GERMAN, "de")], ids=["en", "fr", "de"]
)
def test_language(text, language):
    columns = one("language_v1", text)
    assert set(columns) == {"language", "language_score"}
    assert columns["language"] == language
    assert 0.9 < columns["language_score"] <= 1.0
    assert round(columns["language_score"], 6) == columns["language_score"]


def test_language_candidates_restrict_the_answer():
    params = replace(PARAMS.annotate, language_candidates=("en", "de"))
    assert one("language_v1", FRENCH, params)["language"] in {"en", "de"}
    assert one("language_v1", FRENCH)["language"] == "fr"


def test_language_model_names_the_package_version():
    assert ANNOTATORS["language_v1"].model(PARAMS.annotate).startswith("py3langid 0.")


# --- counts ------------------------------------------------------------------------------


def test_counts_hand_computed():
    text = "The cat sat. The dog ran.\n\nIt rained all day."
    assert one("counts_v1", text) == {
        "char_count": 45,
        "word_count": 10,
        "sentence_count": 3,
        "paragraph_count": 2,
        "reading_time_minutes": 0.04,  # 10 / 238
    }


def test_reading_time_uses_words_per_minute():
    text = " ".join(["word"] * 500)
    assert (
        one("counts_v1", text, replace(PARAMS.annotate, words_per_minute=200))[
            "reading_time_minutes"
        ]
        == 2.5
    )
    with pytest.raises(ValueError, match="words_per_minute"):
        one("counts_v1", text, replace(PARAMS.annotate, words_per_minute=0))


def test_a_line_without_words_is_no_sentence():
    text = "First sentence here.\n\n***\n\nSecond one here."
    assert one("counts_v1", text)["sentence_count"] == 2


@pytest.mark.parametrize(
    ("text", "paragraphs"),
    [
        ("one", 1),
        ("one\n\ntwo", 2),
        ("one\ntwo", 1),  # a line break is not a paragraph break
        ("one\n \t\n\n\ntwo\n\nthree", 3),
        ("\n\none\n\n", 1),
        ("one\n\n***", 2),
    ],
)
def test_paragraph_count(text, paragraphs):
    assert paragraph_count(text) == paragraphs


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("isn't", 1),
        ("a state of wishful-thinking, isn't it?", 6),
        ("snake_case", 2),
        ("Cafe\u0301 東京", 2),
        ("— … !", 0),
    ],
)
def test_word_count(text, words):
    assert word_count(text) == words


# --- readability ---------------------------------------------------------------------------


def test_flesch_reading_ease_hand_computed():
    # 7 words, 1 sentence, 13 syllables (the gov-ern-ment an-nounced a new pol-i-cy to-day):
    # 206.835 - 1.015 * 7 - 84.6 * 13 / 7 = 42.6157...
    text = "The government announced a new policy today."
    assert one("readability_v1", text, language="en") == {"flesch_reading_ease": 42.62}


def test_flesch_reading_ease_is_null_for_other_languages():
    assert one("readability_v1", FRENCH, language="fr") == {"flesch_reading_ease": None}


def test_readability_needs_the_language_column():
    with pytest.raises(KeyError, match="language"):
        one("readability_v1", ENGLISH)


# --- quality -------------------------------------------------------------------------------

QUALITY_TEXT = (
    "the cat sat on the mat. the cat sat on the mat.\n\n"
    "- a bullet\n- a bullet\nWhat...\n#tag 2004 and 1.5"
)


def test_quality_hand_computed():
    # Words (22): the cat sat on the mat (x2), a bullet (x2), What tag 2004 and 1 5; their
    # characters: 17 * 2 + 7 * 2 + 16 = 64. Non-empty lines: 5.
    quality = one("quality_v1", QUALITY_TEXT)["quality"]
    assert list(quality) == QUALITY_FIELDS
    assert quality == {
        "mean_word_length": round(64 / 22, 6),
        "symbol_to_word_ratio": round(2 / 22, 6),  # one '#', one '...'
        "alpha_word_fraction": round(19 / 22, 6),  # 2004, 1 and 5 have no letter
        "stop_word_count": 5,  # the x4, and
        "end_punctuation_line_fraction": 0.2,  # "What..." ends in an ellipsis, not a stop
        "bullet_line_fraction": 0.4,
        "ellipsis_line_fraction": 0.2,
        "duplicate_line_fraction": 0.2,
        "duplicate_line_char_fraction": round(10 / 91, 6),  # "- a bullet" over all line chars
        "top_2gram_char_fraction": round(14 / 64, 6),  # "a bullet" twice
        "top_3gram_char_fraction": round(18 / 64, 6),  # "the cat sat" twice
        "top_4gram_char_fraction": round(22 / 64, 6),  # "cat sat on the" twice
        # repeats of "the cat sat on the", "cat sat on the mat" cover the second sentence
        "duplicate_5gram_char_fraction": round(17 / 64, 6),
        "duplicate_10gram_char_fraction": 0.0,
    }


def test_quality_of_a_text_repeated_three_times():
    sentence = "one two three four five six seven eight nine ten eleven twelve"
    quality = one("quality_v1", " ".join([sentence] * 3))["quality"]
    # The first copy is the original, the two others are duplicates.
    assert quality["duplicate_5gram_char_fraction"] == round(2 / 3, 6)
    assert quality["duplicate_10gram_char_fraction"] == round(2 / 3, 6)
    assert quality["top_2gram_char_fraction"] == round(3 * 12 / (3 * 51), 6)  # "eleven twelve"


def test_overlapping_ngrams_count_each_character_once():
    quality = one("quality_v1", "a a a a a a")["quality"]
    assert quality["top_2gram_char_fraction"] == 1.0  # "a a" 5 times, over 6 characters
    # The 5-gram at 1 repeats the one at 0 and covers words 1 to 5.
    assert quality["duplicate_5gram_char_fraction"] == round(5 / 6, 6)


def test_quality_without_words():
    quality = one("quality_v1", "!!!")["quality"]
    assert quality == {
        **dict.fromkeys(QUALITY_FIELDS, 0.0),
        "stop_word_count": 0,
        "end_punctuation_line_fraction": 1.0,
    }


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=string.ascii_letters + " \n.#-*…'\"0123456789é", max_size=300))
def test_quality_fractions_stay_in_range(text):
    quality = one("quality_v1", text)["quality"]
    assert list(quality) == QUALITY_FIELDS
    for name, value in quality.items():
        if name == "stop_word_count":
            assert isinstance(value, int) and value >= 0
        elif name in ("mean_word_length", "symbol_to_word_ratio"):
            assert value >= 0
        else:
            assert 0.0 <= value <= 1.0, name
    assert one("quality_v1", text)["quality"] == quality


# --- pii -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "emails", "phones", "ips"),
    [
        ("Write to jane.doe@example.co.uk.", 1, 0, 0),
        ("j_doe+news@mail.example.org and x@y.com", 2, 0, 0),
        ("Call +44 20 7946 0958 now", 0, 1, 0),
        ("Call +44 (0)20 7946 0958.", 0, 1, 0),
        ("Call +1 (555) 123-4567 or 0044 20 7946 0958", 0, 2, 0),
        ("ring 020 7946 0958, (020) 7946 0958 or 07700 900123", 0, 3, 0),
        ("Berlin: 030 12345678. Paris: 01 23 45 67 89.", 0, 2, 0),
        ("US: (555) 123-4567, 555-123-4567, 555.123.4567, 1-800-555-0199", 0, 4, 0),
        ("lines on 0845 8 505 505 or 0800 555 111.", 0, 2, 0),
        ("server 192.168.0.1. and 2001:db8::1, fe80::1ff:fe23:4567:890a", 0, 0, 3),
        # Not PII.
        ("@BBCNews and Seti@home", 0, 0, 0),
        ("In 2004-2005, on 01.02.2005 and 2005-01-12 (12/01/2005)", 0, 0, 0),
        ("Chelsea won 2-1, then 3-0; a 100-98 win", 0, 0, 0),
        ("£2,171, $11.1bn, €1 234 567, 464,000 subscribers, +5.2%", 0, 0, 0),
        ("ISBN 0306406152 and ISBN 978-0-306-40615-7", 0, 0, 0),
        ("at 10:30:00, 07:30 and 0.5%", 0, 0, 0),
        ("999.1.1.1 and 01.02.03.04 and version 1.2.3", 0, 0, 0),
        ("std::io, ::1 and 00:1A:2B:3C:4D:5E", 0, 0, 0),
        ("on 05.06.2004 12 people came", 0, 0, 0),
    ],
)
def test_pii_counts(text, emails, phones, ips):
    assert one("pii_v1", text) == {
        "pii": {"emails": emails, "phone_numbers": phones, "ip_addresses": ips, "redacted": False}
    }


def test_pii_redaction_replaces_and_returns_the_text():
    params = replace(PARAMS.annotate, pii=replace(PARAMS.annotate.pii, redact=True))
    text = "Mail a@b.com or call 020 7946 0958 from 10.0.0.1."
    assert one("pii_v1", text, params) == {
        "pii": {"emails": 1, "phone_numbers": 1, "ip_addresses": 1, "redacted": True},
        "text": "Mail [EMAIL] or call [PHONE] from [IP].",
    }
    # Nothing found: the text is not returned (content_sha256 stays).
    assert one("pii_v1", ENGLISH, params) == {
        "pii": {"emails": 0, "phone_numbers": 0, "ip_addresses": 0, "redacted": True}
    }


# --- near duplicates -----------------------------------------------------------------------


def random_text(seed: int, words: int = 200) -> str:
    rng = random.Random(seed)
    vocabulary = [
        "".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9))) for _ in range(3000)
    ]
    return " ".join(rng.choices(vocabulary, k=words))


def test_identical_and_near_identical_texts_cluster_unrelated_do_not():
    base = random_text(1)
    words = base.split()
    near = " ".join(words[:100] + ["changed"] + words[101:])  # one word of 200
    texts = {
        "b" * 32: base,
        "d" * 32: base.upper(),  # the same text, shouted: shingles are lower-cased
        "a" * 32: near,
        "c" * 32: random_text(2),
        "e" * 32: random_text(3),
    }
    clusters = near_duplicate_clusters(texts)
    # The cluster is named by its smallest id; a record without a near duplicate is its own.
    assert clusters == {
        "a" * 32: "a" * 32,
        "b" * 32: "a" * 32,
        "d" * 32: "a" * 32,
        "c" * 32: "c" * 32,
        "e" * 32: "e" * 32,
    }


def test_clusters_do_not_depend_on_record_order():
    texts = {f"{i:032x}": random_text(i % 7) for i in range(40)}  # 7 groups of identical texts
    expected = near_duplicate_clusters(texts)
    assert len(set(expected.values())) == 7
    items = list(texts.items())
    for seed in range(3):
        random.Random(seed).shuffle(items)
        assert near_duplicate_clusters(dict(items)) == expected


def test_signatures_are_bytes_of_num_perm_uint32():
    params = replace(
        PARAMS.annotate, near_duplicates=replace(PARAMS.annotate.near_duplicates, num_perm=64)
    )
    context = Context([ENGLISH, "!!!"], params)
    signatures = ANNOTATORS["minhash_v1"].prepare([{"text": ENGLISH}, {"text": "!!!"}], context)
    assert [type(s) for s in signatures] == [bytes, bytes]
    assert [len(s) for s in signatures] == [256, 256]
    with pytest.raises(ValueError, match="num_perm"):
        ANNOTATORS["minhash_v1"].finish(["a" * 32, "b" * 32], signatures, PARAMS.annotate)


def test_short_texts_and_duplicate_ids():
    clusters = near_duplicate_clusters({"a" * 32: "Hello there", "b" * 32: "hello, there!"})
    assert set(clusters.values()) == {"a" * 32}
    with pytest.raises(ValueError, match="unique"):
        ANNOTATORS["minhash_v1"].finish(["a" * 32, "a" * 32], [b"", b""], PARAMS.annotate)


def lsh_index_clusters(ids: list[str], signatures: list[bytes], threshold: float) -> list[str]:
    """The clusters as datasketch's `MinHashLSH` index finds the candidates (the reference the
    banding in `near_duplicates.clusters` reproduces without the index's per-record objects)."""
    import numpy as np
    from datasketch import LeanMinHash, MinHashLSH

    matrix = np.frombuffer(b"".join(signatures), dtype="<u4").reshape(len(ids), -1)
    lsh = MinHashLSH(threshold=threshold, num_perm=matrix.shape[1])
    minhashes = [LeanMinHash(seed=1, hashvalues=row, scheme="affine32") for row in matrix]
    for i, minhash in enumerate(minhashes):
        lsh.insert(i, minhash, check_duplication=False)
    parent = list(range(len(ids)))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i, minhash in enumerate(minhashes):
        for j in lsh.query(minhash):
            if j > i and (matrix[i] == matrix[j]).mean() >= threshold:
                a, b = sorted((find(i), find(j)), key=ids.__getitem__)
                parent[b] = a
    return [ids[find(i)] for i in range(len(ids))]


def random_signatures(n: int, seed: int = 7) -> tuple[list[str], list[bytes]]:
    """`n` ids and 128-value signatures: copies of 40 texts' signatures, each copy with 0 to
    40% of its values changed."""
    import numpy as np

    rng = np.random.default_rng(seed)
    base = rng.integers(0, 2**32, size=(40, 128), dtype=np.uint32)
    ids, signatures = [], []
    for i in range(n):
        row = base[rng.integers(40)].copy()
        changed = rng.random(128) < (0.0, 0.05, 0.15, 0.25, 0.4)[i % 5]
        row[changed] = rng.integers(0, 2**32, changed.sum(), dtype=np.uint32)
        signatures.append(row.astype("<u4").tobytes())
        ids.append(rng.bytes(16).hex())
    return ids, signatures


@pytest.mark.parametrize("threshold", [0.5, 0.8, 0.9])
def test_clusters_are_those_of_the_lsh_index(threshold: float):
    from pipeline.annotators.near_duplicates import clusters

    ids, signatures = random_signatures(600)
    params = replace(PARAMS.annotate.near_duplicates, threshold=threshold, num_perm=128)
    found = clusters(ids, signatures, params)
    assert found == lsh_index_clusters(ids, signatures, threshold)
    assert 40 <= len(set(found)) < 600  # pairs were found, and not every record is one cluster
    assert clusters([], [], params) == []


# --- split ---------------------------------------------------------------------------------


def splits(clusters: list[str], params: AnnotateParams | None = None) -> list[str]:
    records = [{"text": "", "near_duplicate_cluster": c} for c in clusters]
    return [columns["split"] for columns in annotate("split_v1", records, params)]


def test_split_ratios_on_ten_thousand_ids():
    clusters = [f"{i:032x}" for i in range(10_000)]
    shares = Counter(splits(clusters))
    assert abs(shares["train"] / 10_000 - 0.9) <= 0.01
    assert abs(shares["validation"] / 10_000 - 0.05) <= 0.01
    assert abs(shares["test"] / 10_000 - 0.05) <= 0.01
    # Deterministic, whatever the order or the company.
    assert splits(clusters[::-1]) == splits(clusters)[::-1]
    assert splits(clusters[:10]) == splits(clusters)[:10]


def test_near_duplicates_share_a_split():
    clusters = [f"{i % 50:032x}" for i in range(1000)]
    by_cluster: dict[str, set[str]] = {}
    for cluster, split in zip(clusters, splits(clusters), strict=True):
        by_cluster.setdefault(cluster, set()).add(split)
    assert all(len(s) == 1 for s in by_cluster.values())


def test_a_zero_ratio_split_gets_nothing():
    params = replace(
        PARAMS.annotate, split=replace(PARAMS.annotate.split, train=0.8, validation=0.2, test=0.0)
    )
    assert set(splits([f"{i:032x}" for i in range(2000)], params)) == {"train", "validation"}


@pytest.mark.parametrize(
    "ratios",
    [SplitParams(0.9, 0.05, 0.1), SplitParams(1.1, -0.05, -0.05), SplitParams(0.5, 0.2, 0.2)],
)
def test_split_ratios_must_sum_to_one(ratios):
    with pytest.raises(ValueError, match="annotate.split"):
        splits(["a" * 32], replace(PARAMS.annotate, split=ratios))


def test_split_needs_the_cluster():
    with pytest.raises(KeyError, match="near_duplicate_cluster"):
        annotate("split_v1", [{"text": ""}])


@pytest.mark.parametrize(
    ("text", "v2", "v3"),
    [
        ("Versions: 00 01 02 03 04", 1, 0),  # "00" is the international prefix, no trunk
        ("Call 0044 20 7946 0958 today.", 1, 1),  # read as international by both
        ("Call 020 7946 0958 today.", 1, 1),
    ],
)
def test_pii_v3_no_national_number_starts_with_00(text, v2, v3):
    assert one("pii_v2", text)["pii"]["phone_numbers"] == v2
    assert one("pii_v3", text)["pii"]["phone_numbers"] == v3
