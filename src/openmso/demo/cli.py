"""`openmso demo build|run`: the demo network, built deterministically and served."""

from __future__ import annotations

import time
from datetime import date

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from openmso.core import migrate
from openmso.core.cli import serve, session_factory
from openmso.core.db import unit_of_work
from openmso.core.settings import get_settings
from openmso.demo.generator import DEMO_PASSWORD, DemoSummary, build_demo
from openmso.network.models import Mso

console = Console()
app = typer.Typer(help="The demo MSO network.", no_args_is_help=True)


def _build(seed: int, practices: int, patients: int, as_of: date | None = None) -> DemoSummary:
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as bar:
        tasks = {"practices": bar.add_task("Practices", total=practices),
                 "patients": bar.add_task("Patients", total=patients)}
        with unit_of_work(session_factory()) as db:
            return build_demo(db, seed=seed, practices=practices, patients=patients,
                              progress=lambda what, n: bar.advance(tasks[what], n),
                              clearinghouse_dir=get_settings().var_dir / "clearinghouse", as_of=as_of)


def _print_logins(summary: DemoSummary | None) -> None:
    table = Table(title=f"Demo logins (password for all: {DEMO_PASSWORD})")
    table.add_column("username")
    table.add_column("role")
    table.add_column("sees")
    rows = summary.users if summary else [
        ("admin", "mso_admin", "whole network"), ("auditor", "auditor", "whole network"),
        ("biller.tx", "mso_staff", "TX and CA practices"), ("biller.nw", "mso_staff", "OR and WA practices"),
        ("practice.admin", "practice_admin", "Austin Family Medicine Associates"),
        ("front.desk", "practice_user", "Austin Family Medicine Associates"),
    ]
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _print_work(summary: DemoSummary, seconds: float) -> None:
    """What the build made and the work it ran through its history: the figures the pages will show."""
    console.print(f"Built {summary.practices} practices, {summary.providers} providers, {summary.locations} "
                  f"locations, {summary.payers} payers, {summary.patients:,} patients, {summary.coverages:,} "
                  f"coverages in {seconds:.1f}s")
    if summary.claims:
        claims = summary.claims
        console.print(f"Claims: {claims.charges:,} charges → {claims.claims:,} claims ({claims.held:,} held by the "
                      f"scrubber, {claims.fixed:,} of them fixed by the billers; {claims.rejections_worked:,} "
                      f"payer rejections worked, {claims.new_plans:,} patients' new plans taken by the front desk, "
                      f"{claims.next_payers_billed:,} billed to the next payer), "
                      f"{claims.batches} 837P batches sent, {claims.files} "
                      "acknowledgement files read")
    if summary.money:
        money = summary.money
        console.print(f"Money in: {money.files} 835 files, {money.payments} payments posted to {money.claims:,} claims "
                      f"({money.lines:,} lines), {money.exceptions} exceptions, {money.deposits} deposits, "
                      f"{money.denials_worked} denials worked, {money.patient_payments} patient payments")
    if summary.accesses:
        accesses = summary.accesses
        console.print(f"MSO data access: {accesses.patient_reads} patient reads, {accesses.ar_views} A/R views, "
                      f"{accesses.network_views} network views (each on the practices' data access reports)")


@app.command("build")
def build(seed: int = typer.Option(7), practices: int = typer.Option(12, min=1, max=5000),
          patients: int = typer.Option(20_000, min=0, max=50_000_000),
          as_of: str = typer.Option(None, help="the demo's today, YYYY-MM-DD (default: today); its history "
                                                "is the 13 weeks before it")):
    """Create the schema and the demo network in an empty database."""
    try:
        today = date.fromisoformat(as_of) if as_of else None
    except ValueError as error:
        raise typer.BadParameter(f"--as-of {as_of!r}: expected YYYY-MM-DD") from error
    migrate.upgrade(get_settings().database_url)
    started = time.perf_counter()
    try:
        summary = _build(seed, practices, patients, today)
    except RuntimeError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from error
    _print_work(summary, time.perf_counter() - started)
    _print_logins(summary)


@app.command("run")
def run(host: str = typer.Option("127.0.0.1"), port: int = typer.Option(8000)):
    """Build the demo network if the database is empty, then serve it (what `make demo` runs)."""
    migrate.upgrade(get_settings().database_url)
    with unit_of_work(session_factory()) as db:
        exists = db.query(Mso.id).first() is not None
    summary = None
    if not exists:
        started = time.perf_counter()
        summary = _build(7, 12, 20_000)
        _print_work(summary, time.perf_counter() - started)
    _print_logins(summary)
    console.print(f"Serving on [bold]http://{host}:{port}[/bold] (Ctrl-C to stop)")
    serve(host=host, port=port, reload=False)
