"""Runtime settings, read once from the environment.

Environment variables rather than a settings file: the same build runs embedded (SQLite under
./var) on a laptop and against PostgreSQL in production, switched only by `OPENMSO_DATABASE_URL`.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DEFAULT_VAR_DIR = Path("var")


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    var_dir: Path
    secret_key: str
    max_body_bytes: int
    session_hours: int
    login_max_failures: int
    login_window_minutes: int
    secure_cookies: bool
    job_workers: int = 1  # threads running long work (exports, submissions); 0 runs it inside the request
    # A payer's 835 of a month runs to tens of megabytes; the routes that take such files stream them to
    # disk (`core.middleware.LARGE_FILE`), so they may be larger than any other request body.
    max_file_bytes: int = 256 * 1024 * 1024


def _secret_key(var_dir: Path) -> str:
    """Signing key for CSRF tokens: from the environment, else generated once and kept in var/."""
    if key := os.environ.get("OPENMSO_SECRET_KEY"):
        return key
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load_settings() -> Settings:
    var_dir = Path(os.environ.get("OPENMSO_VAR_DIR", DEFAULT_VAR_DIR))
    default_url = f"sqlite:///{(var_dir / 'openmso.db').as_posix()}"
    return Settings(
        database_url=os.environ.get("OPENMSO_DATABASE_URL", default_url),
        var_dir=var_dir,
        secret_key=_secret_key(var_dir),
        max_body_bytes=int(os.environ.get("OPENMSO_MAX_BODY_BYTES", str(2 * 1024 * 1024))),
        session_hours=int(os.environ.get("OPENMSO_SESSION_HOURS", "12")),
        login_max_failures=int(os.environ.get("OPENMSO_LOGIN_MAX_FAILURES", "5")),
        login_window_minutes=int(os.environ.get("OPENMSO_LOGIN_WINDOW_MINUTES", "15")),
        secure_cookies=os.environ.get("OPENMSO_SECURE_COOKIES", "0") == "1",
        job_workers=int(os.environ.get("OPENMSO_JOB_WORKERS", "1")),
        max_file_bytes=int(os.environ.get("OPENMSO_MAX_FILE_BYTES", str(256 * 1024 * 1024))),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
