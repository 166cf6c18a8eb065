"""A second process writing some of the package's files in the same snapshot of the database.

The package is a set of independent files and the export is CPU bound, so a helper process (forked at
the start, before anything is cached) writes the files of `HELPER_TASKS` into the same workspace
while the exporting process writes the rest; their `FileEntry`s come back through a pipe.

Completeness stays provable only if both processes read one snapshot, since the manifest's database
counts are taken by the exporting process. Separate connections have separate snapshots, so:

- SQLite (WAL): the exporting process takes the write lock on a side connection (`BEGIN IMMEDIATE`)
  *before* its own read transaction starts, starts that transaction, forks the helper, waits until
  the helper's read transaction has started too, and only then releases the lock. No write can
  commit while the lock is held, so both snapshots are of the same moment.
- PostgreSQL: the exporting transaction (REPEATABLE READ) exports its snapshot (`pg_export_snapshot`)
  and the helper's REPEATABLE READ transaction adopts it (`SET TRANSACTION SNAPSHOT`) as its first
  statement, while the exporting transaction stays open.

A helper is used only for an export in a read-only snapshot (`core.db.read_snapshot`, as `openmso exit
package` runs it) that has not started reading yet: in a write transaction, the exporting session may
hold rows no other connection can see. And only from a single-threaded process (the command line, not
a web server's job thread): a fork copies locks other threads may hold. Otherwise, and on an in-memory
database, everything is written by one process as before. The helper dies with its parent
(`PR_SET_PDEATHSIG`), so an export killed half-way leaves no process writing into the abandoned
`.partial` directory.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sqlite3
import sys
import threading
from collections.abc import Callable

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from openmso.core.db import READ_SNAPSHOT, make_engine, make_session_factory, read_snapshot, unit_of_work
from openmso.core.memory import peak_rss_mb
from openmso.exit.package.files import FileEntry

# Measured with cProfile on a practice of 20,000 patients and 100,000 claims: the Claim resources and
# the claim table take about half of the export's CPU time, every other file together the other half.
HELPER_TASKS = frozenset({"FHIR Claim", "table claim"})
READY_SECONDS = 60
LOCK_SECONDS = 5  # how long to wait for a writer to finish before exporting in one process instead
PR_SET_PDEATHSIG = 1

Task = Callable[[Session], list[FileEntry]]


def _snapshot_mode(session: Session) -> str | None:
    """"sqlite" or "postgresql" when this export may share its snapshot with a helper, else None."""
    bind = session.get_bind()
    if session.in_transaction() or not isinstance(bind, Engine) or threading.active_count() > 1:
        return None
    options = bind.get_execution_options()
    if bind.dialect.name == "sqlite" and options.get(READ_SNAPSHOT) and bind.url.database not in (None, "",
                                                                                                  ":memory:"):
        return "sqlite"
    if bind.dialect.name == "postgresql" and options.get("isolation_level") in ("REPEATABLE READ", "SERIALIZABLE"):
        return "postgresql"
    return None


def _die_with_parent(parent: int) -> None:
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


def _helper_engine(url: str, mode: str) -> Engine:
    if mode == "sqlite":
        return read_snapshot(make_engine(url))
    # No pre-ping: its SELECT would start the transaction before the snapshot is adopted.
    return create_engine(url, isolation_level="REPEATABLE READ")


def _helper(pipe, url: str, mode: str, snapshot: str | None, parent: int, inherited: Engine,
            tasks: dict[str, Task]) -> None:
    _die_with_parent(parent)
    inherited.dispose(close=False)  # the parent's pooled connections are the parent's, never used here
    engine = _helper_engine(url, mode)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            connection = session.connection()
            if snapshot is not None:
                connection.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            else:
                connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
            pipe.send(("ready", None))
            entries = [entry for name, task in tasks.items() for entry in task(session)]
            session.rollback()
        pipe.send(("done", (entries, peak_rss_mb())))
    except BaseException as error:  # reported to the exporting process, which fails the export
        pipe.send(("failed", f"{type(error).__name__}: {error}"))
    finally:
        engine.dispose()


class Helper:
    """The helper process of one export: `start` before the exporting session reads anything, `result`
    once the exporting process has written its own files."""

    def __init__(self) -> None:
        self._process: multiprocessing.Process | None = None
        self._pipe = None
        self.peak_rss_mb = 0.0

    @property
    def running(self) -> bool:
        return self._process is not None

    def start(self, session: Session, tasks: dict[str, Task]) -> None:
        """Fork the helper for `tasks` in the session's snapshot, or leave everything to this process."""
        mode = _snapshot_mode(session)
        if mode is None or not tasks:
            return
        engine = session.get_bind()
        url = engine.url.render_as_string(hide_password=False)
        lock = None
        if mode == "sqlite":
            lock = sqlite3.connect(engine.url.database, isolation_level=None, timeout=LOCK_SECONDS)
            try:
                lock.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:  # a long write holds the lock: export in one process, now
                lock.close()
                return
        try:
            connection = session.connection()
            if mode == "postgresql":
                snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
            else:
                snapshot = None
                connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
            context = multiprocessing.get_context("fork")
            self._pipe, child = context.Pipe()
            self._process = context.Process(target=_helper, daemon=True, name="exit-package-helper",
                                            args=(child, url, mode, snapshot, os.getpid(), engine, tasks))
            self._process.start()
            child.close()
            self._receive("ready", READY_SECONDS)
        except BaseException:
            self.stop()
            raise
        finally:
            if lock is not None:
                lock.execute("ROLLBACK")
                lock.close()

    def _receive(self, expected: str, timeout: float | None = None):
        if timeout is not None and not self._pipe.poll(timeout):
            raise RuntimeError("the exit package's helper process did not start")
        try:
            kind, value = self._pipe.recv()
        except EOFError:
            raise RuntimeError(f"the exit package's helper process ended without a result "
                               f"(exit code {self._process.exitcode})") from None
        if kind == "failed":
            raise RuntimeError(f"the exit package's helper process failed: {value}")
        if kind != expected:
            raise RuntimeError(f"the exit package's helper process sent {kind!r} where {expected!r} was due")
        return value

    def result(self) -> list[FileEntry]:
        """The helper's files, once it has written them all."""
        entries, self.peak_rss_mb = self._receive("done")
        self._process.join()
        self._process = None
        return entries

    def stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join()
            self._process = None

