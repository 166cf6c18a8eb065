"""Agreements API under /api/v1: parse, call the service, shape the response. No rules here."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import Response

from openmso.agreements import assessment, controlmap, diff, pdf, report, rules, schemas, service
from openmso.agreements.models import Agreement, AgreementVersion
from openmso.core.deps import DB, CurrentActor, OptionalId, RowId
from openmso.core.types import utcnow

router = APIRouter(prefix="/api/v1", tags=["agreements"])

AsOf = Annotated[date | None, Query(ge=date(1990, 1, 1), le=date(2200, 1, 1),
                                    description="evaluate the rules as of this date (default today)")]


def load_agreement(agreement_id: RowId, db: DB, actor: CurrentActor) -> Agreement:
    return service.get_agreement(db, actor, agreement_id)


def load_version(version_id: RowId, db: DB, actor: CurrentActor) -> AgreementVersion:
    return service.get_version(db, actor, version_id)


CurrentAgreement = Annotated[Agreement, Depends(load_agreement)]
CurrentVersion = Annotated[AgreementVersion, Depends(load_version)]


def today(as_of: date | None) -> date:
    return as_of or utcnow().date()


@router.get("/agreements", response_model=list[schemas.AgreementOut])
def list_agreements(db: DB, actor: CurrentActor, practice_id: OptionalId = None):
    return service.list_agreements(db, actor, practice_id)


@router.post("/agreements", response_model=schemas.AgreementOut, status_code=status.HTTP_201_CREATED)
def create_agreement(data: schemas.AgreementCreate, db: DB, actor: CurrentActor):
    return service.create_agreement(db, actor, data)


@router.get("/agreements/network", response_model=list[schemas.NetworkRow])
def network(db: DB, actor: CurrentActor, as_of: AsOf = None):
    """Every visible practice's current agreement with model, fee and legal-risk flag counts."""
    return assessment.network_rows(db, actor, today(as_of))


@router.get("/agreements/rules")
def rule_table(actor: CurrentActor):
    """The legal-risk rule table (decision support, not legal advice)."""
    return {"disclaimer": rules.DISCLAIMER, "rules": [
        {"id": r.id, "jurisdiction": r.jurisdiction, "title": r.title, "citation": r.citation,
         "severity": r.severity.value, "effective_from": r.effective_from, "effective_to": r.effective_to,
         "existing_arrangements_from": r.existing_from, "confidence": r.confidence, "explanation": r.explanation}
        for r in rules.RULES]}


@router.get("/agreements/{agreement_id}", response_model=schemas.AgreementOut)
def get_agreement(agreement: CurrentAgreement):
    return agreement


@router.post("/agreements/{agreement_id}/amendments", response_model=schemas.VersionOut,
             status_code=status.HTTP_201_CREATED)
def amend(agreement_id: RowId, data: schemas.AmendmentCreate, db: DB, actor: CurrentActor):
    return service.amend(db, actor, agreement_id, data)


@router.get("/agreement-versions/{version_id}", response_model=schemas.VersionOut)
def get_version(version: CurrentVersion):
    return version


@router.put("/agreement-versions/{version_id}", response_model=schemas.VersionOut)
def update_draft(version_id: RowId, data: schemas.DraftUpdate, db: DB, actor: CurrentActor):
    return service.update_draft(db, actor, version_id, data)


@router.post("/agreement-versions/{version_id}/sign", response_model=schemas.VersionOut)
def sign(version_id: RowId, data: schemas.Signing, db: DB, actor: CurrentActor):
    return service.sign(db, actor, version_id, data)


@router.post("/agreement-versions/{version_id}/terminate", response_model=schemas.VersionOut)
def terminate(version_id: RowId, data: schemas.Termination, db: DB, actor: CurrentActor):
    return service.terminate(db, actor, version_id, data)


@router.get("/agreement-versions/{version_id}/flags", response_model=list[schemas.FlagOut])
def flags(version: CurrentVersion, db: DB, actor: CurrentActor, as_of: AsOf = None):
    return [assessment.flag_out(f) for f in assessment.flags_for(db, actor, version, today(as_of))]


@router.get("/agreement-versions/{version_id}/report", response_model=report.Report)
def due_diligence(version: CurrentVersion, db: DB, actor: CurrentActor, as_of: AsOf = None):
    return report.due_diligence(db, actor, version, today(as_of))


@router.get("/agreement-versions/{version_id}/report.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
def due_diligence_pdf(version: CurrentVersion, db: DB, actor: CurrentActor, as_of: AsOf = None):
    document = pdf.render(report.due_diligence(db, actor, version, today(as_of)))
    name = f"due-diligence-agreement-{version.agreement_id}-v{version.number}.pdf"
    return Response(document, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@router.get("/agreement-versions/{version_id}/control-map.svg", response_class=Response,
            responses={200: {"content": {"image/svg+xml": {}}}})
def control_map(version: CurrentVersion):
    svg = controlmap.render(service.terms_of(version), f"{version.agreement.title}, v{version.number}")
    return Response(svg, media_type="image/svg+xml")


@router.get("/agreement-versions/{version_id}/compare/{other_version_id}", response_model=list[schemas.Change])
def compare(version: CurrentVersion, other_version_id: RowId, db: DB, actor: CurrentActor):
    """What changes from this version to the other (any two versions the actor sees, of any agreements)."""
    other = service.get_version(db, actor, other_version_id)
    return diff.compare(service.terms_of(version), service.terms_of(other))
