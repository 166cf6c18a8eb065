"""Denial pages: the worklist (largest recoverable amount first, then the nearest appeal deadline) and a
denial with its actions — assign, note, correct and resubmit, appeal letter PDF, write off, transfer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from openmso.core.deps import DB, CurrentActor, OptionalId, Paging, RowId
from openmso.core.errors import Conflict, Invalid
from openmso.core.web import render
from openmso.network import service as network
from openmso.rcm.denials import service, views
from openmso.rcm.denials.rules import CATEGORY_RULES, DenialCategory
from openmso.rcm.denials.schemas import AppealIn, Assignment, NoteIn, Reason, TransferIn

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form(max_length=5000)]  # checked by the API's schema, so a bad value is shown inline
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
    return _denial_page(request, db, actor, denial_id)


def _denial_page(request: Request, db, actor, denial_id: int, errors: list[dict] = (), status_code: int = 200):
    case = service.get_case(db, actor, denial_id)
    return render(request, "denials/detail.html", status_code=status_code, case=views.describe(db, [case])[0],
                  notes=views.notes(db, case), users=service.assignable_users(db, case.practice_id),
                  workable=service.is_workable(case), billing=service.patient_billing(case), errors=list(errors),
                  payments=service.case_payments(db, actor, case), next_plan=service.next_plan_waiting(db, case))


def _act(request: Request, db, actor, denial_id: int, schema: type[BaseModel], values: dict, action):
    """Validate the form with the API's schema and run `action` on it; bad input or a conflict shows the
    denial again with the error (422/409), nothing of the attempt kept. Unless `action` answers itself (a
    PDF, a redirect elsewhere), the browser goes back to the denial."""
    try:
        data = schema.model_validate(values)
        with db.begin_nested():
            result = action(data)
    except ValidationError as error:
        errors = [{"loc": ".".join(str(p) for p in e["loc"]), "msg": e["msg"]} for e in error.errors()]
        return _denial_page(request, db, actor, denial_id, errors, 422)
    except (Invalid, Conflict) as error:
        errors = [{"loc": str(e.location[-1]), "msg": e.message} for e in error.errors] or [
            {"loc": "", "msg": error.detail}]
        return _denial_page(request, db, actor, denial_id, errors, error.status)
    return result if isinstance(result, Response) else RedirectResponse(f"/denials/{denial_id}", status_code=303)


@router.post("/denials/{denial_id}/assign")
def assign(denial_id: RowId, request: Request, db: DB, actor: CurrentActor, user_id: FormText = ""):
    """An empty choice ("nobody") unassigns; anything else must be the id of someone who may work it."""
    return _act(request, db, actor, denial_id, Assignment, {"user_id": user_id.strip() or None},
                lambda data: service.assign(db, actor, denial_id, data.user_id))


@router.post("/denials/{denial_id}/notes")
def note(denial_id: RowId, request: Request, db: DB, actor: CurrentActor, text: FormText = ""):
    return _act(request, db, actor, denial_id, NoteIn, {"text": text},
                lambda data: service.add_note(db, actor, denial_id, data.text))


@router.post("/denials/{denial_id}/resubmit")
def resubmit(denial_id: RowId, request: Request, db: DB, actor: CurrentActor, reason: FormText = ""):
    def resubmitted(data: Reason) -> RedirectResponse:
        replacement = service.resubmit(db, actor, denial_id, data.reason)
        return RedirectResponse(f"/claims/{replacement.id}", status_code=303)
    return _act(request, db, actor, denial_id, Reason, {"reason": reason}, resubmitted)


@router.post("/denials/{denial_id}/appeal-letter")
def appeal(denial_id: RowId, request: Request, db: DB, actor: CurrentActor, argument: FormText = ""):
    def letter(data: AppealIn) -> Response:
        pdf = service.appeal_letter(db, actor, denial_id, data.argument)
        return Response(pdf, media_type="application/pdf",
                        headers={"content-disposition": f'attachment; filename="appeal-{denial_id}.pdf"'})
    return _act(request, db, actor, denial_id, AppealIn, {"argument": argument}, letter)


@router.post("/denials/{denial_id}/write-off")
def write_off(denial_id: RowId, request: Request, db: DB, actor: CurrentActor, reason: FormText = ""):
    return _act(request, db, actor, denial_id, Reason, {"reason": reason},
                lambda data: service.write_off(db, actor, denial_id, data.reason))


@router.post("/denials/{denial_id}/transfer")
def transfer(denial_id: RowId, request: Request, db: DB, actor: CurrentActor, reason: FormText = "",
             no_contract: Annotated[bool, Form()] = False):
    return _act(request, db, actor, denial_id, TransferIn, {"reason": reason, "no_contract": no_contract},
                lambda data: service.transfer_to_patient(db, actor, denial_id, data.reason,
                                                         no_contract=data.no_contract))
