"""`quotes_v6`: titles and names in quotation marks are no quotations, a cue may end the
paragraph before a quote with a comma, and speakers are `entities_v5`'s names."""

from __future__ import annotations

from pipeline.annotators import Context, load_all
from tests.defaults import PARAMS


def _quotes(name: str, text: str) -> list[tuple[str, str | None]]:
    record = {"id": "0" * 32, "text": text}
    (columns,) = load_all()[name].annotate([record], Context([text], PARAMS.annotate))
    for q in columns["quotes"]:
        assert text[q["start"] : q["end"]] == q["quote"]
    return [(q["quote"], q["speaker"]) for q in columns["quotes"]]


def test_a_title_in_quotation_marks_is_no_quotation():
    text = (
        'Nintendo and Apple shocked the world by announcing "Super Mario Run" for the iPhone. '
        '"We are delighted with the results," said Shigeru Miyamoto.'
    )
    v5, v6 = _quotes("quotes_v5", text), _quotes("quotes_v6", text)
    assert "Super Mario Run" in dict(v5)
    assert v6 == [("We are delighted with the results", "Shigeru Miyamoto")]


def test_a_name_spoken_as_a_word_stays_a_quotation():
    text = 'I looked up from my desk. "Turkey," said I, "come here." He did not move.'
    assert ("Turkey", "I") in _quotes("quotes_v6", text)


def test_a_cue_that_ends_the_paragraph_before_with_a_comma():
    text = (
        "The investigator met the family in March. Mark Rathbun stated,\n\n"
        '"Daniel was picked up by an investigator in a black car and taken away."'
    )
    (quote,) = _quotes("quotes_v6", text)
    assert quote[1] == "Mark Rathbun"
    assert _quotes("quotes_v5", text) == [(quote[0], None)]


def test_a_quote_closed_in_the_next_paragraph_goes_on_into_it():
    text = (
        'Hernan Gomez, the Panama coach, said, "I think we have learned a lot from this game.\n\n'
        'It was a very emotional day for all of us."\n\n'
        "The team flies home on Monday."
    )
    assert _quotes("quotes_v6", text) == [
        ("I think we have learned a lot from this game.", "Hernan Gomez"),
        ("It was a very emotional day for all of us.", "Hernan Gomez"),
    ]
    assert _quotes("quotes_v5", text) == []  # v5 dropped the quote left open
