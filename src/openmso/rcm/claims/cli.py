"""`openmso claims import|scrub|submit|status`: the claims pipeline from the command line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select

from openmso.core.cli import cli_actor, session_factory
from openmso.core.csv_input import decode_upload
from openmso.core.db import unit_of_work
from openmso.core.errors import OpenMSOError
from openmso.core.settings import get_settings
from openmso.rcm.claims import building, charges, next_payers, scrubbing
from openmso.rcm.claims import service as claims_service
from openmso.rcm.claims.models import Claim, ClaimBatch
from openmso.rcm.clearinghouse import service as clearinghouse

console = Console()
app = typer.Typer(help="Charges and claims: import, scrub, submit, bill next payers, status.", no_args_is_help=True)


def _fail(error: OpenMSOError) -> typer.Exit:
    console.print(f"[red]{error.detail}[/red]")
    if error.errors:
        table = Table("where", "column", "problem")
        for problem in error.errors[:200]:
            location = [str(part) for part in problem.location] + [""]
            table.add_row(location[0], location[1], problem.message)
        console.print(table)
        if len(error.errors) > 200:
            console.print(f"… and {len(error.errors) - 200} more")
    return typer.Exit(1)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console)


@app.command("import")
def import_charges(file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV of charges"),
                   practice: int = typer.Option(..., help="practice id the charges belong to"),
                   take_good_rows: bool = typer.Option(False, help="import the good rows even if others are bad")):
    """Import a day's charges from the practice's EHR (CSV) and build draft claims from them."""
    try:
        with unit_of_work(session_factory()) as db:
            ids, errors, rows = charges.import_csv(db, cli_actor(), practice,
                                                   decode_upload(file.read_bytes(), file.name),
                                                   accept_good_rows=take_good_rows)
            claims = building.build_claims(db, cli_actor(), practice, ids) if ids else []
    except OpenMSOError as error:
        raise _fail(error) from error
    console.print(f"Imported {len(ids):,} of {rows:,} rows into {len(claims):,} draft claims.")
    if errors:
        console.print(f"[yellow]{len(errors)} problem(s) left out:[/yellow]")
        for problem in errors[:50]:
            console.print(f"  {' / '.join(map(str, problem.location))}: {problem.message}")


@app.command("scrub")
def scrub(practice: int = typer.Option(None, help="practice id (default: all)"),
          as_of: str = typer.Option(None, help="judge timely filing as of YYYY-MM-DD (default today)")):
    """Run the scrubber's edits over draft, held and ready claims."""
    when = date.fromisoformat(as_of) if as_of else None
    try:
        with unit_of_work(session_factory()) as db, _progress() as bar:
            pending = sum(len(ids) for ids in scrubbing.scrubbable_ids(db, cli_actor(), practice).values())
            task = bar.add_task("Scrubbing", total=pending)
            report = scrubbing.scrub_claims(db, cli_actor(), practice_id=practice, as_of=when,
                                            progress=lambda n: bar.advance(task, n))
    except OpenMSOError as error:
        raise _fail(error) from error
    console.print(f"{report.claims:,} claims scrubbed: {report.ready:,} ready, {report.held:,} held.")
    if report.by_rule:
        table = Table("rule", "findings")
        for rule_id, count in report.by_rule.most_common():
            table.add_row(rule_id, f"{count:,}")
        console.print(table)


@app.command("submit")
def submit(practice: int = typer.Option(None, help="practice id (default: all)"),
           scrub: bool = typer.Option(False, "--scrub", help="scrub the draft, held and ready claims first, in the "
                                                             "same run (each claim is read once)"),
           as_of: str = typer.Option(None, help="with --scrub: judge timely filing as of YYYY-MM-DD (default today)")):
    """Build 837P batches from the ready claims and send them to the configured clearinghouse."""
    factory = session_factory()
    try:
        with unit_of_work(factory) as db:
            adapter = clearinghouse.connect(db, get_settings().var_dir)
        with _progress() as bar:
            if scrub:
                task = bar.add_task("Scrubbing, building 837P", total=None)
                scrubbed, report = clearinghouse.scrub_and_submit(
                    factory, cli_actor(), adapter, practice_id=practice,
                    as_of=date.fromisoformat(as_of) if as_of else None, progress=lambda n: bar.advance(task, n))
            else:
                task = bar.add_task("Building 837P", total=None)
                report = clearinghouse.submit(factory, cli_actor(), adapter, practice_id=practice,
                                              progress=lambda n: bar.advance(task, n))
    except OpenMSOError as error:
        raise _fail(error) from error
    if scrub:
        console.print(f"{scrubbed.claims:,} claims scrubbed: {scrubbed.ready:,} ready, {scrubbed.held:,} held.")
    console.print(f"{report.claims:,} claims in {report.batches} batch(es); {report.sent} sent via {adapter.name}.")
    for failure in report.failed:
        console.print(f"[red]not sent[/red] {failure} (kept; sent again by the next submit)")
    if report.failed:
        raise typer.Exit(1)


@app.command("bill-next-payers")
def bill_next_payers(practice: int = typer.Option(None, help="practice id (default: all)")):
    """Bill the secondary or tertiary plan of every paid claim that left the patient a share and waits on nothing
    (no denial of it being worked, no correction standing); the claims go in the next claim run."""
    try:
        with unit_of_work(session_factory()) as db, _progress() as bar:
            task = bar.add_task("Billing next payers", total=None)
            run = next_payers.bill_ready(db, cli_actor(), practice, progress=lambda n: bar.advance(task, n))
    except OpenMSOError as error:
        raise _fail(error) from error
    console.print(f"{len(run.billed):,} next payer(s) billed; {len(run.skipped):,} left on the list.")
    if run.skipped:
        table = Table("claim id", "why not billed")
        for claim_id, reason in sorted(run.skipped.items()):
            table.add_row(str(claim_id), reason)
        console.print(table)


@app.command("status")
def status(practice: int = typer.Option(None, help="practice id (default: all)")):
    """Claims by status, and the latest batches."""
    with unit_of_work(session_factory()) as db:
        counts = claims_service.status_counts(db, cli_actor(), practice)
        query = select(ClaimBatch).order_by(ClaimBatch.id.desc()).limit(10)
        if practice is not None:
            query = query.where(ClaimBatch.practice_id == practice)
        recent = list(db.scalars(query))
        total = db.scalar(select(Claim.id).limit(1))
    table = Table("status", "claims", title="Claims by status")
    for name, count in sorted(counts.items()):
        table.add_row(name, f"{count:,}")
    console.print(table if total is not None else "No claims yet.")
    if recent:
        batches = Table("batch", "file", "claims", "status", "999", title="Latest batches")
        for batch in recent:
            batches.add_row(str(batch.id), batch.filename, str(batch.claim_count), batch.status, batch.ack_status or "")
        console.print(batches)
