"""The Data Docs page opens offline: nothing in it points at a network, and headless Chromium
with networking off renders the suite's results."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.test_validate import EVERY_CHECK_RUNS, GOOD, SHORT, article, params_file, run_validate

CHROMIUM = shutil.which("chromium")
# Whatever else fails, Chromium resolves no host name and reaches nothing but a dead proxy.
NO_NETWORK = [
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> Path:
    """The Data Docs of a validate run where expectations pass, fail and are skipped."""
    tmp = tmp_path_factory.mktemp("report")
    changes = {**EVERY_CHECK_RUNS, "table__quotes_per_article": {"min": 1, "max": 5}}
    records = [GOOD, SHORT, article("d.txt", "Ministers met in London on Tuesday to agree.")]
    with pytest.raises(SystemExit):  # the quotes expectation fails, the report is written
        run_validate(tmp, records, params_file(tmp, min_word_count=3, **changes))
    return tmp / "docs"


def offline() -> list[str]:
    """A command prefix with no network at all (a new network namespace), when allowed here."""
    for prefix in (["unshare", "--net"], ["unshare", "-rn"]):
        probe = subprocess.run([*prefix, "true"], capture_output=True)
        if shutil.which(prefix[0]) and probe.returncode == 0:
            return prefix
    return []


def chromium(*args: str) -> subprocess.CompletedProcess:
    assert CHROMIUM
    command = [*offline(), CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", *NO_NETWORK]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=120)


def test_the_page_loads_nothing_from_anywhere(docs):
    page = (docs / "index.html").read_text()
    assert "<script" not in page
    assert not re.search(r"""(src|href)\s*=|url\(|@import|//[a-z0-9.-]+\.[a-z]{2,}/""", page)


def test_the_page_and_the_json_say_the_same(docs):
    doc = json.loads((docs / "validation.json").read_text())
    page = html.unescape((docs / "index.html").read_text())
    for e in doc["expectations"]:
        assert e["expectation"] in page
    assert doc["success"] is False and "Some table expectations failed" in page


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium (Debian: apt-get install chromium)")
def test_headless_chromium_offline_shows_the_suite_results(docs, tmp_path):
    result = chromium("--dump-dom", (docs / "index.html").as_uri())
    assert result.returncode == 0, result.stderr
    text = html.unescape(re.sub(r"<[^>]+>", " ", result.stdout))
    text = re.sub(r"\s+", " ", text)
    doc = json.loads((docs / "validation.json").read_text())
    for e in doc["expectations"]:
        assert re.sub(r"\s+", " ", e["expectation"]) in text
    assert "Table expectations (great-expectations)" in text
    assert "Some table expectations failed" in text
    assert text.count("passed") >= 2 and "failed" in text and "skipped" not in text
    for check in doc["records"]["failed_by_check"]:
        assert check in text
    shot = tmp_path / "report.png"
    result = chromium(
        f"--screenshot={shot}", "--window-size=1280,1600", (docs / "index.html").as_uri()
    )
    assert result.returncode == 0 and shot.stat().st_size > 10_000, result.stderr
