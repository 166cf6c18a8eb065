"""Network pages: the overview, a practice, a provider, a patient."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from openmso.core.deps import DB, CurrentActor, Paging, RowId
from openmso.core.pagination import PageParams
from openmso.core.web import environment, is_htmx, render
from openmso.network import service
from openmso.network.identifiers import PLACE_OF_SERVICE

router = APIRouter(include_in_schema=False)
environment.globals["place_of_service"] = PLACE_OF_SERVICE

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
    patient = service.get_patient(db, actor, patient_id)
    practice = service.get_practice(db, actor, patient.practice_id)
    return render(request, "network/patient.html", patient=patient, practice=practice)
