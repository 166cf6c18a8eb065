"""Network pages: the overview, a practice, a provider, a patient."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from openmso.core.deps import DB, CurrentActor, Paging, RowId
from openmso.core.errors import OpenMSOError
from openmso.core.pagination import PageParams
from openmso.core.web import environment, form_fields, form_problems, is_htmx, render
from openmso.network import schemas, service
from openmso.network.identifiers import PLACE_OF_SERVICE
from openmso.network.models import SubscriberRelation, plan_order

router = APIRouter(include_in_schema=False)
environment.globals["place_of_service"] = PLACE_OF_SERVICE
environment.filters["plan_order"] = plan_order

Search = Annotated[str | None, Query(max_length=100)]


@router.get("/")
def overview(request: Request, db: DB, actor: CurrentActor):
    return render(request, "network/overview.html", overview=service.network_overview(db, actor))


@router.get("/practices/{practice_id}")
def practice_page(practice_id: RowId, request: Request, db: DB, actor: CurrentActor, paging: Paging,
                  q: Search = None):
    practice = service.get_practice(db, actor, practice_id)
    patients = service.list_patients(db, actor, paging, practice.id, q)
    if is_htmx(request):
        return render(request, "network/_patients.html", practice=practice, patients=patients, q=q or "")
    return render(
        request, "network/practice.html", practice=practice, patients=patients, q=q or "",
        locations=service.list_locations(db, actor, practice.id),
        providers=service.list_providers(db, actor, PageParams(limit=500), practice.id).rows,
        payers=service.practice_payers(db, actor, practice.id),
    )


@router.get("/providers/{provider_id}")
def provider_page(provider_id: RowId, request: Request, db: DB, actor: CurrentActor):
    provider = service.get_provider(db, actor, provider_id)
    practice = service.get_practice(db, actor, provider.practice_id)
    return render(request, "network/provider.html", provider=provider, practice=practice)


@router.get("/patients/{patient_id}")
def patient_page(patient_id: RowId, request: Request, db: DB, actor: CurrentActor):
    return _patient_page(request, db, actor, patient_id)


def _patient_page(request: Request, db, actor, patient_id: int, form: str = "", values: dict | None = None,
                  errors: list = (), status_code: int = 200):
    """The patient's record; `form` names the correction form to show open with what was typed and its errors."""
    patient = service.get_patient(db, actor, patient_id)
    practice = service.get_practice(db, actor, patient.practice_id)
    return render(request, "network/patient.html", status_code=status_code, patient=patient, practice=practice,
                  open_form=form, values=values or {}, errors=errors, relations=list(SubscriberRelation),
                  payers=service.list_payers(db, actor))


async def _form_values(request: Request) -> dict:
    """The form's fields, blanks as None (an optional field cleared), without the CSRF token."""
    return {name: value or None for name, value in (await form_fields(request)).items()}


@router.post("/patients/{patient_id}/edit")
async def patient_edit(patient_id: RowId, request: Request, db: DB, actor: CurrentActor):
    """Correct the patient's demographics from their page (a payer's rejection names the birth date…)."""
    values = await _form_values(request)
    try:
        service.update_patient(db, actor, patient_id, schemas.PatientUpdate.model_validate(values))
    except (ValidationError, OpenMSOError) as error:
        return _patient_page(request, db, actor, patient_id, "patient", values, form_problems(error), 422)
    return RedirectResponse(f"/patients/{patient_id}#corrections", status_code=303)


@router.post("/patients/{patient_id}/coverages/new")
async def coverage_add(patient_id: RowId, request: Request, db: DB, actor: CurrentActor):
    """Add a plan from the patient's page (the payer that covers the visit, when a claim went to the wrong one)."""
    values = await _form_values(request)
    try:
        service.add_coverage(db, actor, patient_id, schemas.CoverageCreate.model_validate(
            {k: v for k, v in values.items() if v is not None}))
    except (ValidationError, OpenMSOError) as error:
        return _patient_page(request, db, actor, patient_id, "coverage-new", values, form_problems(error), 422)
    return RedirectResponse(f"/patients/{patient_id}#coverages", status_code=303)


@router.post("/patients/{patient_id}/coverages/{coverage_id}/edit")
async def coverage_edit(patient_id: RowId, coverage_id: RowId, request: Request, db: DB, actor: CurrentActor):
    """Correct a coverage from the patient's page (the member id the payer did not know…)."""
    values = await _form_values(request)
    try:
        service.update_coverage(db, actor, coverage_id, schemas.CoverageUpdate.model_validate(values), patient_id)
    except (ValidationError, OpenMSOError) as error:
        return _patient_page(request, db, actor, patient_id, f"coverage-{coverage_id}", values,
                             form_problems(error), 422)
    return RedirectResponse(f"/patients/{patient_id}#corrections", status_code=303)
