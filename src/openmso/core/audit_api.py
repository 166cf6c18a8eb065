"""Audit trail API: browse, export as CSV, and verify the hash chain."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from openmso.core import audit
from openmso.core.deps import DB, CurrentActor, OptionalId, Paging
from openmso.core.pagination import Page
from openmso.core.tenancy import Role, ensure_role

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])



def audit_filter(practice_id: OptionalId = None, actor_id: OptionalId = None, patient_id: OptionalId = None,
                 date_from: date | None = None, date_to: date | None = None,
                 action: Annotated[str | None, Query(max_length=80)] = None) -> audit.AuditFilter:
    return audit.AuditFilter(practice_id=practice_id, actor_id=actor_id, patient_id=patient_id,
                             date_from=date_from, date_to=date_to, action=action)


Filter = Annotated[audit.AuditFilter, Depends(audit_filter)]


class AuditEntryFields(BaseModel):
    """What every view of an audit entry shows: who did what to which object, with what outcome,
    and under which agreement clause (the trail itself, and a practice's data access report)."""

    seq: int
    occurred_at: datetime
    actor_id: int | None
    actor_name: str
    actor_role: str
    action: str
    object_type: str
    object_id: str | None
    patient_id: int | None
    outcome: str
    reason: str | None
    basis: str | None = None  # the agreement clause that allowed an MSO user's access


class AuditEntryOut(AuditEntryFields):
    model_config = {"from_attributes": True}

    practice_id: int | None
    entry_hash: str


class ChainStatus(BaseModel):
    ok: bool
    entries_checked: int
    first_broken_seq: int | None
    problem: str | None


@router.get("", response_model=Page[AuditEntryOut])
def browse(db: DB, actor: CurrentActor, criteria: Filter, paging: Paging):
    result = audit.browse(db, actor, criteria, paging)
    return {"items": result.rows, "total": result.total, "page": paging.page, "limit": paging.limit}


@router.get("/export.csv", response_class=StreamingResponse)
def export(db: DB, actor: CurrentActor, criteria: Filter):
    chunks = list(audit.export_csv(db, actor, criteria))  # materialised inside the request's transaction
    return StreamingResponse(iter(chunks), media_type="text/csv",
                             headers={"Content-Disposition": 'attachment; filename="audit-trail.csv"'})


@router.get("/verify", response_model=ChainStatus)
def verify(db: DB, actor: CurrentActor):
    ensure_role(actor, [Role.AUDITOR, Role.MSO_ADMIN], "verify the whole audit chain")
    report = audit.verify_chain(db)
    return ChainStatus(ok=report.ok, entries_checked=report.entries_checked,
                       first_broken_seq=report.first_broken_seq, problem=report.problem)
