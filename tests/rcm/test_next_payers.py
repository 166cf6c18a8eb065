"""Next payers to bill (COB): the worklist of paid claims that left the patient a share a further plan in force is
to be billed for, what each waits on (a denial still being worked, a standing correction), the claim page, and the
demo's billers, who bill them once the earlier payer's payment is posted and nothing is waited on."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from openmso.cli import app
from openmso.core.audit import AuditEntry
from openmso.core.db import unit_of_work
from openmso.core.errors import Conflict
from openmso.core.tenancy import SYSTEM, Role
from openmso.network import schemas as network_schemas
from openmso.network import service as network
from openmso.network.models import Coverage
from openmso.rcm.claims import next_payers, service
from openmso.rcm.claims.models import Claim
from openmso.rcm.claims.schemas import Correction
from openmso.rcm.demo import ClaimsDesk
from openmso.rcm.denials import service as denials
from openmso.rcm.denials.models import DenialCase
from openmso.rcm.remittance.ingest import ingest_file
from openmso.x12 import Adjustment
from tests.factories import add_payer, add_signed_agreement, add_user, signed_in
from tests.rcm.conftest import AS_OF, make_clinic
from tests.rcm.remits import accepted_claims, paid, render, transaction

LINES = (("99213", "145.00"), ("85025", "30.00"))


@pytest.fixture
def billers(db, clinic, tmp_path):
    """The demo's claims desk, opened once the test's claims are built (it enters the demo's own charges)."""
    add_signed_agreement(db, clinic.practice)
    return lambda: ClaimsDesk(db, tmp_path / "ch", seed=1, as_of=AS_OF)


def _add_plan(db, patient, priority: int, payer_code: str, member_id: str, effective_from=date(2024, 1, 1),
              effective_to=None):
    payer = add_payer(db, payer_code, f"Plan {payer_code}")
    network.add_coverage(db, SYSTEM, patient.id, network_schemas.CoverageCreate(
        payer_id=payer.id, member_id=member_id, priority=priority, effective_from=effective_from,
        effective_to=effective_to))
    db.flush()
    return payer


def _post(db, clinic, claim: Claim, payment, trace: str) -> Claim:
    ingest_file(db, SYSTEM, f"{trace}.835", render(transaction(clinic.practice, [payment], trace=trace)))
    db.expire_all()
    return db.get(Claim, claim.id)


def _second_line_denied(claim: Claim):
    """The first line paid with a 20.00 share left to the patient; the second (85025, 30.00) denied CO-197."""
    payment = paid(claim)
    line = payment.service_lines[1]
    payment.paid -= line.paid
    line.paid, line.adjustments = D("0.00"), [Adjustment("CO", "197", line.charge)]
    return payment


def _billed_next(db, claim: Claim) -> list[Claim]:
    return list(db.scalars(select(Claim).where(Claim.primary_claim_id == claim.id)))


def test_a_share_left_to_a_patient_with_a_secondary_is_billed_to_it_and_nothing_else_is(db, clinic, billers):
    shared, nothing_left, no_secondary = accepted_claims(db, clinic, 3, LINES)
    for patient in clinic.patients[:2]:
        _add_plan(db, patient, 2, f"S{patient.id:04d}", f"SEC{patient.id}")
    shared = _post(db, clinic, shared, paid(shared), "SHARED")
    nothing_left = _post(db, clinic, nothing_left, paid(nothing_left, patient=D("0.00")), "NOSHARE")
    no_secondary = _post(db, clinic, no_secondary, paid(no_secondary), "NOSECOND")
    desk = billers()
    desk.bill_next_payers()
    [secondary] = _billed_next(db, shared)
    assert (secondary.payer_responsibility, secondary.primary_patient_responsibility) == ("S", D("20.00"))
    assert _billed_next(db, nothing_left) == [] and _billed_next(db, no_secondary) == []
    assert desk.summary.next_payers_billed == 1
    desk.bill_next_payers()  # the next business day: billed once
    assert len(_billed_next(db, shared)) == 1 and desk.summary.next_payers_billed == 1


def test_the_next_plan_is_the_one_of_the_next_order_in_force_on_the_date_of_service(db, clinic):
    """Secondary before tertiary; a plan that ended the day before the visit, or starts the day after, is not in
    force, and one ending on the day of the visit is (the end date is inclusive)."""
    [claim] = accepted_claims(db, clinic, 1, LINES)
    patient, day = clinic.patients[0], claim.service_date_from
    assert service.next_coverage(db, claim) is None
    _add_plan(db, patient, 3, "TER01", "TER1")
    assert service.next_coverage(db, claim).member_id == "TER1"
    _add_plan(db, patient, 2, "OLD01", "OLD1", effective_to=day - timedelta(days=1))
    _add_plan(db, patient, 2, "NEW01", "NEW1", effective_from=day + timedelta(days=1))
    assert service.next_coverage(db, claim).member_id == "TER1"
    old = db.scalars(select(Coverage).where(Coverage.member_id == "OLD1")).one()
    old.effective_to = day
    db.flush()
    assert service.next_coverage(db, claim).member_id == "OLD1"


def test_a_claim_with_a_denied_line_being_worked_waits_for_the_denial(client, db, settings, clinic, billers):
    """The office waits for the appeal, correction or write-off of the denied line, so the secondary is sent the
    primary's final word; the claim page says so and links the case, and the biller may still bill it."""
    [claim] = accepted_claims(db, clinic, 1, LINES)
    _add_plan(db, clinic.patients[0], 2, "SX001", "SEC123")
    claim = _post(db, clinic, claim, _second_line_denied(claim), "PARTIAL")
    assert claim.status == "partially_paid"
    [case] = db.scalars(select(DenialCase).where(DenialCase.claim_id == claim.id)).all()
    assert (case.status, case.amount) == ("open", D("30.00"))
    desk = billers()
    desk.bill_next_payers()
    assert _billed_next(db, claim) == [] and desk.summary.next_payers_billed == 0

    browser = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
    page = browser.get(f"/claims/{claim.id}").text
    assert 'id="secondary-form"' in page and 'id="denials-in-work"' in page
    link = f'<a href="/denials/{case.id}">Authorization denial, $30.00</a>'
    assert f"{link} (Open, appeal by {case.appeal_deadline})" in page
    case_page = browser.get(f"/denials/{case.id}").text  # and the denial says a second payer waits on it
    assert ('id="next-plan-waiting">The patient\'s secondary plan, Plan SX001 (member SEC123), waits on this '
            "denial") in case_page

    denials.write_off(db, SYSTEM, case.id, "no authorization on file; below the cost of an appeal")
    assert 'id="next-plan-waiting"' not in browser.get(f"/denials/{case.id}").text
    assert 'id="denials-in-work"' not in browser.get(f"/claims/{claim.id}").text
    desk.bill_next_payers()
    [secondary] = _billed_next(db, claim)
    assert secondary.primary_paid == D("67.00") and desk.summary.next_payers_billed == 1


def test_a_claim_being_corrected_is_billed_to_the_next_payer_from_its_correction(client, db, settings, clinic,
                                                                                   billers):
    """A replacement made from the denial worklist (or the claim page) replaces the payer's decision: the next
    payer billed now would be sent a decision about to change, so neither the billers nor a person may bill it
    from the original; the page links the correction instead of offering the bill."""
    [claim] = accepted_claims(db, clinic, 1, LINES)
    _add_plan(db, clinic.patients[0], 2, "SX001", "SEC123")
    claim = _post(db, clinic, claim, paid(claim), "PAIDONCE")
    replacement = service.correct(db, SYSTEM, claim.id, Correction(kind="replace", reason="wrong diagnosis"))
    with pytest.raises(Conflict, match=f"being corrected by {replacement.patient_control_number}"):
        service.bill_secondary(db, SYSTEM, claim.id)
    desk = billers()
    desk.bill_next_payers()
    assert _billed_next(db, claim) == [] and desk.summary.next_payers_billed == 0
    browser = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
    page = browser.get(f"/claims/{claim.id}").text
    assert 'id="secondary-form"' not in page
    assert (f'Being corrected by <a href="/claims/{replacement.id}">{replacement.patient_control_number}</a>: '
            "Plan SX001 is billed from the correction") in page
    replacement.status = "payer_rejected"  # the payer's front end turned it down: the original's decision stands
    db.flush()
    desk.bill_next_payers()
    assert len(_billed_next(db, claim)) == 1


def test_the_worklist_lists_the_shares_to_bill_oldest_payment_first_with_what_each_waits_on(client, db, settings,
                                                                                             clinic):
    add_signed_agreement(db, clinic.practice)
    claims = accepted_claims(db, clinic, 3, LINES)
    for patient in clinic.patients:
        _add_plan(db, patient, 2, f"S{patient.id:04d}", f"SEC{patient.id}")
    waits_on_denial, being_corrected, ready = claims
    ready = _post(db, clinic, ready, paid(ready), "READY1")  # the 835s' payment date is the same: then by id
    waits_on_denial = _post(db, clinic, waits_on_denial, _second_line_denied(waits_on_denial), "DENIED1")
    being_corrected = _post(db, clinic, being_corrected, paid(being_corrected), "CORR1")
    replacement = service.correct(db, SYSTEM, being_corrected.id, Correction(kind="replace", reason="wrong code"))
    [case] = db.scalars(select(DenialCase).where(DenialCase.claim_id == waits_on_denial.id)).all()

    biller = add_user(db, Role.MSO_STAFF, scope=[clinic.practice])
    browser = signed_in(client, db, settings, biller)
    listed = browser.get("/api/v1/worklists/next-payers").json()
    assert [row["id"] for row in listed["items"]] == [waits_on_denial.id, being_corrected.id, ready.id]
    assert listed["total"] == 3
    page = browser.get("/claims/worklists/next-payers").text
    row = page[page.index(f'id="next-payer-{waits_on_denial.id}"'):]
    row = row[:row.index("</tr>")]
    assert "$20.00" in row and f"Plan S{clinic.patients[0].id:04d}" in row and "secondary" in row
    assert f'<a href="/denials/{case.id}">Authorization denial, $30.00</a> (Open)' in row and "Bill secondary" in row
    row = page[page.index(f'id="next-payer-{being_corrected.id}"'):]
    row = row[:row.index("</tr>")]
    assert f'<a href="/claims/{replacement.id}">{replacement.patient_control_number}</a>' in row
    assert "Bill secondary" not in row  # billed from the correction once it is answered

    response = browser.post(f"/claims/{ready.id}/secondary", follow_redirects=False)
    assert response.status_code == 303
    assert [row["id"] for row in browser.get("/api/v1/worklists/next-payers").json()["items"]] == [
        waits_on_denial.id, being_corrected.id]
    others = signed_in(client, db, settings, add_user(db, Role.PRACTICE_ADMIN, make_clinic(db, "Qzelse").practice))
    assert others.get("/api/v1/worklists/next-payers").json()["total"] == 0
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "claim.worklist_next_payers")
                       .order_by(AuditEntry.id.desc())).first()
    assert entry is not None and entry.reason == "rows=0"


def _one_line(claim, paid_amount: str, adjustments):
    """The payer's CLP (status 1) for a one-line claim: `paid_amount` and the (group, CARC, amount) adjustments."""
    [line] = claim.lines
    service_payment = paid(claim).service_lines[0]
    service_payment.paid = D(paid_amount)
    service_payment.adjustments = [Adjustment(group, carc, D(amount)) for group, carc, amount in adjustments]
    payment = paid(claim)
    payment.service_lines = [service_payment]
    payment.paid = D(paid_amount)
    payment.patient_responsibility = sum((D(a) for g, _, a in adjustments if g == "PR"), D("0.00"))
    assert line.charge_amount == D(paid_amount) + sum((D(a) for _, _, a in adjustments), D("0.00"))
    return payment


def _accepted(db, claim: Claim) -> Claim:
    """The payer's 277CA accepted it, with its claim number."""
    claim.status, claim.payer_claim_number = "payer_accepted", f"PCN{claim.id:07d}"
    db.flush()
    return claim


def _post_as(db, clinic, claim: Claim, payment, trace: str, payer_code: str = "60054") -> Claim:
    ingest_file(db, SYSTEM, f"{trace}.835", render(transaction(clinic.practice, [payment], trace=trace,
                                                               payer_code=payer_code)))
    db.expire_all()
    return db.get(Claim, claim.id)


def _listed(db) -> list[int]:
    return list(db.scalars(select(Claim.id).where(*next_payers.to_bill()).order_by(Claim.id)))


def test_a_secondary_that_left_the_patient_a_share_is_listed_and_billed_to_the_tertiary(db, clinic, billers):
    [primary] = accepted_claims(db, clinic, 1, (("99213", "200.00"),))
    _add_plan(db, clinic.patients[0], 2, "SX001", "SEC1")
    _add_plan(db, clinic.patients[0], 3, "TX001", "TER1")
    primary = _post_as(db, clinic, primary, _one_line(primary, "120.00", [("CO", "45", "50.00"),
                                                                          ("PR", "2", "30.00")]), "PRIM1")
    desk = billers()
    desk.bill_next_payers()
    [secondary] = _billed_next(db, primary)
    secondary = _post_as(db, clinic, _accepted(db, secondary), _one_line(
        secondary, "20.00", [("OA", "23", "170.00"), ("PR", "2", "10.00")]), "SEC1", payer_code="SX001")
    assert secondary.status == "paid" and _listed(db) == [secondary.id]
    desk.bill_next_payers()
    [tertiary] = _billed_next(db, secondary)
    assert (tertiary.payer_responsibility, tertiary.primary_patient_responsibility) == ("T", D("10.00"))
    assert _listed(db) == []


def test_a_replacement_paid_without_a_reversal_of_the_original_is_billed_to_the_next_payer_once(db, clinic,
                                                                                                  billers):
    """The payer decides the corrected claim anew (the patient still owes 30.00 of it) and never reverses the
    original: the replacement's share is billed to the secondary. Had the secondary been billed from the original,
    it is corrected in turn, not billed again from the replacement."""
    first, second = accepted_claims(db, clinic, 2, (("99213", "200.00"),))
    for patient in clinic.patients[:2]:
        _add_plan(db, patient, 2, f"S{patient.id:04d}", f"SEC{patient.id}")
    decided = [("CO", "45", "50.00"), ("PR", "2", "30.00")]
    first, second = (_post_as(db, clinic, claim, _one_line(claim, "120.00", decided), f"ORIG{claim.id}")
                     for claim in (first, second))
    billed_from_original = service.bill_secondary(db, SYSTEM, second.id)
    replacements = []
    for claim in (first, second):
        replacement = _accepted(db, service.correct(db, SYSTEM, claim.id, Correction(kind="replace",
                                                                                    reason="wrong modifier")))
        service.supersede_on_acceptance(db, SYSTEM, replacement)
        replacements.append(_post_as(db, clinic, replacement, _one_line(replacement, "110.00", [
            ("CO", "45", "50.00"), ("PR", "2", "40.00")]), f"REPL{replacement.id}"))
    assert [db.get(Claim, claim.id).status for claim in (first, second)] == ["closed", "closed"]
    assert [replacement.status for replacement in replacements] == ["paid", "paid"]
    assert _listed(db) == [replacements[0].id]
    with pytest.raises(Conflict, match="already been billed for this service"):
        service.bill_secondary(db, SYSTEM, replacements[1].id)
    desk = billers()
    desk.bill_next_payers()
    [secondary] = _billed_next(db, replacements[0])
    assert secondary.primary_patient_responsibility == D("40.00")
    assert _billed_next(db, replacements[1]) == [] and billed_from_original.status == "draft"


def _two_shares_one_waiting(db, clinic):
    """Two paid claims that left 20.00 to patients with a secondary plan; the first has a denied line being worked."""
    add_signed_agreement(db, clinic.practice)
    waiting, ready = accepted_claims(db, clinic, 2, LINES)
    for patient in clinic.patients[:2]:
        _add_plan(db, patient, 2, f"S{patient.id:04d}", f"SEC{patient.id}")
    waiting = _post(db, clinic, waiting, _second_line_denied(waiting), "WAIT1")
    ready = _post(db, clinic, ready, paid(ready), "READY1")
    return waiting, ready


def test_billing_every_ready_claim_bills_those_that_wait_on_nothing_from_the_page_and_the_api(client, db, settings,
                                                                                              clinic):
    waiting, ready = _two_shares_one_waiting(db, clinic)
    browser = signed_in(client, db, settings, add_user(db, Role.MSO_STAFF, scope=[clinic.practice]))
    response = browser.post("/claims/worklists/next-payers/bill-ready", data={"practice_id": clinic.practice.id},
                            follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == (f"/claims/worklists/next-payers?practice_id={clinic.practice.id}"
                                            "&billed=1&skipped=0")
    page = browser.get(response.headers["location"]).text
    assert "1 next payer billed" in page and f'id="next-payer-{waiting.id}"' in page
    assert f'id="next-payer-{ready.id}"' not in page
    [secondary] = _billed_next(db, ready)
    assert secondary.status == "draft" and _billed_next(db, waiting) == []
    again = browser.post("/api/v1/worklists/next-payers/bill").json()  # nothing left that waits on nothing
    assert again == {"billed": [], "skipped": {}}
    auditor = signed_in(client, db, settings, add_user(db, Role.AUDITOR))
    assert auditor.post("/api/v1/worklists/next-payers/bill").status_code == 403


def test_the_command_line_bills_the_ready_next_payers(cli_sessions):
    with unit_of_work(cli_sessions) as db:
        clinic = make_clinic(db, "Qzcliwait", patients=2)
        waiting, ready = _two_shares_one_waiting(db, clinic)
        waiting_id, ready_id = waiting.id, ready.id
    result = CliRunner().invoke(app, ["claims", "bill-next-payers"])
    assert result.exit_code == 0, result.output
    assert "1 next payer(s) billed; 0 left on the list" in result.output
    with unit_of_work(cli_sessions) as db:
        assert [claim.primary_claim_id for claim in db.scalars(
            select(Claim).where(Claim.primary_claim_id.is_not(None)))] == [ready_id]
        assert waiting_id != ready_id


def test_a_reader_who_may_not_work_the_claims_is_offered_no_bill_buttons(client, db, settings, clinic):
    _, ready = _two_shares_one_waiting(db, clinic)
    staff = signed_in(client, db, settings, add_user(db, Role.MSO_STAFF, scope=[clinic.practice]))
    page, claim_page = staff.get("/claims/worklists/next-payers").text, staff.get(f"/claims/{ready.id}").text
    assert 'id="bill-ready"' in page and f'action="/claims/{ready.id}/secondary"' in page
    assert 'id="secondary-form"' in claim_page and 'id="correction-form"' in claim_page
    assert 'id="read-only-claim"' not in claim_page and "<h2>Correct this claim</h2>" in claim_page
    auditor = signed_in(client, db, settings, add_user(db, Role.AUDITOR))
    page, claim_page = auditor.get("/claims/worklists/next-payers").text, auditor.get(f"/claims/{ready.id}").text
    assert f'id="next-payer-{ready.id}"' in page  # still listed: an auditor reads the worklist
    assert 'id="bill-ready"' not in page and "/secondary" not in page and 'id="read-only-list"' in page
    assert 'id="secondary-form"' not in claim_page and 'id="correction-form"' not in claim_page
    assert "You may read this claim, not work it" in claim_page
    assert "<h2>Corrections and next payer</h2>" in claim_page and "Correct this claim" not in claim_page
    assert auditor.post(f"/claims/{ready.id}/secondary").status_code == 403  # the check stands behind the page
