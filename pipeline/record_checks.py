"""validate's record checks: a map over records (any worker) and a reduce (the first id wins).

The map (`CheckRecord`) holds each record on its own to the schema, the consistency checks
(pipeline/checks.py) and `validate.min_word_count`, and stops at the first group it fails. The
reduce (`FirstIdWins`) sees, in input order, each checked record's id and table row (or the
checks a quarantined one failed): a record whose id an earlier record that passed already holds
is refused as `duplicate_id`, and the rest make up the table of the table checks. Whatever the
workers, the same record wins: the reduce runs in the writing process, in input order. What it
holds grows with the corpus, so it holds it compactly: the ids seen in `IdSources` (an id's 16
bytes and its record's source in shared buffers), the table in typed columns (`Table`).
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from pipeline import params as params_mod
from pipeline import quarantine as q
from pipeline.checks import checks_for, record_problems
from pipeline.engine import Reduce
from pipeline.figures import Table, table_row
from pipeline.ids import hex_digest
from pipeline.precheck import compile_schema
from pipeline.quarantine import Rejected
from pipeline.report import Problem
from pipeline.schema import record_schema

Found = list[tuple[str, list[Problem]]]  # (quarantine reason, problems), one per failed group


class RecordChecks:
    """Every check of one record but duplicate_id (which needs the records before it)."""

    def __init__(self, params: params_mod.Params) -> None:
        self.validator = Draft202012Validator(record_schema().json_schema)
        self.valid = compile_schema(record_schema().json_schema)  # True: surely valid
        self.checks = checks_for(params.clean, params.annotate)
        self.min_words = params.validate.min_word_count

    def find(self, record: dict[str, Any], thorough: bool = False) -> Found:
        """The groups of checks the record fails, in order; only the first unless `thorough`."""
        found = []
        for group in self._groups(record):
            found.append(group)
            if not thorough:
                break
        return found

    def _groups(self, record: dict[str, Any]) -> Iterator[tuple[str, list[Problem]]]:
        errors = [] if self.valid(record) else self.validator.iter_errors(record)
        errors = sorted(errors, key=lambda e: list(e.absolute_path))
        if errors:
            yield (
                q.SCHEMA_VIOLATION,
                [
                    Problem(
                        "schema",
                        f"{'/'.join(map(str, e.absolute_path)) or '(record)'}: {e.message}",
                    )
                    for e in errors
                ],
            )
        problems = [Problem(*p.split(": ", 1)) for p in self._consistency(record, bool(errors))]
        if problems:
            yield q.INCONSISTENT_RECORD, problems
        words = record.get("word_count")
        if isinstance(words, int) and words < self.min_words:
            message = f"{words} words, fewer than {self.min_words}"
            yield q.EXPECTATION_FAILED, [Problem("min_word_count", message)]

    def _consistency(self, record: dict[str, Any], malformed: bool) -> list[str]:
        if not malformed:
            return record_problems(record, self.checks)
        out = []  # a malformed record: each check that its values allow
        for name, check in self.checks.items():
            try:
                out += [f"{name}: {detail}" for detail in check(record)]
            except (KeyError, TypeError, AttributeError, IndexError):
                continue  # the schema error already names what is missing or mistyped
        return out


def detail(problems: list[Problem]) -> str:
    """A quarantine row's detail: every problem, schema ones by their message alone."""
    return "; ".join(p.message if p.check == "schema" else str(p) for p in problems)[:2000]


@dataclass(frozen=True)
class CheckFailed(Rejected):
    """A record the checks refuse, with the names of the checks it failed (for the report)."""

    checks: tuple[str, ...] = ()


class CheckRecord:
    """validate's map: a record -> itself, or `CheckFailed`. Picklable: each process (a forked
    worker, a Ray task) builds its own checks on first use."""

    def __init__(self, params: params_mod.Params) -> None:
        self.params = params
        self._checks: RecordChecks | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"params": self.params, "_checks": None}

    def __call__(self, record: dict[str, Any]) -> dict[str, Any] | CheckFailed:
        if self._checks is None:
            self._checks = RecordChecks(self.params)
        found = self._checks.find(record)
        if not found:
            return record
        reason, problems = found[0]
        return CheckFailed(
            reason, detail(problems), checks=tuple(sorted({p.check for p in problems}))
        )


def check_key(result: dict[str, Any] | Rejected) -> tuple:
    """What the reduce needs of a checked record: ("passed", id, source, table row), or
    ("failed", the checks it failed). Never the text."""
    if isinstance(result, Rejected):
        return ("failed", getattr(result, "checks", ()))
    return ("passed", result["id"], str(result.get("source")), table_row(result))


class IdSources:
    """The ids seen so far, each with the source of the first record that held it.

    A dict of Python strings would hold about 250 bytes an id; this holds about 40 and the
    source's bytes. An id of 32 lowercase hex digits (every id pipeline/ids.py makes) is kept
    as its 16 bytes in one bytearray, and found through an open-addressing table of positions;
    the sources are one UTF-8 buffer, cut by their end offsets. Any other id (the schema's
    pattern lets a trailing newline through) is a key of a small dict: exact whatever the ids.
    """

    def __init__(self) -> None:
        self._digests = bytearray()  # 16 bytes an id, in the order first seen (zeros: in `_other`)
        self._slots = array("i", [-1]) * 1024  # positions; -1: empty. Never more than half full
        self._other: dict[str, int] = {}  # id -> position, for an id that is not 32 hex digits
        self._sources = bytearray()
        self._ends = array("Q")  # where each position's source ends in `_sources`

    def __len__(self) -> int:
        return len(self._ends)

    def source(self, ident: str) -> str | None:
        """The source of the first record with this id; None if no record had it."""
        where = self._position(ident)
        if where < 0:
            return None
        start = self._ends[where - 1] if where else 0
        return self._sources[start : self._ends[where]].decode("utf-8", "surrogatepass")

    def _position(self, ident: str) -> int:
        digest = hex_digest(ident)
        if digest is None:
            return self._other.get(ident, -1)
        return self._slots[self._slot(digest)]

    def add(self, ident: str, source: str) -> None:
        """A new id (`source(ident)` is None) and the source of its record."""
        where, digest = len(self), hex_digest(ident)
        if digest is None:
            self._other[ident] = where
            digest = bytes(16)
        else:
            self._slots[self._slot(digest)] = where
        self._digests += digest
        self._sources += source.encode("utf-8", "surrogatepass")  # any str, back as it was
        self._ends.append(len(self._sources))
        if 2 * len(self) > len(self._slots):
            self._grow()

    def _slot(self, digest: bytes) -> int:
        """The slot holding `digest`'s position, or the empty one where it would go."""
        mask = len(self._slots) - 1
        i = hash(digest) & mask
        while (where := self._slots[i]) >= 0 and self._digest_at(where) != digest:
            i = (i + 1) & mask
        return i

    def _digest_at(self, where: int) -> bytes:
        return bytes(self._digests[16 * where : 16 * where + 16])

    def _grow(self) -> None:
        self._slots = array("i", [-1]) * (2 * len(self._slots))
        other = set(self._other.values())  # their digests are placeholders, not in the slots
        for where in range(len(self)):
            if where not in other:
                self._slots[self._slot(self._digest_at(where))] = where


class FirstIdWins(Reduce):
    """validate's reduce: duplicate_id (the first record that passes with an id wins), the
    table of the table checks, and how many records failed each check."""

    def __init__(self) -> None:
        super().__init__("validate", check_key)
        self.seen = IdSources()  # id -> source of the record that holds it
        self.table = Table()
        self.failed: Counter = Counter()

    def add(self, keys: list[tuple]) -> dict[int, Rejected]:
        refused = {}
        for i, key in enumerate(keys):
            if key[0] == "failed":
                self.failed.update(key[1])
                self.table.add_quarantined()
                continue
            _, ident, source, row = key
            earlier = self.seen.source(ident)
            if earlier is not None:
                problem = Problem("duplicate_id", f"id already published for {earlier}")
                refused[i] = Rejected(q.DUPLICATE_ID, detail([problem]))
                self.failed[problem.check] += 1
                self.table.add_quarantined()
            else:
                self.seen.add(ident, source)
                self.table.add_row(row)
        return refused

    def result(self) -> Table:
        """The table, finished; the ids seen are let go first, before the table checks run."""
        self.seen = IdSources()
        self.table.finish()
        return self.table
