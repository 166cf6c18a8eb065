"""Denial worklist API under /api/v1: list, read, assign, note, resubmit, appeal letter, write off, transfer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from openmso.core.deps import DB, CurrentActor, OptionalId, Paging, RowId
from openmso.core.pagination import Page
from openmso.rcm.claims.schemas import ClaimOut
from openmso.rcm.denials import service, views
from openmso.rcm.denials.rules import DenialCategory
from openmso.rcm.denials.schemas import (
    AppealIn,
    Assignment,
    DenialDetailOut,
    DenialOut,
    NoteIn,
    NoteOut,
    Reason,
    TransferIn,
)

router = APIRouter(prefix="/api/v1", tags=["denials"])
StatusFilter = Annotated[str | None, Query(max_length=20)]


def _one(db, case) -> DenialOut:
    return DenialOut(**views.describe(db, [case])[0])


@router.get("/denials", response_model=Page[DenialOut])
def worklist(db: DB, actor: CurrentActor, paging: Paging, practice_id: OptionalId = None,
             status: StatusFilter = service.TO_WORK, category: DenialCategory | None = None,
             assigned_to: OptionalId = None):
    """Denials to work, largest recoverable amount first, then the nearest appeal deadline. By default the
    ones still to be worked (`to_work`: open and appealed); `status` picks one status, `all` every one."""
    criteria = service.WorklistFilter(practice_id, status or None, category.value if category else None, assigned_to)
    page = service.worklist(db, actor, criteria, paging)
    return {"items": [DenialOut(**row) for row in views.describe(db, page.rows)], "total": page.total,
            "page": page.params.page, "limit": page.params.limit}


@router.get("/denials/{denial_id}", response_model=DenialDetailOut)
def get_denial(denial_id: RowId, db: DB, actor: CurrentActor):
    case = service.get_case(db, actor, denial_id)
    return DenialDetailOut(**views.describe(db, [case])[0],
                           notes=[NoteOut.model_validate(n) for n in views.notes(db, case)])


@router.post("/denials/{denial_id}/assign", response_model=DenialOut)
def assign(denial_id: RowId, data: Assignment, db: DB, actor: CurrentActor):
    return _one(db, service.assign(db, actor, denial_id, data.user_id))


@router.post("/denials/{denial_id}/notes", response_model=NoteOut, status_code=201)
def add_note(denial_id: RowId, data: NoteIn, db: DB, actor: CurrentActor):
    return service.add_note(db, actor, denial_id, data.text)


@router.post("/denials/{denial_id}/resubmit", response_model=ClaimOut, status_code=201)
def resubmit(denial_id: RowId, data: Reason, db: DB, actor: CurrentActor):
    """Correct and resubmit: returns the replacement claim (frequency 7), ready for the scrubber."""
    return service.resubmit(db, actor, denial_id, data.reason)


@router.post("/denials/{denial_id}/appeal-letter", response_class=Response,
             responses={200: {"content": {"application/pdf": {}}}})
def appeal_letter(denial_id: RowId, data: AppealIn, db: DB, actor: CurrentActor):
    """The appeal letter PDF with the claim's facts; the denial becomes `appealed`."""
    pdf = service.appeal_letter(db, actor, denial_id, data.argument)
    return Response(pdf, media_type="application/pdf",
                    headers={"content-disposition": f'attachment; filename="appeal-{denial_id}.pdf"'})


@router.post("/denials/{denial_id}/write-off", response_model=DenialOut)
def write_off(denial_id: RowId, data: Reason, db: DB, actor: CurrentActor):
    """Write the denied amount off (administrators, within the agreement's write-off authority)."""
    return _one(db, service.write_off(db, actor, denial_id, data.reason))


@router.post("/denials/{denial_id}/transfer", response_model=DenialOut)
def transfer(denial_id: RowId, data: TransferIn, db: DB, actor: CurrentActor):
    """Move the denied amount to the patient's balance: 409 when every reason is group CO, or when a reason
    is group PI and `no_contract` is not confirmed."""
    return _one(db, service.transfer_to_patient(db, actor, denial_id, data.reason, no_contract=data.no_contract))
