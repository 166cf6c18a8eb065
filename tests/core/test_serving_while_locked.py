"""The server keeps answering while a request waits for SQLite's write lock.

Every request's transaction waits for the one write lock (`BEGIN IMMEDIATE`, up to the busy timeout).
If that wait happened on the event loop (authentication is an `async` dependency), the whole server
froze, and two requests at once deadlocked until the timeout: the holder needs the loop to finish.
"""

from __future__ import annotations

import sqlite3
import threading
import time

import httpx

from openmso.app import create_app
from openmso.core import migrate
from openmso.core.db import make_engine, make_session_factory, unit_of_work
from openmso.core.tenancy import Role
from openmso.identity import service as identity
from tests import conftest
from tests.factories import add_user
from tests.live_server import serve

HELD_SECONDS = 5.0


def test_a_request_waiting_for_the_write_lock_does_not_stop_the_server(tmp_path):
    path = tmp_path / "locked.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    factory = make_session_factory(make_engine(url))
    with unit_of_work(factory) as db:
        user = add_user(db, Role.MSO_ADMIN)
        _, token = identity.create_api_token(db, identity.actor_for(user), "concurrency")
    headers = {"authorization": f"Bearer {token}"}
    app = create_app(conftest.test_settings(tmp_path, url), factory)
    with serve(app) as base:
        assert httpx.get(f"{base}/api/v1/practices", headers=headers).status_code == 200
        assert httpx.get(f"{base}/openapi.json", timeout=60).status_code == 200  # built once, then served
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock for a while
        waited: dict = {}

        def waiting_request():
            started = time.monotonic()
            waited["status"] = httpx.get(f"{base}/api/v1/practices", headers=headers, timeout=60).status_code
            waited["seconds"] = time.monotonic() - started

        waiting = threading.Thread(target=waiting_request)
        waiting.start()
        time.sleep(0.5)  # the request is now waiting for the lock
        started = time.monotonic()
        answered = httpx.get(f"{base}/openapi.json", timeout=60)
        free_seconds = time.monotonic() - started
        time.sleep(max(0.0, HELD_SECONDS - 0.5 - free_seconds))
        holder.execute("ROLLBACK")
        waiting.join(timeout=60)
        holder.close()
    assert answered.status_code == 200 and free_seconds < 2.5, f"the server was stuck for {free_seconds:.1f} s"
    assert waited["status"] == 200 and waited["seconds"] >= HELD_SECONDS - 1
    factory.kw["bind"].dispose()
