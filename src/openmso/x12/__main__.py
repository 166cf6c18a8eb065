"""``python -m openmso.x12`` runs the X12 command line."""

from openmso.x12.cli import app

app(prog_name="openmso x12")
