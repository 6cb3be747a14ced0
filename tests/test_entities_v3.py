"""`entities_v3`: `entities_v2`'s spans, without those that are no names, cut where they ran on."""

from __future__ import annotations

import pytest
import spacy
from spacy.tokens import Doc, Span

from pipeline.annotators import Context, entity_names, load_all
from tests.defaults import PARAMS


@pytest.fixture(scope="module")
def entities():
    """entities(text) -> {version: [(text, label)]} for v2 and v3, offsets checked."""
    registry = load_all()

    def run(text: str) -> dict[str, list[tuple[str, str]]]:
        context = Context([text], PARAMS.annotate)
        found = {}
        for name in ("entities_v2", "entities_v3"):
            (columns,) = registry[name].annotate([{"id": "0" * 32, "text": text}], context)
            for e in columns["entities"]:
                assert text[e["start"] : e["end"]] == e["text"]
            found[name] = [(e["text"], e["label"]) for e in columns["entities"]]
        return found

    return run


def test_a_curly_contraction_is_no_place(entities):
    found = entities("The council said the bridge wasn’t. Nobody in Leeds knew why it isn’t.")
    assert ("n’t", "GPE") in found["entities_v2"]
    assert all(text != "n’t" for text, _ in found["entities_v3"])
    assert ("Leeds", "GPE") in found["entities_v3"]


def test_addresses_and_someone_at_somewhere_are_no_names(entities):
    found = entities(
        "Follow the agency on Twitter @NasaWebb for updates, wrote Maria Keller on Monday."
    )
    assert not any("@" in text for text, _ in found["entities_v3"])
    assert ("Maria Keller", "PERSON") in found["entities_v3"]


def _ent(words: list[str], label: str, start: int = 0, end: int | None = None) -> Span:
    doc = Doc(spacy.blank("en").vocab, words=words)
    return Span(doc, start, len(words) if end is None else end, label=label)


@pytest.mark.parametrize(
    ("words", "label", "name"),
    [
        (["International", "Energy", "Agency", "(", "IEA"], "ORG", "International Energy Agency"),
        (["MacBook", "Pro", "\n\n"], "ORG", "MacBook Pro"),
        (["Kanye", "West", "-"], "PERSON", "Kanye West"),
        (["King", "Edward", "IV", "."], "PERSON", "King Edward IV"),
        (["Kerrang", "!"], "ORG", "Kerrang !"),  # its own "!"
        (["'", "Look", "Around", "You", "'"], "WORK_OF_ART", "' Look Around You '"),
        (["Bank", "(", "of", "England", ")"], "ORG", "Bank ( of England )"),  # closed: its own
        (["n’t"], "GPE", None),
        (["Twitter", "@NasaWebb"], "PERSON", None),
        (["NJ", "@", "PNC", "Arts", "Center"], "ORG", None),
        (["https://example.org/a"], "PERSON", None),
        (["@POTUS"], "ORG", "@POTUS"),  # a handle alone names an account
        (["Gawker.com"], "ORG", "Gawker.com"),  # a domain names a site
        (["1990", "."], "DATE", "1990 ."),  # not a name: as it is
    ],
)
def test_spans_as_names(words, label, name):
    found = entity_names._as_name(_ent(words, label))
    assert (found.text if found is not None else None) == name
