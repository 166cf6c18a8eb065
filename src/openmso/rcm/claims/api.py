"""Claims API under /api/v1: charges (one, or a CSV file), claims, worklists, batches. No rules here."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from openmso.core.csv_input import decode_upload
from openmso.core.deps import DB, AppSettings, CurrentActor, OptionalId, Paging, RowId
from openmso.core.jobs_api import JobOut, job_view
from openmso.core.pagination import Page, Slice
from openmso.rcm.claims import batches, building, charges, editing, next_payers, scrubbing, service
from openmso.rcm.claims.schemas import (
    BatchOut,
    ChargeCreate,
    ChargeOut,
    ClaimDetailOut,
    ClaimEditIn,
    ClaimOut,
    ClaimRebillIn,
    Correction,
    EditOut,
    EventOut,
    ImportReport,
)
from openmso.rcm.claims.service import ClaimFilter, ClaimSort
from openmso.rcm.claims.states import ClaimEvent, ClaimStatus
from openmso.rcm.claims.tasks import start_submit_job
from openmso.rcm.clearinghouse import service as clearinghouse

router = APIRouter(prefix="/api/v1", tags=["claims"])
StatusFilter = Annotated[ClaimStatus | None, Query()]
DateFilter = Annotated[date | None, Query(ge=date(2000, 1, 1), le=date(2100, 1, 1))]


def as_page(result: Slice, schema) -> dict:
    return {"items": [schema.model_validate(r) for r in result.rows], "total": result.total,
            "page": result.params.page, "limit": result.params.limit}


@router.post("/practices/{practice_id}/charges", response_model=ChargeOut, status_code=status.HTTP_201_CREATED)
def create_charge(practice_id: RowId, data: ChargeCreate, db: DB, actor: CurrentActor):
    return charges.create_charge(db, actor, practice_id, data)


@router.post("/practices/{practice_id}/charges/import", response_model=ImportReport,
             openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}})
async def import_charges(practice_id: RowId, request: Request, db: DB, actor: CurrentActor,
                         take_good_rows: bool = False):
    """Import a CSV of charges (see the column list in the docs) and build draft claims from them.
    A file with any bad row is a 422 listing every problem by line and column, unless `take_good_rows`."""
    text = decode_upload(await request.body(), "the charge file")
    ids, errors, rows = charges.import_csv(db, actor, practice_id, text, accept_good_rows=take_good_rows)
    claims = building.build_claims(db, actor, practice_id, ids) if ids else []
    return ImportReport(rows=rows, imported=len(ids), rejected=len({e.location[0] for e in errors}),
                        claims_created=len(claims), errors=[e.as_dict() for e in errors])


@router.get("/charges/{charge_id}", response_model=ChargeOut)
def get_charge(charge_id: RowId, db: DB, actor: CurrentActor):
    return charges.get_charge(db, actor, charge_id)


class BuildResult(BaseModel):
    claim_ids: list[int]


@router.post("/practices/{practice_id}/claims/build", response_model=BuildResult)
def build_claims(practice_id: RowId, db: DB, actor: CurrentActor):
    """Group the practice's unbilled charges into draft claims."""
    return BuildResult(claim_ids=building.build_claims(db, actor, practice_id))


class ScrubResult(BaseModel):
    claims: int
    ready: int
    held: int
    by_rule: dict[str, int]


@router.post("/practices/{practice_id}/claims/scrub", response_model=ScrubResult)
def scrub_claims(practice_id: RowId, db: DB, actor: CurrentActor, as_of: DateFilter = None):
    report = scrubbing.scrub_claims(db, actor, practice_id=practice_id, as_of=as_of)
    return ScrubResult(claims=report.claims, ready=report.ready, held=report.held, by_rule=dict(report.by_rule))


class SubmitResult(BaseModel):
    batches: int
    claims: int
    sent: int
    failed: list[str]
    batch_ids: list[int]


def submit_ready_claims(request: Request, db, actor, settings, practice_id: int | None) -> SubmitResult:
    """Build the ready claims' 837P batches in the request's transaction and commit it here, at the
    edge, before anything is sent (as `openmso claims submit` does); then send each stored batch in
    its own transaction, so a failed connection leaves the batch built for the next submit."""
    adapter = clearinghouse.connect(db, settings.var_dir)
    report = clearinghouse.build(db, actor, adapter, practice_id=practice_id)
    db.commit()
    clearinghouse.send_pending(request.app.state.session_factory, actor, adapter, report, practice_id=practice_id)
    return SubmitResult(batches=report.batches, claims=report.claims, sent=report.sent, failed=report.failed,
                        batch_ids=report.batch_ids)


@router.post("/claims/submit", response_model=SubmitResult)
def submit_ready(request: Request, db: DB, actor: CurrentActor, settings: AppSettings,
                 practice_id: OptionalId = None):
    """Submit the ready claims (of one practice, or all the actor may submit) to the clearinghouse."""
    return submit_ready_claims(request, db, actor, settings, practice_id)


@router.post("/claims/submissions", response_model=JobOut, status_code=202)
def start_submission(request: Request, response: Response, db: DB, actor: CurrentActor,
                     practice_id: OptionalId = None):
    """Submit the ready claims as a background job (for large days); poll the job at `Location`, whose
    result counts the claims and batches built and sent. `POST /claims/submit` does the same in the request."""
    job = start_submit_job(db, actor, practice_id, request.app.state.jobs)
    db.refresh(job)
    response.headers["location"] = f"/api/v1/jobs/{job.id}"
    return job_view(request, job)


@router.get("/claims", response_model=Page[ClaimOut])
def list_claims(db: DB, actor: CurrentActor, paging: Paging, practice_id: OptionalId = None,
                payer_id: OptionalId = None, status: StatusFilter = None, date_from: DateFilter = None,
                date_to: DateFilter = None, sort: ClaimSort = ClaimSort.NEWEST):
    criteria = ClaimFilter(practice_id, payer_id, status, date_from, date_to, sort)
    return as_page(service.list_claims(db, actor, criteria, paging), ClaimOut)


@router.get("/claims/{claim_id}", response_model=ClaimDetailOut)
def get_claim(claim_id: RowId, db: DB, actor: CurrentActor):
    detail = service.claim_detail(db, actor, claim_id)
    return ClaimDetailOut(**ClaimOut.model_validate(detail.claim).model_dump(), lines=detail.claim.lines,
                          edits=[EditOut.model_validate(e) for e in detail.edits],
                          timeline=[EventOut.model_validate(e) for e in detail.timeline])


class StatusChange(BaseModel):
    event: ClaimEvent = Field(description="hold, release, correct (after a rejection) or close")
    note: str | None = Field(default=None, max_length=300)


@router.post("/claims/{claim_id}/events", response_model=ClaimOut)
def change_status(claim_id: RowId, data: StatusChange, db: DB, actor: CurrentActor):
    return service.change_status(db, actor, claim_id, data.event, data.note)


@router.put("/claims/{claim_id}", response_model=ClaimOut)
def edit_claim(claim_id: RowId, data: ClaimEditIn, db: DB, actor: CurrentActor):
    """Fix a held, rejected or not-yet-sent claim's codes (every line) and scrub it again: ready or held."""
    return editing.edit_claim(db, actor, claim_id, data)


@router.post("/claims/{claim_id}/rebill", response_model=ClaimOut)
def rebill_claim(claim_id: RowId, data: ClaimRebillIn, db: DB, actor: CurrentActor):
    """Bill a rejected (wrong payer, 277CA A3:116), held or not-yet-sent claim to another of the patient's
    coverages in force on its date of service, and scrub it again."""
    return editing.rebill(db, actor, claim_id, data)


@router.post("/claims/{claim_id}/corrections", response_model=ClaimOut, status_code=status.HTTP_201_CREATED)
def correct_claim(claim_id: RowId, data: Correction, db: DB, actor: CurrentActor):
    """A replacement (frequency 7) or void (8) of a claim the payer accepted."""
    return service.correct(db, actor, claim_id, data)


@router.post("/claims/{claim_id}/secondary", response_model=ClaimOut, status_code=status.HTTP_201_CREATED)
def bill_secondary(claim_id: RowId, db: DB, actor: CurrentActor):
    """Bill the next coverage after the primary paid, with the primary's adjudication as posted from its 835."""
    return service.bill_secondary(db, actor, claim_id)


@router.get("/worklists/rejections", response_model=Page[ClaimOut])
def rejections(db: DB, actor: CurrentActor, paging: Paging, practice_id: OptionalId = None):
    return as_page(service.rejection_worklist(db, actor, paging, practice_id), ClaimOut)


@router.get("/worklists/next-payers", response_model=Page[ClaimOut])
def next_payers_to_bill(db: DB, actor: CurrentActor, paging: Paging, practice_id: OptionalId = None):
    """Paid claims that left the patient a share a next plan in force is to be billed for, oldest payment first."""
    return as_page(next_payers.worklist(db, actor, paging, practice_id), ClaimOut)


class BillingRunOut(BaseModel):
    billed: list[ClaimOut]
    skipped: dict[int, str] = Field(description="claim id → why its next payer was not billed")


@router.post("/worklists/next-payers/bill", response_model=BillingRunOut)
def bill_next_payers(db: DB, actor: CurrentActor, practice_id: OptionalId = None):
    """Bill the next payer of every listed claim that waits on nothing (no denial being worked, no correction)."""
    run = next_payers.bill_ready(db, actor, practice_id)
    return BillingRunOut(billed=[ClaimOut.model_validate(claim) for claim in run.billed], skipped=run.skipped)


@router.get("/worklists/scrubber", response_model=Page[ClaimOut])
def scrubber_failures(db: DB, actor: CurrentActor, paging: Paging, practice_id: OptionalId = None):
    return as_page(service.scrubber_worklist(db, actor, paging, practice_id), ClaimOut)


@router.get("/claim-batches", response_model=Page[BatchOut])
def list_batches(db: DB, actor: CurrentActor, paging: Paging, practice_id: OptionalId = None):
    return as_page(batches.list_batches(db, actor, practice_id, paging), BatchOut)


@router.get("/claim-batches/{batch_id}/file", response_class=PlainTextResponse)
def batch_file(batch_id: RowId, db: DB, actor: CurrentActor):
    """The exact 837P interchange that was sent (reading it is audited)."""
    return PlainTextResponse(batches.get_batch(db, actor, batch_id, with_content=True).content,
                             media_type="application/edi-x12")
