"""Record checks a schema cannot state: characters clean promises to remove, language codes."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.checks import CHECKS, checks_for, known_languages, record_problems
from pipeline.clean import apply_steps, steps
from tests.defaults import PARAMS

CLEAN = PARAMS.clean
ALL = checks_for(CLEAN, PARAMS.annotate)
NOTHING_CLEANED = replace(
    CLEAN,
    strip_control_chars=False,
    strip_zero_width=False,
    remove_soft_hyphens=False,
    normalize_whitespace=False,
)


def characters(text: str, clean=CLEAN, title: str | None = None) -> list[str]:
    check = checks_for(clean, PARAMS.annotate)["characters"]
    return list(check({"text": text, "title": title}))


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Plain text.\n\nTwo paragraphs.", []),
        ("Zero\u200bwidth", ["text has U+200B at 4"]),
        ("Word\u2060joiner and BOM\ufeff", ["text has U+2060, U+FEFF at 4"]),
        ("soft\u00adhyphen", ["text has U+00AD at 4"]),
        ("bell\x07", ["text has U+0007 at 4"]),
        ("C1\x85control", ["text has U+0085 at 2"]),
        ("tab\tinside", ["text has U+0009 at 3"]),  # normalize_whitespace turns tabs to spaces
        ("crlf\r\nline", ["text has U+000D at 4"]),
        ("joiners stay: \u200d\u200c", []),  # ZWJ and ZWNJ are kept by clean
    ],
)
def test_characters_clean_removes_with_default_params(text, found):
    assert characters(text) == found


def test_the_title_is_checked_too():
    assert characters("Fine.", title="Bad\x00title") == ["title has U+0000 at 3"]


def test_with_nothing_cleaned_only_c0_controls_are_refused():
    assert characters("tab\tand\r\nzero\u200bwidth\u00ad", clean=NOTHING_CLEANED) == []
    assert characters("form\x0cfeed", clean=NOTHING_CLEANED) == ["text has U+000C at 4"]


def test_default_checks_refuse_c0_controls_without_params():
    record = {"text": "nul\x00", "title": None}
    assert record_problems(record, {"characters": CHECKS["characters"]}) == [
        "characters: text has U+0000 at 3"
    ]


@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=60))
def test_whatever_clean_leaves_passes_the_character_check(text):
    cleaned, _ = apply_steps(text, steps(CLEAN))
    assert characters(cleaned) == []


def test_language_codes_are_those_the_annotator_can_answer():
    check = ALL["language_code"]
    assert list(check({"language": "en"})) == []
    assert list(check({"language": "xx"})) == ["'xx' is no language the annotator knows"]
    assert {"en", "fr", "de", "zh"} <= known_languages(())
    restricted = checks_for(CLEAN, replace(PARAMS.annotate, language_candidates=("en", "fr")))
    assert list(restricted["language_code"]({"language": "de"}))


def test_spacy_columns_are_null_exactly_for_other_languages():
    check = ALL["language_annotations"]
    english = {"language": "en", "entities": [], "people": [], "quotes": [], "dates_mentioned": []}
    french = {**dict.fromkeys(english), "language": "fr"}
    assert list(check(english)) == list(check(french)) == []
    chosen = PARAMS.annotate.annotators
    assert list(check({**english, "quotes": None})) == [
        f"quotes is null for a 'en' article ({chosen['quotes']}: en only)"
    ]
    assert list(check({**french, "people": ["Anna Smith"]})) == [
        f"people is set for a 'fr' article ({chosen['entities']}: en only)"
    ]
    # No language-bound annotator chosen (the bench's cheap path): no such check.
    slots = {
        k: v
        for k, v in PARAMS.annotate.annotators.items()
        if k not in ("entities", "quotes", "dates")
    }
    cheap = checks_for(CLEAN, replace(PARAMS.annotate, annotators=slots))
    assert "language_annotations" not in cheap


@pytest.mark.parametrize(
    ("sentences", "text", "ok"),
    [
        (2, "One here. Two here.", True),
        (1, "One here. Two here.", True),  # a model may join them: only bounds are checked
        (0, "Words here.", False),
        (1, "*** ...", False),
        (0, "", True),
        (5, "Four words only here.", False),
    ],
)
def test_sentence_count_is_held_to_the_words(sentences, text, ok):
    record = {"text": text, "sentence_count": sentences}
    problems = record_problems(record, {"counts": CHECKS["counts"]})
    assert (problems == []) is ok
