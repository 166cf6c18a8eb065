"""A job's status as an HTMX fragment that polls itself until the job ends, or as a page of its own."""

from __future__ import annotations

from fastapi import APIRouter, Request

from openmso.core import jobs
from openmso.core.deps import DB, CurrentActor, RowId
from openmso.core.jobs_api import job_view
from openmso.core.web import is_htmx, render

router = APIRouter(include_in_schema=False)


@router.get("/jobs/{job_id}")
def job_status(job_id: RowId, request: Request, db: DB, actor: CurrentActor):
    job = job_view(request, jobs.get(db, actor, job_id))
    if is_htmx(request):
        return render(request, "core/_job.html", job=job)
    return render(request, "core/job.html", job=job)
