"""Request-scoped dependencies: one database transaction per request, the authenticated actor,
CSRF protection for cookie sessions, and typed loaders routes can declare."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy.orm import Session

from openmso.core.db import unit_of_work
from openmso.core.errors import Forbidden, Unauthorized
from openmso.core.pagination import PageParams, page_params
from openmso.core.security import csrf_valid
from openmso.core.settings import Settings
from openmso.core.tenancy import Actor
from openmso.identity import service as identity

SESSION_COOKIE = "openmso_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_db(request: Request) -> Iterator[Session]:
    """The request's unit of work: committed when the route succeeds, rolled back when it raises.

    Refusals recorded during a failed request are written after the rollback, so a denied
    attempt is on the audit trail even though nothing else of the request is kept.

    The transaction begins here, in the thread pool, before anything else of the request runs. On
    SQLite a transaction that writes waits for the database's one write lock (`BEGIN IMMEDIATE`,
    up to the busy timeout); begun lazily, by the first query of an `async` dependency or route
    (authentication, uploads), that wait would block the event loop, and with it every other
    request, including the one holding the lock, which needs the loop to finish.
    """
    with unit_of_work(request.app.state.session_factory) as session:
        session.connection()
        yield session


DB = Annotated[Session, Depends(get_db)]
AppSettings = Annotated[Settings, Depends(get_settings)]
Paging = Annotated[PageParams, Depends(page_params)]

MAX_ID = 2**31 - 1  # ids are 32-bit on every engine; larger values are a 422, not a driver overflow
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
OptionalId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


async def get_authenticated(request: Request, db: DB, settings: AppSettings) -> identity.Authenticated:
    """Bearer API token, else the login-session cookie; unsafe cookie requests must carry CSRF."""
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        auth = identity.from_api_token(db, token.strip()) if scheme.lower() == "bearer" else None
        if auth is None:
            raise Unauthorized("The API token is missing, malformed, revoked or unknown")
        return auth
    cookie = request.cookies.get(SESSION_COOKIE)
    auth = identity.from_session_token(db, cookie) if cookie else None
    if auth is None:
        raise Unauthorized("Sign in, or send an API token as 'Authorization: Bearer …'")
    if request.method not in SAFE_METHODS:
        given = request.headers.get(CSRF_HEADER)
        if given is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            given = (await request.form()).get(CSRF_FIELD)
        if not csrf_valid(given if isinstance(given, str) else None, auth.credential_digest, settings.secret_key):
            raise Forbidden("Missing or invalid CSRF token; reload the page and try again")
    request.state.auth = auth
    return auth


def get_actor(auth: Annotated[identity.Authenticated, Depends(get_authenticated)]) -> Actor:
    return auth.actor


CurrentActor = Annotated[Actor, Depends(get_actor)]
