"""params.yaml -> a frozen, typed Params; anything it does not define, or defines wrongly, is an
error that names the key, what was expected and the closest known key."""

from __future__ import annotations

import copy
import dataclasses

import pytest
import yaml

from pipeline.params import Bounds, Params, ParamsError, load, parse
from tests.defaults import PARAMS


@pytest.fixture
def repo_raw(repo_params_path) -> dict:
    return yaml.safe_load(repo_params_path.read_text(encoding="utf-8"))


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


def changed(raw: dict, dotted: str, value=None, *, delete: bool = False) -> dict:
    """A deep copy of `raw` with the key at `dotted` set to `value` (or deleted)."""
    out = copy.deepcopy(raw)
    *path, last = dotted.split(".")
    node = out
    for part in path:
        node = node[part]
    if delete:
        del node[last]
    else:
        node[last] = value
    return out


def test_repo_params_load_with_every_value_as_written(repo_params_path, repo_raw):
    loaded = as_yaml_values(load(repo_params_path).as_dict())
    assert set(raw_keys := repo_raw) == set(loaded)
    for section, values in raw_keys.items():
        assert {k: loaded[section][k] for k in values} == values, section


def test_repo_params_sections_are_the_stages(repo_raw):
    assert list(repo_raw) == ["engine", "ingest", "clean", "annotate", "validate", "publish"]


def test_empty_file_names_every_missing_section(write_params):
    with pytest.raises(ParamsError) as e:
        load(write_params(""))
    for name in ("engine", "ingest", "clean", "annotate", "validate", "publish"):
        assert f"params.yaml: {name}: missing" in str(e.value)


@pytest.mark.parametrize(
    "key", ["engine.batch_size", "ingest.html.min_text_chars", "annotate.pii.redact"]
)
def test_a_missing_key_is_an_error_not_a_code_default(repo_raw, key):
    with pytest.raises(ParamsError, match=rf"{key}: missing"):
        parse(changed(repo_raw, key, delete=True))


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("engine.batch_sise", r"engine\.batch_sise: unknown key \(did you mean 'batch_size'\?\)"),
        ("ingest.encoding", r"ingest\.encoding: unknown key"),
        ("tokenize", r"tokenize: unknown key"),
        ("ingest.sidecar_suffix", r"did you mean 'sidecar_suffixes'"),
        ("ingest.fields.body", r"ingest\.fields\.body: unknown key"),
        ("annotate.pii.redcat", r"annotate\.pii\.redcat: unknown key \(did you mean 'redact'\?\)"),
        ("annotate.annotators.langauge", r"slot 'langauge' \(did you mean 'language'\?\)"),
    ],
)
def test_an_unknown_key_is_named_with_a_close_match(repo_raw, key, message):
    with pytest.raises(ParamsError, match=message):
        parse(changed(repo_raw, key, "language_v1"))


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("engine.batch_size", "lots", r"engine\.batch_size: expected an integer, got 'lots'"),
        ("engine.batch_size", "5", "expected an integer"),
        ("engine.batch_size", 0, "at least 1"),
        ("engine.max_error_share", "half", "expected a number"),
        ("ingest.html.include_tables", "yes", "expected true or false"),
        ("ingest.extensions", ".txt", r"ingest\.extensions: expected a list"),
        ("engine.compression", "zip", "zstd"),
        ("annotate.split", [0.9, 0.1], "mapping"),
        ("engine", 5, "mapping"),
        ("publish.released", "yesterday", "date"),
        ("publish.released", "2026-03-02", "needs a version"),  # params.yaml's version is null
    ],
)
def test_a_value_of_the_wrong_type_is_named_with_the_expected_type(repo_raw, key, value, message):
    with pytest.raises(ParamsError, match=message):
        parse(changed(repo_raw, key, value))


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"word_count": {"minimum": 5}}, r"filters\.word_count\.minimum: unknown key.*'min'"),
        ({"word_count": {}}, "needs `min`, `max` or both"),
        ({"word_cont": {"min": 5}}, r"'word_cont'.*did you mean 'word_count'"),
        ({"title": {"min": 5}}, "no numeric column 'title'"),
    ],
)
def test_a_filter_that_would_filter_nothing_is_an_error(repo_raw, filters, message):
    with pytest.raises(ParamsError, match=message):
        parse(changed(repo_raw, "annotate.filters", filters))


def test_filters_on_columns_and_struct_fields(repo_raw):
    filters = {"word_count": {"min": 50}, "quality.alpha_word_fraction": {"min": 0.8}}
    params = parse(changed(repo_raw, "annotate.filters", filters))
    assert params.annotate.filters == {
        "word_count": Bounds(min=50),
        "quality.alpha_word_fraction": Bounds(min=0.8),
    }


def test_every_problem_is_reported_at_once(repo_raw):
    raw = changed(changed(repo_raw, "engine.batch_size", "lots"), "clean.fix_mojibak", True)
    with pytest.raises(ParamsError) as e:
        parse(raw)
    assert len(str(e.value).splitlines()) == 2


def test_a_section_that_is_not_a_mapping_is_rejected(write_params):
    with pytest.raises(ParamsError, match="mapping"):
        load(write_params("- engine\n- ingest\n"))


def test_invalid_yaml_is_a_params_error(write_params):
    with pytest.raises(ParamsError, match="not valid YAML"):
        load(write_params("engine: [\n"))


def test_lists_become_tuples_and_params_round_trip(repo_raw, write_params):
    params = parse(changed(repo_raw, "annotate.language_candidates", ["en", "fr"]))
    assert params.annotate.language_candidates == ("en", "fr")
    assert params.ingest.extensions == tuple(repo_raw["ingest"]["extensions"])
    assert params == load(write_params(yaml.safe_dump(as_yaml_values(params.as_dict()))))


def test_params_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        PARAMS.engine.batch_size = 1  # type: ignore[misc]


def test_replace_validates_like_the_file():
    assert dataclasses.replace(PARAMS.engine, batch_size=7).batch_size == 7
    with pytest.raises(ValueError, match="integer"):
        dataclasses.replace(PARAMS.engine, batch_size="lots")


def test_no_section_has_code_defaults():
    def fields_with_defaults(cls) -> list[str]:
        out = []
        for f in dataclasses.fields(cls):
            if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING:
                out.append(f"{cls.__name__}.{f.name}")
            if dataclasses.is_dataclass(f.type if isinstance(f.type, type) else None):
                out += fields_with_defaults(f.type)
        return out

    sections = [type(getattr(PARAMS, f.name)) for f in dataclasses.fields(Params)]
    nested = [type(PARAMS.ingest.fields), type(PARAMS.ingest.html)]
    nested += [type(PARAMS.annotate.split), type(PARAMS.annotate.pii)]
    assert [d for cls in sections + nested for d in fields_with_defaults(cls)] == []
