"""`corpus`: the front door. A thin shell over DVC and the stage modules; no logic of its own.

corpus run      reproduce the pipeline (DVC decides which stages are stale), then summarise
corpus status   which stages are stale, and why
corpus summary  what the last run produced: per-stage counts and the release
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from pipeline.schema import STAGES

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
console = Console()
DATA = Path("data")


def _dvc(*args: str, capture: bool = False) -> subprocess.CompletedProcess:
    """Run DVC from this environment, with this environment's `python` first on PATH.

    dvc.yaml says `python -m pipeline.<stage>`; whichever `python` a shell finds would otherwise
    run the stages, and it may not be the one with the locked dependencies.
    """
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        [sys.executable, "-m", "dvc", *args], env=env, text=True, capture_output=capture
    )


@app.command()
def run(
    force: Annotated[bool, typer.Option(help="Rerun every stage, stale or not.")] = False,
    stage: Annotated[str | None, typer.Option(help="Reproduce up to this stage only.")] = None,
) -> None:
    """Reproduce the pipeline with `dvc repro`; each stage shows its progress; then a summary."""
    args = ["repro", *(["--force"] if force else []), *([stage] if stage else [])]
    result = _dvc(*args)
    if result.returncode != 0:
        console.print(f"[red]dvc {' '.join(args)} failed (exit {result.returncode})[/red]")
        raise typer.Exit(result.returncode)
    summary()


@app.command()
def status() -> None:
    """Which stages are stale (would rerun on `corpus run`), and what changed for each."""
    result = _dvc("status", "--json", capture=True)
    if result.returncode != 0:
        console.print(result.stderr)
        raise typer.Exit(result.returncode)
    stale = json.loads(result.stdout or "{}")
    if not stale:
        console.print("[green]Everything is up to date.[/green]")
        return
    table = Table("stage", "what changed", title="Stale stages")
    for name, changes in stale.items():
        table.add_row(name.split(":")[-1], "\n".join(_describe_change(c) for c in changes))
    console.print(table)


def _describe_change(change: dict | str) -> str:
    if isinstance(change, str):
        return change
    parts = []
    for kind, items in change.items():
        if isinstance(items, dict):
            parts += [f"{kind}: {path} {state}" for path, state in items.items()]
        else:
            parts.append(f"{kind}: {items}")
    return "\n".join(parts)


@app.command()
def summary() -> None:
    """Per-stage counts from `data/<stage>/metrics.json`, and the release manifest."""
    table = Table("stage", "in", "out", "quarantined", "reasons", title="Pipeline")
    for name in STAGES[:-1]:
        path = DATA / name / "metrics.json"
        if not path.exists():
            table.add_row(name, "-", "-", "-", "not run")
            continue
        m = json.loads(path.read_text())
        reasons = ", ".join(f"{r} {n}" for r, n in m["quarantined_by_reason"].items())
        table.add_row(
            name, str(m["records_in"]), str(m["records_out"]), str(m["quarantined"]), reasons
        )
    console.print(table)
    manifest_path = DATA / "release" / "manifest.json"
    if not manifest_path.exists():
        console.print("No release yet: run `corpus run`.")
        return
    manifest = json.loads(manifest_path.read_text())
    counts = manifest["counts"]
    console.print(
        f"Release [bold]{manifest['name']} {manifest['version']}[/bold] in {manifest_path.parent}: "
        f"{counts['articles']} articles = {counts['published']} published + "
        f"{counts['quarantined']} quarantined; {len(manifest['files'])} files, "
        f"input hash {manifest['input']['sha256'][:12]}."
    )


if __name__ == "__main__":
    app()
