"""`quotes_v5`: quotes continued over paragraph breaks lost in export, and the verbs that are
speech only where a quote frames them (pipeline/annotators/quotes.py)."""

from __future__ import annotations

import pytest

from pipeline.annotators import Context, load_all
from tests.defaults import PARAMS
from tests.test_annotators_quotes import _quoted


@pytest.mark.parametrize(
    ("text", "v4", "v5"),
    [
        # BBC's plain texts: the paragraphs of one quote joined by a space
        ('He said: "One thing. "Two things."', ["Two things."], ["One thing.", "Two things."]),
        ('"Why? "Because."', ["Because."], ["Why?", "Because."]),
        # a same mark not after a sentence end is no lost break
        ('He said "it is fine and "no."', ["no."], ["no."]),
        # marks already confused (a quote of its own family inside): no guess
        (
            "“Glasgow (“No Place Like Home”). “It grabbed me,” he said.",
            ["No Place Like Home", "It grabbed me,"],
            ["No Place Like Home", "It grabbed me,"],
        ),
        # the other family opening: a quote inside, as before
        ("“One. ‘Two’ three.”", ["One. ‘Two’ three.", "Two"], ["One. ‘Two’ three.", "Two"]),
    ],
)
def test_quote_tree_lost_breaks(text, v4, v5):
    assert _quoted(text, False) == v4
    assert _quoted(text, True) == v5


def _quotes(name: str, text: str) -> list[tuple[str, str | None, str | None]]:
    (columns,) = load_all()[name].annotate(
        [{"id": "0" * 32, "text": text}], Context([text], PARAMS.annotate)
    )
    for q in columns["quotes"]:
        assert text[q["start"] : q["end"]] == q["quote"]
    return [(q["quote"], q["speaker"], q["cue"]) for q in columns["quotes"]]


def test_a_quote_over_a_lost_paragraph_break_is_kept_with_its_speaker():
    text = (
        "Roger Bennett, director of the trade body, said: "
        '"A number of initiatives were discussed at the meeting. "They will be turned into '
        'specific proposals for parents."'
    )
    second = "They will be turned into specific proposals for parents."
    assert _quotes("quotes_v4", text) == [(second, None, None)]
    assert _quotes("quotes_v5", text) == [
        ("A number of initiatives were discussed at the meeting.", "Roger Bennett", "said"),
        (second, "Roger Bennett", "said"),
    ]


@pytest.mark.parametrize(
    ("text", "speaker", "cue"),
    [
        ('"Consumers are hungry for new gadgets," agreed Mr Morgenstern.', "Morgenstern", "agreed"),
        ("Smith agreed: “It is a different job altogether, and a hard one.”", "Smith", "agreed"),
    ],
)
def test_framing_verbs_are_cues_next_to_a_quote(text, speaker, cue):
    (found,) = _quotes("quotes_v5", text)
    assert found[1:] == (speaker, cue)
    ((_, v4_speaker, v4_cue),) = _quotes("quotes_v4", text)
    assert (v4_speaker, v4_cue) == (None, None)


@pytest.mark.parametrize(
    "text",
    [
        # another verb comes between: the framing verb is no cue
        "She was a star of “The Great British Bake Off” — and had agreed to judge it.",
        "Making a newsroom digital is not about “digital manifestos”, it is about wanting to "
        "continue.",
        # up the dependency tree they are no speech
        "The two sides agreed to a “ceasefire” on Monday.",
    ],
)
def test_framing_verbs_are_no_cue_elsewhere(text):
    assert all(cue is None for _, _, cue in _quotes("quotes_v5", text))
