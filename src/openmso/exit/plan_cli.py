"""`openmso exit plan PRACTICE`: the transition plan on the command line, as tables, JSON or PDF."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from openmso.core.cli import cli_actor, session_factory
from openmso.core.db import unit_of_work
from openmso.core.errors import OpenMSOError
from openmso.exit import plan_pdf
from openmso.exit.plan_service import transition_plan
from openmso.exit.schemas import TransitionPlan

console = Console()


class PlanFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    PDF = "pdf"


def _tables(plan: TransitionPlan) -> None:
    t = plan.timeline
    console.print(f"[bold]Transition plan: {plan.practice}[/bold] — {plan.agreement} ({plan.version_status})")
    console.print(f"Notice on {t.notice_on}: {t.route}. [bold]Out on {t.exit_on}[/bold]; "
                  f"for cause {t.for_cause_exit_on}; transition until {t.transition_ends_on or 'agreement silent'}.")
    contracts = Table("Contract", "Kind", "At exit", "Notice by", "Takes effect", title="Vendor and payer contracts")
    for c in plan.contracts:
        contracts.add_row(c.contract, c.kind, c.disposition.replace("_", " "),
                          f"{c.notice_by or 'not stated'}{' (late)' if c.late else ''}", str(c.effective_on))
    console.print(contracts)
    systems = Table("System", "Vendor", "Arrangement", "At exit", title="Systems the MSO selected")
    for s in plan.systems:
        systems.add_row(s.label, s.vendor or "not named", s.arrangement.replace("_", " "), s.action)
    console.print(systems)
    ar = plan.open_ar
    aging = Table("", *(b.label for b in ar.buckets), "total", title=f"Open A/R as of {ar.as_of}")
    aging.add_row("insurance", *(f"{b.insurance:,}" for b in ar.buckets), f"{ar.insurance_total:,}")
    aging.add_row("patient", *(f"{b.patient:,}" for b in ar.buckets), f"{ar.patient_total:,}")
    console.print(aging)
    console.print(ar.note)
    d = plan.data
    console.print(f"Data: {', '.join(d.formats) or 'formats not stated'}; delivered by {d.deliver_by or 'not stated'}; "
                  f"cost {d.cost if d.cost is not None else 'not stated'}.")
    compliance = Table("Function", "Citation", "Action", title="Compliance from day one")
    for c in plan.compliance:
        compliance.add_row(c.function, c.citation, c.action)
    console.print(compliance)
    console.print(f"[bold]Risks ({len(plan.risks)})[/bold]")
    for risk in plan.risks:
        console.print(f"[{'yellow' if risk.silent else 'red'}]- {risk.text}[/] ({risk.clause})")


def plan(practice: int = typer.Argument(..., help="practice id"),
         output: PlanFormat = typer.Option(PlanFormat.TABLE, "--format", help="table, json or pdf"),
         out: Path = typer.Option(None, "--out", "-o", help="write to this file (required for pdf)"),
         as_of: str = typer.Option(None, "--as-of", help="the day notice would be given, YYYY-MM-DD (default today)")):
    """The practice's transition plan: what leaving the MSO would take if notice were given today (or --as-of)."""
    if output is PlanFormat.PDF and out is None:
        raise typer.BadParameter("a PDF needs --out FILE", param_hint="--out")
    try:
        notice_on = date.fromisoformat(as_of) if as_of else None
    except ValueError as error:
        raise typer.BadParameter(f"{as_of!r} is not a date (YYYY-MM-DD)", param_hint="--as-of") from error
    try:
        with unit_of_work(session_factory()) as db:
            result = transition_plan(db, cli_actor(), practice, notice_on)
    except OpenMSOError as error:
        console.print(f"[red]{error.detail}[/red]")
        raise typer.Exit(1) from error
    if output is PlanFormat.TABLE:
        _tables(result)
        return
    data = plan_pdf.render(result) if output is PlanFormat.PDF else result.model_dump_json(indent=2).encode()
    if out is None:
        typer.echo(data.decode())
        return
    out.write_bytes(data)
    console.print(f"Wrote {out} ({len(data):,} bytes)")
