"""A first payer adjudicating its claim again without a reversal (CLP02 22) in between: the patient ledger, the
statement, insurance aging and the KPIs all count each claim line's decision once (`later_payers.replaced_parts`).

The hand-worked claim of `test_cob_secondary_books`: charge 200.00 (one 99213 line); the primary pays 120.00,
CO-45 50.00 (over its fee), PR-2 30.00 (coinsurance); a secondary, when billed, pays the 30.00 and reports the
primary's 170.00 as OA-23.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from openmso.core.tenancy import SYSTEM, Role
from openmso.network import schemas as network_schemas
from openmso.network import service as network
from openmso.rcm.ar import facts, reports, statements
from openmso.rcm.claims import cob, service
from openmso.rcm.remittance import ingest
from openmso.rcm.remittance.models import PatientLedgerEntry, RemittanceException
from openmso.x12 import Adjustment, ClaimPayment
from tests.factories import add_payer, add_signed_agreement, add_user, signed_in
from tests.rcm.conftest import make_clinic
from tests.rcm.remits import _line, accepted_claims
from tests.rcm.test_cob_secondary_books import (
    AS_OF,
    PRIMARY,
    _balance,
    _books,
    _entries,
    _pay_secondary,
    _payment,
    _post,
)

NOT_COVERED = (("CO", "45", "50.00"), ("PR", "204", "150.00"))  # denied: the service is not covered, the patient's


def _denial(claim) -> ClaimPayment:
    payment = _payment(claim, "0.00", NOT_COVERED)
    payment.status_code = "4"  # CLP02 4: denied
    return payment


def _billed_claim(db, marker: str):
    clinic = make_clinic(db, marker, patients=1)
    [claim] = accepted_claims(db, clinic, 1, (("99213", "200.00"),))
    claim.submitted_at = datetime(2026, 10, 2, 9, tzinfo=UTC)  # billed, so its open balance ages
    db.flush()
    return clinic, claim


def _one_835(monkeypatch, sent: str, db, clinic, payments, trace: str) -> None:
    """Post `payments` in one 835, read as one piece or one claim payment per piece."""
    if sent == "two_pieces":
        monkeypatch.setattr(ingest, "CLAIMS_PER_PIECE", 1)
    _post(db, clinic, payments, trace)


def _statement_text(db, clinic, claim) -> str:
    pdf = statements.patient_statement(db, SYSTEM, clinic.practice.id, claim.patient_id, today=AS_OF)
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize("sent", ["two_835s", "one_piece", "two_pieces"])
def test_a_denial_with_a_patient_share_paid_on_appeal_leaves_the_patient_the_appeals_share_only(db, monkeypatch, sent):
    clinic, claim = _billed_claim(db, "Qzfpappeal")
    if sent != "two_835s":  # one 835: in one piece the denial is read from memory, in two from the database
        _one_835(monkeypatch, sent, db, clinic, [_denial(claim), _payment(claim, "120.00", PRIMARY)], "FPAPP")
    else:
        _post(db, clinic, [_denial(claim)], "FPAPP1")
        assert _balance(db, clinic) == D("150.00")  # PR-204: not covered, the patient's to pay
        _post(db, clinic, [_payment(claim, "120.00", PRIMARY)], "FPAPP2")
    # the appeal restates the decision: PR-2 30.00 replaces PR-204 150.00; was 150 + 30 = 180.00 owed
    assert _balance(db, clinic) == D("30.00")
    assert _entries(db, claim) == [("responsibility", D("150.00")), ("responsibility", D("-120.00"))]  # 30 − 150
    latest = db.scalars(select(PatientLedgerEntry).where(PatientLedgerEntry.claim_id == claim.id)
                        .order_by(PatientLedgerEntry.id.desc())).first()
    assert "replaces the payer's earlier decision" in latest.detail and "now 30.00 (was 150.00)" in latest.detail
    text = _statement_text(db, clinic, claim)
    assert "Amount due: $30.00" in text and "180.00" not in text
    # insurance: 200 − 120 − 50 (the appeal's CO-45, once) − 30 = 0.00 open, as for a denial with no PR
    assert reports.insurance_aging(db, SYSTEM, AS_OF, "practice", clinic.practice.id) == []
    october = facts.kpi_trend(db, SYSTEM, AS_OF, 2, clinic.practice.id)[0]
    assert october.values["gross_collection_rate"] == D("60.0")  # 120 / 200
    assert october.values["net_collection_rate"] == D("80.0")  # 120 / (200 − 50)


def test_the_balances_page_and_api_show_the_appeals_share(client, db, settings):
    clinic, claim = _billed_claim(db, "Qzfppage")
    add_signed_agreement(db, clinic.practice)
    _post(db, clinic, [_denial(claim)], "FPPAGE1")
    _post(db, clinic, [_payment(claim, "120.00", PRIMARY)], "FPPAGE2")
    browser = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
    listed = browser.get("/api/v1/patient-balances", params={"practice_id": clinic.practice.id}).json()["items"]
    assert [(r["patient_id"], r["balance"]) for r in listed] == [(claim.patient_id, "30.00")]  # not 180.00
    page = browser.get("/patient-balances", params={"practice_id": clinic.practice.id}).text
    assert "$30.00" in page and "$180.00" not in page


@pytest.mark.parametrize("sent", ["two_835s", "one_piece", "two_pieces"])
def test_a_payment_sent_twice_leaves_the_patient_its_share_once_and_the_payer_a_credit(db, monkeypatch, sent):
    clinic, claim = _billed_claim(db, "Qzfptwice")
    if sent != "two_835s":
        _one_835(monkeypatch, sent, db, clinic, [_payment(claim, "120.00", PRIMARY)] * 2, "FPTWICE")
    else:
        _post(db, clinic, [_payment(claim, "120.00", PRIMARY)], "FPTWICE1")
        _post(db, clinic, [_payment(claim, "120.00", PRIMARY)], "FPTWICE2")
    assert _balance(db, clinic) == D("30.00")  # was 60.00: the PR-2 of the same decision twice
    assert _entries(db, claim) == [("responsibility", D("30.00"))]  # the duplicate changes the share by 0.00
    # the payer paid 120.00 twice: 200 − 240 − 50 (CO-45 once) − 30 (PR-2 once) = a 120.00 credit owed back
    # (was 200 − 240 − 100 − 60 = a 200.00 credit, the whole charge)
    (row,) = reports.insurance_aging(db, SYSTEM, AS_OF, "practice", clinic.practice.id)
    assert (row.aging.total, row.aging.credits) == (D("0.00"), D("120.00"))
    # the duplicate is taken back (CLP02 22 of the second): the first decision stands alone, nothing moves
    _post(db, clinic, [_payment(claim, "120.00", PRIMARY, reversal=True)], "FPTWICE3")
    assert _balance(db, clinic) == D("30.00")  # not 0.00: the reversal took back the duplicate, not the share
    assert reports.insurance_aging(db, SYSTEM, AS_OF, "practice", clinic.practice.id) == []  # 200 − 120 − 50 − 30


def test_a_payment_sent_twice_after_the_secondary_paid_the_share_leaves_the_patient_owing_nothing(db):
    clinic, primary, secondary = _books(db, "Qzfpcob")
    _pay_secondary(db, clinic, secondary, "30.00", [("OA", "23", "170.00")], "FPCOB1")
    assert _balance(db, clinic) == D("0.00")  # 30.00 − the secondary's 30.00
    _post(db, clinic, [_payment(primary, "120.00", PRIMARY)], "FPCOB2")  # the primary's payment again
    assert _balance(db, clinic) == D("0.00")  # was 30.00: the duplicate's PR-2 read as a new share
    assert _entries(db, primary) == [("responsibility", D("30.00"))]
    assert _entries(db, secondary) == [("payer_payment", D("-30.00"))]  # settled again: nothing moved
    assert db.scalars(select(RemittanceException).where(RemittanceException.kind == "cob_overpayment")).all() == []


def test_a_primary_appeal_changing_the_share_settles_the_secondary_again(db):
    clinic, primary, secondary = _books(db, "Qzfpcobmore")
    _pay_secondary(db, clinic, secondary, "30.00", [("OA", "23", "170.00")], "FPCOBM1")
    # the primary adjudicates again without a reversal: pays 110.00, CO-45 50.00, PR-2 40.00
    _post(db, clinic, [_payment(primary, "110.00", (("CO", "45", "50.00"), ("PR", "2", "40.00")))], "FPCOBM2")
    assert _entries(db, primary) == [("responsibility", D("30.00")), ("responsibility", D("10.00"))]  # 40 − 30
    assert _balance(db, clinic) == D("10.00")  # 40.00 − the 30.00 the secondary paid; was 70 − 30 = 40.00
    assert _entries(db, secondary) == [("payer_payment", D("-30.00"))]


def _split(claim, line, paid: str, adjustments, payer_number: str) -> ClaimPayment:
    """The payer's CLP for one line of `claim`, under its own payer claim number (CLP07)."""
    service = _line(claim, line, D(paid), [Adjustment(g, c, D(a)) for g, c, a in adjustments])
    patient = sum((D(a) for g, _, a in adjustments if g == "PR"), D("0.00"))
    payment = ClaimPayment(claim.patient_control_number, "1", line.charge_amount, D(paid), patient, "CI",
                           payer_number, "11", "1")
    payment.service_lines = [service]
    return payment


@pytest.mark.parametrize("one_835", [False, True], ids=["two_835s", "one_835"])
def test_a_claim_split_into_two_claim_payments_one_line_each_counts_both_lines_share(db, one_835):
    clinic = make_clinic(db, "Qzfpsplit", patients=1)
    [claim] = accepted_claims(db, clinic, 1, (("99213", "200.00"), ("36415", "50.00")))
    claim.submitted_at = datetime(2026, 10, 2, 9, tzinfo=UTC)
    db.flush()
    office, draw = sorted(claim.lines, key=lambda line: line.line_number)
    # 99213: paid 120.00, CO-45 50.00, PR-2 30.00; 36415: paid 20.00, CO-45 20.00, PR-3 10.00 (copay)
    first = _split(claim, office, "120.00", PRIMARY, "SPLITA")
    second = _split(claim, draw, "20.00", (("CO", "45", "20.00"), ("PR", "3", "10.00")), "SPLITB")
    if one_835:
        _post(db, clinic, [first, second], "FPSPLIT")
    else:
        _post(db, clinic, [first], "FPSPLIT1")
        _post(db, clinic, [second], "FPSPLIT2")
    assert _balance(db, clinic) == D("40.00")  # 30.00 + 10.00: disjoint lines, neither replaces the other
    assert _entries(db, claim) == [("responsibility", D("30.00")), ("responsibility", D("10.00"))]
    # 250 − (120 + 20) − (50 + 20) − (30 + 10) = 0.00 open, no credit
    assert reports.insurance_aging(db, SYSTEM, AS_OF, "practice", clinic.practice.id) == []
    october = facts.kpi_trend(db, SYSTEM, AS_OF, 2, clinic.practice.id)[0]
    assert october.values["net_collection_rate"] == D("77.8")  # 140 / (250 − 70) = 77.78


@pytest.mark.parametrize("again", ["appeal", "duplicate"])
def test_the_secondary_is_billed_with_the_primary_s_decision_that_stands(db, again):
    """Denied (PR-204 150.00), then paid on appeal without a reversal; or paid, then the same payment sent
    again. Summed, the primary's decision read 120 paid with CO-45 100 and PR 180 (appeal), or 240 paid with
    CO-45 100 and PR 60 (duplicate): neither balances with the 200.00 charge, so the secondary could not be
    billed. The decision that stands is the latest: 120 paid + CO-45 50 + PR-2 30 = 200; a duplicate payment
    is the primary's to take back, not part of what it decided."""
    clinic, claim = _billed_claim(db, f"Qzcobstands{again}")
    second = add_payer(db, "SX001", "Second Mutual")
    network.add_coverage(db, SYSTEM, clinic.patients[0].id, network_schemas.CoverageCreate(
        payer_id=second.id, member_id="SEC123", priority=2, effective_from=date(2024, 1, 1)))
    first = _denial(claim) if again == "appeal" else _payment(claim, "120.00", PRIMARY)
    _post(db, clinic, [first], f"ST1{again}")
    _post(db, clinic, [_payment(claim, "120.00", PRIMARY)], f"ST2{again}")
    decision = cob.posted_decisions(db, [claim.id])[claim.id]
    assert (decision.paid, decision.patient_responsibility) == (D("120.00"), D("30.00"))
    [line] = decision.lines.values()
    assert (line.paid, sorted(line.adjustments)) == (D("120.00"), [("CO", "45", D("50.00")), ("PR", "2", D("30.00"))])
    secondary = service.bill_secondary(db, SYSTEM, claim.id)
    assert (secondary.primary_paid, secondary.primary_patient_responsibility) == (D("120.00"), D("30.00"))


def _one_line_appealed(db, marker: str):
    """99213 200.00 and 36415 50.00: the first 835 pays the 99213 and denies the 36415; an appeal pays the 36415
    alone in a new claim payment, without reversing the first."""
    clinic = make_clinic(db, marker, patients=1)
    [claim] = accepted_claims(db, clinic, 1, (("99213", "200.00"), ("36415", "50.00")))
    claim.submitted_at = datetime(2026, 10, 2, 9, tzinfo=UTC)
    db.flush()
    office, draw = sorted(claim.lines, key=lambda line: line.line_number)
    # first: 99213 paid 120.00, CO-45 50.00, PR-2 30.00; 36415 denied CO-197 50.00 (no authorization)
    first = ClaimPayment(claim.patient_control_number, "2", D("250.00"), D("120.00"), D("30.00"), "CI", "LINEAPP",
                         "11", "1")
    first.service_lines = [
        _line(claim, office, D("120.00"), [Adjustment("CO", "45", D("50.00")), Adjustment("PR", "2", D("30.00"))]),
        _line(claim, draw, D("0.00"), [Adjustment("CO", "197", D("50.00"))])]
    _post(db, clinic, [first], "FPLINE1")
    # on appeal, the 36415 alone in a new claim payment (no reversal): paid 20.00, CO-45 20.00, PR-3 10.00
    _post(db, clinic, [_split(claim, draw, "20.00", (("CO", "45", "20.00"), ("PR", "3", "10.00")), "LINEAPP")],
          "FPLINE2")
    return clinic, claim


def test_an_appeal_restating_one_line_replaces_that_lines_decision_only(db):
    clinic, claim = _one_line_appealed(db, "Qzfpline")
    assert _balance(db, clinic) == D("40.00")  # the 99213's 30.00 stands beside the 36415's 10.00
    assert _entries(db, claim) == [("responsibility", D("30.00")), ("responsibility", D("10.00"))]
    # 250 − (120 + 20) paid − (50 + 20) CO-45 − (30 + 10) PR = 0.00: the denied 50.00 was decided again, once
    assert reports.insurance_aging(db, SYSTEM, AS_OF, "practice", clinic.practice.id) == []
    october = facts.kpi_trend(db, SYSTEM, AS_OF, 2, clinic.practice.id)[0]
    assert october.values["net_collection_rate"] == D("77.8")  # 140 / (250 − 70) = 77.78


def test_the_secondary_is_told_each_lines_decision_after_a_one_line_appeal(db):
    """The first payment's 99213 decision stands beside the appeal's 36415 one: the secondary is billed for the
    claim's 140.00 paid (120.00 + 20.00) and 40.00 PR (30.00 + 10.00), both lines in loop 2430. The first payment
    dropped whole would tell it of the 36415 alone (20.00 paid, 10.00 PR), leaving the 99213 unbilled."""
    clinic, claim = _one_line_appealed(db, "Qzcobline")
    second = add_payer(db, "SX002", "Second Line Mutual")
    network.add_coverage(db, SYSTEM, clinic.patients[0].id, network_schemas.CoverageCreate(
        payer_id=second.id, member_id="SECLINE1", priority=2, effective_from=date(2024, 1, 1)))
    decision = cob.posted_decisions(db, [claim.id])[claim.id]
    assert (decision.paid, decision.patient_responsibility) == (D("140.00"), D("40.00"))
    assert {number: (line.procedure_code, line.paid, sorted(line.adjustments))
            for number, line in decision.lines.items()} == {
        1: ("99213", D("120.00"), [("CO", "45", D("50.00")), ("PR", "2", D("30.00"))]),
        2: ("36415", D("20.00"), [("CO", "45", D("20.00")), ("PR", "3", D("10.00"))])}
    assert decision.problems() == []
    secondary = service.bill_secondary(db, SYSTEM, claim.id)
    assert (secondary.primary_paid, secondary.primary_patient_responsibility) == (D("140.00"), D("40.00"))
