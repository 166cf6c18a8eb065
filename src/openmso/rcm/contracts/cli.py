"""`openmso contracts import|list`: load a practice's payer fee schedule from a CSV file, and show the
rates on file, through the same services as the API and the pages."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from openmso.core import csv_input
from openmso.core.cli import cli_actor, session_factory
from openmso.core.db import unit_of_work
from openmso.core.errors import OpenMSOError
from openmso.core.pagination import PageParams
from openmso.rcm.contracts import service
from openmso.rcm.contracts.service import RateFilter

console = Console()
app = typer.Typer(help="Payer contracts: effective-dated fee schedules per practice.", no_args_is_help=True)


def _problems(error: OpenMSOError) -> None:
    console.print(f"[red]{error.detail}[/red]")
    if error.errors:
        table = Table("line", "column", "problem", title="Problems")
        for problem in error.errors:
            where = [str(part) for part in problem.location]
            table.add_row(where[0] if where else "", " ".join(where[1:]), problem.message)
        console.print(table)


@app.command("import")
def import_rates(practice_id: int = typer.Argument(..., min=1, help="the practice's id"),
                 path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                             help="CSV: payer, code, modifier, allowed_amount or "
                                                  "percent_of_medicare, effective_from, effective_to")):
    """Import a fee schedule: every row, or with any problem none (each problem listed by line and column,
    exit status 1)."""
    try:
        with unit_of_work(session_factory()) as db:
            text = csv_input.decode_upload(path.read_bytes(), path.name)
            report = service.import_rates(db, cli_actor(), practice_id, text, path.name)
    except OpenMSOError as error:
        _problems(error)
        raise typer.Exit(1) from None
    console.print(f"[green]{path.name}: {report.imported} rate(s) imported[/green] for practice {practice_id}")
    table = Table("payer", "rates", title="By payer")
    for payer, count in sorted(report.by_payer.items()):
        table.add_row(payer, f"{count:,}")
    console.print(table)


@app.command("list")
def list_rates(practice_id: int = typer.Argument(..., min=1, help="the practice's id"),
               payer_id: int = typer.Option(None, "--payer-id", min=1, help="only this payer's rates"),
               code: str = typer.Option(None, "--code", help="only codes beginning with this")):
    """The practice's rates on file, by payer, code, modifier and start date."""
    try:
        with unit_of_work(session_factory()) as db:
            actor = cli_actor()
            rates = service.rates_page(db, actor, practice_id, RateFilter(payer_id, code),
                                       PageParams(limit=2**31 - 1))
            codes = {payer.id: payer.payer_code for payer in service.rate_payers(db, actor, practice_id)}
    except OpenMSOError as error:
        _problems(error)
        raise typer.Exit(1) from None
    console.print(f"Practice {practice_id}: {rates.total:,} rate(s) on file")
    table = Table("payer", "code", "modifier", "allowed", "% of Medicare", "from", "to", "source")
    for rate in rates.rows:
        table.add_row(codes.get(rate.payer_id, str(rate.payer_id)), rate.procedure_code, rate.modifier or "any",
                      "" if rate.allowed_amount is None else f"{rate.allowed_amount:,.2f}",
                      "" if rate.percent_of_medicare is None else f"{rate.percent_of_medicare}%",
                      rate.effective_from.isoformat(), rate.effective_to.isoformat() if rate.effective_to else "open",
                      rate.source)
    console.print(table)
