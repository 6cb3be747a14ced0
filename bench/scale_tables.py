"""The rows and tables `bench.scale` prints: its runs, stage by stage, and issue 10's acceptance."""

from __future__ import annotations

import statistics
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import scale_runs as sr


def ratio_row(item: str, what: str, value: float, target: float, at_least: bool) -> dict:
    met = value >= target if at_least else value <= target
    sign = ">=" if at_least else "<="
    return {"item": item, "what": what, "measured": round(value, 3), "target": f"{sign} {target}",
            "met": met}  # fmt: skip


def equal_row(item: str, what: str, diffs: list[str]) -> dict:
    shown = "identical" if not diffs else f"{len(diffs)} differ: " + ", ".join(diffs[:3])
    return {"item": item, "what": what, "measured": shown, "target": "identical", "met": not diffs}


def median_row(what: str, values: list[float], target: float | None) -> dict:
    """Part 3's row: the median of the rounds' values (all of them in the note); a row without a
    target is shown for reading the others, neither met nor not."""
    value = statistics.median(values)
    row = (
        ratio_row("3", what, value, target, True)
        if target is not None
        else {"item": "3", "what": what, "measured": round(value, 3), "target": "-", "met": None}
    )
    if len(values) > 1:
        row["note"] = f"median of {len(values)} rounds: " + ", ".join(f"{v:.2f}" for v in values)
    return row


def wall(rows: list[dict[str, Any]], stage: str | None = None) -> float:
    return sum(r["wall_s"] for r in rows if stage in (None, r["stage"]))


def runs_table(runs: dict[str, list[dict[str, Any]]]) -> Table:
    t = Table(
        title="Runs (wall s per stage process; peak RSS MiB in brackets)",
        caption="cores: CPU s / wall s, the cores the run had on average (Ray's worker "
        "processes are not children of the stage: their CPU is not counted); load: 1-minute "
        "load average at the stages' ends, on this machine's cores",
        caption_justify="left",
    )
    t.add_column("run", no_wrap=True)
    for stage in sr.STAGE_NAMES:
        t.add_column(stage, justify="right")
    for name in ("total", "CPU s", "cores", "load"):
        t.add_column(name, justify="right")
    for name, rows in runs.items():
        by = {r["stage"]: r for r in rows}
        cells = [f"{by[s]['wall_s']:.1f} ({by[s].get('peak_rss_mib', 0):.0f})" if s in by else "-"
                 for s in sr.STAGE_NAMES]  # fmt: skip
        cpu = sum(r.get("cpu_s", 0) for r in rows)
        loads = [r["load_1m"] for r in rows if "load_1m" in r]
        load = f"{min(loads):.1f}-{max(loads):.1f}" if loads else "-"
        t.add_row(name, *cells, f"{wall(rows):.1f}", f"{cpu:.1f}", f"{cpu / wall(rows):.2f}", load)
    return t


def acceptance_table(rows: list[dict]) -> Table:
    t = Table(title="Issue 10 acceptance")
    for name in ("item", "what", "measured", "target", "status", "note"):
        t.add_column(name, justify="right" if name == "measured" else "left")
    for r in rows:
        status = {True: "[green]met[/]", False: "[red]not met[/]", None: "-"}[r["met"]]
        t.add_row(r["item"], r["what"], str(r["measured"]), r["target"], status, r.get("note", ""))
    return t


def show(console: Console, runs: dict, accepted: list[dict], notes: list[str]) -> None:
    console.print(runs_table(runs))
    console.print(acceptance_table(accepted))
    for note in notes:
        console.print(note, highlight=False)
