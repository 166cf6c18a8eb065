"""Exit API under /api/v1: a practice's transition plan (JSON and PDF) and its data access report (JSON and CSV)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse

from openmso.agreements.catalogue import DataClass
from openmso.core.deps import DB, CurrentActor, OptionalId, Paging, RowId
from openmso.core.jobs_api import JobOut, job_view
from openmso.exit import data_access, plan_pdf, plan_service
from openmso.exit.schemas import DataAccessPage, TransitionPlan
from openmso.exit.tasks import start_package_job

router = APIRouter(prefix="/api/v1/practices/{practice_id}", tags=["exit"])
Day = Annotated[date | None, Query(ge=date(2000, 1, 1), le=date(2100, 1, 1))]
AsOf = Annotated[date | None, Query(ge=date(2000, 1, 1), le=date(2100, 1, 1),
                                    description="the day notice would be given (default: today, the dry run)")]


def access_filter(date_from: Day = None, date_to: Day = None, actor_id: OptionalId = None,
                  data_class: DataClass | None = None) -> data_access.AccessFilter:
    return data_access.AccessFilter(date_from=date_from, date_to=date_to, actor_id=actor_id, data_class=data_class)


Filter = Annotated[data_access.AccessFilter, Depends(access_filter)]


@router.get("/exit/plan", response_model=TransitionPlan)
def transition_plan(practice_id: RowId, db: DB, actor: CurrentActor, as_of: AsOf = None):
    """What leaving the MSO would take if the practice gave notice on `as_of`: dates, contracts, systems,
    compliance functions, open A/R and data delivery, with every term the agreement does not state."""
    return plan_service.transition_plan(db, actor, practice_id, as_of)


@router.get("/exit/plan.pdf", response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
def transition_plan_pdf(practice_id: RowId, db: DB, actor: CurrentActor, as_of: AsOf = None):
    """The same plan as PDF."""
    pdf = plan_pdf.render(plan_service.transition_plan(db, actor, practice_id, as_of))
    return Response(pdf, media_type="application/pdf",
                    headers={"content-disposition": f'inline; filename="transition-plan-{practice_id}.pdf"'})


@router.post("/exit-package", response_model=JobOut, status_code=202)
def request_package(practice_id: RowId, request: Request, response: Response, db: DB, actor: CurrentActor):
    """Start building the practice's exit package (one zip archive) on the server. Poll the job at
    `Location`; when it has succeeded its result names the archive and the link to download it."""
    job = start_package_job(db, actor, practice_id, request.app.state.jobs)
    db.refresh(job)
    response.headers["location"] = f"/api/v1/jobs/{job.id}"
    return job_view(request, job)


@router.get("/data-access", response_model=DataAccessPage)
def data_access_report(practice_id: RowId, db: DB, actor: CurrentActor, criteria: Filter, paging: Paging):
    """Who at the MSO accessed the practice's data, when, under which clause, and the cross-practice
    aggregations its data took part in; newest first."""
    result = data_access.report(db, actor, practice_id, criteria, paging)
    return {"items": [data_access.as_row(e) for e in result.rows], "total": result.total, "page": paging.page,
            "limit": paging.limit}


@router.get("/data-access.csv", response_class=StreamingResponse, responses={200: {"content": {"text/csv": {}}}})
def data_access_csv(practice_id: RowId, db: DB, actor: CurrentActor, criteria: Filter):
    """The whole filtered report as CSV."""
    chunks = list(data_access.export_csv(db, actor, practice_id, criteria))  # read inside the request's transaction
    return StreamingResponse(iter(chunks), media_type="text/csv",
                             headers={"content-disposition": f'attachment; filename="data-access-{practice_id}.csv"'})
