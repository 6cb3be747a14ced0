"""What validation found, for people and for programs: `validation.json`, the Data Docs page, and
the readable problem lines `corpus validate` prints.

`validation.json` is compact: the record checks (how many records each failed), the table
expectations (each with its observed value and success; `null` success: skipped), the quarantine
counts and the headline figures (pipeline/figures.py). The Data Docs are one self-contained
HTML page rendered from the same document: inline styles, no script, no font, no request to any
network, so it opens offline and anywhere the release is copied. Both are byte-identical for
the same input: no clock, no random ids.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# What each record check means, in the order they run (the report lists them all, failed or not).
RECORD_CHECKS = {
    "schema": "the record against schemas/record.schema.json: types, required fields, enums, "
    "formats (jsonschema)",
    "span_offsets": "every start/end of entities, quotes and dates inside the text, and "
    "text[start:end] equal to the span's text",
    "content_hash": "content_sha256 is the sha256 of the text",
    "counts": "char_count, word_count and paragraph_count are the text's",
    "characters": "no control, zero-width or other character clean removes (with its params) "
    "left in text or title",
    "language_code": "the language is one the language annotator can answer",
    "min_word_count": "at least validate.min_word_count words",
    "duplicate_id": "no id seen earlier in the table (the first one wins)",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong, named by the check that found it."""

    check: str
    message: str

    def __str__(self) -> str:
        return f"{self.check}: {self.message}"


@dataclass
class Report:
    """The outcome of validating a table: `ok` when there is no problem at all."""

    problems: list[str] = field(default_factory=list)
    validation: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def table_problems(expectations: list[dict[str, Any]]) -> list[Problem]:
    return [
        Problem("expectation", f"{e['expectation']} failed: observed {_compact(e['observed'])}")
        for e in expectations
        if e["success"] is False
    ]


def document(
    schema: dict[str, str],
    record_checks: dict[str, int],
    quarantined_by_reason: dict[str, int],
    expectations: list[dict[str, Any]],
    figures: dict[str, Any],
) -> dict[str, Any]:
    """The content of validation.json."""
    return {
        "schema": schema,
        "success": not any(e["success"] is False for e in expectations),
        "records": {
            "checked": figures["records_in"],
            "passed": figures["articles"],
            "failed_by_check": {name: record_checks.get(name, 0) for name in RECORD_CHECKS},
            "quarantined_by_reason": quarantined_by_reason,
        },
        "expectations": expectations,
        "figures": figures,
    }


def write(folder: Path, doc: dict[str, Any]) -> None:
    """`validation.json` and `index.html` in `folder` (created, nothing else touched)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "validation.json").write_text(
        json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (folder / "index.html").write_text(render(doc), encoding="utf-8")


def _compact(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _cell(value: Any) -> str:
    return html.escape(_compact(value))


_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; color: #222 }
h1 { font-size: 1.5rem } h2 { font-size: 1.15rem; margin-top: 2rem }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 }
th, td { border: 1px solid #ccc; padding: .3rem .5rem; text-align: left; vertical-align: top }
th { background: #f3f3f3 } td.n { text-align: right; font-variant-numeric: tabular-nums }
code { font-size: .9em; word-break: break-all }
.pass { color: #176b2c; font-weight: 600 } .fail { color: #b00020; font-weight: 600 }
.skip { color: #777 } .banner { padding: .6rem 1rem; border-radius: 4px }
.banner.pass { background: #e5f4e8 } .banner.fail { background: #fbe4e7 }
"""


def _status(success: bool | None) -> str:
    if success is None:
        return '<span class="skip">skipped</span>'
    return '<span class="pass">passed</span>' if success else '<span class="fail">failed</span>'


def render(doc: dict[str, Any]) -> str:
    """The Data Docs page: one HTML file, everything inline."""
    records, figures = doc["records"], doc["figures"]
    ok = doc["success"]
    banner = (
        f'<p class="banner {"pass" if ok else "fail"}" id="outcome">'
        f"{'All table expectations passed' if ok else 'Some table expectations failed'}: "
        f"{records['passed']} of {records['checked']} records passed the record checks.</p>"
    )
    checks = "\n".join(
        f"<tr><td><code>{name}</code></td><td>{html.escape(RECORD_CHECKS[name])}</td>"
        f'<td class="n">{n}</td></tr>'
        for name, n in records["failed_by_check"].items()
    )
    reasons = (
        "\n".join(
            f'<tr><td><code>{html.escape(r)}</code></td><td class="n">{n}</td></tr>'
            for r, n in records["quarantined_by_reason"].items()
        )
        or '<tr><td>(none)</td><td class="n">0</td></tr>'
    )
    expectations = "\n".join(
        f'<tr class="expectation"><td><code>{_cell(e["expectation"])}</code></td>'
        f"<td>{_cell(e['why'])}</td><td><code>{_cell(e['observed'])}</code></td>"
        f"<td>{_status(e['success'])}</td></tr>"
        for e in doc["expectations"]
    )
    figure_rows = "\n".join(
        f"<tr><td><code>{html.escape(k)}</code></td><td><code>{_cell(v)}</code></td></tr>"
        for k, v in figures.items()
    )
    schema = doc["schema"]
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Validation: {html.escape(schema["name"])} {html.escape(schema["version"])}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>Validation report: record schema <code>{html.escape(schema["name"])}</code>
{html.escape(schema["version"])}</h1>
{banner}
<h2>Record checks</h2>
<p>Each record is checked on its own; a record that fails any check is set aside (quarantined)
with the check's name.</p>
<table id="record-checks">
<tr><th>check</th><th>what it checks</th><th>records failed</th></tr>
{checks}
</table>
<h2>Set aside</h2>
<table id="quarantine">
<tr><th>reason</th><th>records</th></tr>
{reasons}
</table>
<h2>Table expectations (great-expectations)</h2>
<p>Run once on the whole validated table; a failed expectation stops the release.</p>
<table id="expectations">
<tr><th>expectation</th><th>why</th><th>observed</th><th>result</th></tr>
{expectations}
</table>
<h2>Headline figures</h2>
<table id="figures">
<tr><th>figure</th><th>value</th></tr>
{figure_rows}
</table>
</body>
</html>
"""
