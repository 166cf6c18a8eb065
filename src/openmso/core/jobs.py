"""Long work started from a page (a practice's exit package, a network's claim submission) runs as a job.

A request that would take minutes cannot hold the browser or a proxy's timeout, so the page records a
job, commits it, and hands it to the runner (`core.job_runner`); the user watches its status and
gets the result link when it ends. The row is the durable part: who asked, for which practice, with
what parameters, how it ended and with which result or error. Progress while it runs is kept in the
runner's memory instead, because a job's own write transaction would otherwise block its progress
writes on SQLite.

A job is seen by whoever asked for it and by those who see its practice; anyone else gets a 404,
as for any practice-owned row.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, false, or_, select, true
from sqlalchemy.orm import Mapped, Session, mapped_column

from openmso.core.db import Base
from openmso.core.errors import NotFound
from openmso.core.tenancy import Actor
from openmso.core.types import UTCDateTime, utcnow

_PROCESS_TOKEN = secrets.token_hex(4)  # tells this process from an earlier one that had its pid (a restarted container)


def runner_id() -> str:
    """host:pid:token of this process; the process that records a job is the one that runs it."""
    return f"{socket.gethostname()}:{os.getpid()}:{_PROCESS_TOKEN}"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


FINISHED = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED})


class Job(Base):
    __tablename__ = "job"
    __table_args__ = (Index("ix_job_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # the handler's name, e.g. "exit.package"
    practice_id: Mapped[int | None] = mapped_column(ForeignKey("practice.id"), index=True)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    requester: Mapped[str] = mapped_column(String(120))
    params: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    status: Mapped[str] = mapped_column(String(12), default=JobStatus.QUEUED.value)
    result: Mapped[str | None] = mapped_column(Text)  # JSON, when it succeeded
    error: Mapped[str | None] = mapped_column(Text)  # what went wrong, in words, when it failed
    runner: Mapped[str | None] = mapped_column(String(120))  # host:pid:token of the process that runs it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def parameters(self) -> dict:
        return json.loads(self.params or "{}")

    @property
    def outcome(self) -> dict:
        return json.loads(self.result) if self.result else {}


def create(db: Session, actor: Actor, kind: str, practice_id: int | None, params: dict) -> Job:
    """Record a queued job; the caller commits before handing its id to the runner."""
    job = Job(kind=kind, practice_id=practice_id, requested_by=actor.user_id, requester=actor.username,
              params=json.dumps(params, sort_keys=True, default=str), runner=runner_id())
    db.add(job)
    db.flush()
    return job


def _seen_by(actor: Actor):
    """Whoever asked for a job sees it, and so does anyone who sees its practice."""
    if actor.is_network_wide:
        return true()
    mine = Job.requested_by == actor.user_id if actor.user_id is not None else false()
    return or_(mine, Job.practice_id.in_(sorted(actor.practice_ids or ())))


def get(db: Session, actor: Actor, job_id: int) -> Job:
    job = db.scalar(select(Job).where(Job.id == job_id, _seen_by(actor)))
    if job is None:
        raise NotFound(f"Job {job_id} not found")
    return job


def recent(db: Session, actor: Actor, kind: str, practice_id: int | None = None, limit: int = 5) -> list[Job]:
    """The latest jobs of `kind` the actor sees (for one practice, when given), newest first."""
    query = select(Job).where(Job.kind == kind, _seen_by(actor)).order_by(Job.id.desc()).limit(limit)
    if practice_id is not None:
        query = query.where(Job.practice_id == practice_id)
    return list(db.scalars(query))
