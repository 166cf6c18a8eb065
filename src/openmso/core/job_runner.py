"""Runs recorded jobs (`core.jobs`) on worker threads of the web process, one transaction per step.

Domains register a handler per job kind (their `tasks.py`); the handler gets a `JobContext` (a
session factory, the requester as an actor rebuilt when the job starts, so a user deactivated in
between cannot act through an old job, the parameters, and a progress callback) and returns a
JSON-able result. A handler that raises an `OpenMSOError` fails the job with that error's words;
anything else fails it with the exception's type, and the traceback goes to the server log.

A process that stops while jobs are queued or running cannot finish them; when the next process on
the same host starts, `recover_interrupted` marks them failed; a server shutting down fails the jobs
still queued and lets a running one finish (the handlers keep their own work restartable: an exit
package resumes, unsent batches are sent by the next submission).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from openmso.core.db import unit_of_work
from openmso.core.errors import OpenMSOError
from openmso.core.jobs import Job, JobStatus, runner_id
from openmso.core.settings import Settings
from openmso.core.tenancy import SYSTEM, Actor
from openmso.core.types import utcnow
from openmso.identity import service as identity
from openmso.identity.models import User

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Progress:
    done: int = 0
    total: int | None = None
    step: str = ""

    @property
    def percent(self) -> int | None:
        return min(100, round(100 * self.done / self.total)) if self.total else None


@dataclass
class JobContext:
    factory: sessionmaker[Session]
    settings: Settings
    actor: Actor
    params: dict
    job_id: int
    report: Callable[[Progress], None] = field(repr=False, default=lambda _p: None)

    def progress(self, step: str, done: int = 0, total: int | None = None) -> None:
        self.report(Progress(done, total, step))


Handler = Callable[[JobContext], dict]
_HANDLERS: dict[str, Handler] = {}
_LABELS: dict[str, str] = {}


def register(kind: str, label: str, handler: Handler) -> None:
    """`handler` runs jobs of `kind`; its result dict may carry a `summary` line and `links` ({href, label})
    the status view shows when the job succeeds."""
    _HANDLERS[kind], _LABELS[kind] = handler, label


def label_of(kind: str) -> str:
    return _LABELS.get(kind, kind)


class JobRunner:
    """The web process's job workers; `workers=0` runs each job in the caller's thread (tests, tools)."""

    def __init__(self, factory: sessionmaker[Session], settings: Settings, workers: int):
        self.factory, self.settings = factory, settings
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="openmso-job") if workers > 0 else None
        self._progress: dict[int, Progress] = {}
        self._queued: dict[int, Future] = {}
        self._lock = threading.Lock()

    def start(self, job_id: int) -> None:
        """Run a committed, queued job now (inline) or on a worker thread."""
        if self._pool is None:
            self._run(job_id)
            return
        future = self._pool.submit(self._run, job_id)
        with self._lock:
            self._queued[job_id] = future
        future.add_done_callback(lambda _done: self._forget(job_id))

    def _forget(self, job_id: int) -> None:
        with self._lock:
            self._queued.pop(job_id, None)

    def progress(self, job_id: int) -> Progress | None:
        with self._lock:
            return self._progress.get(job_id)

    def shutdown(self) -> None:
        """Jobs still queued are failed (nothing will run them); a running one is let finish, as the
        interpreter waits for worker threads before it exits."""
        if self._pool is None:
            return
        with self._lock:
            pending = dict(self._queued)  # a cancelled future leaves `_queued` at once (its done-callback)
        self._pool.shutdown(wait=False, cancel_futures=True)
        for job_id, future in pending.items():
            if future.cancelled():
                self._finish(job_id, JobStatus.FAILED, error=STOPPED)

    def _report(self, job_id: int, progress: Progress) -> None:
        with self._lock:
            self._progress[job_id] = progress

    def _run(self, job_id: int) -> None:
        try:
            context = self._claim(job_id)
            if context is None:
                return
            handler = _HANDLERS.get(context.params.pop("__kind__"))
            if handler is None:
                raise OpenMSOError("No handler is registered for this kind of job")
            result = handler(context)
        except OpenMSOError as error:
            self._finish(job_id, JobStatus.FAILED, error=error.detail)
        except Exception as error:  # noqa: BLE001 - a job never takes its worker down; the log has the rest
            log.exception("job %s failed", job_id)
            self._finish(job_id, JobStatus.FAILED,
                         error=f"Unexpected error ({type(error).__name__}); the server log has the details")
        else:
            self._finish(job_id, JobStatus.SUCCEEDED, result=result)
        finally:
            with self._lock:
                self._progress.pop(job_id, None)

    def _claim(self, job_id: int) -> JobContext | None:
        """Mark the job running (unless another worker took it) and rebuild its requester."""
        with unit_of_work(self.factory) as db:
            job = db.get(Job, job_id)
            if job is None or job.status != JobStatus.QUEUED:
                return None
            job.status, job.started_at, job.runner = JobStatus.RUNNING.value, utcnow(), runner_id()
            job.attempts += 1
            actor = _requester(db, job)
            params = {**job.parameters, "__kind__": job.kind}
        self._report(job_id, Progress(step="starting"))
        return JobContext(self.factory, self.settings, actor, params, job_id,
                          report=lambda progress: self._report(job_id, progress))

    def _finish(self, job_id: int, status: JobStatus, *, result: dict | None = None, error: str | None = None):
        """Record how the job ended; if even that fails (the database is gone), say so in the log, where
        the job left running is found (and failed by `recover_interrupted` at the next start)."""
        try:
            with unit_of_work(self.factory) as db:
                job = db.get(Job, job_id)
                job.status, job.finished_at = status.value, utcnow()
                job.result = json.dumps(result, sort_keys=True, default=str) if result is not None else None
                job.error = error[:2000] if error else None
        except Exception:  # noqa: BLE001 - a worker thread has no caller to raise to
            log.exception("job %s ended %s but its end could not be recorded", job_id, status.value)


def _requester(db: Session, job: Job) -> Actor:
    if job.requested_by is None:
        return SYSTEM
    user = db.get(User, job.requested_by)
    if user is None or not user.active:
        raise OpenMSOError("The user who started this job is no longer active")
    return identity.actor_for(user)


STOPPED = "The server stopped before this job finished; start it again"


def recover_interrupted(factory: sessionmaker[Session]) -> int:
    """Fail the jobs a stopped process on this host left queued or running; returns how many."""
    with unit_of_work(factory) as db:
        stale = db.scalars(select(Job).where(Job.status.in_([JobStatus.QUEUED.value, JobStatus.RUNNING.value])))
        count = 0
        for job in stale:
            if _stopped(job.runner or ""):
                job.status, job.finished_at, job.error = JobStatus.FAILED.value, utcnow(), STOPPED
                count += 1
        return count


def _stopped(runner: str) -> bool:
    """Whether the process named `runner` (host:pid:token) is gone: on this host, and its pid is not
    running, or is this process's own pid under another token (the pid came round again)."""
    host, _, rest = runner.partition(":")
    pid, _, token = rest.partition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return runner != runner_id()
    return not _alive(int(pid))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
