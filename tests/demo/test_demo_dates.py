"""The demo's history reads like a real practice's: its timestamps follow its dates of service (charges
entered days after the visit, claims submitted after entry, 835s paid weeks after submission and posted after
payment, denials worked after they arrive), and the KPI service reports believable figures from it."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from openmso.core.audit import AuditEntry
from openmso.core.tenancy import SYSTEM
from openmso.demo.generator import AS_OF, build_demo
from openmso.rcm.ar import facts
from openmso.rcm.claims.models import Charge, Claim, ClaimBatch, TimelineEntry
from openmso.rcm.demo import subtract_business_days
from openmso.rcm.denials.models import DenialCase, DenialNote
from openmso.rcm.remittance.models import ClaimPosting, PatientLedgerEntry, Remittance
from tests.conftest import restart_ids


@pytest.fixture
def demo(db, tmp_path, fresh_ids):
    summary = build_demo(db, seed=5, practices=3, patients=800, clearinghouse_dir=tmp_path / "clearinghouse",
                         as_of=AS_OF)
    db.flush()
    return summary


def _last_full_month(as_of: date) -> tuple[date, date]:
    end = as_of.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), date(end.year, end.month, calendar.monthrange(end.year, end.month)[1])


def test_demo_kpis_read_like_a_real_practice(db, demo):
    months = facts.kpi_trend(db, SYSTEM, AS_OF, 4)
    full = [m for m in months if m.month < AS_OF.replace(day=1) and m.claims]
    assert len(full) == 3
    for month in full:
        assert 1 <= month.values["charge_lag"] <= 7, month
        assert 0 <= month.values["payment_posting_lag"] <= 4, month
    first, _ = _last_full_month(AS_OF)
    (last_full,) = [m for m in months if m.month == first]
    assert 15 <= last_full.values["days_in_ar"] <= 80
    assert all(m.values["days_in_ar"] and m.values["days_in_ar"] > 0 for m in full)


def test_every_timestamp_follows_the_visit_and_precedes_the_demos_today(db, demo):
    today = AS_OF + timedelta(days=1)
    entered = db.execute(select(Charge.service_date, Charge.created_at)).all()
    assert entered and all(day < when.date() < today for day, when in entered)
    lags = [(when.date() - day).days for day, when in entered]
    assert 1 <= sum(lags) / len(lags) <= 7 and max(lags) <= 10
    edits = db.execute(select(TimelineEntry.claim_id, TimelineEntry.occurred_at, TimelineEntry.detail)
                       .where(TimelineEntry.event.in_(("edit", "rebill"))).order_by(TimelineEntry.id)).all()
    fixed = {claim_id: when for claim_id, when, _ in edits}  # each claim's last fix (or bill to another payer)
    held_fixes = {claim_id: when for claim_id, when, detail in edits if detail.startswith("fixed from the scrubber")}
    assert held_fixes, "the billers fix claims the scrubber held"
    for claim_id, claim_created, entry, submitted in db.execute(
            select(Claim.id, Claim.created_at, func.max(Charge.created_at), Claim.submitted_at)
            .join(Charge, Charge.claim_id == Claim.id).where(Claim.frequency_code == "1").group_by(Claim.id)):
        assert entry <= claim_created and (submitted is None or claim_created <= submitted)
        # sent in the practice's weekly run after the charge was entered, or after the billers fixed the hold
        assert submitted is None or (submitted - fixed.get(claim_id, entry)).days <= 7
        # a claim is fixed once it has been held three business days
        assert claim_id not in held_fixes or (held_fixes[claim_id].date() - claim_created.date()).days >= 3
    # a payer's rejection is worked two business days after it arrived
    rejected = db.execute(select(TimelineEntry.claim_id, TimelineEntry.occurred_at, TimelineEntry.detail)
                          .where(TimelineEntry.event == "payer_reject")).all()

    def last_rejection(claim_id: int, before):
        return max(((at, why) for rejected_id, at, why in rejected if rejected_id == claim_id and at < before),
                   default=(None, ""))

    rekeyed = [(claim_id, when) for claim_id, when, detail in edits if detail.startswith("member id re-keyed")]
    assert rekeyed, "the billers re-key member ids the payer did not know"
    for claim_id, when in rekeyed:
        assert subtract_business_days(when.date(), 2) >= last_rejection(claim_id, when)[0].date()
    # a birth date the payer did not match, or a payer that does not cover the patient, waits a week for the front
    # desk (the small network may have none); the patient's other claims on the ended plan go to the new one with it
    for claim_id, when, detail in edits:
        arrived, why = last_rejection(claim_id, when)
        if detail.startswith("birth date confirmed") or (
                detail.startswith("the patient's new plan") and "wrong payer" in why):
            assert subtract_business_days(when.date(), 5) >= arrived.date()
    batches = db.execute(select(ClaimBatch.created_at, ClaimBatch.sent_at)).all()
    assert batches and all(built <= sent and sent.date() < today for built, sent in batches)
    assert db.scalar(select(func.max(TimelineEntry.occurred_at))).date() < today
    assert db.scalar(select(func.max(AuditEntry.occurred_at))).date() <= AS_OF


def test_payments_follow_submission_and_postings_follow_payment(db, demo):
    rows = db.execute(select(ClaimPosting.payment_date, ClaimPosting.posted_at, Claim.submitted_at,
                             Remittance.payment_date)
                      .join(Claim, Claim.id == ClaimPosting.claim_id)
                      .join(Remittance, Remittance.id == ClaimPosting.remittance_id)
                      .where(Claim.frequency_code == "1", ClaimPosting.status_code != "22")).all()
    assert rows
    for paid_on, posted_at, submitted_at, bpr16 in rows:
        assert paid_on == bpr16 and 14 <= (paid_on - submitted_at.date()).days <= 35
        assert paid_on < posted_at.date() <= paid_on + timedelta(days=4)
    assert all(paid_on <= AS_OF for paid_on in db.scalars(select(Remittance.payment_date)))
    # a claim resubmitted as a replacement is reversed by the payer with the replacement's answer, not its own
    # (whether this small network resubmits any depends on the simulator's draws, which read database ids)
    replacement = Claim.__table__.alias("replacement")
    reversals = db.execute(select(ClaimPosting.payment_date, replacement.c.submitted_at)
                           .join(replacement, replacement.c.original_claim_id == ClaimPosting.claim_id)
                           .where(ClaimPosting.status_code == "22")).all()
    assert all(14 <= (paid_on - submitted_at.date()).days <= 35 for paid_on, submitted_at in reversals)
    answered = db.scalar(select(func.count()).select_from(ClaimPosting).join(
        replacement, replacement.c.id == ClaimPosting.claim_id).where(ClaimPosting.status_code != "22"))
    assert len(reversals) <= answered  # no original is taken back before its replacement is answered


def test_denials_are_worked_after_they_arrive_and_patients_pay_after_their_statements(db, demo):
    notes = db.execute(select(DenialCase.created_at, DenialNote.created_at)
                       .join(DenialNote, DenialNote.case_id == DenialCase.id)).all()
    assert notes and all((noted - opened).days >= 2 for opened, noted in notes)
    payments = db.execute(select(PatientLedgerEntry.practice_id, PatientLedgerEntry.patient_id,
                                 PatientLedgerEntry.entered_on).where(PatientLedgerEntry.kind == "payment")).all()
    assert payments
    for practice_id, patient_id, paid_on in payments:
        owed_since = db.scalar(select(func.min(PatientLedgerEntry.entered_on)).where(
            PatientLedgerEntry.practice_id == practice_id, PatientLedgerEntry.patient_id == patient_id,
            PatientLedgerEntry.kind != "payment"))
        assert owed_since + timedelta(days=14) <= paid_on < AS_OF


def test_the_same_seed_and_day_give_the_same_history(session_factory, tmp_path):
    """On a fresh database the whole history repeats: every timestamp, submission, posting and audit entry.
    (Ids reach the payer simulator's answers through CLM01, which the practice id leads, so each build starts
    its ids from 1, as a fresh database does.)"""
    def history(number: int):
        db = session_factory()
        restart_ids(db)
        build_demo(db, seed=3, practices=2, patients=150, clearinghouse_dir=tmp_path / str(number), as_of=AS_OF)
        db.flush()
        first_sent = (select(TimelineEntry.claim_id, func.min(TimelineEntry.occurred_at).label("at"))
                      .where(TimelineEntry.event == "submit").group_by(TimelineEntry.claim_id).subquery())
        result = [db.execute(select(Charge.service_date, Charge.created_at, Claim.created_at, first_sent.c.at)
                             .select_from(Charge).join(Claim, Claim.id == Charge.claim_id)
                             .outerjoin(first_sent, first_sent.c.claim_id == Claim.id)
                             .order_by(Charge.id)).all(),
                  db.execute(select(Claim.submitted_at).order_by(Claim.id)).all(),
                  db.execute(select(ClaimPosting.payment_date, ClaimPosting.posted_at, ClaimPosting.paid)
                             .order_by(ClaimPosting.id)).all(),
                  db.execute(select(AuditEntry.occurred_at, AuditEntry.action).order_by(AuditEntry.seq)).all()]
        db.rollback()
        return result

    first = history(1)
    assert first[0] and first == history(2)


def test_the_next_payer_is_billed_after_the_primary_payment_is_posted_and_answers_as_secondary(db, demo):
    later = aliased(Claim)
    rows = db.execute(select(later.id, later.created_at, func.max(ClaimPosting.posted_at))
                      .join(ClaimPosting, ClaimPosting.claim_id == later.primary_claim_id)
                      .where(later.primary_claim_id.is_not(None)).group_by(later.id, later.created_at)).all()
    assert rows, "the billers bill the secondary plans of patients who have one"
    assert all(posted <= created for _, created, posted in rows)
    answered = db.scalars(select(ClaimPosting.status_code).where(
        ClaimPosting.claim_id.in_([claim_id for claim_id, _, _ in rows]))).all()
    assert answered and set(answered) <= {"2", "3", "22", "4"} and "2" in answered
