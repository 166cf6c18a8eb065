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
from openmso.rcm.remittance.ingest import ingest_file, repost_unmatched

console = Console()
app = typer.Typer(help="Remittances (835): ingest and post.", no_args_is_help=True)
SUFFIXES = {".835", ".x12", ".edi", ".txt", ".era"}


def files_in(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """The files named, and the 835-looking files inside the folders named, in name order; and the
    other files of those folders, which are not read (said, so a payer file named oddly is not missed)."""
    found: list[Path] = []
    skipped: list[Path] = []
    for path in paths:
        if path.is_dir():
            for inside in sorted(p for p in path.iterdir() if p.is_file()):
                (found if inside.suffix.lower() in SUFFIXES else skipped).append(inside)
        else:
            found.append(path)
    return found, skipped


@app.command("ingest")
def ingest(paths: list[Path] = typer.Argument(..., exists=True, help="835 files, or folders of them")):
    """Post 835 files: each file once, each payment once; unreadable or unbalanced payments are quarantined
    and listed; nothing of a file is kept if the command is interrupted in the middle of it."""
    files, skipped = files_in(paths)
    if skipped:
        console.print(f"[yellow]Not read (not named {', '.join(sorted(SUFFIXES))}): "
                      f"{', '.join(p.name for p in skipped)}[/yellow]")
    if not files:
        console.print("[red]No 835 file to post.[/red]")
        raise typer.Exit(1)
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
            except Exception as error:  # noqa: BLE001 - one file's failure is reported; the others still post
                table.add_row(path.name, f"[red]not received ({type(error).__name__}: {str(error)[:200]}); "
                              "nothing of it kept: fix and run again[/red]", "", "", "", "", "")
                failed = True
                bar.advance(task)
                continue
            failed |= report.quarantined > 0 or report.unmatched > 0
            table.add_row(path.name, status, str(report.transactions), str(report.posted), f"{report.claims:,}",
                          f"{report.lines:,}", str(report.exceptions))
            bar.advance(task)
    console.print(table)
    if failed:
        console.print("[yellow]Some payments were not posted; see the exceptions queue "
                      "(/remittances/exceptions). A payment to an unknown payee is posted again with "
                      "`openmso remit repost ID` once the practice's NPI or TIN is on file.[/yellow]")
        raise typer.Exit(1)


@app.command("repost")
def repost(remittance_id: int = typer.Argument(..., min=1, help="the unmatched payment's id (remittance list)")):
    """Post again, from the file as it was received, a payment kept as unmatched because its payee was
    none of our practices."""
    try:
        with unit_of_work(session_factory()) as db:
            report = repost_unmatched(db, cli_actor(), remittance_id)
            row = f"{report.posted} posted, {report.claims:,} claims, {report.lines:,} lines, " \
                  f"{report.exceptions} exceptions"
    except OpenMSOError as error:
        console.print(f"[red]{error.detail}[/red]")
        raise typer.Exit(1) from None
    console.print(f"Payment {remittance_id}: {row}")
    if not report.posted:
        raise typer.Exit(1)
