"""Legacy encodings decided by evidence: bytes that are not UTF-8 -> the reading whose letters
are common in the text's language, the preferred encoding winning only among equals."""

from __future__ import annotations

import pytest

from pipeline.encoding import EVIDENCE_BYTES, decode, excerpt
from tests.defaults import PARAMS

PREFERRED = PARAMS.ingest.preferred_encodings  # (cp1252,) in params.yaml

LONG_ENGLISH = (
    "Zoë Ball leaves Radio 2\n\n"
    "The presenter Zoë Ball said she would leave the breakfast show – “it’s time,” she said – "
    "after six years. The BBC said it was “grateful” for her work, and that Zoë’s successor "
    "would be named soon. Chloë, a listener from Leeds, said: “I’ve listened every morning.” "
    "The station’s controller added that the show had won awards — including the Sony gold — "
    "under her stewardship, and that tickets for the farewell concert cost €45 or £40.\n"
)

# Windows-1252 texts, short and long, with the letters and signs Latin-1 lacks or shares with
# the code pages charset-normalizer prefers for them (cp1250, cp1257, cp775, mac_iceland...).
CP1252 = [
    "“Zoë” — she said.",
    "Zoë",
    "“Zoë”",
    "naïve",
    "ø",
    "Æ",
    "œuvre",
    "€",
    "Škoda €5",
    "“Hello”",
    "Price: €5 – “cheap”.",
    "“I’m thrilled,” said Zoë Smith – the new chief executive.",
    "New boss\n\nZoë takes over – “a great honour”, she said.\n",
    "Ms Zoë Lee said the plan was “a disaster” – and she would oppose it.",
    "Chloë and Zoë – “friends forever”.\n",
    "The Brontë sisters’ naïve heroines – “Jane Eyre” – remain popular.",
    "Søren Kierkegaard’s “Either/Or” — a classic.",
    "Björn Ørsted and Zoë’s “tour” – 2024.",
    "The œuvre of Émile Zola – “J’accuse” – is studied.",
    "Šárka paid €40 for the “special” menu — a good deal.",
    "Müller’s “Ærø” trip – €300.",
    "Hij zei: “Dat is een coöperatie van België” – en ging weg.",
    "Ein schöner Tag in München: „Grüß Gott“, sagte der Bäcker.",
    "Le cœur a ses raisons que la raison ne connaît point. L’été dernier, à Noël, j’ai vu Zoë.",
    "Det var en rød bil på vejen til Århus – “flot”, sagde Søren.",
    "The Œuvres complètes, œil and œuf — “Zoë’s” naïve façade… costs €12; Škoda and Šimon.",
    "House prices fell 0.7% in December, Zürich said.",
    "Total: £5",
    "£15.8m deal",
    LONG_ENGLISH,
]


@pytest.mark.parametrize("text", CP1252, ids=[t[:24] for t in CP1252])
def test_windows_1252_is_read_as_windows_1252(text):
    assert decode(text.encode("cp1252"), PREFERRED) == (text, "cp1252")


# The same letters in running English, wherever they fall: the decision is not about one word.
WORDS = ["Zoë", "naïve", "Ørsted", "œuvre", "Škoda", "€20", "Chloë", "Noël", "Brontë", "Malmö"]
SENTENCES = [
    "{w}",
    "“{w}” – she said.",
    "The minister’s plan – backed by {w} – was “a mistake”, critics said on Tuesday.",
    "Markets\n\nShares rose on Monday. {w} said the deal was done.\n\nThe rest followed.\n",
]


@pytest.mark.parametrize("word", WORDS)
@pytest.mark.parametrize("sentence", SENTENCES)
def test_windows_1252_letters_anywhere_in_english(word, sentence):
    text = sentence.format(w=word)
    assert decode(text.encode("cp1252"), PREFERRED) == (text, "cp1252")


PRAGUE = (
    "Praha je hlavní město České republiky. Žije zde přibližně 1,3 milionu obyvatel a je to "
    "největší město v zemi. Leží na řece Vltavě."
)
# Other legacy encodings still read as what they are (the encoding's name may be another codec
# giving the same text: cp932 for Shift-JIS, cp1252 for Latin-1).
OTHER = [
    ("latin-1", "Café au lait, s'il vous plaît. Très bien, merci à vous."),
    ("latin-1", "Über München nach Köln, für 20 Mark."),
    ("latin-1", "The fee is £5 and the café is open."),
    ("latin-1", "Señor García"),
    ("latin-1", "Ça va?"),
    ("latin-1", "Smörgåsbord"),
    ("cp1250", "Příliš žluťoučký kůň úpěl ďábelské ódy."),
    ("cp1250", "Česká republika je vnitrozemský stát ve střední Evropě."),
    ("cp1250", PRAGUE),
    ("cp1250", "Zażółć gęślą jaźń – powiedział Paweł."),
    ("cp1250", "Kraków, Gdańsk i Wrocław."),
    ("cp1250", "Paweł"),
    ("cp1250", "Łódź – “miasto”"),
    (
        "cp1250",
        "Warszawa jest stolicą Polski. W mieście mieszka około 1,8 miliona osób, a przez miasto "
        "płynie Wisła. Źródła podają, że miasto założono w XIII wieku.",
    ),
    (
        "cp1250",
        "Vlada Republike Hrvatske je u četvrtak donijela odluku o smanjenju poreza na dobit za "
        "mala poduzeća.",
    ),
    ("cp1250", "Árvíztűrő tükörfúrógép és őrült ütő."),
    ("cp1250", "Šťastný nový rok!"),
    ("cp1251", "Привет, как дела? Всё хорошо, спасибо."),
    ("cp1251", "Москва — столица России."),
    ("cp1251", "Україна — держава у Східній Європі."),
    ("cp1251", "България е държава в Югоизточна Европа."),
    (
        "cp1251",
        "Москва — столица России, крупнейший по численности населения город страны. Город "
        "расположен на реке Москве в центре Восточно-Европейской равнины.",
    ),
    (
        "koi8-r",
        "Москва - столица России, крупнейший по численности населения город страны. Город "
        "расположен на реке Москве в центре Восточно-Европейской равнины.",
    ),
    ("cp1253", "Η Ελλάδα είναι χώρα της νοτιοανατολικής Ευρώπης."),
    ("cp1257", "Lietuvos Respublika – valstybė Baltijos jūros rytinėje pakrantėje."),
    (
        "cp1257",
        "Lietuva yra valstybė Baltijos jūros rytinėje pakrantėje. Sostinė – Vilnius, didžiausias "
        "šalies miestas. Šalyje gyvena apie 2,8 milijono žmonių.",
    ),
    (
        "cp1254",
        "Türkiye Cumhuriyeti, Güneydoğu Avrupa ve Batı Asya'da yer alan bir ülkedir. Şehir "
        "İstanbul.",
    ),
    ("cp1256", "مرحبا بالعالم، هذا نص باللغة العربية."),
    ("shift_jis", "日本語のテキストです。東京は日本の首都です。"),
    ("shift_jis", "東京"),
    (
        "shift_jis",
        "東京は日本の首都であり、世界最大級の都市圏を形成している。人口は約千四百万人である。",
    ),
    ("big5", "中華民國是一個位於東亞的國家。"),
]


# ISO-8859-2 (Latin-2) was never judged: once a few code pages fit, charset-normalizer tries
# only seven more of the same family, in alphabetical order, and iso8859_2 comes after
# iso8859_10 to iso8859_16. The best reading left was Latin-6 ("przyjąģ ... ķrodowiska, ŋe")
# or Windows-1250 ("ľe" for "že", "vąech" for "všech").
LATIN_2 = [
    "Sejm przyjął ustawę o ochronie środowiska, że rząd musi działać.",
    "Prezydent podpisał ustawę, że od przyszłego roku wzrośnie płaca minimalna.",
    "Źródła w ministerstwie mówią, że decyzja zapadnie w piątek.",
    "Sněmovna schválila zákon, že daně se nezmění.",
    "Ve středu se v Praze sešli zástupci všech krajů, aby projednali rozpočet na příští rok.",
    "Vláda schválila zákon, že dane sa budú znižovať postupne.",
    "Šef države je rekao da će se situacija poboljšati.",
]


@pytest.mark.parametrize("text", LATIN_2, ids=[t[:20] for t in LATIN_2])
def test_iso_8859_2_is_read_as_iso_8859_2(text):
    assert decode(text.encode("iso8859_2"), PREFERRED) == (text, "iso8859_2")


@pytest.mark.parametrize(("encoding", "text"), OTHER, ids=[f"{e}-{t[:12]}" for e, t in OTHER])
def test_other_legacy_encodings_still_read_right(encoding, text):
    decoded, name = decode(text.encode(encoding), PREFERRED)
    assert decoded == text, name


def test_the_preferred_encoding_decides_between_equally_plausible_readings():
    """ "Zoë" and "Zoė" are equally foreign in English: the preference decides."""
    raw = "“I’m thrilled,” said Zoë Smith – the new chief executive.".encode("cp1252")
    assert decode(raw, ("cp1252",))[0].count("Zoë") == 1
    assert decode(raw, ("cp1257",)) == (raw.decode("cp1257"), "cp1257")


def test_a_preference_does_not_override_clear_evidence():
    """Cyrillic letters inside Latin words ("naпve cafй") are no reading of an English text,
    whatever the preference."""
    text = "The naïve café owner said “no” – again."
    assert decode(text.encode("cp1252"), ("cp1251",))[0] == text


def test_utf16_without_a_byte_order_mark_is_still_read():
    text = "Hello world, this is UTF-16 text without a byte order mark. Café."
    assert decode(text.encode("utf-16-le"), PREFERRED) == (text, "utf_16_le")


def test_a_long_file_is_judged_on_its_lines_with_non_ascii_bytes():
    """Past EVIDENCE_BYTES only the lines where readings can differ are judged: a "Zoë" deep
    in a long English file still decides, and the decision stays fast."""
    filler = "Shares rose on Monday as investors weighed the latest figures.\n" * 600
    text = filler + "“It’s over,” said Zoë – the chief executive.\n" + filler
    raw = text.encode("cp1252")
    assert len(raw) > 2 * EVIDENCE_BYTES
    assert excerpt(raw) == "“It’s over,” said Zoë – the chief executive.".encode("cp1252")
    assert decode(raw, PREFERRED) == (text, "cp1252")
    czech = (PRAGUE + "\n") * 400
    assert decode(czech.encode("cp1250"), PREFERRED)[0] == czech


def test_excerpt_is_bounded():
    raw = ("é" * 100 + "\n").encode("cp1252") * 1000
    assert len(excerpt(raw)) <= EVIDENCE_BYTES
    assert excerpt(b"short \xe9") == b"short \xe9"


# A UTF-8 file with a few bytes of Windows-1252 in it (edited by two tools): UTF-8 where the
# bytes are UTF-8, the preferred encoding for the few that are not, and the encoding says so.
# It was read as cp1250 whole: "StraĂźensperrung in MĂĽnchen".
UTF8_PART = "Straßensperrung in München: Die Ludwigsbrücke bleibt bis Freitag gesperrt. "
CP1252_PART = "Die Umleitung kostet Anwohner 5€ am Tag, sagt die Straßenmeisterei."


def two_tools(utf8: str, cp1252: str) -> bytes:
    return utf8.encode("utf-8") + cp1252.encode("cp1252")


def test_utf8_with_a_few_windows_1252_bytes_is_read_as_both():
    raw = two_tools(UTF8_PART, CP1252_PART)
    assert raw.count(b"\x80") == raw.count(b"\xdf") == 1  # the only bytes that are not UTF-8
    assert decode(raw, PREFERRED) == (UTF8_PART + CP1252_PART, "utf-8+cp1252")


def test_a_long_utf8_file_with_a_few_windows_1252_bytes_is_read_as_both():
    filler = "Der Verkehr in der Innenstadt war am Morgen dicht, hieß es.\n" * 400
    raw = two_tools(UTF8_PART + "\n" + filler, CP1252_PART + "\n" + filler)
    assert len(raw) > 2 * EVIDENCE_BYTES
    text, encoding = decode(raw, PREFERRED)
    assert encoding == "utf-8+cp1252"
    assert text == UTF8_PART + "\n" + filler + CP1252_PART + "\n" + filler


# Windows-1252 texts where a few bytes happen to form UTF-8 ("É’" is the UTF-8 of "ɒ"): the
# mixed reading competes by its evidence and loses.
ACCIDENTAL_UTF8 = [
    "THE CAFÉ’S OWNER – “closed”, said Zoë.",
    "JOSÉ” and “RENÉ” – the café’s owners.",
    "Le CAFÉ\xa0: très “chic” – à Noël.",
]


@pytest.mark.parametrize("text", ACCIDENTAL_UTF8)
def test_windows_1252_with_accidental_utf8_pairs_stays_windows_1252(text):
    raw = text.encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert decode(raw, PREFERRED) == (text, "cp1252")
