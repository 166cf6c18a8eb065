"""`openmso remit ingest FILE|DIR`: post 835 files from the command line, one commit per file."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from openmso.core.cli import cli_actor, session_factory
from openmso.core.db import unit_of_work
from openmso.core.errors import OpenMSOError
from openmso.rcm.remittance.ingest import ingest_file

console = Console()
app = typer.Typer(help="Remittances (835): ingest and post.", no_args_is_help=True)
SUFFIXES = {".835", ".x12", ".edi", ".txt", ".era"}


def files_in(paths: list[Path]) -> list[Path]:
    """The files named, and the 835-looking files inside the folders named, in name order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
        else:
            found.append(path)
    return found


@app.command("ingest")
def ingest(paths: list[Path] = typer.Argument(..., exists=True, help="835 files, or folders of them")):
    """Post 835 files: each file once, each payment once; unreadable or unbalanced payments are quarantined
    and listed; nothing of a file is kept if the command is interrupted in the middle of it."""
    files = files_in(paths)
    factory = session_factory()
    table = Table("file", "status", "payments", "posted", "claims", "lines", "exceptions", title="835 files")
    failed = False
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[lines]:,} lines"), TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("Posting 835s", total=len(files), lines=0)
        for path in files:
            bar.update(task, description=f"Posting {path.name}")
            try:
                with unit_of_work(factory) as db:
                    report = ingest_file(db, cli_actor(), path.name, path,
                                         progress=lambda n: bar.update(task, lines=bar.tasks[0].fields["lines"] + n))
                    status = "already received" if report.duplicate else report.file.status
            except OpenMSOError as error:
                table.add_row(path.name, f"[red]{error.detail}[/red]", "", "", "", "", "")
                failed = True
                bar.advance(task)
                continue
            failed |= report.quarantined > 0
            table.add_row(path.name, status, str(report.transactions), str(report.posted), f"{report.claims:,}",
                          f"{report.lines:,}", str(report.exceptions))
            bar.advance(task)
    console.print(table)
    if failed:
        console.print("[yellow]Some payments were not posted; see the exceptions queue "
                      "(/remittances/exceptions).[/yellow]")
        raise typer.Exit(1)
