"""The work-waiting panel, loaded into the network overview."""

from __future__ import annotations

from fastapi import APIRouter, Request

from openmso.core.deps import DB, CurrentActor
from openmso.core.web import render
from openmso.rcm.worklists import service

router = APIRouter(include_in_schema=False)


@router.get("/work-waiting")
def work_waiting(request: Request, db: DB, actor: CurrentActor):
    return render(request, "worklists/_waiting.html", waiting=service.work_waiting(db, actor))
