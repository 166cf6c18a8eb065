"""Remittance pages: payments received (list and detail with claims, lines and exceptions) and the
exceptions queue. The same services as the API; no rules here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse

from openmso.core.deps import DB, CurrentActor, OptionalId, Paging, RowId
from openmso.core.web import render
from openmso.network import service as network
from openmso.rcm.remittance import service
from openmso.rcm.remittance.service import ExceptionFilter, RemittanceFilter

router = APIRouter(include_in_schema=False)
Text = Annotated[str | None, Query(max_length=40)]
STATUSES = ("posted", "partial", "quarantined", "duplicate", "unmatched")
KINDS = ("unmatched_claim", "unmatched_line", "wrong_practice", "claim_status", "unbalanced", "malformed",
         "malformed_file", "unknown_payee", "deposit_mismatch")


def _practices(db, actor):
    return network.list_practices(db, actor).rows


@router.get("/remittances")
def remittances_page(request: Request, db: DB, actor: CurrentActor, paging: Paging, practice_id: OptionalId = None,
                     status: Text = None):
    page = service.list_remittances(db, actor, RemittanceFilter(practice_id, status or None), paging)
    return render(request, "remittance/list.html", remittances=page, practice_id=practice_id, status=status,
                  statuses=STATUSES, practices=_practices(db, actor),
                  names=service.practice_names(db, [r.practice_id for r in page.rows]))


@router.get("/remittances/exceptions")
def exceptions_page(request: Request, db: DB, actor: CurrentActor, paging: Paging, practice_id: OptionalId = None,
                    status: Text = "open", kind: Text = None):
    page = service.list_exceptions(db, actor, ExceptionFilter(practice_id, status or None, kind or None), paging)
    return render(request, "remittance/exceptions.html", exceptions=page, practice_id=practice_id, status=status,
                  kind=kind, kinds=KINDS, practices=_practices(db, actor),
                  names=service.practice_names(db, [e.practice_id for e in page.rows]))


@router.post("/remittances/exceptions/{exception_id}/resolve")
def resolve(exception_id: RowId, db: DB, actor: CurrentActor,
            resolution: Annotated[str, Form(min_length=3, max_length=2000)]):
    service.resolve_exception(db, actor, exception_id, resolution)
    return RedirectResponse("/remittances/exceptions", status_code=303)


@router.get("/remittances/{remittance_id}")
def remittance_page(remittance_id: RowId, request: Request, db: DB, actor: CurrentActor):
    detail = service.remittance_detail(db, actor, remittance_id)
    return render(request, "remittance/detail.html", detail=detail, remittance=detail.remittance,
                  practice_name=service.practice_names(db, [detail.remittance.practice_id]).get(
                      detail.remittance.practice_id, "no practice"))
