"""params.yaml -> a frozen, typed Params; anything it does not define is an error."""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from pipeline.params import (
    AnnotateParams,
    CleanParams,
    ColumnParams,
    EngineParams,
    IngestParams,
    Params,
    ParamsError,
    load,
)


@pytest.fixture
def write_params(tmp_path):
    def write(text: str):
        path = tmp_path / "params.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


def as_yaml_values(value):
    """What a Params value looks like in YAML: tuples are lists."""
    if isinstance(value, dict):
        return {k: as_yaml_values(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [as_yaml_values(v) for v in value]
    return value


def test_repo_params_load_with_every_value_as_written(repo_params_path):
    raw = yaml.safe_load(repo_params_path.read_text(encoding="utf-8"))
    loaded = as_yaml_values(load(repo_params_path).as_dict())
    assert set(raw) <= set(loaded)
    for section, values in raw.items():
        assert {k: loaded[section][k] for k in values} == values, section


def test_repo_params_sections_are_the_stages(repo_params_path):
    raw = yaml.safe_load(repo_params_path.read_text(encoding="utf-8"))
    assert list(raw) == ["engine", "ingest", "clean", "annotate", "validate", "publish"]


def test_empty_file_gives_defaults(write_params):
    assert load(write_params("")) == Params()


def test_a_partial_section_keeps_the_other_defaults(write_params):
    params = load(write_params("engine:\n  batch_size: 7\nannotate:\n"))
    assert params.engine == dataclasses.replace(EngineParams(), batch_size=7)
    assert params.annotate == AnnotateParams()
    assert params.ingest == IngestParams()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("engine:\n  batch_sise: 10\n", "batch_sise"),
        ("ingest:\n  extensions: ['.txt']\n  encoding: latin-1\n", "encoding"),
        ("tokenize:\n  vocab: 100\n", "tokenize"),
        ("engine: {}\nzz: 1\naa: 2\n", "aa, zz"),
        ("ingest:\n  sidecar_suffix: .meta.json\n", "sidecar_suffix"),  # now sidecar_suffixes
        ("ingest:\n  columns:\n    body: text\n", r"ingest\.columns.*body"),
    ],
)
def test_unknown_key_or_section_is_rejected(write_params, text, message):
    with pytest.raises(ParamsError, match=message):
        load(write_params(text))


@pytest.mark.parametrize(
    "text",
    [
        "engine: 5\n",
        "ingest: ['.txt']\n",
        "- engine\n- ingest\n",
    ],
)
def test_a_section_that_is_not_a_mapping_is_rejected(write_params, text):
    with pytest.raises(ParamsError, match="mapping"):
        load(write_params(text))


def test_a_nested_section_keeps_its_other_defaults(write_params):
    params = load(write_params("ingest:\n  columns:\n    text: body\n    date: published\n"))
    assert params.ingest.columns == ColumnParams(text="body", date="published")
    assert params.ingest.columns.title == "title"
    assert dataclasses.replace(params.ingest, columns=ColumnParams()) == IngestParams()


def test_new_cleaning_steps_are_on_by_default(repo_params_path):
    for clean in (CleanParams(), load(repo_params_path).clean):
        assert (clean.strip_zero_width, clean.remove_soft_hyphens) == (True, True)


def test_lists_become_tuples_and_params_round_trip(write_params):
    params = load(
        write_params(
            "ingest:\n  extensions: ['.txt', '.md']\n  sidecar_suffixes: ['.meta.yaml']\n"
            "annotate:\n  language_candidates: [en, fr]\n"
        )
    )
    assert params.ingest.extensions == (".txt", ".md")
    assert params.ingest.sidecar_suffixes == (".meta.yaml",)
    assert params.annotate.language_candidates == ("en", "fr")
    assert params == load(write_params(yaml.safe_dump(as_yaml_values(params.as_dict()))))


def test_an_empty_list_is_an_empty_tuple(write_params):
    assert load(write_params("annotate:\n  language_candidates: []\n")).annotate == AnnotateParams()


def test_params_are_frozen(repo_params_path):
    params = load(repo_params_path)
    with pytest.raises(dataclasses.FrozenInstanceError):
        params.engine.batch_size = 1  # type: ignore[misc]


def test_round_trip_through_yaml(write_params):
    original = Params(
        engine=EngineParams(batch_size=3, max_error_share=0.25),
        ingest=IngestParams(
            extensions=(".txt", ".text"),
            sidecar_suffixes=(".meta.yml",),
            columns=ColumnParams(text="body", url="link"),
            preferred_encodings=("cp1252", "latin-1"),
        ),
        clean=CleanParams(strip_zero_width=False, remove_soft_hyphens=False),
        annotate=AnnotateParams(language_candidates=("de", "en")),
    )
    text = yaml.safe_dump(as_yaml_values(original.as_dict()))
    assert load(write_params(text)) == original
