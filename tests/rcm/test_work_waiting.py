"""The network overview's work-waiting panel: how many items (and how much money) wait on each revenue-cycle
worklist, in that worklist's own scope, counted from real postings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from sqlalchemy import func, select

from openmso.core.audit import AuditEntry
from openmso.core.tenancy import SYSTEM, Role
from openmso.network import service as network
from openmso.network.schemas import CoverageCreate
from openmso.rcm.remittance.ingest import ingest_file
from tests.factories import add_payer, add_signed_agreement, add_user, signed_in
from tests.rcm.conftest import make_clinic
from tests.rcm.remits import accepted_claims, denied, paid, render, transaction


def _clinic_with_work(db, marker: str):
    """Four claims of 145.00: one paid (20.00 left to a patient with a secondary plan), one denied CO-197 (145.00
    to recover), one held by the scrubber, one rejected by the payer; and a payment for a claim we never sent
    (67.00: 60% of 145.00 less 20.00 PR)."""
    clinic = make_clinic(db, marker, patients=4)
    add_signed_agreement(db, clinic.practice)
    first, second, third, fourth = accepted_claims(db, clinic, 4)
    stranger = paid(first)
    stranger.patient_control_number, stranger.payer_claim_control_number = f"{marker}NOPE", "PAYERNOPE"
    payment = transaction(clinic.practice, [paid(first), denied(second), stranger], trace=f"{marker}T")
    ingest_file(db, SYSTEM, f"{marker}.835", render(payment))
    third.status, fourth.status = "held", "payer_rejected"
    second_plan = add_payer(db, f"S{marker[-4:].upper()}", f"{marker} Mutual")
    network.add_coverage(db, SYSTEM, clinic.patients[0].id, CoverageCreate(
        payer_id=second_plan.id, member_id="SEC1", priority=2, effective_from=date(2024, 1, 1)))
    db.flush()
    return clinic


def test_the_panel_counts_each_worklist_of_the_practices_the_user_works(client, db, settings):
    clinic = _clinic_with_work(db, "Qzwaitone")
    staff = signed_in(client, db, settings, add_user(db, Role.MSO_STAFF, scope=[clinic.practice]))
    phi_reads = db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.patient_id.is_not(None)))
    waiting = {item["key"]: item for item in staff.get("/api/v1/work-waiting").json()}
    assert {key: (item["count"], item["amount"] and D(item["amount"])) for key, item in waiting.items()} == {
        "held": (1, None), "rejected": (1, None), "denials": (1, D("145.00")), "next_payers": (1, D("20.00")),
        "exceptions": (1, D("67.00"))}
    assert waiting["denials"]["href"] == "/denials"
    # counts name no patient: nothing is added to the patient-data audit trail
    assert db.scalar(select(func.count()).select_from(AuditEntry)
                     .where(AuditEntry.patient_id.is_not(None))) == phi_reads
    panel = staff.get("/work-waiting").text
    assert 'id="waiting-denials"' in panel and "Denials to work" in panel and "$145.00" in panel
    assert 'href="/remittances/exceptions"' in panel
    assert 'hx-get="/work-waiting"' in staff.get("/").text


def test_another_practices_user_sees_none_of_that_work(client, db, settings):
    _clinic_with_work(db, "Qzwaittwo")
    elsewhere = make_clinic(db, "Qzwaitelse", patients=1)
    front_desk = signed_in(client, db, settings, add_user(db, Role.PRACTICE_ADMIN, elsewhere.practice))
    counts = {item["key"]: item["count"] for item in front_desk.get("/api/v1/work-waiting").json()}
    assert counts == {"held": 0, "rejected": 0, "denials": 0, "next_payers": 0, "exceptions": 0}
    assert 'class="stat done"' in front_desk.get("/work-waiting").text
