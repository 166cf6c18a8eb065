"""Platform commands: `openmso init`, `openmso serve`, `openmso audit verify|export`."""

from __future__ import annotations

import getpass
from datetime import date
from pathlib import Path

import typer
from rich.console import Console

from openmso.core import audit, migrate
from openmso.core.db import make_engine, make_session_factory, unit_of_work
from openmso.core.settings import get_settings
from openmso.core.tenancy import Actor, Role

console = Console()
audit_app = typer.Typer(help="The audit trail: verify its hash chain, export it as CSV.", no_args_is_help=True)


def cli_actor() -> Actor:
    """Commands run on the server act network-wide, recorded under the operating-system user."""
    return Actor(user_id=None, username=f"cli:{getpass.getuser()}", role=Role.MSO_ADMIN, practice_ids=None)


def session_factory():
    return make_session_factory(make_engine(get_settings().database_url))


def init(database_url: str = typer.Option(None, help="defaults to OPENMSO_DATABASE_URL or ./var/openmso.db")):
    """Create or upgrade the database schema (applies every Alembic migration)."""
    url = database_url or get_settings().database_url
    migrate.upgrade(url)
    console.print(f"[green]Database schema is current[/green] at {make_engine(url).url.render_as_string()}")


def serve(host: str = typer.Option("127.0.0.1"), port: int = typer.Option(8000),
          reload: bool = typer.Option(False, help="restart on code changes (development)")):
    """Serve the web UI and the API."""
    import uvicorn  # noqa: PLC0415 - the server is only needed by this command

    uvicorn.run("openmso.asgi:app", host=host, port=port, reload=reload, proxy_headers=False)


@audit_app.command("verify")
def audit_verify():
    """Re-walk the hash chain; exit 1 naming the first entry that was altered, removed or reordered."""
    with unit_of_work(session_factory()) as db:
        report = audit.verify_chain(db)
    if report.ok:
        console.print(f"[green]Audit chain intact[/green]: {report.entries_checked:,} entries verified.")
        return
    console.print(f"[red]Audit chain broken at entry {report.first_broken_seq}[/red]: {report.problem} "
                  f"({report.entries_checked:,} entries verified before it).")
    raise typer.Exit(1)


@audit_app.command("export")
def audit_export(
    out: Path = typer.Option(..., "--out", "-o", help="CSV file to write"),
    practice: int = typer.Option(None, help="practice id"),
    actor: int = typer.Option(None, help="user id of the actor"),
    patient: int = typer.Option(None, help="patient id"),
    date_from: str = typer.Option(None, "--from", help="YYYY-MM-DD"),
    date_to: str = typer.Option(None, "--to", help="YYYY-MM-DD"),
):
    """Export the audit trail (filtered) as CSV, streamed to a file."""
    try:
        criteria = audit.AuditFilter(practice_id=practice, actor_id=actor, patient_id=patient,
                                     date_from=date.fromisoformat(date_from) if date_from else None,
                                     date_to=date.fromisoformat(date_to) if date_to else None)
    except ValueError as error:
        raise typer.BadParameter(f"--from/--to: {error}") from error
    rows = 0
    with unit_of_work(session_factory()) as db, out.open("w", newline="") as handle:
        for chunk in audit.export_csv(db, cli_actor(), criteria):
            handle.write(chunk)
            rows += chunk.count("\n")
    console.print(f"Wrote {max(rows - 1, 0):,} entries to {out}")
