"""Remittance pages: payments received (list and detail with claims, lines and exceptions), the
exceptions queue, and receiving money: an 835 upload and a bank deposit CSV import. The same
services as the API; no rules here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse

from openmso.core.csv_input import decode_upload
from openmso.core.deps import DB, CurrentActor, OptionalId, Paging, RowId
from openmso.core.errors import Conflict, Invalid
from openmso.core.middleware import LARGE_FILE
from openmso.core.pagination import PageParams
from openmso.core.web import render
from openmso.network import service as network
from openmso.rcm.remittance import deposits, ingest, service
from openmso.rcm.remittance.service import ExceptionFilter, RemittanceFilter

router = APIRouter(include_in_schema=False)
Text = Annotated[str | None, Query(max_length=40)]
STATUSES = ("posted", "partial", "quarantined", "duplicate", "unmatched")
KINDS = ("unmatched_claim", "unmatched_line", "unpostable_line", "wrong_practice", "claim_status", "unbalanced",
         "malformed", "malformed_file", "unknown_payee", "deposit_mismatch", "cob_overpayment",
         "cob_patient_excess")


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


_RECEIVE_DEFAULTS = {"report": None, "file_exceptions": [], "names": {}, "imported": None, "deposit_errors": [],
                     "deposit_detail": "", "deposit_practice_id": None}


def _receive_page(request: Request, db, actor, status_code: int = 200, **context):
    return render(request, "remittance/receive.html", status_code=status_code, tab="receive",
                  practices=_practices(db, actor), **{**_RECEIVE_DEFAULTS, **context})


@router.get("/remittances/receive")
def receive_page(request: Request, db: DB, actor: CurrentActor, imported: OptionalId = None,
                 practice_id: OptionalId = None):
    """The two ways money comes in by hand: an 835 file, and the bank's deposits as CSV."""
    return _receive_page(request, db, actor, imported=imported, deposit_practice_id=practice_id)


@router.post("/remittances/receive/835", openapi_extra={LARGE_FILE: True})
def upload_835(request: Request, db: DB, actor: CurrentActor, file: Annotated[UploadFile, File()]):
    """Post an uploaded 835 and show what became of it (posted, duplicate, quarantined with the located
    error, exceptions). The page is rendered rather than redirected to: it is this upload's outcome,
    and sending the same file again is harmless (a duplicate posts nothing)."""
    report = ingest.ingest_file(db, actor, file.filename or "upload.835", file.file)
    exceptions = service.list_exceptions(db, actor, ExceptionFilter(status=None, file_id=report.file.id),
                                         PageParams(limit=100))
    return _receive_page(request, db, actor, report=report, file_exceptions=exceptions.rows,
                         names=service.practice_names(db, [e.practice_id for e in exceptions.rows]))


@router.post("/remittances/receive/deposits")
async def import_deposits(request: Request, db: DB, actor: CurrentActor, practice_id: Annotated[int, Form(gt=0)],
                          file: Annotated[UploadFile, File()]):
    """Import a bank deposit CSV for one practice: all rows or none, each problem named by line and column."""
    data = await file.read()
    try:
        text = decode_upload(data, file.filename or "deposits.csv")
        count = deposits.import_deposits(db, actor, practice_id, text, file.filename or "deposits.csv")
    except Invalid as error:
        problems = [{"loc": " ".join(str(p) for p in e.location), "msg": e.message} for e in error.errors]
        return _receive_page(request, db, actor, 422, deposit_errors=problems or [{"loc": "", "msg": error.detail}],
                             deposit_detail=error.detail, deposit_practice_id=practice_id)
    return RedirectResponse(f"/remittances/receive?imported={count}&practice_id={practice_id}", status_code=303)


@router.get("/remittances/{remittance_id}")
def remittance_page(remittance_id: RowId, request: Request, db: DB, actor: CurrentActor):
    return _detail_page(request, db, actor, remittance_id)


def _detail_page(request: Request, db, actor, remittance_id: int, status_code: int = 200,
                 repost_error: str | None = None):
    detail = service.remittance_detail(db, actor, remittance_id)
    return render(request, "remittance/detail.html", status_code=status_code, detail=detail,
                  remittance=detail.remittance, repost_error=repost_error,
                  practice_name=service.practice_names(db, [detail.remittance.practice_id]).get(
                      detail.remittance.practice_id, "no practice"))


@router.post("/remittances/{remittance_id}/repost")
def repost(remittance_id: RowId, request: Request, db: DB, actor: CurrentActor):
    """Post an unmatched payment again from its kept file; the page shows what became of it."""
    try:
        ingest.repost_unmatched(db, actor, remittance_id)
    except Conflict as error:
        return _detail_page(request, db, actor, remittance_id, 409, error.detail)
    return RedirectResponse(f"/remittances/{remittance_id}", status_code=303)
