"""A denial the payer takes back (a reversal, CLP02 22, and the corrected adjudication after it) is
settled by that posting: off the worklist, with a note saying by what; a new denial opens its own case."""

from __future__ import annotations

from sqlalchemy import select

from openmso.core.tenancy import SYSTEM
from openmso.rcm.claims.models import Claim
from openmso.rcm.denials.models import DenialCase, DenialNote
from openmso.rcm.remittance.ingest import ingest_file
from tests.rcm.remits import accepted_claims, denied, paid, render, transaction


def _post(db, clinic, claims, trace):
    report = ingest_file(db, SYSTEM, f"{trace}.835", render(transaction(clinic.practice, claims, trace=trace)))
    db.flush()
    assert report.posted == 1, report
    return report


def _cases(db, claim_id):
    return db.scalars(select(DenialCase).where(DenialCase.claim_id == claim_id).order_by(DenialCase.id)).all()


def test_a_denial_reversed_and_paid_is_settled_and_the_claim_is_paid(db, clinic):
    [claim] = accepted_claims(db, clinic, 1)
    _post(db, clinic, [denied(claim, "CO", "16")], "DENY1")
    [case] = _cases(db, claim.id)
    assert case.status == "open"
    _post(db, clinic, [denied(claim, "CO", "16", sign=-1), paid(claim)], "REPAY1")
    [case] = _cases(db, claim.id)
    assert case.status == "settled" and case.closed_at is not None
    note = db.scalars(select(DenialNote).where(DenialNote.case_id == case.id)).one()
    assert note.action == "settled" and "835 REPAY1" in note.text and "paid" in note.text
    assert db.get(Claim, claim.id).status == "paid"


def test_a_denial_reversed_and_denied_again_leaves_only_the_new_case_open(db, clinic):
    [claim] = accepted_claims(db, clinic, 1)
    _post(db, clinic, [denied(claim, "CO", "16")], "DENY2")
    _post(db, clinic, [denied(claim, "CO", "16", sign=-1), denied(claim, "CO", "197")], "REDENY2")
    first, second = _cases(db, claim.id)
    assert (first.status, second.status) == ("settled", "open") and second.reasons.startswith("CO:197")


def test_a_reversal_alone_leaves_the_denial_to_be_worked(db, clinic):
    [claim] = accepted_claims(db, clinic, 1)
    _post(db, clinic, [denied(claim, "CO", "16")], "DENY3")
    _post(db, clinic, [denied(claim, "CO", "16", sign=-1)], "TAKEBACK3")
    [case] = _cases(db, claim.id)
    assert case.status == "open"  # the payer has not adjudicated again yet


def test_the_worklist_lists_settled_denials_under_their_own_status_only(client, db, settings, clinic):
    from openmso.core.tenancy import Role
    from tests.factories import add_signed_agreement, add_user, signed_in

    add_signed_agreement(db, clinic.practice)
    [claim] = accepted_claims(db, clinic, 1)
    _post(db, clinic, [denied(claim, "CO", "16")], "DENY4")
    _post(db, clinic, [denied(claim, "CO", "16", sign=-1), paid(claim)], "REPAY4")
    browser = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
    to_work = browser.get("/api/v1/denials", params={"practice_id": clinic.practice.id}).json()
    settled = browser.get("/api/v1/denials", params={"practice_id": clinic.practice.id, "status": "settled"}).json()
    assert to_work["total"] == 0 and settled["total"] == 1
    assert "Settled" in browser.get("/denials", params={"practice_id": clinic.practice.id}).text
