"""`openmso clearinghouse poll`: read the clearinghouse's answers (999, 277CA, 835)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from openmso.core.cli import cli_actor, session_factory
from openmso.core.db import unit_of_work
from openmso.core.settings import get_settings
from openmso.rcm.clearinghouse import service

console = Console()
app = typer.Typer(help="The clearinghouse connection.", no_args_is_help=True)


@app.command("poll")
def poll(retry: bool = typer.Option(False, help="also apply quarantined files again")):
    """Fetch and apply every inbound file; quarantine what cannot be applied."""
    factory = session_factory()
    with unit_of_work(factory) as db:
        adapter = service.connect(db, get_settings().var_dir)
    waiting = len(adapter.inbound())
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as bar:
        task = bar.add_task(f"Files from {adapter.name}", total=waiting)
        report = service.poll(factory, cli_actor(), adapter, retry=retry, progress=lambda _: bar.advance(task))
    console.print(f"{report.files} file(s): {report.applied} applied ({report.claims_updated:,} claim updates), "
                  f"{report.quarantined} quarantined, {report.duplicates} already received.")
    for result in report.results:
        if result.file.status == "quarantined":
            console.print(f"[red]quarantined[/red] {result.file.name}: {result.file.error}")
