"""`openmso agreements check|rules|report`: the legal-risk rules over the network, from the shell.

`check` exits 1 when any agreement has a flag at or above `--fail-on` that is in force, so it can
gate a nightly job. Its output is decision support, not legal advice, and says so.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from openmso.agreements import assessment, pdf, report, rules, service
from openmso.core.cli import cli_actor, session_factory
from openmso.core.db import unit_of_work
from openmso.core.errors import OpenMSOError
from openmso.core.types import utcnow

console = Console(width=160)
app = typer.Typer(help="Management services agreements: legal-risk checks and reports.", no_args_is_help=True)
SEVERITIES = ("high", "medium", "low")


def _as_of(value: str | None) -> date:
    try:
        return date.fromisoformat(value) if value else utcnow().date()
    except ValueError as error:
        raise typer.BadParameter(f"--as-of: {error}") from error


@app.command("check")
def check(as_of: str = typer.Option(None, "--as-of", help="YYYY-MM-DD (default today)"),
          practice: int = typer.Option(None, help="only this practice id"),
          fail_on: str = typer.Option("high", help="exit 1 on an in-force flag of this severity or worse"),
          as_json: bool = typer.Option(False, "--json", help="print the flags as JSON")):
    """Run every legal-risk rule over every practice's current agreement."""
    if fail_on not in SEVERITIES:
        raise typer.BadParameter(f"--fail-on must be one of {', '.join(SEVERITIES)}")
    day = _as_of(as_of)
    failing = SEVERITIES[: SEVERITIES.index(fail_on) + 1]
    results, worst = [], False
    with unit_of_work(session_factory()) as db:
        actor = cli_actor()
        for row in assessment.network_rows(db, actor, day):
            if practice is not None and row.practice_id != practice:
                continue
            flags = []
            if row.version_id is not None:
                version = service.get_version(db, actor, row.version_id)
                flags = [assessment.flag_out(f) for f in assessment.flags_for(db, actor, version, day)]
            worst = worst or any(f.severity in failing and f.status == "in force" for f in flags)
            results.append((row, flags))
    if as_json:
        print(json.dumps({"as_of": day.isoformat(), "disclaimer": rules.DISCLAIMER, "practices": [
            {"practice_id": row.practice_id, "practice": row.practice, "states": row.states,
             "agreement_id": row.agreement_id, "version": row.version, "model": row.model, "fee": row.fee,
             "flags": [f.model_dump() for f in flags]} for row, flags in results]}, indent=2))
    else:
        table = Table(title=f"Agreement legal-risk check as of {day}")
        for column in ("practice", "states", "agreement", "model", "fee", "high", "medium", "low", "upcoming"):
            table.add_column(column)
        for row, _ in results:
            table.add_row(row.practice, ", ".join(row.states), f"#{row.agreement_id} v{row.version}"
                          if row.agreement_id else "NONE", row.model or "", row.fee or "", str(row.flags_high),
                          str(row.flags_medium), str(row.flags_low), str(row.flags_upcoming))
        console.print(table)
        for row, flags in results:
            for flag in flags:
                console.print(f"{row.practice}: [{flag.severity} · {flag.status}] {flag.rule_id} — {flag.finding} "
                              f"({flag.clause}; {flag.citation})", highlight=False, markup=False)
        console.print(f"[yellow]{rules.DISCLAIMER}[/yellow]")
    if worst:
        raise typer.Exit(1)


@app.command("rules")
def rule_table():
    """List the legal-risk rule table with citations, dates and confidence."""
    table = Table(title="Legal-risk rules (decision support, not legal advice)")
    for column in ("id", "where", "severity", "in force", "citation"):
        table.add_column(column)
    for rule in rules.RULES:
        window = f"from {rule.effective_from}" if rule.effective_from else "long-standing"
        if rule.existing_from:
            window += f" (existing: {rule.existing_from})"
        if rule.effective_to:
            window += f" until {rule.effective_to}"
        table.add_row(rule.id, rule.jurisdiction, rule.severity.value, window, rule.citation)
    console.print(table)


@app.command("report")
def report_pdf(version_id: int, out: Path = typer.Option(..., "--out", "-o", help="PDF file to write"),
               as_of: str = typer.Option(None, "--as-of", help="YYYY-MM-DD (default today)")):
    """Write the due-diligence report of an agreement version as PDF."""
    try:
        with unit_of_work(session_factory()) as db:
            version = service.get_version(db, cli_actor(), version_id)
            out.write_bytes(pdf.render(report.due_diligence(db, cli_actor(), version, _as_of(as_of))))
    except OpenMSOError as error:
        console.print(f"[red]{error.detail}[/red]")
        raise typer.Exit(1) from error
    console.print(f"Wrote {out}")
