"""`entities_v2`: spaCy entities repaired by `corpus_entity_fixes_v2` (entity_rules.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from spacy.tokens import Doc

from pipeline.annotators import Context, entity_rules, load_all, rule_data
from pipeline.annotators import nlp as nlp_module
from tests.defaults import PARAMS

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_9f942c4ff97f10a2.txt"


@pytest.fixture(scope="module")
def entities():
    """entities(text) -> the entities_v2 columns of one article, offsets checked."""
    nlp_module.load(PARAMS.annotate.spacy_model)
    annotator = load_all()["entities_v2"]

    def run(text: str) -> dict:
        (columns,) = annotator.annotate(
            [{"id": "0" * 32, "text": text}], Context([text], PARAMS.annotate)
        )
        for e in columns["entities"]:
            assert text[e["start"] : e["end"]] == e["text"]
        return columns

    return run


def labels(columns: dict) -> dict[str, str]:
    return {e["text"]: e["label"] for e in columns["entities"]}


def test_seed_people_organizations_places(entities):
    columns = entities(SEED.read_text(encoding="utf-8").rstrip("\n"))
    people = columns["people"]
    assert people[:2] == ["Zelensky", "Olaf Scholz"]
    assert {"Julianne Smith", "Viktor Orbán", "Robert Fico", "Joe Biden"} <= set(people)
    assert "Scholz" not in people and "Politico" not in people
    assert columns["organizations"][:2] == ["NATO", "Politico"]
    places = columns["places"]
    assert {"Ukraine", "Russia", "Germany", "Hungary", "Slovakia", "Poland"} <= set(places)
    # "U.S." and "the United States" are one place; "the Baltic Countries" is a place, no ORG
    assert "United States" in places and "U.S." not in places
    assert "Baltic Countries" in places and "Baltic Countries" not in columns["organizations"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Anna Berg told the Gazette on Monday that the plan had failed.", {"Gazette": "ORG"}),
        ("The charity Cycling UK said the roads were unsafe.", {"Cycling UK": "ORG"}),
        ("The Baltic Countries asked for more troops.", {"Baltic Countries": "LOC"}),
        ("Shares in the Church of Scientology's firm fell.", {"Church of Scientology": "ORG"}),
        ("Officials from the Civil Defense Authority arrived.", {"Civil Defense Authority": "ORG"}),
        ("Hungarian PM Viktor Orbán blocked the funds.", {"Viktor Orbán": "PERSON"}),
    ],
    ids=[
        "told-the-gazette",
        "place-inside-an-org-name",
        "place-head-noun",
        "the-and-possessive",
        "org-after-the",
        "title-before-name",
    ],
)
def test_repairs(entities, text, expected):
    found = labels(entities(text))
    for name, label in expected.items():
        assert found.get(name) == label, found


def test_spans_are_names_without_the_or_possessive(entities):
    text = "The United Nations met the European Commission's staff in the Netherlands."
    found = entities(text)
    assert {"United Nations", "European Commission", "Netherlands"} <= set(labels(found))
    assert not [e for e in found["entities"] if e["text"].lower().startswith("the ")]


def test_places_are_listed_under_one_canonical_name(entities):
    text = (
        "The U.S. and Britain signed. The United States said the UK agreed, "
        "and America thanked Britain."
    )
    columns = entities(text)
    assert columns["places"][:2] == ["United States", "United Kingdom"]
    written = {e["text"] for e in columns["entities"]}
    assert {"U.S.", "United States", "UK", "Britain"} <= written  # as in the text


def test_canonical_place():
    assert entity_rules.canonical_place("U.S.") == "United States"
    assert entity_rules.canonical_place("Britain") == "United Kingdom"
    assert entity_rules.canonical_place("Paris") == "Paris"


def test_surname_and_first_name(entities):
    text = "Anna Berg spoke first. Later Berg left, and Enver Solomon arrived."
    assert entities(text)["people"][0] == "Anna Berg"


def test_first_names_never_share_a_word():
    """Three capitalised proper nouns whose last two the model found as one-word people: the
    first joins the second, and the third stays alone (a real page's "Feather Duvet Lung"
    made two overlapping names, and spaCy refused the whole article)."""
    nlp = nlp_module.load(PARAMS.annotate.spacy_model)
    words = ["He", "had", "Feather", "Duvet", "Lung", "again"]
    doc = Doc(nlp.vocab, words=words, tags=["PRP", "VBD", "NNP", "NNP", "NNP", "RB"])
    ents = {(3, 4): "PERSON", (4, 5): "PERSON"}
    entity_rules._first_names(doc, ents, set())
    assert ents == {(2, 4): "PERSON", (4, 5): "PERSON"}


def test_nothing_found(entities):
    assert entities("") == {"entities": [], "people": [], "organizations": [], "places": []}
    assert entities("the talks went on")["people"] == []


def test_repairs_use_a_span_ruler_and_leave_the_shared_parse_alone():
    fixer = nlp_module.fixer(PARAMS.annotate.spacy_model, "corpus_entity_fixes_v2")
    assert type(fixer.ruler).__name__ == "SpanRuler"
    assert {"GPE", "ORG"} <= set(fixer.ruler.labels)
    assert "corpus_entity_fixes_v2" not in nlp_module.load(PARAMS.annotate.spacy_model).pipe_names


@pytest.mark.parametrize("name", ["entities_v1", "places", "organizations", "titles", "quote_cues"])
def test_rule_files_have_a_version_and_say_where_their_data_comes_from(name):
    path = rule_data.RULES / f"{name}.yaml"
    assert path.read_text(encoding="utf-8").startswith("# ")
    data = rule_data.read(name, version=1)
    assert data["version"] == 1


def test_a_rule_file_of_another_version_is_refused():
    with pytest.raises(ValueError, match="version"):
        rule_data.read("places", version=2)
