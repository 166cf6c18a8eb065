"""Remittance API under /api/v1: receive an 835, list and read payments, the exceptions queue, bank deposits."""

from __future__ import annotations

import re
import tempfile
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from openmso.core.csv_input import decode_upload
from openmso.core.db import snapshot_factory, unit_of_work
from openmso.core.deps import DB, CurrentActor, OptionalId, Paging, RowId
from openmso.core.middleware import LARGE_FILE
from openmso.core.pagination import Page, Slice
from openmso.rcm.claims import service as claims_service
from openmso.rcm.remittance import deposits, ingest, service
from openmso.rcm.remittance.models import stored_copy, stored_size
from openmso.rcm.remittance.schemas import (
    ClaimPaymentOut,
    ClaimPostingOut,
    ExceptionOut,
    IngestOut,
    LineOut,
    ProviderAdjustmentOut,
    RemittanceDetailOut,
    RemittanceOut,
    Resolution,
)
from openmso.rcm.remittance.service import ExceptionFilter, RemittanceFilter

router = APIRouter(prefix="/api/v1", tags=["remittance"])
Text = Annotated[str | None, Query(max_length=40)]
SPOOL_IN_MEMORY = 1024 * 1024  # an uploaded 835 larger than this waits on disk, not in memory


def as_page(result: Slice, schema) -> dict:
    return {"items": [schema.model_validate(r) for r in result.rows], "total": result.total,
            "page": result.params.page, "limit": result.params.limit}


def ingest_out(report: ingest.IngestReport) -> IngestOut:
    return IngestOut(file_id=report.file.id, name=report.file.name, status=report.file.status,
                     duplicate=report.duplicate, transactions=report.transactions, posted=report.posted,
                     quarantined=report.quarantined, unmatched=report.unmatched, claims=report.claims,
                     lines=report.lines,
                     exceptions=report.exceptions)


@router.post("/remittances", response_model=IngestOut,
             openapi_extra={"requestBody": {"content": {"application/edi-x12": {"schema": {"type": "string"}}}},
                            LARGE_FILE: True})
async def receive_835(request: Request, db: DB, actor: CurrentActor,
                      filename: Annotated[str, Query(min_length=1, max_length=200)] = "upload.835"):
    """Receive one 835 file: posted once (the same file again posts nothing), unreadable or unbalanced
    transactions quarantined whole with their location, the rest posted. The body may be as large as
    the server's file limit (`OPENMSO_MAX_FILE_BYTES`); it is spooled to disk as it arrives."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as body:
        async for chunk in request.stream():
            body.write(chunk)
        body.seek(0)
        # Posting a large file takes a while: in the thread pool, so the server answers others meanwhile.
        return ingest_out(await run_in_threadpool(ingest.ingest_file, db, actor, filename, body))


@router.post("/remittances/{remittance_id}/repost", response_model=IngestOut)
def repost(remittance_id: RowId, db: DB, actor: CurrentActor):
    """Post again, from the file as it was received, a payment kept as unmatched because its payee was
    none of our practices (once the practice's NPI or TIN is on file); 409 when it is not unmatched or
    the payee is still unknown."""
    return ingest_out(ingest.repost_unmatched(db, actor, remittance_id))


@router.get("/remittances", response_model=Page[RemittanceOut])
def list_remittances(db: DB, actor: CurrentActor, paging: Paging, practice_id: OptionalId = None,
                     status: Text = None):
    return as_page(service.list_remittances(db, actor, RemittanceFilter(practice_id, status), paging), RemittanceOut)


@router.get("/remittances/{remittance_id}", response_model=RemittanceDetailOut)
def get_remittance(remittance_id: RowId, db: DB, actor: CurrentActor):
    """A payment with the claims and lines it posted, its provider-level adjustments and its exceptions."""
    detail = service.remittance_detail(db, actor, remittance_id)
    claims = [_posted(ClaimPostingOut, c) for c in detail.claims]
    return RemittanceDetailOut(**RemittanceOut.model_validate(detail.remittance).model_dump(), claims=claims,
                               provider_adjustments=[ProviderAdjustmentOut.model_validate(p)
                                                     for p in detail.provider_adjustments],
                               exception_items=[ExceptionOut.model_validate(e) for e in detail.exceptions])


@router.get("/claims/{claim_id}/payments", response_model=list[ClaimPaymentOut])
def claim_payments(claim_id: RowId, db: DB, actor: CurrentActor):
    """What each 835 said about a claim, oldest first, line by line: payments, denials, reversals."""
    claim = claims_service.get_claim(db, actor, claim_id)
    return [_posted(ClaimPaymentOut, c, remittance_id=c.posting.remittance_id, trace_number=c.trace_number,
                    payment_date=c.posting.payment_date, posted_at=c.posting.posted_at)
            for c in service.claim_payments(db, actor, claim, refuse=True)]


def _posted(schema: type[ClaimPostingOut], c: service.PostedClaim, **extra) -> ClaimPostingOut:
    return schema(claim_id=c.posting.claim_id, patient_control_number=c.patient_control_number,
                  patient_name=c.patient_name, lines=[LineOut.model_validate(line) for line in c.lines],
                  **{k: getattr(c.posting, k) for k in (
                      "status_code", "outcome", "payer_claim_number", "charge", "paid", "contractual",
                      "patient_responsibility", "other_adjustment", "adjustments", "remarks")}, **extra)


@router.get("/remittance-files/{file_id}/file", response_class=StreamingResponse,
            responses={200: {"content": {"application/edi-x12": {}}}})
def received_file(file_id: RowId, request: Request, db: DB, actor: CurrentActor):
    """A received 835 exactly as it came, streamed part by part; reading it is audited."""
    received = service.received_file(db, actor, file_id)
    size = stored_size(db, received.id)
    db.commit()  # the access is on the trail before a byte leaves, and the stream reads in its own snapshot
    snapshot = snapshot_factory(request.app.state.session_factory)

    def stream():
        with unit_of_work(snapshot) as reader:
            yield from stored_copy(reader, received.id)

    # The length up front, so a client can tell a stream cut short (the database gone mid-file) from the file.
    return StreamingResponse(stream(), media_type="application/edi-x12",
                             headers={"content-disposition": f'attachment; filename="{_download_name(received)}"',
                                      "content-length": str(size)})


def _download_name(received) -> str:
    """The name it was received under, reduced to characters safe in a header."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", received.name).strip("._")[:120] or f"remittance-file-{received.id}.835"


@router.get("/remittance-exceptions", response_model=Page[ExceptionOut])
def list_exceptions(db: DB, actor: CurrentActor, paging: Paging, practice_id: OptionalId = None,
                    status: Text = "open", kind: Text = None):
    """The exceptions queue: unmatched claims and lines, wrong-practice payments, unbalanced or unreadable
    transactions, deposits that do not match."""
    return as_page(service.list_exceptions(db, actor, ExceptionFilter(practice_id, status or None, kind), paging),
                   ExceptionOut)


@router.post("/remittance-exceptions/{exception_id}/resolve", response_model=ExceptionOut)
def resolve_exception(exception_id: RowId, data: Resolution, db: DB, actor: CurrentActor):
    return service.resolve_exception(db, actor, exception_id, data.resolution)


class DepositImport(BaseModel):
    imported: int


@router.post("/practices/{practice_id}/deposits", response_model=DepositImport,
             openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}})
async def import_deposits(practice_id: RowId, request: Request, db: DB, actor: CurrentActor):
    """Import the bank's deposits (CSV: deposit_date, amount, trace_number[, payer]) and reconcile them
    with posted 835s by trace number and amount."""
    text = decode_upload(await request.body(), "the deposit file")
    return DepositImport(imported=deposits.import_deposits(db, actor, practice_id, text))
