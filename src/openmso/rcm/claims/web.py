"""Claims pages: the claims list, a claim, the scrubber, rejection and next-payer worklists, batches, charge entry."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from openmso.core import jobs
from openmso.core.deps import DB, CurrentActor, OptionalId, Paging, RowId
from openmso.core.errors import FieldError, Invalid, OpenMSOError
from openmso.core.jobs_api import job_view
from openmso.core.pagination import PageParams
from openmso.core.web import form_fields, form_problems, render
from openmso.network import service as network
from openmso.rcm.claims import batches, charges, editing, next_payers, service
from openmso.rcm.claims.schemas import ChargeCreate, ClaimEditIn, ClaimRebillIn, Correction
from openmso.rcm.claims.service import ClaimFilter, ClaimSort
from openmso.rcm.claims.states import ClaimStatus
from openmso.rcm.claims.tasks import batches_href, start_submit_job
from openmso.rcm.clearinghouse import reasons
from openmso.rcm.denials import service as denials
from openmso.rcm.remittance import service as remittances
from openmso.rcm.scrubber import codes
from openmso.rcm.scrubber.rules import RULES

router = APIRouter(include_in_schema=False)
StatusFilter = Annotated[ClaimStatus | None, Query()]
DateFilter = Annotated[date | None, Query(ge=date(2000, 1, 1), le=date(2100, 1, 1))]


def _choices(db, actor) -> dict:
    payers = network.list_payers(db, actor)
    return {"practices": network.list_practices(db, actor).rows, "payers": payers,
            "payer_names": {payer.id: payer.name for payer in payers}, "statuses": list(ClaimStatus)}


@router.get("/claims")
def claims_page(request: Request, db: DB, actor: CurrentActor, paging: Paging, practice_id: OptionalId = None,
                payer_id: OptionalId = None, status: StatusFilter = None, date_from: DateFilter = None,
                date_to: DateFilter = None, sort: ClaimSort = ClaimSort.NEWEST):
    criteria = ClaimFilter(practice_id, payer_id, status, date_from, date_to, sort)
    page = service.list_claims(db, actor, criteria, paging)
    return render(request, "claims/list.html", claims=page, criteria=criteria, sorts=list(ClaimSort),
                  counts=service.status_counts(db, actor, practice_id), **_choices(db, actor))


@router.get("/claims/worklists/scrubber")
def scrubber_page(request: Request, db: DB, actor: CurrentActor, paging: Paging, practice_id: OptionalId = None):
    page = service.scrubber_worklist(db, actor, paging, practice_id)
    return render(request, "claims/scrubber.html", claims=page, practice_id=practice_id, rules=RULES,
                  edits=service.edits_for(db, [c.id for c in page.rows]), **_choices(db, actor))


_FIX_LINKS = {"patient": "/patients/{claim.patient_id}#corrections", "payer": "/claims/{claim.id}#rebill",
              "claim": "/claims/{claim.id}#claim-edit"}


@router.get("/claims/worklists/rejections")
def rejections_page(request: Request, db: DB, actor: CurrentActor, paging: Paging, practice_id: OptionalId = None):
    page = service.rejection_worklist(db, actor, paging, practice_id)
    fixes = {}
    for claim in page.rows:
        code = (claim.status_codes or "").split(":")[2] if (claim.status_codes or "").count(":") >= 2 else ""
        fixes[claim.id] = (reasons.fix_for(code), _FIX_LINKS[reasons.fix_place(code)].format(claim=claim))
    return render(request, "claims/rejections.html", claims=page, practice_id=practice_id, fixes=fixes,
                  rejected=service.rejected_claims(db, page.rows), **_choices(db, actor))


@router.get("/claims/worklists/next-payers")
def next_payers_page(request: Request, db: DB, actor: CurrentActor, paging: Paging, practice_id: OptionalId = None,
                     billed: Annotated[int | None, Query(ge=0)] = None,
                     skipped: Annotated[int | None, Query(ge=0)] = None):
    page = next_payers.worklist(db, actor, paging, practice_id)
    return render(request, "claims/next_payers.html", claims=page, practice_id=practice_id,
                  rows=next_payers.rows(db, page.rows), billed=billed, skipped=skipped,
                  billing=next_payers.billing_practices(db, actor), **_choices(db, actor))


@router.post("/claims/worklists/next-payers/bill-ready")
def next_payers_bill_ready(db: DB, actor: CurrentActor, practice_id: Annotated[int | None, Form(ge=1)] = None):
    run = next_payers.bill_ready(db, actor, practice_id)
    where = f"practice_id={practice_id}&" if practice_id else ""
    return RedirectResponse(f"/claims/worklists/next-payers?{where}billed={len(run.billed)}"
                            f"&skipped={len(run.skipped)}", status_code=303)


@router.get("/claims/batches")
def batches_page(request: Request, db: DB, actor: CurrentActor, paging: Paging, practice_id: OptionalId = None,
                 job: OptionalId = None):
    submission = job_view(request, jobs.get(db, actor, job)) if job is not None else None
    return render(request, "claims/batches.html", batches=batches.list_batches(db, actor, practice_id, paging),
                  practice_id=practice_id, submission=submission, **_choices(db, actor))


@router.post("/claims/submit")
def submit_page(request: Request, db: DB, actor: CurrentActor, practice_id: Annotated[str, Form()] = ""):
    """The "Submit ready claims" button: start the submission as a job and follow it on the batches page."""
    chosen = int(practice_id) if practice_id.isdigit() else None
    submission = start_submit_job(db, actor, chosen, request.app.state.jobs)
    separator = "&" if chosen else "?"
    return RedirectResponse(f"{batches_href(chosen)}{separator}job={submission.id}", status_code=303)


@router.post("/claims/{claim_id}/corrections")
def correction_submit(claim_id: RowId, db: DB, actor: CurrentActor, kind: Annotated[str, Form()] = "",
                      reason: Annotated[str, Form()] = ""):
    """Replace (frequency 7) or void (8) a claim the payer accepted; opens the new claim."""
    try:
        data = Correction(kind=kind, reason=reason.strip())
    except ValidationError as error:
        raise Invalid("the correction needs a kind (replace or void) and a reason",
                      errors=[FieldError(["form", *e["loc"]], e["msg"]) for e in error.errors()]) from None
    copy = service.correct(db, actor, claim_id, data)
    return RedirectResponse(f"/claims/{copy.id}", status_code=303)


@router.post("/claims/{claim_id}/secondary")
def secondary_submit(claim_id: RowId, db: DB, actor: CurrentActor):
    """Bill the next coverage with the primary's posted adjudication; opens the new claim."""
    return RedirectResponse(f"/claims/{service.bill_secondary(db, actor, claim_id).id}", status_code=303)


@router.get("/claims/{claim_id}")
def claim_page(claim_id: RowId, request: Request, db: DB, actor: CurrentActor):
    return _claim_page(request, db, actor, claim_id)


def _claim_page(request: Request, db, actor, claim_id: int, values: dict | None = None, errors: list = (),
                status_code: int = 200, rebill_values: dict | None = None, rebill_errors: list = ()):
    detail = service.claim_detail(db, actor, claim_id)
    claim = detail.claim
    return render(request, "claims/detail.html", status_code=status_code, detail=detail, claim=claim,
                  practice=network.get_practice(db, actor, claim.practice_id),
                  payer=network.get_payer(db, actor, claim.payer_id) if claim.payer_id else None,
                  diagnoses=[(codes.dotted(c), codes.diagnosis_description(c)) for c in claim.diagnosis_codes],
                  editable=editing.can_edit(claim), edit_values=values or _edit_values(claim), edit_errors=errors,
                  drops_lines=editing.can_drop_lines(claim),
                  rebill_values=rebill_values or {}, rebill_errors=rebill_errors,
                  payments=remittances.claim_payments(db, actor, claim),
                  denial_cases=denials.cases_of_claim(db, actor, claim))


def _edit_values(claim) -> dict:
    """The edit form's fields as the claim stands."""
    values = {"diagnoses": " ".join(codes.dotted(c) for c in claim.diagnosis_codes),
              "prior_authorization": claim.prior_authorization or "", "reason": ""}
    for line in claim.lines:
        prefix = f"line-{line.line_number}-"
        values |= {prefix + "procedure_code": line.procedure_code, prefix + "modifiers": " ".join(line.modifier_list),
                   prefix + "units": str(line.units), prefix + "charge_amount": str(line.charge_amount),
                   prefix + "pointers": " ".join(map(str, line.pointer_list))}
    return values


def _edit_from_form(values: dict) -> ClaimEditIn:
    """The form's flat fields (line-N-field) as the API's shape, validated."""
    lines: dict[int, dict] = {}
    for key, value in values.items():
        if key.startswith("line-") and key.count("-") == 2 and key.split("-")[1].isdigit():
            _, number, field = key.split("-")
            lines.setdefault(int(number), {"line_number": int(number)})[field] = value
    return ClaimEditIn.model_validate({"diagnoses": values.get("diagnoses", ""),
                                       "prior_authorization": values.get("prior_authorization") or None,
                                       "reason": values.get("reason", ""), "lines": [lines[n] for n in sorted(lines)]})


@router.post("/claims/{claim_id}/edit")
async def claim_edit(claim_id: RowId, request: Request, db: DB, actor: CurrentActor):
    """Fix a held, rejected or not-yet-sent claim from its page; it is scrubbed again at once."""
    values = await form_fields(request)
    try:
        editing.edit_claim(db, actor, claim_id, _edit_from_form(values))
    except (ValidationError, OpenMSOError) as error:
        return _claim_page(request, db, actor, claim_id, values, form_problems(error), 422)
    return RedirectResponse(f"/claims/{claim_id}#edits", status_code=303)


@router.post("/claims/{claim_id}/rebill")
async def claim_rebill(claim_id: RowId, request: Request, db: DB, actor: CurrentActor):
    """Bill a rejected or unsent claim to another of the patient's plans, from its page."""
    values = await form_fields(request)
    try:
        editing.rebill(db, actor, claim_id, ClaimRebillIn.model_validate(values))
    except (ValidationError, OpenMSOError) as error:
        return _claim_page(request, db, actor, claim_id, rebill_values=values, rebill_errors=form_problems(error),
                           status_code=422)
    return RedirectResponse(f"/claims/{claim_id}#edits", status_code=303)


def _charge_form(request: Request, db, actor, practice_id: int, values: dict, errors: list, status_code=200):
    practice = network.get_practice(db, actor, practice_id)
    return render(request, "claims/charge_form.html", status_code=status_code, practice=practice, values=values,
                  errors=errors, locations=network.list_locations(db, actor, practice_id),
                  providers=network.list_providers(db, actor, PageParams(limit=500), practice_id).rows)


@router.get("/practices/{practice_id}/charges/new")
def charge_form(practice_id: RowId, request: Request, db: DB, actor: CurrentActor):
    return _charge_form(request, db, actor, practice_id, {}, [])


@router.post("/practices/{practice_id}/charges/new")
async def charge_submit(practice_id: RowId, request: Request, db: DB, actor: CurrentActor):
    values = {name: value for name, value in (await form_fields(request)).items() if value}
    try:
        data = ChargeCreate.model_validate(values)
        charge = charges.create_charge(db, actor, practice_id, data, source="ui")
    except (ValidationError, OpenMSOError) as error:
        return _charge_form(request, db, actor, practice_id, values, form_problems(error), 422)
    return RedirectResponse(f"/claims?practice_id={practice_id}&status=draft#charge-{charge.id}", status_code=303)
