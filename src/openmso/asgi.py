"""ASGI entry point for servers: `uvicorn openmso.asgi:app`."""

from openmso.app import create_app

app = create_app()
