"""This pipeline side by side with its peers, in one run, on one corpus, one core each.

    python -m bench.compare [--n 2000] [--keep]      (`make bench` runs this)

Rows, all over the same N BBC-derived articles (`bench.make_corpus`):
- `cheap path`: every stage, annotate without the entities, quotes and dates slots
  (`CHEAP_LEFT_OUT`), cold cache;
- `full pipeline`: every stage with params.yaml as it is, cold cache;
- datatrove 0.10.1: ftfy, py3langid language filter, Gopher repetition and quality filters,
  zstd Parquet (`bench/peer_datatrove.py`, in its own venv: `bench.peers`);
- spaCy alone, `annotate.spacy_model` with tok2vec + ner, and with tok2vec + parser + ner.

Each pipeline stage runs as its own process (`bench.run.measure`) with a params file written
for the run (params.yaml, `engine.cache_dir` a new empty folder, and for the cheap path the
changes of `cheap_params`); a pipeline row adds up its stages' wall and CPU time and takes the
largest peak RSS. Every process gets one core (`bench.peers.ONE_CORE`: CORPUS_WORKERS=1, one
BLAS/OpenMP thread). Then the ratios of issue 10 with their targets (`TARGETS`).
Printed as tables; written to `bench/out/compare-<N>.json`.
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

from bench import peers
from bench.make_corpus import REPO, build_or_skip
from bench.run import MB, OUT, STAGES, git_state, machine, measure, totals, warm_up
from bench.run import table as stage_table

CHEAP, FULL = "cheap path", "full pipeline"
CHEAP_LEFT_OUT = ("entities", "quotes", "dates")
# Both pipeline rows: the BBC corpus has 98 byte-identical files, so a prefix of the bench corpus
# holds up to about 3% articles whose text another has (params.yaml allows 1%).
DUPLICATE_TEXT_SHARE = 0.05  # validate.table.max_duplicate_text_share
SPACY_RUNS = (["tok2vec", "ner"], ["tok2vec", "parser", "ner"])
# (name, numerator row, denominator row, target): numerator docs/s over denominator docs/s.
TARGETS = (
    ("cheap path / datatrove", CHEAP, peers.DATATROVE, 5.0),
    ("full pipeline / spaCy tok2vec + ner", FULL, "spaCy tok2vec + ner", 0.85),
)


def cheap_params(raw: dict[str, Any]) -> dict[str, Any]:
    """params.yaml less the entities, quotes and dates slots: their columns stay null, and
    validate does not bound their means (`table_checks.suite`)."""
    out = copy.deepcopy(raw)
    for slot in CHEAP_LEFT_OUT:
        out["annotate"]["annotators"].pop(slot, None)
    return out


def params_file(work: Path, variant: str) -> Path:
    """The variant's params file in `work`, its cache folder new and empty (a cold cache)."""
    raw = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    raw = cheap_params(raw) if variant == CHEAP else raw
    raw["validate"]["table"]["max_duplicate_text_share"] = DUPLICATE_TEXT_SHARE
    cache = work / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    raw["engine"]["cache_dir"] = str(cache)
    path = work / "params.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def run_pipeline(variant: str, seeds: Path, work: Path) -> list[dict[str, Any]]:
    """Every stage in order (the rest skipped after a failure): one row per stage."""
    work.mkdir(parents=True, exist_ok=True)
    params = params_file(work, variant)
    rows: list[dict[str, Any]] = []
    for stage in STAGES:
        if rows and rows[-1]["status"] != "ok":
            rows.append({"engine": variant, "stage": stage.name, "status": "skipped",
                         "note": f"not run: {rows[-1]['stage']} did not succeed"})  # fmt: skip
            continue
        rows.append(measure(stage, seeds, work, variant, params, peers.ONE_CORE))
    return rows


def pipeline_row(variant: str, stage_rows: list[dict[str, Any]], n: int, size: int) -> dict:
    """The stages of one variant as one row: N articles through all of them."""
    total = totals(stage_rows, n)[0]
    ok = all(r["status"] == "ok" for r in stage_rows)
    return {
        **total,
        "stage": " + ".join(r["stage"] for r in stage_rows),
        "status": "ok" if ok else "failed",
        "input_bytes": size,
        "mb_per_s": round(size / MB / total["wall_s"], 3),
        "note": "docs/s by stage: " + ", ".join(
            f"{r['stage']} {r['docs_per_s']:,.0f}" for r in stage_rows if "docs_per_s" in r
        ),
    }  # fmt: skip


def ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each target's ratio of docs/s (wall) and of docs per CPU second, and whether each meets
    the target (None when a row is missing). On a shared machine, wall time includes waiting
    for a core; CPU time does not."""
    by_name = {r["engine"]: r for r in rows if r.get("status") == "ok"}
    for r in rows:
        if r.get("status") == "ok" and r["engine"].startswith("spaCy "):
            by_name[f"spaCy {r['stage']}"] = r
    out = []
    for name, top, bottom, target in TARGETS:
        row: dict[str, Any] = {"ratio": name, "target": target}
        for key, per in (("wall", "wall_s"), ("cpu", "cpu_s")):
            a, b = by_name.get(top), by_name.get(bottom)
            value = (a["docs"] / a[per]) / (b["docs"] / b[per]) if a and b else None
            row[key] = None if value is None else round(value, 3)
            row[f"met_{key}"] = None if value is None else value >= target
        out.append(row)
    return out


def comparison_table(result: dict[str, Any]) -> Table:
    m = result["machine"]
    t = Table(title=f"N={result['n']:,} articles ({result['text_bytes'] / MB:.1f} MB of text), "
              f"one core each, {m['cpus']} CPUs ({m['cpu_model']})")  # fmt: skip
    columns = ("What", "Steps", "Docs", "Wall s", "Docs/s", "MB/s", "CPU s", "Docs/CPU s",
               "Peak RSS MiB")  # fmt: skip
    for name in columns:
        t.add_column(name, justify="left" if name in ("What", "Steps") else "right")
    for r in result["rows"]:
        ok = r["status"] == "ok"
        t.add_row(r["engine"], r["stage"], f"{r['docs']:,}", f"{r['wall_s']:.2f}",
                  f"{r['docs_per_s']:,.1f}" if ok else r["status"], f"{r['mb_per_s']:.2f}",
                  f"{r['cpu_s']:.2f}", f"{r['docs'] / r['cpu_s']:,.1f}",
                  f"{r['peak_rss_mib']:,.0f}")  # fmt: skip
    return t


def ratio_table(result: dict[str, Any]) -> Table:
    t = Table(title="Issue 10 targets: docs/s over docs/s (wall), and docs per CPU second")
    for name in ("Ratio", "Target", "Wall", "Met (wall)", "CPU", "Met (CPU)"):
        t.add_column(name, justify="left" if name == "Ratio" else "right")

    def shown(value: float | None, met: bool | None) -> tuple[str, str]:
        mark = {True: "[green]met", False: "[red]not met", None: "-"}[met]
        return ("-" if value is None else f"{value:.3f}"), mark

    for r in result["ratios"]:
        t.add_row(r["ratio"], f">= {r['target']}", *shown(r["wall"], r["met_wall"]),
                  *shown(r["cpu"], r["met_cpu"]))  # fmt: skip
    return t


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.compare",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--n", type=int, default=2000, help="articles in the corpus")
    parser.add_argument("--keep", action="store_true", help="keep bench/out/compare-N/")
    args = parser.parse_args(argv)
    console = Console(width=max(Console().width, 120))
    seeds = build_or_skip(args.n, console.print)
    if seeds is None:
        return 0
    work = OUT / f"compare-{args.n}"
    shutil.rmtree(work, ignore_errors=True)
    jsonl = peers.texts_jsonl(seeds)
    docs, size = peers.text_stats(jsonl)
    warm_up(STAGES, work)
    model, batch = spacy_settings()

    stage_rows: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    result = {
        "benchmark": "side by side, one core each (bench/compare.py)",
        "n": args.n,
        "text_bytes": size,
        "corpus": str(seeds.relative_to(REPO)),
        "git": git_state(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "rows": rows,
        "ratios": [],
        "stages": stage_rows,
    }
    path = OUT / f"compare-{args.n}.json"

    def done(row: dict[str, Any]) -> None:
        """Show and keep a row; the JSON is rewritten after each, so a stopped run leaves
        what it measured."""
        rows.append(row)
        result["ratios"] = ratios(rows)
        path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        console.print(row["status"], f"{row['wall_s']:.1f} s")

    for variant in (CHEAP, FULL):
        console.print(f"[bold]{variant}[/] ...", end=" ")
        ran = run_pipeline(variant, seeds, work / variant.replace(" ", "-"))
        stage_rows += ran
        done(pipeline_row(variant, ran, args.n, size))
    console.print(f"[bold]{peers.DATATROVE}[/] ...", end=" ")
    done(peers.run_datatrove(jsonl, work / "datatrove", docs, size))
    for components in SPACY_RUNS:
        console.print(f"[bold]spaCy {' + '.join(components)}[/] ...", end=" ")
        done(peers.run_spacy(jsonl, work / "spacy", model, batch, components, docs, size))

    by_stage = {**result, "rows": stage_rows, "totals": totals(stage_rows, args.n)}
    console.print(stage_table(by_stage))
    console.print(comparison_table(result))
    for r in rows:
        if r["note"]:
            console.print(f"{r['engine']}: {r['note']}", soft_wrap=True)
    console.print(ratio_table(result))
    console.print(f"written: {path.relative_to(REPO)}")
    failed = any(r["status"] != "ok" for r in rows)
    if args.keep or failed:
        console.print(f"outputs and logs kept in {work.relative_to(REPO)}")
    else:
        shutil.rmtree(work)
    return 1 if failed else 0


def spacy_settings() -> tuple[str, int]:
    """annotate's spaCy model and batch size, from params.yaml."""
    annotate = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))["annotate"]
    return annotate["spacy_model"], annotate["spacy_batch_size"]


if __name__ == "__main__":
    sys.exit(main())
