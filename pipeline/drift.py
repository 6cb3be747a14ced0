"""A release against the one before: did its headline figures move more than `validate.drift`
allows, and did its record schema change in a way readers notice?

`drift(previous, current, tolerances)` compares two `figures` dicts, as validate writes them to
`validation.json` and `metrics/validate.json` (defined in pipeline/figures.py), and returns
one `Problem` per figure that moved too far:

- `articles`: fewer than (1 - max_article_loss) or more than (1 + max_article_gain) times the
  previous count;
- `word_count_quantiles`: a quantile that changed by more than max_quantile_change of its
  previous value;
- rates (`quarantine_rate`, `near_duplicate_rate`, `pii_rate`, `empty_title_rate`,
  `missing_date_rate`): an absolute change of more than max_rate_change;
- mixes (`languages`, `publishers`, `source_formats`, `entity_labels`): a total variation
  distance (half the sum of the absolute share changes, 0 to 1) above max_mix_change.

A figure the previous release does not have (it predates it) is not compared.

`schema_change(old, new)` says what a new record schema means for someone reading releases:
"none" (the same columns, types and constraints; descriptions and other annotations aside),
"additive" (a reader of the old schema keeps working: new columns, or existing ones constrained
more tightly) or "breaking" (anything else: a column removed or moved, a type changed or
widened, a value allowed that was not).
"""

from __future__ import annotations

from typing import Any, Literal

from pipeline.params import DriftParams
from pipeline.report import Problem

RATES = ("quarantine_rate", "near_duplicate_rate", "pii_rate", "empty_title_rate")
RATES += ("missing_date_rate",)
MIXES = ("languages", "publishers", "source_formats", "entity_labels")


def drift(
    previous: dict[str, Any], current: dict[str, Any], tolerances: DriftParams
) -> list[Problem]:
    """Every headline figure of `current` that moved further from `previous` than allowed."""
    problems = _articles(previous, current, tolerances)
    old_q, new_q = previous.get("word_count_quantiles"), current.get("word_count_quantiles")
    for q in sorted(set(old_q or {}) & set(new_q or {}), key=float):
        before, after = old_q[q], new_q[q]
        change = (after - before) / before if before else float(after != before)
        if abs(change) > tolerances.max_quantile_change:
            problems.append(
                Problem(
                    "word_count_quantiles",
                    f"the {q} quantile moved from {before:g} to {after:g} words ({change:+.1%}; "
                    f"at most ±{tolerances.max_quantile_change:.0%})",
                )
            )
    for rate in RATES:
        if rate in previous and rate in current:
            change = current[rate] - previous[rate]
            if abs(change) > tolerances.max_rate_change:
                problems.append(
                    Problem(
                        rate,
                        f"{previous[rate]:.2%} -> {current[rate]:.2%} "
                        f"(at most ±{tolerances.max_rate_change:.2%} points)",
                    )
                )
    for mix in MIXES:
        if mix in previous and mix in current:
            distance, movers = mix_change(previous[mix], current[mix])
            if distance > tolerances.max_mix_change:
                problems.append(
                    Problem(
                        mix,
                        f"changed by {distance:.3f} (total variation; at most "
                        f"{tolerances.max_mix_change}): {movers}",
                    )
                )
    return problems


def _articles(previous: dict, current: dict, tolerances: DriftParams) -> list[Problem]:
    before, after = previous.get("articles"), current.get("articles")
    if before is None or after is None:
        return []
    low = before * (1 - tolerances.max_article_loss)
    high = before * (1 + tolerances.max_article_gain)
    if low <= after <= high:
        return []
    change = (after - before) / before if before else 1.0
    bound = (
        f"at most {tolerances.max_article_loss:.0%} fewer"
        if after < low
        else f"at most {tolerances.max_article_gain:.0%} more"
    )
    return [Problem("articles", f"{before} -> {after} articles ({change:+.1%}; {bound})")]


def mix_change(before: dict[str, float], after: dict[str, float]) -> tuple[float, str]:
    """(total variation distance, the three largest share changes as readable text)."""
    keys = set(before) | set(after)
    changes = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in keys}
    distance = round(sum(abs(c) for c in changes.values()) / 2, 6)
    top = sorted(keys, key=lambda k: (-abs(changes[k]), k))[:3]
    movers = ", ".join(f"{k} {before.get(k, 0.0):.1%} -> {after.get(k, 0.0):.1%}" for k in top)
    return distance, movers


# Keywords that describe and constrain nothing.
_ANNOTATIONS = {"description", "title", "$comment", "examples", "$id", "$schema", "default"}
Change = Literal["none", "additive", "breaking"]
_ORDER: dict[Change, int] = {"none": 0, "additive": 1, "breaking": 2}


def schema_change(old: dict[str, Any], new: dict[str, Any]) -> Change:
    """ "none", "additive" or "breaking": see the module docstring."""
    return _compare(old, new)


def _worst(*changes: Change) -> Change:
    return max(changes, key=_ORDER.__getitem__, default="none")


def _types(spec: dict[str, Any]) -> set[str]:
    types = spec.get("type", [])
    return {types} if isinstance(types, str) else set(types)


def _compare(old: dict[str, Any], new: dict[str, Any]) -> Change:
    keys = {
        k
        for k in set(old) | set(new)
        if k not in _ANNOTATIONS and not k.startswith("x-") and old.get(k) != new.get(k)
    }
    if list(old.get("properties") or {}) != list(new.get("properties") or {}):
        keys.add("properties")  # dicts compare equal whatever their order; columns do not
    changes: list[Change] = []
    for key in keys:
        before, after = old.get(key), new.get(key)
        if key == "properties":
            changes.append(_properties(before or {}, after or {}))
        elif key == "items":
            changes.append(_compare(before or {}, after or {}))
        elif key == "type":
            changes.append("additive" if _types(new) < _types(old) else "breaking")
        elif key == "required":
            dropped = set(before or []) - set(after or [])
            changes.append("breaking" if dropped else "additive")
        elif key == "enum":
            narrower = after is not None and before is not None and set(after) <= set(before)
            changes.append("additive" if narrower or before is None else "breaking")
        elif key in ("minimum", "minLength", "minItems", "exclusiveMinimum"):
            tighter = after is not None and (before is None or after >= before)
            changes.append("additive" if tighter else "breaking")
        elif key in ("maximum", "maxLength", "maxItems", "exclusiveMaximum"):
            tighter = after is not None and (before is None or after <= before)
            changes.append("additive" if tighter else "breaking")
        elif key == "additionalProperties":
            changes.append("additive")  # new columns are additive; a closed set is tighter
        else:  # a pattern, a format, anything else: no telling whether it is tighter
            changes.append("breaking")
    return _worst(*changes)


def _properties(old: dict[str, Any], new: dict[str, Any]) -> Change:
    if set(old) - set(new):
        return "breaking"  # a column is gone (or renamed)
    if [k for k in new if k in old] != list(old):
        return "breaking"  # columns moved: the Arrow schema of every shard changes
    changes: list[Change] = ["additive"] if set(new) - set(old) else []
    changes += [_compare(old[k], new[k]) for k in old]
    return _worst(*changes)
