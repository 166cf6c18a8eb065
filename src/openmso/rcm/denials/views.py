"""Denial cases with the names a biller works by (patient, payer, practice, assignee), resolved in a few
IN queries for a page of cases; the callers have already scoped the cases by tenancy."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from openmso.identity.models import User
from openmso.network.models import Patient, Payer, Practice
from openmso.rcm.claims.models import Claim
from openmso.rcm.denials.codes import describe_carc
from openmso.rcm.denials.models import DenialCase, DenialNote


def _by_id(db: Session, columns, ids) -> dict:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return {row[0]: row for row in db.execute(select(*columns).where(columns[0].in_(wanted)))}


def reason_text(reasons: str) -> str:
    """"CO:197 CO:16" in words, each CARC's description after its code."""
    return "; ".join(f"{r} {describe_carc(r.split(':')[-1])}" for r in reasons.split())


def describe(db: Session, cases: list[DenialCase]) -> list[dict]:
    """One dict per case: the case's own columns plus the names around it."""
    claims = _by_id(db, (Claim.id, Claim.patient_control_number, Claim.patient_id, Claim.payer_id,
                          Claim.service_date_from, Claim.service_date_to),
                    [c.claim_id for c in cases])
    patients = _by_id(db, (Patient.id, Patient.first_name, Patient.last_name), [c.patient_id for c in claims.values()])
    payers = _by_id(db, (Payer.id, Payer.name), [c.payer_id for c in claims.values()])
    practices = _by_id(db, (Practice.id, Practice.legal_name), [c.practice_id for c in cases])
    users = _by_id(db, (User.id, User.display_name), [c.assigned_to for c in cases])
    rows = []
    for case in cases:
        claim = claims[case.claim_id]
        patient = patients.get(claim.patient_id)
        rows.append({
            **{column: getattr(case, column) for column in (
                "id", "practice_id", "claim_id", "category", "rule_id", "reasons", "remarks", "amount",
                "suggested_action", "appeal_deadline", "status", "assigned_to", "created_at",
                "claim_posting_id")},
            "practice_name": practices[case.practice_id].legal_name,
            "patient_control_number": claim.patient_control_number,
            "service_dates": (claim.service_date_from, claim.service_date_to),
            "patient_name": f"{patient.first_name} {patient.last_name}" if patient else "",
            "payer_name": payers[claim.payer_id].name if claim.payer_id in payers else "",
            "reason_text": reason_text(case.reasons),
            "assignee": users[case.assigned_to].display_name if case.assigned_to in users else None,
        })
    return rows


def notes(db: Session, case: DenialCase) -> list[DenialNote]:
    return list(db.scalars(select(DenialNote).where(DenialNote.case_id == case.id).order_by(DenialNote.id)))

