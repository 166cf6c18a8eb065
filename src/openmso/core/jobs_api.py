"""A job's status under /api/v1/jobs: what a page or a script polls while long work runs."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel

from openmso.core import jobs
from openmso.core.deps import DB, CurrentActor, RowId
from openmso.core.job_runner import label_of

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])


class JobProgressOut(BaseModel):
    step: str
    done: int
    total: int | None
    percent: int | None


class JobOut(BaseModel):
    id: int
    kind: str
    label: str
    practice_id: int | None
    requester: str
    status: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress: JobProgressOut | None
    result: dict
    error: str | None


def job_view(request: Request, job: jobs.Job) -> JobOut:
    """The job as the API and the status fragment show it, with live progress while it runs here."""
    progress = None if job.finished else request.app.state.jobs.progress(job.id)
    return JobOut(id=job.id, kind=job.kind, label=label_of(job.kind), practice_id=job.practice_id,
                  requester=job.requester, status=job.status, created_at=job.created_at, started_at=job.started_at,
                  finished_at=job.finished_at, result=job.outcome, error=job.error,
                  progress=JobProgressOut(step=progress.step, done=progress.done, total=progress.total,
                                          percent=progress.percent) if progress else None)


@router.get("/{job_id}", response_model=JobOut)
def get_job(job_id: RowId, request: Request, db: DB, actor: CurrentActor):
    """A job's status: queued, running (with progress when this server runs it), succeeded (with its result)
    or failed (with the error in words)."""
    return job_view(request, jobs.get(db, actor, job_id))
