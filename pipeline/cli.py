"""`corpus`: the front door. A thin shell over DVC and the stage modules; no logic of its own.

corpus run      reproduce the pipeline (DVC decides which stages are stale), then summarise
corpus status   which stages are stale, and why
corpus summary  what the last run produced: per-stage counts and the release
corpus validate check any release folder or Parquet file
corpus release  make the build an immutable version (tag, changelog, dvc push)
corpus releases the versions made so far
corpus pull     fetch a version and verify it; corpus verify: verify a release folder
corpus diff     record-level changes between two versions
corpus push-hub upload a version to the Hugging Face Hub
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.table import Table

from pipeline import cli_release
from pipeline import params as params_mod
from pipeline.schema import STAGES

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
console = Console()
DATA = Path("data")
METRICS = Path("metrics")  # <stage>.json per stage, tracked by git (dvc.yaml)


def _dvc(*args: str, capture: bool = False) -> subprocess.CompletedProcess:
    """Run DVC from this environment, with this environment's `python` first on PATH.

    dvc.yaml says `python -m pipeline.<stage>`; whichever `python` a shell finds would otherwise
    run the stages, and it may not be the one with the locked dependencies.
    """
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        [sys.executable, "-m", "dvc", *args], env=env, text=True, capture_output=capture
    )


def _check_params() -> params_mod.Params:
    """params.yaml, or stop before any stage when it is wrong, naming every wrong key."""
    try:
        return params_mod.load()
    except params_mod.ParamsError as e:
        console.print("[red]params.yaml is not valid; no stage was run:[/red]")
        for line in str(e).splitlines():
            console.print(f"  {line}", markup=False, highlight=False)
        raise typer.Exit(2) from None


def _has_remote() -> bool:
    listed = _dvc("remote", "list", capture=True)
    return listed.returncode == 0 and bool(listed.stdout.strip())


def _repro(args: list[str], extra_env: dict[str, str]) -> int:
    """`dvc <args>` with `extra_env`, its output passed through as it comes, but for the hint to
    `dvc push` when there is no remote to push to."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    env = {**os.environ, **extra_env, "PATH": path}
    drop_push_hint = not _has_remote()
    with subprocess.Popen(
        [sys.executable, "-m", "dvc", *args], env=env, text=True, stdout=subprocess.PIPE
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            if not (drop_push_hint and "dvc push" in line):
                sys.stdout.write(line)
                sys.stdout.flush()
    return process.returncode


@contextlib.contextmanager
def _ray_cluster_for_the_run(
    force: bool, stage: str | None, params: params_mod.Params
) -> Iterator[dict[str, str]]:
    """On the Ray engine with no RAY_ADDRESS, one local cluster that every stage of the run joins
    (`pipeline/cli_ray.py`), rather than a cluster started by each stage: yields what the
    stages' environment needs to join it; nothing when no stage will run."""
    from pipeline import engines

    if engines.kind() != "ray" or os.environ.get("RAY_ADDRESS"):
        yield {}
        return
    stale = _dvc("status", "--json", *([stage] if stage else []), capture=True)
    if not force and stale.returncode == 0 and not json.loads(stale.stdout or "{}"):
        yield {}  # nothing to reproduce: dvc says so without a cluster
        return
    from pipeline.cli_ray import local_cluster

    cpus = engines.workers(params.engine)
    with local_cluster(cpus) as joining:
        console.print(f"Ray: a local cluster of {cpus} CPUs for this run")
        yield joining


@app.command()
def run(
    force: Annotated[bool, typer.Option(help="Rerun every stage, stale or not.")] = False,
    stage: Annotated[str | None, typer.Option(help="Reproduce up to this stage only.")] = None,
    engine: Annotated[
        str | None,
        typer.Option(
            help="local or ray (RAY_ADDRESS, else one local cluster for the run): sets "
            "CORPUS_ENGINE for the stages. Not a param: the output is the same, so no stage "
            "becomes stale."
        ),
    ] = None,
) -> None:
    """Reproduce the pipeline with `dvc repro`; each stage shows its progress; then a summary."""
    params = _check_params()
    if engine is not None:
        if engine not in ("local", "ray"):
            raise typer.BadParameter(f"{engine!r}: choose local or ray", param_hint="--engine")
        os.environ["CORPUS_ENGINE"] = engine  # read by pipeline.engines in each stage process
    args = ["repro", *(["--force"] if force else []), *([stage] if stage else [])]
    with _ray_cluster_for_the_run(force, stage, params) as cluster_env:
        returncode = _repro(args, cluster_env)
    if returncode != 0:
        console.print(f"[red]dvc {' '.join(args)} failed (exit {returncode})[/red]")
        raise typer.Exit(returncode)
    summary()


@app.command()
def status() -> None:
    """Which stages are stale (would rerun on `corpus run`), and what changed for each."""
    _check_params()
    result = _dvc("status", "--json", capture=True)
    if result.returncode != 0:
        console.print(result.stderr)
        raise typer.Exit(result.returncode)
    stale = json.loads(result.stdout or "{}")
    if not stale:
        console.print("[green]Everything is up to date.[/green]")
        return
    locked = _locked_params()
    current = yaml.safe_load(Path("params.yaml").read_text(encoding="utf-8"))
    table = Table("stage", "what changed", title="Stale stages")
    for name, changes in stale.items():
        stage = name.split(":")[-1]
        lines = [
            line
            for change in changes
            for line in _describe_change(change, locked.get(stage, {}), current)
        ]
        table.add_row(stage, "\n".join(lines))
    console.print(table)


def _locked_params() -> dict[str, dict[str, Any]]:
    """stage -> the params values dvc.lock recorded for its last run."""
    lock = Path("dvc.lock")
    if not lock.exists():
        return {}
    stages = (yaml.safe_load(lock.read_text(encoding="utf-8")) or {}).get("stages", {})
    return {name: s.get("params", {}).get("params.yaml", {}) for name, s in stages.items()}


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, sub in value.items():
            out.update(_flatten(sub, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def _yaml_value(value: Any) -> str:
    return "(absent)" if value is _ABSENT else json.dumps(value, ensure_ascii=False)


_ABSENT = object()


def param_changes(
    sections: list[str], locked: dict[str, Any], current: dict[str, Any]
) -> list[str]:
    """`annotate.pii.redact: false -> true` for every key of `sections` that changed."""
    old = _flatten({k: locked[k] for k in sections if k in locked})
    new = _flatten({k: current[k] for k in sections if k in current})
    return [
        f"{key}: {_yaml_value(old.get(key, _ABSENT))} -> {_yaml_value(new.get(key, _ABSENT))}"
        for key in sorted(old.keys() | new.keys())
        if old.get(key, _ABSENT) != new.get(key, _ABSENT)
    ]


def _describe_change(change: dict | str, locked: dict[str, Any], current: dict) -> list[str]:
    if isinstance(change, str):
        return [change]
    lines = []
    for kind, items in change.items():
        if not isinstance(items, dict):
            lines.append(f"{kind}: {items}")
            continue
        for path, state in items.items():
            if path == "params.yaml" and isinstance(state, dict):
                lines += param_changes(list(state), locked, current) or [f"params.yaml: {state}"]
            else:
                lines.append(f"{kind}: {path} {state}")
    return lines


@app.command()
def summary() -> None:
    """Per-stage counts from `metrics/<stage>.json`, and the release manifest."""
    table = Table("stage", "read", "passed on", "quarantined", "reasons", title="Pipeline")
    ingest: dict[str, Any] = {}
    for name in STAGES[:-1]:
        path = METRICS / f"{name}.json"
        if not path.exists():
            table.add_row(name, "-", "-", "-", "not run")
            continue
        m = json.loads(path.read_text())
        reasons = ", ".join(f"{r} {n}" for r, n in m["quarantined_by_reason"].items())
        # ingest reads files (an export holds many articles); every later stage reads articles.
        read = f"{m['files_in']} files" if "files_in" in m else f"{m['records_in']} articles"
        table.add_row(name, read, f"{m['records_out']} articles", str(m["quarantined"]), reasons)
        ingest = m if name == "ingest" else ingest
    manifest_path = DATA / "release" / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else None
    if manifest:
        counts = manifest["counts"]
        table.add_row(
            "publish",
            f"{counts['published']} articles",
            f"{counts['published']} published",
            "-",
            f"{len(manifest['files'])} files in {manifest_path.parent}",
        )
    else:
        table.add_row("publish", "-", "-", "-", "not run")
    console.print(table)
    if ingest.get("unused_sidecars"):
        console.print(
            f"[yellow]{ingest['unused_sidecars']} sidecar file(s) applied to no seed[/yellow] "
            "(data/quarantine/ingest: orphan_sidecar, ambiguous_sidecar)."
        )
    if ingest.get("blocklist_unmatched"):
        # A takedown that matched nothing may be a mistyped entry: the article is then published.
        unmatched = ingest["blocklist_unmatched"]
        console.print(
            f"[yellow]{len(unmatched)} blocklist entr{'y' if len(unmatched) == 1 else 'ies'} "
            "took nothing down[/yellow] (no longer in seeds/, or mistyped?):",
            soft_wrap=True,
        )
        for entry in unmatched:
            console.print(f"  {entry}", markup=False, highlight=False, soft_wrap=True)
    if not manifest:
        console.print("No release yet: run `corpus run`.")
        return
    counts = manifest["counts"]
    kind = "Build (no release)" if params_mod.is_unreleased(manifest["version"]) else "Release"
    console.print(
        f"{kind} [bold]{manifest['name']} {manifest['version']}[/bold] in {manifest_path.parent}: "
        f"{counts['articles']} articles = {counts['published']} published + "
        f"{counts['quarantined']} quarantined; {len(manifest['files'])} files, "
        f"input hash {manifest['input']['sha256'][:12]}."
    )


@app.command()
def validate(
    path: Annotated[Path, typer.Argument(help="A release folder, or one Parquet file.")],
) -> None:
    """Check a release (one just pulled, one from elsewhere): every record, then the whole table;
    exit 1 naming each problem."""
    _check_params()
    from pipeline.validate import validate_path  # late: great-expectations takes seconds

    report = validate_path(path, params_mod.load())
    for line in report.problems:
        console.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)
    checked = report.validation.get("records", {}).get("checked", 0)
    if not report.ok:
        console.print(
            f"[red]{path}: {len(report.problems)} problem(s) in {checked} records[/red]",
            soft_wrap=True,  # one line per finding, whatever the terminal's width: greppable
        )
        raise typer.Exit(1)
    console.print(f"[green]{path}: {checked} records, every check passed[/green]", soft_wrap=True)


cli_release.register(app, console)

if __name__ == "__main__":
    app()
