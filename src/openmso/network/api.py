"""Network API under /api/v1: parse, call the service, shape the response. No rules here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, Field

from openmso.core.deps import DB, CurrentActor, OptionalId, Paging, RowId
from openmso.core.pagination import Page, Slice
from openmso.network import schemas, service
from openmso.network.models import Practice
from openmso.network.schemas import PastDate

router = APIRouter(prefix="/api/v1", tags=["network"])

PracticeId = RowId
Search = Annotated[str | None, Query(max_length=100, description="name prefix, MRN, NPI or birth date")]


def load_practice(practice_id: PracticeId, db: DB, actor: CurrentActor) -> Practice:
    return service.get_practice(db, actor, practice_id)


CurrentPractice = Annotated[Practice, Depends(load_practice)]


def as_page(result: Slice, schema) -> dict:
    return {"items": [schema.model_validate(r) for r in result.rows], "total": result.total,
            "page": result.params.page, "limit": result.params.limit}


@router.get("/network", response_model=schemas.NetworkOverview)
def network_overview(db: DB, actor: CurrentActor):
    return service.network_overview(db, actor)


@router.get("/practices", response_model=Page[schemas.PracticeOut])
def list_practices(db: DB, actor: CurrentActor, paging: Paging):
    return as_page(service.list_practices(db, actor, paging), schemas.PracticeOut)


@router.post("/practices", response_model=schemas.PracticeOut, status_code=status.HTTP_201_CREATED)
def create_practice(data: schemas.PracticeCreate, db: DB, actor: CurrentActor):
    return service.create_practice(db, actor, data)


@router.get("/practices/{practice_id}", response_model=schemas.PracticeOut)
def get_practice(practice: CurrentPractice):
    return practice


@router.patch("/practices/{practice_id}", response_model=schemas.PracticeOut)
def update_practice(practice_id: PracticeId, data: schemas.PracticeUpdate, db: DB, actor: CurrentActor):
    return service.update_practice(db, actor, practice_id, data)


@router.get("/practices/{practice_id}/locations", response_model=list[schemas.LocationOut])
def list_locations(practice_id: PracticeId, db: DB, actor: CurrentActor):
    return service.list_locations(db, actor, practice_id)


@router.post("/practices/{practice_id}/locations", response_model=schemas.LocationOut,
             status_code=status.HTTP_201_CREATED)
def create_location(practice_id: PracticeId, data: schemas.LocationCreate, db: DB, actor: CurrentActor):
    return service.create_location(db, actor, practice_id, data)


@router.get("/practices/{practice_id}/providers", response_model=Page[schemas.ProviderOut])
def list_practice_providers(practice: CurrentPractice, db: DB, actor: CurrentActor, paging: Paging,
                            q: Search = None):
    return as_page(service.list_providers(db, actor, paging, practice.id, q), schemas.ProviderOut)


@router.post("/practices/{practice_id}/providers", response_model=schemas.ProviderOut,
             status_code=status.HTTP_201_CREATED)
def create_provider(practice_id: PracticeId, data: schemas.ProviderCreate, db: DB, actor: CurrentActor):
    return service.create_provider(db, actor, practice_id, data)


@router.get("/practices/{practice_id}/payers", response_model=list[schemas.PayerOut])
def list_practice_payers(practice_id: PracticeId, db: DB, actor: CurrentActor):
    return service.practice_payers(db, actor, practice_id)


class Enrollment(BaseModel):
    payer_id: int = Field(ge=1, le=2**31 - 1)
    enrolled_on: PastDate | None = None


@router.post("/practices/{practice_id}/payers", status_code=status.HTTP_204_NO_CONTENT)
def enroll_payer(practice_id: PracticeId, data: Enrollment, db: DB, actor: CurrentActor):
    service.enroll_payer(db, actor, practice_id, data.payer_id, data.enrolled_on)


@router.get("/practices/{practice_id}/patients", response_model=Page[schemas.PatientOut])
def list_practice_patients(practice: CurrentPractice, db: DB, actor: CurrentActor, paging: Paging,
                           q: Search = None):
    return as_page(service.list_patients(db, actor, paging, practice.id, q), schemas.PatientOut)


@router.post("/practices/{practice_id}/patients", response_model=schemas.PatientOut,
             status_code=status.HTTP_201_CREATED)
def create_patient(practice_id: PracticeId, data: schemas.PatientCreate, db: DB, actor: CurrentActor):
    return service.create_patient(db, actor, practice_id, data)


@router.get("/providers", response_model=Page[schemas.ProviderOut])
def list_providers(db: DB, actor: CurrentActor, paging: Paging, q: Search = None,
                   practice_id: OptionalId = None):
    return as_page(service.list_providers(db, actor, paging, practice_id, q), schemas.ProviderOut)


@router.get("/providers/{provider_id}", response_model=schemas.ProviderOut)
def get_provider(provider_id: RowId, db: DB, actor: CurrentActor):
    return service.get_provider(db, actor, provider_id)


@router.get("/payers", response_model=list[schemas.PayerOut])
def list_payers(db: DB, actor: CurrentActor):
    return service.list_payers(db, actor)


@router.post("/payers", response_model=schemas.PayerOut, status_code=status.HTTP_201_CREATED)
def create_payer(data: schemas.PayerCreate, db: DB, actor: CurrentActor):
    return service.create_payer(db, actor, data)


@router.get("/payers/{payer_id}", response_model=schemas.PayerOut)
def get_payer(payer_id: RowId, db: DB, actor: CurrentActor):
    return service.get_payer(db, actor, payer_id)


@router.get("/patients", response_model=Page[schemas.PatientOut])
def list_patients(db: DB, actor: CurrentActor, paging: Paging, q: Search = None,
                  practice_id: OptionalId = None):
    return as_page(service.list_patients(db, actor, paging, practice_id, q), schemas.PatientOut)


@router.get("/patients/{patient_id}", response_model=schemas.PatientOut)
def get_patient(patient_id: RowId, db: DB, actor: CurrentActor):
    return service.get_patient(db, actor, patient_id)


@router.post("/patients/{patient_id}/coverages", response_model=schemas.CoverageOut,
             status_code=status.HTTP_201_CREATED)
def add_coverage(patient_id: RowId, data: schemas.CoverageCreate, db: DB, actor: CurrentActor):
    return service.add_coverage(db, actor, patient_id, data)


@router.patch("/patients/{patient_id}", response_model=schemas.PatientOut)
def update_patient(patient_id: RowId, data: schemas.PatientUpdate, db: DB, actor: CurrentActor):
    return service.update_patient(db, actor, patient_id, data)


@router.patch("/coverages/{coverage_id}", response_model=schemas.CoverageOut)
def update_coverage(coverage_id: RowId, data: schemas.CoverageUpdate, db: DB, actor: CurrentActor):
    return service.update_coverage(db, actor, coverage_id, data)
