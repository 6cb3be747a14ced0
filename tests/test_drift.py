"""drift: a release's headline figures against the previous release's; schema_change: what a new
record schema means for readers."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest

from pipeline.drift import drift, mix_change, schema_change
from pipeline.schema import record_schema
from tests.defaults import PARAMS

TOLERANCES = PARAMS.validate.drift
FIGURES = {
    "articles": 1000,
    "records_in": 1010,
    "quarantined": 10,
    "quarantine_rate": 0.009901,
    "languages": {"en": 0.95, "fr": 0.05},
    "splits": {"test": 0.05, "train": 0.9, "validation": 0.05},
    "publishers": {"(unknown)": 0.5, "BBC": 0.5},
    "source_formats": {"txt": 1.0},
    "entity_labels": {"GPE": 0.3, "ORG": 0.3, "PERSON": 0.4},
    "word_count_quantiles": {
        "0.05": 120.0,
        "0.25": 250.0,
        "0.5": 380.0,
        "0.75": 520.0,
        "0.95": 900.0,
    },
    "near_duplicate_rate": 0.02,
    "pii_rate": 0.01,
    "empty_title_rate": 0.0,
    "missing_date_rate": 1.0,
    "entities_per_1k_words": 80.0,
    "quotes_per_article": 2.5,
}


def changed(**figures) -> dict:
    return {**copy.deepcopy(FIGURES), **figures}


def test_the_same_figures_do_not_drift():
    assert drift(FIGURES, copy.deepcopy(FIGURES), TOLERANCES) == []


def test_losing_half_the_articles_is_named_with_both_counts():
    (problem,) = drift(FIGURES, changed(articles=480), TOLERANCES)
    assert problem.check == "articles"
    assert str(problem) == "articles: 1000 -> 480 articles (-52.0%; at most 10% fewer)"


def test_a_few_more_articles_is_fine_but_not_three_times_as_many():
    assert drift(FIGURES, changed(articles=1050), TOLERANCES) == []
    assert [p.check for p in drift(FIGURES, changed(articles=3000), TOLERANCES)] == ["articles"]


def test_a_changed_language_mix_names_the_languages_that_moved():
    (problem,) = drift(FIGURES, changed(languages={"en": 0.6, "es": 0.35, "fr": 0.05}), TOLERANCES)
    assert problem.check == "languages"
    assert "0.350" in problem.message and "en 95.0% -> 60.0%" in problem.message
    assert "es 0.0% -> 35.0%" in problem.message


@pytest.mark.parametrize("mix", ["publishers", "source_formats", "entity_labels"])
def test_every_mix_is_compared(mix):
    other = {"something else": 1.0}
    assert [p.check for p in drift(FIGURES, changed(**{mix: other}), TOLERANCES)] == [mix]


@pytest.mark.parametrize(
    "rate", ["quarantine_rate", "near_duplicate_rate", "pii_rate", "empty_title_rate"]
)
def test_rates_may_move_a_few_points_only(rate):
    assert drift(FIGURES, changed(**{rate: FIGURES[rate] + 0.04}), TOLERANCES) == []
    (problem,) = drift(FIGURES, changed(**{rate: FIGURES[rate] + 0.2}), TOLERANCES)
    assert problem.check == rate


def test_a_length_quantile_that_halves_is_named():
    quantiles = {**FIGURES["word_count_quantiles"], "0.5": 190.0}
    (problem,) = drift(FIGURES, changed(word_count_quantiles=quantiles), TOLERANCES)
    assert str(problem) == (
        "word_count_quantiles: the 0.5 quantile moved from 380 to 190 words (-50.0%; at most ±25%)"
    )


def test_tolerances_come_from_params():
    loose = replace(TOLERANCES, max_article_loss=0.6)
    assert drift(FIGURES, changed(articles=480), loose) == []


def test_figures_the_previous_release_lacks_are_not_compared():
    older = {"articles": 1000}
    assert drift(older, FIGURES, TOLERANCES) == []


def test_mix_change_is_total_variation():
    assert mix_change({"a": 1.0}, {"b": 1.0})[0] == 1.0
    assert mix_change({"a": 0.5, "b": 0.5}, {"a": 0.5, "b": 0.5})[0] == 0.0


SCHEMA = record_schema().json_schema


def edited(edit) -> dict:
    new = copy.deepcopy(SCHEMA)
    edit(new)
    return new


def _add_column(s):
    s["properties"]["summary"] = {"type": ["string", "null"], "description": "A summary."}


def _drop_column(s):
    del s["properties"]["author"]
    s["required"].remove("author")


def _nullable(s):
    s["properties"]["language"]["type"] = ["string", "null"]


def _retype(s):
    s["properties"]["word_count"]["type"] = "number"


def _tighter(s):
    s["properties"]["word_count"]["minimum"] = 1


def _looser(s):
    del s["properties"]["char_count"]["minimum"]


def _new_format(s):
    s["properties"]["source_format"]["enum"].append("pdf")


def _fewer_formats(s):
    s["properties"]["source_format"]["enum"].remove("csv")


def _entity_field(s):
    s["properties"]["entities"]["items"]["properties"]["score"] = {"type": "number"}


def _entity_retype(s):
    s["properties"]["entities"]["items"]["properties"]["start"]["type"] = "string"


def _reorder(s):
    props = s["properties"]
    s["properties"] = {"title": props["title"], **{k: v for k, v in props.items() if k != "title"}}


def _describe(s):
    s["properties"]["text"]["description"] = "Other words."
    s["x-schema-version"] = "3.0.1"


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_describe, "none"),
        (_add_column, "additive"),
        (_tighter, "additive"),
        (_fewer_formats, "additive"),
        (_entity_field, "additive"),
        (_drop_column, "breaking"),
        (_nullable, "breaking"),
        (_retype, "breaking"),
        (_looser, "breaking"),
        (_new_format, "breaking"),
        (_entity_retype, "breaking"),
        (_reorder, "breaking"),
    ],
)
def test_schema_change(edit, expected):
    assert schema_change(SCHEMA, edited(edit)) == expected


def test_schema_change_of_a_schema_with_itself_is_none():
    assert schema_change(SCHEMA, copy.deepcopy(SCHEMA)) == "none"
