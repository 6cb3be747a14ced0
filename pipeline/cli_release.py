"""`corpus release | releases | pull | verify | diff | push-hub`: the versions of the dataset.

A thin shell over pipeline/release.py, pipeline/released.py, pipeline/versions.py and
pipeline/hub.py; `register` adds the commands to the `corpus` app.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

REPO = Path(".")


def _fail(console: Console, message: str, code: int = 1) -> None:
    console.print(f"[red]{message}[/red]", highlight=False)
    raise typer.Exit(code)


def register(app: typer.Typer, console: Console) -> None:
    @app.command()
    def release(
        version: Annotated[
            str | None, typer.Option(help="X.Y.Z; default: the version the changes need.")
        ] = None,
        accept_drift: Annotated[
            str | None, typer.Option(help="Release despite drift beyond tolerances; why.")
        ] = None,
        remote: Annotated[str | None, typer.Option(help="DVC remote to push to.")] = None,
    ) -> None:
        """Make the current build an immutable version: changelog, git tag vX.Y.Z, dvc push."""
        from pipeline.release import ReleaseError, make_release, summary_line
        from pipeline.versions import VersionError

        try:
            made = make_release(REPO, version, accept_drift, remote, say=console.print)
        except (ReleaseError, VersionError) as e:  # git failing raises VersionError
            _fail(console, f"Not released: {e}")
        where = "pushed to the DVC remote" if made.pushed else "in the local DVC cache"
        console.print(
            f"[green]Released {summary_line(made)}[/green] (tag v{made.version}, {where})."
        )

    @app.command()
    def releases() -> None:
        """The released versions, with their date and a one-line summary."""
        from pipeline.versions import listing

        table = Table("version", "date", "summary", title="Releases")
        for item in listing(REPO):
            table.add_row(item.version, item.date, item.summary)
        console.print(table if table.rows else "No release yet: `corpus release` makes one.")

    @app.command()
    def pull(
        version: Annotated[str, typer.Argument(help="The version, X.Y.Z (or its tag vX.Y.Z).")],
        to: Annotated[
            Path | None, typer.Option(help="Folder to create (default: ./VERSION).")
        ] = None,
        repo: Annotated[str, typer.Option(help="Repository path or git URL.")] = ".",
        remote_url: Annotated[
            str | None,
            typer.Option(
                help="Where the repository's default DVC remote is (a folder or URL), when it "
                "is a relative path DVC cannot find from a git URL on another machine."
            ),
        ] = None,
    ) -> None:
        """Fetch a version (from the DVC remote) and verify every file against its manifest."""
        from pipeline.release import ReleaseError
        from pipeline.released import pull as pull_release

        dest = to or Path(version.removeprefix("v"))  # v1.0.0 lands in ./1.0.0, as 1.0.0 does
        try:
            problems = pull_release(version, dest, repo, remote_url)
        except ReleaseError as e:
            _fail(console, str(e))
        _report(console, dest, problems)

    @app.command()
    def verify(folder: Annotated[Path, typer.Argument(help="A release folder.")]) -> None:
        """Check every file of a release against its manifest: sha256, size, rows, schema."""
        from pipeline.released import verify as verify_release

        _report(console, folder, verify_release(folder))

    @app.command()
    def diff(
        a: Annotated[str, typer.Argument(help="Earlier version X.Y.Z, or a release folder.")],
        b: Annotated[str, typer.Argument(help="Later version X.Y.Z, or a release folder.")],
        limit: Annotated[int, typer.Option(help="Changed records to list.")] = 20,
    ) -> None:
        """Record-level changes between two releases, schema change and headline figures."""
        from pipeline.release import ReleaseError
        from pipeline.released import compare, resolve

        with tempfile.TemporaryDirectory(prefix="corpus-diff-") as scratch:
            try:
                result = compare(resolve(REPO, a, Path(scratch)), resolve(REPO, b, Path(scratch)))
            except ReleaseError as e:
                _fail(console, str(e))
        counts = Table("change", "records", title=f"{a} -> {b}")
        for kind, n in result.summary.items():
            counts.add_row(kind, str(n))
        console.print(counts)
        console.print(f"Schema change: {result.schema}")
        figures = Table("figure", a, b, title="Headline figures")
        for key in sorted(result.before.keys() | result.after.keys()):
            figures.add_row(key, _show(result.before.get(key)), _show(result.after.get(key)))
        console.print(figures)
        if result.rows:
            listed = Table("id", "change", "reason", title=f"First {limit} changed records")
            for row in result.rows[:limit]:
                listed.add_row(row["id"], row["change"], row["reason"] or "")
            console.print(listed)

    @app.command("push-hub")
    def push_hub(
        repo_id: Annotated[str, typer.Argument(help="Hub dataset repository, owner/name.")],
        release_dir: Annotated[
            Path | None, typer.Option("--release", help="Release folder (default data/release).")
        ] = None,
        version: Annotated[
            str | None,
            typer.Option(help="A released version X.Y.Z, from DVC's cache (or its remote)."),
        ] = None,
        dry_run: Annotated[
            bool, typer.Option(help="Print what would be uploaded; send nothing.")
        ] = False,
        token: Annotated[str | None, typer.Option(envvar="HF_TOKEN", help="Hub token.")] = None,
    ) -> None:
        """Upload a release to the Hugging Face Hub, tagged with its version."""
        from pipeline.hub import HubError, push_to_hub
        from pipeline.versions import VersionError, materialize

        if version is not None and release_dir is not None:
            _fail(console, "give --version or --release, not both", 2)
        with tempfile.TemporaryDirectory(prefix="corpus-hub-") as scratch:
            try:
                # After `corpus release`, data/release is the next (unreleased) build: a
                # version comes from the cache, as `corpus pull` would give it.
                folder = (
                    materialize(REPO, version.removeprefix("v"), Path(scratch))
                    if version is not None
                    else release_dir or Path("data/release")
                )
                lines = push_to_hub(folder, repo_id, revision=None, dry_run=dry_run, token=token)
            except (HubError, VersionError) as e:  # no release, altered, a tag the Hub has
                _fail(console, str(e))
        for line in lines:
            console.print(line, highlight=False, markup=False)


def _show(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return "-" if value is None else str(value)


def _report(console: Console, folder: Path, problems: list[str]) -> None:
    if problems:
        console.print(f"[red]{folder} does not match its manifest:[/red]")
        for line in problems:
            console.print(f"  {line}", highlight=False, markup=False)
        raise typer.Exit(1)
    console.print(f"[green]{folder}: every file matches the manifest.[/green]")
