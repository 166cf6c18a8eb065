"""Denial worklist actions, underpayments, patient balances and A/R aging on posted remittances."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal as D

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from openmso.core.errors import Conflict, Forbidden
from openmso.core.pagination import PageParams
from openmso.core.tenancy import SYSTEM, Role
from openmso.identity.service import actor_for
from openmso.rcm.ar import reports, statements
from openmso.rcm.claims.models import Claim
from openmso.rcm.contracts import service as contracts
from openmso.rcm.denials import service as denials
from openmso.rcm.denials.models import DenialNote
from openmso.rcm.remittance.ingest import ingest_file
from tests.factories import add_signed_agreement, add_user
from tests.rcm.remits import accepted_claims, denied, paid, render, transaction


def _denied_cases(db, clinic, count=2):
    claims = accepted_claims(db, clinic, count)
    ingest_file(db, SYSTEM, "era.835", render(transaction(
        clinic.practice, [denied(c, "CO", "197") for c in claims[:-1]] + [denied(claims[-1], "CO", "50", "N115")])))
    return claims, denials.worklist(db, SYSTEM, denials.WorklistFilter(), PageParams()).rows


def test_the_worklist_orders_by_amount_then_deadline(db, clinic):
    claims = accepted_claims(db, clinic, 2, lines=(("99213", "145.00"),))
    clinic.charge(db, clinic.patients[2], procedure_code="99214", charge_amount=D("210.00"))
    bigger = accepted_claims(db, clinic, 0)
    ingest_file(db, SYSTEM, "era.835", render(transaction(clinic.practice, [denied(c) for c in claims + bigger])))
    rows = denials.worklist(db, SYSTEM, denials.WorklistFilter(), PageParams()).rows
    assert [r.amount for r in rows] == sorted((r.amount for r in rows), reverse=True)
    assert len(bigger) == 1 and rows[0].amount == D("210.00") and len(rows) == 3


def test_the_appeal_letter_pdf_carries_the_claims_facts(db, clinic):
    claims, rows = _denied_cases(db, clinic)
    case = next(r for r in rows if r.claim_id == claims[-1].id)
    pdf = denials.appeal_letter(db, SYSTEM, case.id, today=date(2026, 11, 20))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert claims[-1].patient_control_number in text and claims[-1].payer_claim_number in text
    assert "CO:50" in text and "medical necessity" in text and "145.00" in text
    assert case.status == "appealed"
    denials.write_off(db, SYSTEM, case.id, "the payer upheld the denial")  # an appealed denial is still worked
    with pytest.raises(Conflict):
        denials.write_off(db, SYSTEM, case.id, "too late")


def test_resubmitting_creates_a_frequency_7_replacement(db, clinic):
    claims, rows = _denied_cases(db, clinic, 1)
    replacement = denials.resubmit(db, SYSTEM, rows[0].id, "added the authorization number")
    assert (replacement.frequency_code, replacement.original_claim_id) == ("7", claims[0].id)
    assert rows[0].status == "resubmitted"


def test_write_off_needs_an_administrator_and_leaves_a_note(db, clinic):
    add_signed_agreement(db, clinic.practice)
    _, rows = _denied_cases(db, clinic, 1)
    staff = actor_for(add_user(db, Role.MSO_STAFF, scope=[clinic.practice]))
    with pytest.raises(Forbidden):
        denials.write_off(db, staff, rows[0].id, "not worth appealing")
    admin = actor_for(add_user(db, Role.PRACTICE_ADMIN, clinic.practice))
    denials.write_off(db, admin, rows[0].id, "not worth appealing")
    assert rows[0].status == "written_off"
    assert db.scalars(select(DenialNote.action).where(DenialNote.case_id == rows[0].id)).all() == ["write_off"]


def test_transfer_to_patient_moves_the_balance_and_aging_follows(db, clinic):
    claims = accepted_claims(db, clinic, 1)  # denied OA-27, after coverage ended: the patient's to pay
    ingest_file(db, SYSTEM, "era.835", render(transaction(clinic.practice, [denied(claims[0], "OA", "27")])))
    rows = denials.worklist(db, SYSTEM, denials.WorklistFilter(), PageParams()).rows
    before = reports.insurance_aging(db, SYSTEM, date.today(), "practice", clinic.practice.id)
    assert before[0].aging.total == D("145.00")
    denials.transfer_to_patient(db, SYSTEM, rows[0].id, "coverage had ended")  # closed today
    assert reports.insurance_aging(db, SYSTEM, date.today(), "practice", clinic.practice.id) == []  # none open
    assert reports.patient_balances(db, SYSTEM, clinic.practice.id) == [
        (clinic.practice.id, claims[0].patient_id, D("145.00"))]


def test_underpayments_are_summed_by_payer_and_code_beyond_the_tolerance(db, clinic):
    contracts.import_rates(db, SYSTEM, clinic.practice.id,
                           "payer,code,allowed_amount,effective_from\n60054,99213,95.00,2026-01-01\n"
                           "60054,36415,12.50,2026-01-01\n")
    claims = accepted_claims(db, clinic, 2, lines=(("99213", "145.00"), ("36415", "20.00")))
    ingest_file(db, SYSTEM, "era.835", render(transaction(clinic.practice, [paid(c) for c in claims])))
    rows = reports.underpayments(db, SYSTEM, clinic.practice.id)
    # 99213 allowed 87.00 vs 95.00 on two lines: 16.00 short; 36415 allowed 12.00 vs 12.50 is within 1.00
    assert [(r.procedure_code, r.lines, r.expected, r.allowed, r.difference) for r in rows] == [
        ("99213", 2, D("190.00"), D("174.00"), D("16.00"))]


def test_aging_groups_by_payer_provider_and_network(db, clinic):
    claims = accepted_claims(db, clinic, 2)
    for claim in claims:
        claim.submitted_at = claim.created_at.replace(year=2026, month=7, day=1)
    ingest_file(db, SYSTEM, "era.835", render(transaction(clinic.practice, [paid(claims[0])])))
    for by in reports.GROUPINGS:
        rows = reports.insurance_aging(db, SYSTEM, date(2026, 11, 30), by)  # after the 835's payment date
        assert sum((r.aging.total for r in rows), D("0")) == D("145.00")  # the unpaid claim; the paid one is settled
        assert rows[0].aging.amounts["over_120"] == D("145.00")
    assert db.get(Claim, claims[0].id).status == "paid"


def test_the_patient_statement_lists_the_responsibility_due(db, clinic):
    claims = accepted_claims(db, clinic, 1)
    ingest_file(db, SYSTEM, "era.835", render(transaction(clinic.practice, [paid(claims[0])])))
    statement = statements.patient_statement(db, SYSTEM, clinic.practice.id, claims[0].patient_id,
                                          today=date(2026, 11, 20))
    text = PdfReader(io.BytesIO(statement)).pages[0].extract_text()
    assert "Amount due: $20.00" in text and "responsibility" in text


def test_a_denial_is_assigned_and_noted(db, clinic):
    add_signed_agreement(db, clinic.practice)  # MSO staff work a practice's denials under its agreement
    _, rows = _denied_cases(db, clinic, 1)
    biller = add_user(db, Role.MSO_STAFF, scope=[clinic.practice])
    denials.assign(db, SYSTEM, rows[0].id, biller.id)
    denials.add_note(db, SYSTEM, rows[0].id, "called the payer, reference 123")
    assert rows[0].assigned_to == biller.id
    mine = denials.worklist(db, SYSTEM, denials.WorklistFilter(assigned_to=biller.id), PageParams()).rows
    assert [r.id for r in mine] == [rows[0].id]
    assert db.scalars(select(DenialNote.action).where(DenialNote.case_id == rows[0].id)
                      .order_by(DenialNote.id)).all() == ["assign", "note"]
