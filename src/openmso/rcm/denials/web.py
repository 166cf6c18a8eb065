"""Denial pages: the worklist (largest recoverable amount first, then the nearest appeal deadline) and a
denial with its actions — assign, note, correct and resubmit, appeal letter PDF, write off, transfer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from openmso.core.deps import DB, CurrentActor, OptionalId, Paging, RowId
from openmso.core.web import render
from openmso.network import service as network
from openmso.rcm.denials import service, views
from openmso.rcm.denials.rules import CATEGORY_RULES, DenialCategory

router = APIRouter(include_in_schema=False)
Reason = Annotated[str, Form(min_length=3, max_length=300)]
STATUS_CHOICES = ((service.TO_WORK, "Still to work (open or appealed)"), (service.EVERY_STATUS, "Any"),
                  *((status, status.replace("_", " ").capitalize()) for status in service.STATUSES))


@router.get("/denials")
def worklist_page(request: Request, db: DB, actor: CurrentActor, paging: Paging, practice_id: OptionalId = None,
                  status: Annotated[str | None, Query(max_length=20)] = service.TO_WORK,
                  category: DenialCategory | None = None, assigned_to: OptionalId = None):
    criteria = service.WorklistFilter(practice_id, status or None, category.value if category else None, assigned_to)
    page = service.worklist(db, actor, criteria, paging)
    return render(request, "denials/worklist.html", denials=page, rows=views.describe(db, page.rows),
                  criteria=criteria, practices=network.list_practices(db, actor).rows,
                  categories=list(DenialCategory), statuses=STATUS_CHOICES,
                  rules=CATEGORY_RULES)


@router.get("/denials/{denial_id}")
def denial_page(denial_id: RowId, request: Request, db: DB, actor: CurrentActor):
    case = service.get_case(db, actor, denial_id)
    return render(request, "denials/detail.html", case=views.describe(db, [case])[0], notes=views.notes(db, case),
                  users=views.assignable_users(db, [case.practice_id]), workable=service.is_workable(case))


def _back(denial_id: int) -> RedirectResponse:
    return RedirectResponse(f"/denials/{denial_id}", status_code=303)


@router.post("/denials/{denial_id}/assign")
def assign(denial_id: RowId, db: DB, actor: CurrentActor, user_id: Annotated[str, Form()] = ""):
    service.assign(db, actor, denial_id, int(user_id) if user_id.isdigit() else None)
    return _back(denial_id)


@router.post("/denials/{denial_id}/notes")
def note(denial_id: RowId, db: DB, actor: CurrentActor, text: Annotated[str, Form(min_length=1, max_length=4000)]):
    service.add_note(db, actor, denial_id, text)
    return _back(denial_id)


@router.post("/denials/{denial_id}/resubmit")
def resubmit(denial_id: RowId, db: DB, actor: CurrentActor, reason: Reason):
    replacement = service.resubmit(db, actor, denial_id, reason)
    return RedirectResponse(f"/claims/{replacement.id}", status_code=303)


@router.post("/denials/{denial_id}/appeal-letter")
def appeal(denial_id: RowId, db: DB, actor: CurrentActor,
           argument: Annotated[str, Form(max_length=4000)] = ""):
    pdf = service.appeal_letter(db, actor, denial_id, argument)
    return Response(pdf, media_type="application/pdf",
                    headers={"content-disposition": f'attachment; filename="appeal-{denial_id}.pdf"'})


@router.post("/denials/{denial_id}/write-off")
def write_off(denial_id: RowId, db: DB, actor: CurrentActor, reason: Reason):
    service.write_off(db, actor, denial_id, reason)
    return _back(denial_id)


@router.post("/denials/{denial_id}/transfer")
def transfer(denial_id: RowId, db: DB, actor: CurrentActor, reason: Reason):
    service.transfer_to_patient(db, actor, denial_id, reason)
    return _back(denial_id)
