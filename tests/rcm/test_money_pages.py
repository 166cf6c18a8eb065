"""The money-in pages over real postings: every page renders its rows, and the denial and payment forms act."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from openmso.agreements import presets
from openmso.agreements.catalogue import ServiceKey
from openmso.core.tenancy import SYSTEM, Role
from openmso.rcm.claims import service as claims_service
from openmso.rcm.claims.models import Claim
from openmso.rcm.claims.schemas import Correction
from openmso.rcm.denials.models import DenialCase
from openmso.rcm.remittance.ingest import ingest_file
from openmso.rcm.remittance.models import PatientLedgerEntry, Remittance
from tests.factories import add_signed_agreement, add_user, build_world, signed_in
from tests.rcm.conftest import world_clinic
from tests.rcm.remits import accepted_claims, denied, paid, render, transaction


def _admin(client, db, settings):
    world = build_world(db)
    return world, signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))


def test_every_money_in_page_shows_its_rows(client, db, settings):
    world, browser = _admin(client, db, settings)
    listing = browser.get("/remittances")
    assert listing.status_code == 200 and "Qzalpha Health Plan" in listing.text and "QzalphaEFT" in listing.text
    remittance = db.scalar(select(Remittance).where(Remittance.trace_number == "QzalphaEFT"))
    detail = browser.get(f"/remittances/{remittance.id}").text
    assert "CO:45:58.00 PR:2:20.00" in detail and "Qzalphason" in detail and "no claim QzalphaX9" in detail
    assert "QzbravoX9" in browser.get("/remittances/exceptions").text
    worklist = browser.get("/denials").text
    assert "Authorization" in worklist and "Qzcharlieson" in worklist and "CATEGORY" not in worklist
    case = db.scalar(select(DenialCase).where(DenialCase.status == "open").order_by(DenialCase.id))
    left = (case.appeal_deadline - date.today()).days  # the world's denial is paid 2026-11-02: months to appeal
    words = f"{abs(left)} days {'left' if left > 0 else 'late'}" if abs(left) > 1 else None
    assert words is None or f'appeal-by nowrap{" late" if left < 14 else ""}">{case.appeal_deadline.isoformat()} ' \
        f'<span class="muted">({words})' in worklist
    balances = browser.get("/patient-balances").text
    owing = db.scalar(select(PatientLedgerEntry).where(PatientLedgerEntry.practice_id == world.practices[0].id))
    row = balances[balances.index(f'<a href="/patients/{owing.patient_id}">'):]
    assert "Qzalphason" in row[:row.index("</tr>")] and world.practices[0].legal_name in row[:row.index("</tr>")]
    one = browser.get("/patient-balances", params={"practice_id": world.practices[0].id}).text
    assert "Qzalphason" in one and world.practices[0].legal_name not in one[one.index('<table id="balances"'):]
    aging = browser.get("/ar/aging", params={"as_of": "2026-11-20"}).text
    # each practice's own row shows; the network total of 3 patients is hidden as under 11 patients
    assert "<svg" in aging and "$145.00" in aging and "$435.00" not in aging and "&lt;11 pts" in aging
    assert "$20.00" in browser.get("/ar/aging", params={"kind": "patient", "by": "practice"}).text
    assert "No underpayments" in browser.get("/underpayments").text
    kpis = browser.get("/kpis", params={"as_of": "2026-11-20", "months": 3, "practice_id": world.practices[0].id})
    assert kpis.status_code == 200 and kpis.text.count("<svg") == 9 and "Denial rate: 50.0%" in kpis.text
    assert "/api/v1/kpis.csv?months=3&amp;as_of=2026-11-20" in kpis.text
    assert "&lt;11 pts" in browser.get("/kpis", params={"as_of": "2026-11-20", "months": 3}).text


def test_denial_forms_assign_note_and_transfer_then_the_patient_pays(client, db, settings):
    world, browser = _admin(client, db, settings)
    practice = world.practices[0]
    refused = db.scalar(select(DenialCase).where(DenialCase.practice_id == practice.id))  # CO-197
    clinic = world_clinic(db, world)
    clinic.patients = clinic.patients[1:]  # the patient without a balance yet
    [claim] = accepted_claims(db, clinic, 1)  # OA-27: denied after coverage ended
    ingest_file(db, SYSTEM, "ended.835", render(transaction(practice, [denied(claim, "OA", "27")], trace="ENDED1")))
    case = db.scalar(select(DenialCase).where(DenialCase.claim_id == claim.id))
    staff = add_user(db, Role.MSO_STAFF, display_name="Dana Denials", scope=[practice])
    kept = browser.post(f"/denials/{refused.id}/transfer", data={"reason": "waiver signed"}, follow_redirects=False)
    assert kept.status_code == 409 and "the patient may not be billed" in kept.text
    page = browser.get(f"/denials/{case.id}")
    assert "Dana Denials" in page.text and "Write off" in page.text
    assert browser.post(f"/denials/{case.id}/assign", data={"user_id": str(staff.id)},
                        follow_redirects=False).status_code == 303
    browser.post(f"/denials/{case.id}/notes", data={"text": "payer says resubmit with auth"})
    moved = browser.post(f"/denials/{case.id}/transfer", data={"reason": "waiver signed"}, follow_redirects=False)
    assert moved.status_code == 303
    after = browser.get(f"/denials/{case.id}").text
    assert "Transferred" in after and "payer says resubmit with auth" in after and "Dana Denials" in after
    balances = browser.get("/patient-balances", params={"practice_id": practice.id}).text
    assert "$145.00" in balances and "$20.00" in balances
    owing = [line for line in balances.split("<tr>") if "$145.00" in line][0]
    action = owing.split('action="')[1].split('"')[0]
    paid = browser.post(action, data={"amount": "45.00", "paid_on": "2026-11-20", "reference": "check 1001"},
                        follow_redirects=False)
    assert paid.status_code == 303
    assert "$100.00" in browser.get("/patient-balances", params={"practice_id": practice.id}).text
    letter_case = db.scalar(select(DenialCase).where(DenialCase.practice_id == world.practices[1].id))
    letter = browser.post(f"/denials/{letter_case.id}/appeal-letter", data={"argument": "see records"})
    assert letter.headers["content-type"] == "application/pdf"


def test_an_auditor_may_not_work_denials_under_the_agreement(client, db, settings):
    build_world(db)
    auditor = signed_in(client, db, settings, add_user(db, Role.AUDITOR))
    case = db.scalar(select(DenialCase))
    refused = auditor.get(f"/denials/{case.id}")
    assert refused.status_code == 403 and "read-only compliance access" in refused.text
    assert "No denials to work" in auditor.get("/denials").text
    assert auditor.post(f"/denials/{case.id}/notes", data={"text": "x"}).status_code == 403


def _section(page: str, table_id: str) -> str:
    """The HTML of one table of a page, so an assertion cannot be met by another part of it."""
    start = page.index(f'<table id="{table_id}"')
    return page[start:page.index("</table>", start)]


def test_a_claim_and_its_denial_show_what_each_835_said_line_by_line(client, db, settings):
    world, browser = _admin(client, db, settings)
    practice = world.practices[0]
    case = db.scalar(select(DenialCase).where(DenialCase.practice_id == practice.id))  # CO-197 in QzalphaEFT
    claim = db.get(Claim, case.claim_id)
    ingest_file(db, SYSTEM, "again.835", render(transaction(practice, [denied(claim, sign=-1), paid(claim)],
                                                            trace="QzalphaAGAIN")))
    first, again = db.scalars(select(Remittance).where(Remittance.trace_number.in_(("QzalphaEFT", "QzalphaAGAIN")))
                              .order_by(Remittance.id)).all()
    claim_page = browser.get(f"/claims/{claim.id}").text
    payments = _section(claim_page, "claim-payments")
    # oldest first: the denial, the payer's reversal of it (CLP02 22), then the payment, each linked to its 835
    assert [payments.index(f'href="/remittances/{r.id}"') for r in (first, again)] == sorted(
        payments.index(f'href="/remittances/{r.id}"') for r in (first, again))
    assert payments.count("<tr") == 4 and "CLP02 4" in payments and "CLP02 22" in payments and "CLP02 1" in payments
    assert '<div class="posted-line denied">1. 99213 · $0.00 · $0.00 · <code>CO:197:145.00</code>' in payments
    assert "1. 99213 · $87.00 · $67.00 · <code>CO:45:58.00 PR:2:20.00</code>" in payments
    denials = _section(claim_page, "claim-denials")
    assert f'href="/denials/{case.id}"' in denials and "Authorization" in denials and "Settled" in denials

    denial_page = browser.get(f"/denials/{case.id}").text
    assert f'<a href="/remittances/{first.id}">payment QzalphaEFT</a>' in denial_page  # "Denied in"
    marked = _section(denial_page, "denial-payments")
    assert marked.count('class="marked"') == 1 and marked.index('class="marked"') < marked.index("CLP02 22")

    correction = claims_service.correct(db, SYSTEM, claim.id, Correction(kind="replace", reason="wrong code"))
    made = _section(browser.get(f"/claims/{claim.id}").text, "related-claims")
    assert correction.patient_control_number in made and "replacement (frequency 7)" in made
    assert "No 835 has answered this claim yet." in _section(browser.get(f"/claims/{correction.id}").text,
                                                            "claim-payments")


def test_a_practice_user_sees_the_payments_but_not_other_practices_claims(client, db, settings):
    world = build_world(db)
    practice, other = world.practices[0], world.practices[1]
    browser = signed_in(client, db, settings, add_user(db, Role.PRACTICE_USER, practice))
    case = db.scalar(select(DenialCase).where(DenialCase.practice_id == practice.id))
    assert "CO:197:145.00" in _section(browser.get(f"/claims/{case.claim_id}").text, "claim-payments")
    elsewhere = db.scalar(select(DenialCase).where(DenialCase.practice_id == other.id))
    assert browser.get(f"/claims/{elsewhere.claim_id}").status_code == 404


def test_where_the_agreement_keeps_the_revenue_cycle_with_the_practice_the_claim_page_shows_no_payments(
        client, db, settings):
    world = build_world(db)
    practice = world.practices[0]
    case = db.scalar(select(DenialCase).where(DenialCase.practice_id == practice.id))
    terms = presets.standard_terms(date(2025, 1, 1))
    add_signed_agreement(db, practice, signed_on=date(2026, 1, 1), terms=presets.revised(terms, {"services": [
        s for s in terms.services if s.service is not ServiceKey.REVENUE_CYCLE]}))
    browser = signed_in(client, db, settings, add_user(db, Role.MSO_STAFF, scope=[practice]))
    page = browser.get(f"/claims/{case.claim_id}")  # the claim itself is read (PHI access stays)
    assert page.status_code == 200 and db.get(Claim, case.claim_id).patient_control_number in page.text
    assert 'id="claim-payments"' not in page.text and 'id="claim-denials"' not in page.text
    assert "CO:197" not in page.text
    assert browser.get(f"/denials/{case.id}").status_code == 403
