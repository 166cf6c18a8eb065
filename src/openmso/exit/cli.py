"""`openmso exit package|verify`: a practice's exit package from the command line."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from openmso.core import signing
from openmso.core.cli import cli_actor, session_factory
from openmso.core.errors import OpenMSOError
from openmso.core.settings import get_settings
from openmso.exit import verify as verifying
from openmso.exit.package.workspace import ARCHIVE_FORMATS
from openmso.exit.plan_cli import plan
from openmso.exit.tasks import describe, export_package

console = Console()
app = typer.Typer(help="A practice's disaffiliation: its exit package, and checking one.", no_args_is_help=True)
app.command("plan")(plan)


@app.command("package")
def package(
    practice: int = typer.Argument(..., help="practice id"),
    out: Path = typer.Option(..., "--out", "-o", help="package directory to create (must not exist)"),
    archive: str = typer.Option(None, "--archive", help=f"write one archive instead: {' or '.join(ARCHIVE_FORMATS)}"),
):
    """Export everything the practice owns, with a manifest proving it complete."""
    # No refresh thread (auto_refresh=False): the export forks a second process only from a
    # single-threaded one (`exit.package.parallel`), so the bar is redrawn at each step instead.
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=True, auto_refresh=False) as bar:
        task = bar.add_task("starting", total=None)

        def show(step: str) -> None:
            bar.update(task, description=step)
            bar.refresh()

        try:
            result = export_package(session_factory(), cli_actor(), practice, out, var_dir=get_settings().var_dir,
                                    archive=archive, progress=show)
        except OpenMSOError as error:
            console.print(f"[red]{error.detail}[/red]")
            raise typer.Exit(1) from error
    console.print(f"[green]Exit package written[/green] to {result.path}: {describe(result)}")
    for note in result.manifest["notes"]:
        console.print(f"[yellow]{note}[/yellow]")


@app.command("signing-key")
def signing_key():
    """Print the MSO's public signing key (PEM) and its fingerprint, to publish to practices: exit packages'
    manifests are signed with it."""
    var_dir = get_settings().var_dir
    try:
        made = signing.load(var_dir) is None
        key = signing.load_or_create(var_dir)
    except signing.SigningKeyError as error:
        console.print(f"[red]{error.detail}[/red]")
        raise typer.Exit(1) from error
    typer.echo(signing.public_pem(key).decode("ascii"), nl=False)  # plain: pasted as it is, never wrapped
    typer.echo(f"fingerprint: {signing.fingerprint(key)}")
    typer.echo(f"{'made now, ' if made else ''}kept in {signing.key_path(var_dir).resolve()}", err=made)


@app.command("verify")
def verify(
    path: Path = typer.Argument(..., help="package directory, .tar or .zip"),
    fingerprint: str = typer.Option(None, "--fingerprint",
                                    help="the MSO's published key fingerprint the manifest must be signed with"),
):
    """Re-check every file's hash, size and record count against the manifest, and the manifest's signature;
    exit 1 naming each bad file."""
    report = verifying.verify(path, fingerprint)
    if report.ok:
        practice = report.manifest["practice"]
        signed = (f"signed by the key {report.signed_by}" if report.signed_by
                  else "not signed (made before manifests were signed)")
        console.print(f"[green]Package intact and complete[/green]: {report.files_checked} files of practice "
                      f"{practice['id']} ({practice['legal_name']}) match the manifest, {signed}.", soft_wrap=True)
        if fingerprint is None and report.signed_by:
            console.print("[yellow]Compare that fingerprint with the one the MSO publishes "
                          "(or pass it with --fingerprint).[/yellow]")
        return
    table = Table("problem")
    for problem in report.problems:
        table.add_row(problem)
    console.print(f"[red]Package check failed[/red] ({len(report.problems)} problem(s)):")
    console.print(table)
    raise typer.Exit(1)
