"""`entities_v4`: a PERSON that is an honorific alone is no name (pipeline/annotators/entities.py,
entity_names._title_only)."""

from __future__ import annotations

from pipeline.annotators import Context, load_all
from tests.defaults import PARAMS


def _columns(name: str, text: str) -> dict:
    (columns,) = load_all()[name].annotate(
        [{"id": "0" * 32, "text": text}], Context([text], PARAMS.annotate)
    )
    for e in columns["entities"]:
        assert text[e["start"] : e["end"]] == e["text"]
    return columns


def test_an_honorific_alone_is_no_person_and_a_surname_that_is_a_title_stays():
    text = (
        '"It is a natural next step," said Mr Fogg. Said Mr Fogg: "Yes." '
        "Mr King, the analyst, agreed."
    )
    v3, v4 = _columns("entities_v3", text), _columns("entities_v4", text)
    people_v3 = [e["text"] for e in v3["entities"] if e["label"] == "PERSON"]
    assert "Said Mr" in people_v3  # the model's, kept by v3
    people_v4 = [e["text"] for e in v4["entities"] if e["label"] == "PERSON"]
    assert "Said Mr" not in people_v4 and "Mr" not in people_v4
    assert "Fogg" in people_v4 and any("King" in p for p in people_v4)
    assert [e for e in v4["entities"]] == [
        e for e in v3["entities"] if not (e["label"] == "PERSON" and e["text"] in ("Mr", "Said Mr"))
    ]


def test_a_name_ends_before_a_spaced_dash_and_a_place_needs_a_letter():
    text = (
        "Jerry Springer - The show's star - met Leadplex Inc - that firm - in Leeds. "
        "The Jean-Paul Gaultier shop is in Paris."
    )
    names = {(e["text"], e["label"]) for e in _columns("entities_v4", text)["entities"]}
    texts = {t for t, _ in names}
    assert all(" - " not in t and not t.endswith((" -", "-")) for t in texts), texts
    assert any("Jean-Paul" in t for t in texts)
    assert all(any(c.isalpha() for c in t) for t, label in names if label != "CARDINAL")
