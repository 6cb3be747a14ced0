"""validate's per-record verdicts in the results store (`pipeline.cache.Cache`), beside clean's
and annotate's: a rerun after a few new articles checks only those.

- The *stage key* hashes what decides a record's verdict besides the record: the checks' code
  (the source of `pipeline.record_checks` and of every `pipeline` module it imports,
  transitively: `pipeline.cache.code_hash`), the record schema they hold records to (a file,
  not code: hashed as itself), and the params sections the checks read (`clean`, `annotate`,
  `validate`, whole: a key they do not read only costs a colder cache). Not `publish`: a new
  release's version does not recheck the corpus.
- The *content key* hashes the whole record, every field as the stage reads it: a verdict is
  about all of them. It hashes the record's pickle, not its JSON (`pipeline.cache.digest`):
  41 against 136 microseconds a BBC record, most of it the entities list. Two different records
  never pickle alike; the same record could pickle differently only if Python shared an object
  between its fields one time and not another, which costs a check, never a wrong verdict (the
  records come from `to_pylist` the same way every run).

The value stored is the verdict alone: None for a record that passed (the record itself goes
on, as read), the `CheckFailed` (reason, detail, the failed checks) of one that did not. The
duplicate-id check and the table checks are the reduce's, over every record, cached or not
(`pipeline.record_checks.FirstIdWins`): they are not per record.
"""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
from typing import Any

from pipeline import cache as store
from pipeline import params as params_mod
from pipeline.record_checks import CheckFailed, CheckRecord
from pipeline.schema import record_schema

STAGE = "validate"
# The params sections the record checks read (`pipeline.record_checks.RecordChecks`).
READ = ("clean", "annotate", "validate")


def stage_key(params: params_mod.Params) -> str:
    values = dataclasses.asdict(params)
    sections = {name: values[name] for name in READ}
    return store.digest(
        {
            "stage": STAGE,
            "code": store.code_hash("pipeline.record_checks"),
            "schema": record_schema().json_schema,
            "params": sections,
        }
    )


def content_key(record: dict[str, Any]) -> str:
    return hashlib.sha256(pickle.dumps(record, protocol=5)).hexdigest()


class CheckBatch:
    """validate's map over a batch: each record, or its `CheckFailed`; with the store, one
    look-up for the batch and the checks run only on records whose verdict is not stored.
    Picklable: the checks and the store's connection are made in each process on first use."""

    def __init__(self, params: params_mod.Params) -> None:
        self.check = CheckRecord(params)
        folder = params.engine.cache_dir
        self.cache = store.Cache(folder) if folder else None
        self.key = stage_key(params) if folder else ""

    def __call__(self, records: list[dict[str, Any]]) -> list[dict[str, Any] | CheckFailed]:
        if self.cache is None:
            return [self.check(r) for r in records]
        contents = [content_key(r) for r in records]
        verdicts = self.cache.cached(self.key, contents, records, self._verdict)
        return [verdict or r for r, verdict in zip(records, verdicts, strict=True)]

    def _verdict(self, record: dict[str, Any]) -> CheckFailed | None:
        """What is stored: the failure, or None for a record that passed."""
        verdict = self.check(record)
        return verdict if isinstance(verdict, CheckFailed) else None
