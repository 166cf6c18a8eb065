"""The `openmso` command: each domain's commands mounted under one Typer app."""

from __future__ import annotations

import typer

from openmso.agreements import cli as agreements_cli
from openmso.core import cli as core_cli
from openmso.demo import cli as demo_cli
from openmso.exit import cli as exit_cli
from openmso.identity import cli as identity_cli
from openmso.rcm.ar import cli as ar_cli
from openmso.rcm.claims import cli as claims_cli
from openmso.rcm.clearinghouse import cli as clearinghouse_cli
from openmso.rcm.contracts import cli as contracts_cli
from openmso.rcm.remittance import cli as remittance_cli
from openmso.x12 import cli as x12_cli

app = typer.Typer(help="OpenMSO: the operating platform of a healthcare MSO.", no_args_is_help=True)
app.command("init")(core_cli.init)
app.command("serve")(core_cli.serve)
app.add_typer(core_cli.audit_app, name="audit")
app.add_typer(identity_cli.app, name="user")
app.add_typer(demo_cli.app, name="demo")
app.add_typer(x12_cli.app, name="x12")
app.add_typer(agreements_cli.app, name="agreements")
app.add_typer(claims_cli.app, name="claims")
app.add_typer(clearinghouse_cli.app, name="clearinghouse")
app.add_typer(remittance_cli.app, name="remit")
app.add_typer(ar_cli.app, name="ar")
app.add_typer(contracts_cli.app, name="contracts")
app.add_typer(exit_cli.app, name="exit")
app.command("kpi")(ar_cli.kpi)

if __name__ == "__main__":
    app()
