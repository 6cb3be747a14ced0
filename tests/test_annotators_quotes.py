"""Annotator `quotes_v1`: direct quotations and their speakers (pipeline/annotators/quotes.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.tokens import Doc

from pipeline.annotators import Context, load_all
from pipeline.annotators import nlp as nlp_module
from pipeline.annotators.attribution import _Article
from pipeline.annotators.quotes import quote_tree
from pipeline.annotators.speakers import OUTSIDE_QUOTES
from tests.defaults import PARAMS

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_9f942c4ff97f10a2.txt"


@pytest.fixture(scope="module")
def quotes():
    """quotes(text) -> the `quotes` column for that one article, through the registry."""
    nlp_module.load(PARAMS.annotate.spacy_model)  # once for the module: nlp.load is cached
    annotator = load_all()["quotes_v1"]

    def run(text: str) -> list[dict]:
        (columns,) = annotator.annotate(
            [{"id": "0" * 32, "text": text}], Context([text], PARAMS.annotate)
        )
        for quote in columns["quotes"]:
            assert text[quote["start"] : quote["end"]] == quote["quote"]
        return columns["quotes"]

    return run


def pairs(found: list[dict]) -> list[tuple[str, str | None]]:
    return [(q["quote"], q["speaker"]) for q in found]


# --- the seed article ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_quotes(quotes) -> list[dict]:
    return quotes(SEED.read_text(encoding="utf-8").rstrip("\n"))


def test_seed_has_six_quotes_with_speakers(seed_quotes):
    attributed = [q for q in seed_quotes if q["speaker"]]
    assert len(attributed) >= 6
    speakers = [q["speaker"] for q in attributed]
    for who in ("Julianne Smith", "Zelensky", "Scholz"):
        assert any(who in speaker for speaker in speakers), (who, speakers)


def test_seed_quotes_and_speakers(seed_quotes):
    found = {q["quote"][:30]: (q["speaker"], q["cue"]) for q in seed_quotes}
    assert found == {
        "Germany and the U.S. are among": ("Politico", "reported"),
        "The alliance has not, to date,": ("Julianne Smith", "said"),
        "I have a very good relationshi": ("Zelensky", "told reporters"),
        "But the fact that the German s": ("Zelensky", "told reporters"),  # split around its cue
        "would be a good basis for a th": ("Robert Fico", "says"),
        "never agree": ("Robert Fico", "vowed"),
        "Countries like Belgium, Sloven": ("one of the NATO officials", "said"),
        "support it in the abstract but": ("A second official", "said"),
        "We are making sure that NATO d": ("Olaf Scholz", "told reporters"),
    }
    assert [q["start"] for q in seed_quotes] == sorted(q["start"] for q in seed_quotes)


def test_seed_quotes_are_the_words_without_marks(seed_quotes):
    for q in seed_quotes:
        assert q["quote"] == q["quote"].strip()
        assert q["quote"][0] not in "“”‘’\"'" and q["quote"][-1] not in "“”‘’\"',"
    assert not [q for q in seed_quotes if q["quote"] == "victory plan"]  # a scare quote


# --- hand-written cases ----------------------------------------------------------------------


def test_split_quote_both_parts_get_the_speaker(quotes):
    text = "“We will not give up,” said Angela Merkel. “The fight goes on, and on, and on.”"
    assert pairs(quotes(text)) == [
        ("We will not give up", "Angela Merkel"),
        ("The fight goes on, and on, and on.", "Angela Merkel"),
    ]


def test_split_quote_around_its_cue_mid_sentence(quotes):
    text = "“Part one of it,” said Angela Merkel, “and part two of it.”"
    assert pairs(quotes(text)) == [
        ("Part one of it", "Angela Merkel"),
        ("and part two of it.", "Angela Merkel"),
    ]


def test_nested_quote_inside_a_cited_passage_is_reported(quotes):
    text = (
        "Politico wrote: “Ambassador Julianne Smith underlined the position. "
        "‘The alliance is not ready to offer membership to Ukraine’, she said.”"
    )
    assert pairs(quotes(text)) == [
        ("The alliance is not ready to offer membership to Ukraine", "Julianne Smith")
    ]


def test_nested_scare_quote_stays_inside_the_outer_quote(quotes):
    text = "“We call it ‘a victory plan’, and we mean it,” said Anna Berg."
    assert pairs(quotes(text)) == [("We call it ‘a victory plan’, and we mean it", "Anna Berg")]


def test_apostrophes_are_not_quote_marks(quotes):
    text = (
        "The countries’ leaders met. ‘This isn’t over, and Kiev’s allies know it’, said Anna Berg."
    )
    assert pairs(quotes(text)) == [("This isn’t over, and Kiev’s allies know it", "Anna Berg")]


def test_pronoun_resolves_to_the_most_recent_person(quotes):
    text = "Maria Lopez arrived late. “I was stuck in traffic for two hours,” she said."
    assert pairs(quotes(text)) == [("I was stuck in traffic for two hours", "Maria Lopez")]


def test_pronoun_prefers_the_person_who_spoke_before(quotes):
    text = (
        "Neil Herron said he was not convinced by Ray Mallon's arguments. "
        '"The reality is that it is not going to deliver," he said.'
    )
    assert pairs(quotes(text)) == [
        ("The reality is that it is not going to deliver", "Neil Herron")
    ]


def test_short_name_speaker_becomes_the_full_name(quotes):
    text = "Chancellor Olaf Scholz spoke. “We stand with Ukraine as long as it takes,” Scholz said."
    assert quotes(text)[0]["speaker"] == "Olaf Scholz"


def test_no_cue_no_speaker(quotes):
    text = "“This sentence has no attribution at all, none whatsoever.”"
    assert quotes(text) == [
        {"quote": text[1:-1], "speaker": None, "cue": None, "start": 1, "end": len(text) - 1}
    ]


def test_short_quote_without_cue_is_a_scare_quote_not_a_quotation(quotes):
    assert quotes("For Ukraine to be devising a ‘victory plan’ shows disregard for reality.") == []


def test_fragment_quotes_with_their_cues(quotes):
    text = (
        "Slovakia’s Robert Fico says that admitting Ukraine ‘would be a good basis for a war’ "
        "and vowed that he would ‘never agree’ to that."
    )
    found = quotes(text)
    assert [(q["quote"], q["speaker"], q["cue"]) for q in found] == [
        ("would be a good basis for a war", "Robert Fico", "says"),
        ("never agree", "Robert Fico", "vowed"),
    ]


@pytest.mark.parametrize(
    ("text", "speaker", "cue"),
    [
        ('"We are ready," the minister told the BBC on Monday.', "the minister", "told the BBC"),
        (
            "“We will win this,” said one of the NATO officials.",
            "one of the NATO officials",
            "said",
        ),
        ("According to Tom Jones, 'the deal is dead and buried now'.", "Tom Jones", "according to"),
        (
            "Politico reported:\n\n“Germany is among the powers slow-walking the plan.”",
            "Politico",
            "reported",
        ),
        (
            "John Smith, who chairs the board, said: “We expect growth this year.”",
            "John Smith",
            "said",
        ),
    ],
    ids=["told-object", "inverted-subject", "according-to", "colon-paragraph", "relative-clause"],
)
def test_cues_and_speakers(quotes, text, speaker, cue):
    (found,) = quotes(text)
    assert (found["speaker"], found["cue"]) == (speaker, cue)


def test_quote_continued_over_paragraphs_gets_its_speaker_in_both(quotes):
    text = (
        "“The first paragraph of a long quote that goes on.\n\n"
        "“And on into a second paragraph of words,” said Sarah Jones."
    )
    assert pairs(quotes(text)) == [
        ("The first paragraph of a long quote that goes on.", "Sarah Jones"),
        ("And on into a second paragraph of words", "Sarah Jones"),
    ]


def test_no_quote_marks_no_quotes(quotes):
    assert quotes("Nobody said anything, and nothing was quoted.") == []
    assert quotes("") == []


# --- quotation marks alone (no spaCy) --------------------------------------------------------


def _quoted(text: str, lost_breaks: bool = False) -> list[str]:
    out = []

    def walk(nodes):
        for node in nodes:
            out.append(text[slice(*node.content)])
            walk(node.children)

    walk(quote_tree(text, lost_breaks))
    return out


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("“a” and “b”", ["a", "b"]),
        ('He said "yes" and "no".', ["yes", "no"]),
        ("isn’t Kiev’s ‘plan’", ["plan"]),
        ("The countries’ leaders ‘agree’.", ["agree"]),
        ("‘The Joneses’ house is big’, he said.", ["The Joneses’ house is big"]),
        ("the ’90s and ‘the 2000s’", ["the 2000s"]),
        ("“’I have a plan’, he said.”", ["’I have a plan’, he said.", "I have a plan"]),
        ("“outer ‘inner’ outer”", ["outer ‘inner’ outer", "inner"]),
        ("“unclosed at the end", []),
        ("“one\n\n“two”", ["one", "two"]),  # continued: the first closes at its paragraph's end
        ("“one\n\nno quote here", []),
        ("rock'n'roll and isn't", []),
        ("«Bonjour», dit-il.", ["Bonjour"]),
    ],
)
def test_quote_tree(text, quoted):
    assert _quoted(text) == quoted


_MARKS = "“”‘’\"'«»"


@settings(max_examples=500, deadline=None)
@given(
    text=st.text(
        alphabet=st.sampled_from([*_MARKS, " ", "\n", "a", "s", "1", ",", "."]), max_size=40
    ),
    lost_breaks=st.booleans(),
)
def test_quote_tree_nests_pairs_of_marks_inside_the_text(text, lost_breaks):
    def check(nodes, lo: int, hi: int) -> None:
        last = lo - 1
        for node in nodes:
            assert last < node.open < node.close <= hi
            assert text[node.open] in _MARKS
            if node.carried:  # closes where its paragraph's (or sentence's) text ends
                assert node.close == len(text) or text[node.close].isspace()
            else:
                assert text[node.close] in _MARKS
            check(node.children, node.open + 1, node.close)
            last = node.close

    check(quote_tree(text, lost_breaks), 0, len(text))


def test_quotes_beyond_max_chars_are_not_reported(quotes, monkeypatch):
    monkeypatch.setattr(nlp_module, "MAX_CHARS", 60)  # spaCy parses "... said Anna Berg. “M"
    text = (
        "“We will win this war, whatever it takes,” said Anna Berg. “More, much more words here.”"
    )
    assert pairs(quotes(text)) == [("We will win this war, whatever it takes", "Anna Berg")]


# --- quotes_v2: the same rules on entities_v2's entities --------------------------------------


def test_quotes_v2_seed_quotes_and_speakers_are_those_of_v1(seed_quotes):
    text = SEED.read_text(encoding="utf-8").rstrip("\n")
    annotator = load_all()["quotes_v2"]
    (columns,) = annotator.annotate(
        [{"id": "0" * 32, "text": text}], Context([text], PARAMS.annotate)
    )
    assert columns["quotes"] == seed_quotes
    assert len([q for q in columns["quotes"] if q["speaker"]]) == 9


# --- quotes_v3: "which" and "that" stand for their noun, as "who" does ----------------------

# speaker -> (text, the speaker quotes_v2 published: the pronoun itself)
RELATIVES = {
    "the Federation of Small Businesses": (
        "The plan was attacked by the Federation of Small Businesses, which said it was "
        "“a blow to every shop on the high street”.",
        "which",
    ),
    "a report": (
        'Ms Hale cited a report that said the scheme was "far too costly to run".',
        "that",
    ),
}


@pytest.mark.parametrize("speaker", sorted(RELATIVES))
def test_quotes_v3_which_and_that_are_the_noun_they_stand_for(speaker):
    text, pronoun = RELATIVES[speaker]
    found = {}
    for name in ("quotes_v2", "quotes_v3"):
        (columns,) = load_all()[name].annotate(
            [{"id": "0" * 32, "text": text}], Context([text], PARAMS.annotate)
        )
        found[name] = columns["quotes"]
    assert [q["speaker"] for q in found["quotes_v2"]] == [pronoun]
    assert [q["speaker"] for q in found["quotes_v3"]] == [speaker]
    same = [{k: v for k, v in q.items() if k != "speaker"} for q in found["quotes_v3"]]
    assert same == [{k: v for k, v in q.items() if k != "speaker"} for q in found["quotes_v2"]]


# --- quotes_v4: the speaker outside the quotes, a whole name, an apposed person --------------

# text -> (the speaker quotes_v3 published, the one quotes_v4 publishes)
OUTSIDE = {
    "The board was full of praise.\n\n“She is brilliant. A credit to the whole club,” one "
    "supporter wrote on the message board.": ("A credit to the whole club", "one supporter"),
    'The firm\'s finance director, Tom Okafor, said the results were "better than we hoped".': (
        "The firm's finance director",
        "Tom Okafor",
    ),
    'A spokesman for the club, Liam Byrne, said the decision was "final".': (
        "A spokesman for the club",
        "Liam Byrne",
    ),
}


@pytest.mark.parametrize("text", sorted(OUTSIDE))
def test_quotes_v4_speaker_is_outside_the_quotes_and_an_apposed_person(text):
    found = {}
    for name in ("quotes_v3", "quotes_v4"):
        (columns,) = load_all()[name].annotate(
            [{"id": "0" * 32, "text": text}], Context([text], PARAMS.annotate)
        )
        found[name] = columns["quotes"]
    assert [q["speaker"] for q in found["quotes_v3"]] == [OUTSIDE[text][0]]
    assert [q["speaker"] for q in found["quotes_v4"]] == [OUTSIDE[text][1]]
    same = [{k: v for k, v in q.items() if k != "speaker"} for q in found["quotes_v4"]]
    assert same == [{k: v for k, v in q.items() if k != "speaker"} for q in found["quotes_v3"]]


def _doc(words: list[str], ents: list[str], tags: list[str] | None = None) -> Doc:
    return Doc(spacy.blank("en").vocab, words=words, ents=ents, tags=tags)


def test_quotes_v4_phrase_widens_to_a_name_it_cuts_and_stops_at_marks_and_sentence_ends():
    words = ["chair", "of", "the", "Council", "Ama", "Mensah", "told", "us"]
    ents = ["O", "O", "O", "B-ORG", "B-PERSON", "I-PERSON", "O", "O"]
    tags = ["NN", "IN", "DT", "NNP", "NNP", "NNP", "VBD", "PRP"]
    doc = _doc(words, ents, tags)
    article = _Article(doc.text, doc, OUTSIDE_QUOTES)
    assert article._bounded(doc[0], 0, 5, []) == (0, 6)  # "... Ama" + "Mensah"
    # an entity the model ran into the verb: widened over its proper nouns only
    ents = ["O", "O", "O", "B-ORG", "B-PERSON", "I-PERSON", "I-PERSON", "O"]
    doc = _doc(words, ents, tags)
    assert _Article(doc.text, doc, OUTSIDE_QUOTES)._bounded(doc[0], 0, 5, []) == (0, 6)
    doc = _doc(["Netscape", "Communicator", ".", "Jo", "Lee", "says"], ["O"] * 6)
    article = _Article(doc.text, doc, OUTSIDE_QUOTES)
    assert article._bounded(doc[4], 0, 5, []) == (3, 5)  # not across the sentence end
    doc = _doc(["said", "I", '"', "Sitting", "on"], ["O"] * 5)
    article = _Article(doc.text, doc, OUTSIDE_QUOTES)
    running_on = (doc[3].idx, len(doc.text) + 20)  # a quote that goes on after the phrase
    assert article._bounded(doc[1], 1, 4, [running_on]) == (1, 2)
    doc = _doc(["the", '"', "Pose", '"', "actor", "said"], ["O"] * 6)
    article = _Article(doc.text, doc, OUTSIDE_QUOTES)
    title = (doc[2].idx, doc[2].idx + len("Pose"))  # a quote wholly inside the phrase
    assert article._bounded(doc[4], 0, 5, [title]) == (0, 5)
