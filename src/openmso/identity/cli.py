"""`openmso user …`: create accounts and API tokens from the server's shell."""

from __future__ import annotations

import typer
from pydantic import ValidationError
from rich.console import Console

from openmso.core.cli import cli_actor, session_factory
from openmso.core.db import unit_of_work
from openmso.core.errors import OpenMSOError
from openmso.core.tenancy import Role
from openmso.identity import schemas, service

console = Console()
app = typer.Typer(help="User accounts.", no_args_is_help=True)


@app.command("create")
def create(
    username: str,
    role: Role = typer.Option(..., help="mso_admin, mso_staff, practice_admin, practice_user or auditor"),
    display_name: str = typer.Option(None, help="full name (defaults to the username)"),
    email: str = typer.Option(None),
    practice_id: int = typer.Option(None, help="the practice of a practice_admin/practice_user"),
    scope: str = typer.Option("", help="comma-separated practice ids an mso_staff user works on"),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
):
    """Create a user (the first administrator is created this way)."""
    try:
        data = schemas.UserCreate(
            username=username, display_name=display_name or username, email=email, password=password, role=role,
            practice_id=practice_id, practice_ids=[int(p) for p in scope.split(",") if p.strip()],
        )
        with unit_of_work(session_factory()) as db:
            user = service.create_user(db, cli_actor(), data)
            console.print(f"[green]Created[/green] {user.username} ({user.role}), id {user.id}")
    except ValidationError as error:
        for problem in error.errors():
            console.print(f"[red]{'.'.join(map(str, problem['loc'])) or 'input'}[/red]: {problem['msg']}")
        raise typer.Exit(2) from error
    except (OpenMSOError, ValueError) as error:
        console.print(f"[red]{getattr(error, 'detail', error)}[/red]")
        raise typer.Exit(2) from error
