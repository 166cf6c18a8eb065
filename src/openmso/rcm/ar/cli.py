"""`openmso ar aging` and `openmso kpi`: A/R and revenue-cycle KPIs from the command line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from openmso.core.cli import cli_actor, session_factory
from openmso.core.db import unit_of_work
from openmso.rcm.ar import facts, kpis, service
from openmso.rcm.ar.aging import BUCKETS
from openmso.rcm.ar.schemas import AgingBy, AgingKind

console = Console()
app = typer.Typer(help="Accounts receivable: aging.", no_args_is_help=True)


def _day(text: str | None) -> date:
    return date.fromisoformat(text) if text else date.today()


def _cell(amount) -> str:
    return "<11 pts" if amount is None else f"{amount:,}"


@app.command("aging")
def aging(kind: AgingKind = typer.Option(AgingKind.INSURANCE, help="insurance or patient A/R"),
          by: AgingBy = typer.Option(AgingBy.PRACTICE, help="practice, payer, provider or network"),
          practice: int = typer.Option(None, help="practice id (default: all)"),
          as_of: str = typer.Option(None, help="age as of YYYY-MM-DD (default today)")):
    """Open A/R by bucket (0–30, 31–60, 61–90, 91–120, over 120 days)."""
    with unit_of_work(session_factory()) as db:
        lines = service.aging(db, cli_actor(), kind, by, _day(as_of), practice)
    table = Table(by.value, *(b.label for b in BUCKETS), "total", "% over 90", "credits",
                  title=f"{kind.value.capitalize()} A/R as of {_day(as_of)}")
    for line in [*lines, service.network_total(lines)] if len(lines) > 1 else lines:
        share = kpis.percent_over_90(line.over_90, line.total) if line.total is not None else None
        table.add_row(line.label, *(_cell(line.shown(b.key)) for b in BUCKETS), _cell(line.total),
                      "" if share is None else f"{share}%", _cell(line.credits))
    console.print(table if lines else "No open A/R.")


def kpi(practice: int = typer.Option(None, help="practice id (default: the whole network)"),
        months: int = typer.Option(6, min=1, max=36, help="months of trend"),
        as_of: str = typer.Option(None, help="last day counted, YYYY-MM-DD (default today)"),
        csv: Path = typer.Option(None, help="also write the table as CSV to this file")):
    """Revenue-cycle KPIs (HFMA MAP Keys) month by month."""
    with unit_of_work(session_factory()) as db:
        trend = facts.kpi_trend(db, cli_actor(), _day(as_of), months, practice)
    table = Table("KPI", *(m.month.strftime("%Y-%m") for m in trend), "unit",
                  title="Revenue-cycle KPIs" + (f" — practice {practice}" if practice else " — network"))
    for definition in kpis.DEFINITIONS:
        values = [m.values.get(definition.id) for m in trend]
        table.add_row(definition.name, *("–" if v is None else str(v) for v in values), definition.unit)
    table.add_row("claims (by service month)",
                  *("<11 pts" if m.claims_shown is None else f"{m.claims:,}" for m in trend), "")
    console.print(table)
    if csv is not None:
        csv.write_text(service.kpi_csv(trend), encoding="utf-8")
        console.print(f"Wrote {csv}")
