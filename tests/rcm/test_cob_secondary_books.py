"""Coordination of benefits in the books: when a secondary payer pays the patient's share, the patient
ledger, insurance A/R and the KPIs say so, and a reversal of that payment undoes it.

Every figure is worked out by hand from one claim of 200.00 (one 99213 line):
the primary allows 150.00 and pays 120.00, CO-45 50.00 (over its fee), PR-2 30.00 (coinsurance): the
patient owes 30.00. The secondary is billed the same 200.00 with the primary's decision (COB), and its 835
reports the primary's 170.00 (120.00 paid + 50.00 written off) as OA-23, "impact of prior payer adjudication".
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlalchemy import select

from openmso.core.tenancy import SYSTEM
from openmso.rcm.ar import facts, patients, reports, statements
from openmso.rcm.claims import service
from openmso.rcm.claims.models import Claim
from openmso.rcm.denials.models import DenialCase
from openmso.rcm.remittance import secondary, web
from openmso.rcm.remittance.ingest import ingest_file
from openmso.rcm.remittance.models import ClaimPosting, LinePosting, PatientLedgerEntry, RemittanceException
from openmso.x12 import Adjustment, ClaimPayment
from tests.factories import add_payer, add_plan
from tests.rcm.conftest import make_clinic
from tests.rcm.remits import _line, accepted_claims, render, transaction

AS_OF = date(2026, 11, 20)  # after the 835s' payment date (2026-11-02); the claim was served 2026-10-01
PRIMARY = (("CO", "45", "50.00"), ("PR", "2", "30.00"))


def _payment(claim, paid: str, adjustments, reversal: bool = False) -> ClaimPayment:
    """The payer's CLP for the claim's one line: `paid` and the (group, CARC, amount) adjustments; a reversal
    (CLP02 22) repeats them negated."""
    sign = -1 if reversal else 1
    [line] = claim.lines
    service_payment = _line(claim, line, sign * D(paid), [Adjustment(g, c, sign * D(a)) for g, c, a in adjustments])
    service_payment.charge = sign * line.charge_amount
    patient = sum((D(a) for g, _, a in adjustments if g == "PR"), D("0.00"))
    payment = ClaimPayment(claim.patient_control_number, "22" if reversal else "1", sign * claim.total_charge,
                           sign * D(paid), sign * patient, "CI", claim.payer_claim_number or "", "11", "1")
    payment.service_lines = [service_payment]
    return payment


def _post(db, clinic, payments, trace: str, payer_code: str = "60054") -> None:
    ingest_file(db, SYSTEM, f"{trace}.835", render(transaction(clinic.practice, payments, trace=trace,
                                                               payer_code=payer_code)))
    db.expire_all()


def _books(db, marker: str):
    """A patient with a second plan, the primary's 835 posted, and the secondary claim billed and accepted."""
    clinic = make_clinic(db, marker, patients=1)
    second = add_payer(db, "SX001", "Second Mutual")
    add_plan(db, clinic.patients[0].id, second.id, "SEC123", 2)
    [primary] = accepted_claims(db, clinic, 1, (("99213", "200.00"),))
    _post(db, clinic, [_payment(primary, "120.00", PRIMARY)], f"P{marker}")
    secondary = sent(db, service.bill_secondary(db, SYSTEM, primary.id), "SEC", date(2026, 11, 3))
    return clinic, db.get(Claim, primary.id), secondary


def sent(db, claim, prefix: str, on: date) -> Claim:
    """`claim` submitted at 09:00 on `on` and accepted by its payer, which numbered it `prefix` + its id."""
    claim.status, claim.payer_claim_number = "payer_accepted", f"{prefix}{claim.id:07d}"
    claim.submitted_at = datetime(on.year, on.month, on.day, 9, tzinfo=UTC)
    db.flush()
    db.expire_all()
    return db.get(Claim, claim.id)


def _pay_secondary(db, clinic, secondary, paid: str, adjustments, trace: str, reversal: bool = False) -> None:
    _post(db, clinic, [_payment(secondary, paid, adjustments, reversal)], trace, payer_code="SX001")


def _balance(db, clinic) -> D:
    rows = patients.balances(db, SYSTEM, clinic.practice.id)
    return rows[0].balance if rows else D("0.00")


def _entries(db, claim) -> list[tuple[str, D]]:
    return [(e.kind, e.amount) for e in db.scalars(select(PatientLedgerEntry).where(
        PatientLedgerEntry.claim_id == claim.id).order_by(PatientLedgerEntry.id))]


def test_a_secondary_paying_the_whole_patient_share_leaves_the_patient_owing_nothing(db):
    clinic, primary, secondary = _books(db, "Qzcobfull")
    assert _balance(db, clinic) == D("30.00")  # the primary's PR-2
    _pay_secondary(db, clinic, secondary, "30.00", [("OA", "23", "170.00")], "SECFULL")
    assert _balance(db, clinic) == D("0.00")  # 30.00 owed − 30.00 the secondary paid
    assert _entries(db, secondary) == [("payer_payment", D("-30.00"))]
    [credit] = db.scalars(select(PatientLedgerEntry).where(PatientLedgerEntry.claim_id == secondary.id)).all()
    assert "835 SECFULL" in credit.detail and secondary.patient_control_number in credit.detail
    statement = statements.patient_statement(db, SYSTEM, clinic.practice.id, primary.patient_id, today=AS_OF)
    text = PdfReader(io.BytesIO(statement)).pages[0].extract_text()
    assert "Amount due: $0.00" in text and "Please pay" not in text
    assert patients.aging(db, SYSTEM, AS_OF, clinic.practice.id) == []


def test_a_secondary_leaving_part_to_the_patient_moves_the_balance_to_its_share(db):
    clinic, _, secondary = _books(db, "Qzcobpart")
    # the secondary pays 20.00 and leaves 10.00 coinsurance (PR-2) of the same 30.00 to the patient
    _pay_secondary(db, clinic, secondary, "20.00", [("OA", "23", "170.00"), ("PR", "2", "10.00")], "SECPART")
    assert _balance(db, clinic) == D("10.00")  # 30.00 − 20.00; the PR-2 10.00 is not owed a second time
    assert _entries(db, secondary) == [("payer_payment", D("-20.00"))]
    (aged,) = patients.aging(db, SYSTEM, AS_OF, clinic.practice.id)
    assert aged.aging.total == D("10.00")


def test_a_secondarys_contractual_write_off_of_the_patient_share_is_not_billed_to_the_patient(db):
    clinic, _, secondary = _books(db, "Qzcobco")
    # the secondary allows 10.00 of the 30.00 it was asked for: pays 10.00, CO-45 20.00 the provider may not bill
    _pay_secondary(db, clinic, secondary, "10.00", [("OA", "23", "170.00"), ("CO", "45", "20.00")], "SECCO")
    assert _balance(db, clinic) == D("0.00")
    assert _entries(db, secondary) == [("payer_payment", D("-10.00")), ("payer_adjustment", D("-20.00"))]


def test_a_secondary_reporting_the_primary_payment_and_its_own_contractual_apart_lands_on_the_same_books(db):
    clinic, _, secondary = _books(db, "Qzcobstyle")
    # another way to balance the same decision: OA-23 only the primary's 120.00 payment, CO-45 the 50.00 over the fee
    _pay_secondary(db, clinic, secondary, "30.00", [("OA", "23", "120.00"), ("CO", "45", "50.00")], "SECSTYLE")
    assert _balance(db, clinic) == D("0.00")  # not −50.00: the patient only ever owed 30.00
    assert reports.insurance_aging(db, SYSTEM, AS_OF, "practice", clinic.practice.id) == []


def test_a_reversed_secondary_payment_puts_the_patient_share_back(db):
    clinic, _, secondary = _books(db, "Qzcobrev")
    _pay_secondary(db, clinic, secondary, "30.00", [("OA", "23", "170.00")], "SECREV1")
    _pay_secondary(db, clinic, secondary, "30.00", [("OA", "23", "170.00")], "SECREV2", reversal=True)
    assert _balance(db, clinic) == D("30.00")  # the secondary took its payment back: the patient owes 30.00 again
    assert _entries(db, secondary) == [("payer_payment", D("-30.00")), ("payer_payment", D("30.00"))]


def test_a_reversal_and_corrected_secondary_payment_in_one_835_leave_the_corrected_share(db):
    clinic, _, secondary = _books(db, "Qzcobfix")
    _pay_secondary(db, clinic, secondary, "30.00", [("OA", "23", "170.00")], "SECFIX1")
    _post(db, clinic, [_payment(secondary, "30.00", [("OA", "23", "170.00")], reversal=True),
                       _payment(secondary, "20.00", [("OA", "23", "170.00"), ("PR", "2", "10.00")])],
          "SECFIX2", payer_code="SX001")
    assert _balance(db, clinic) == D("10.00")  # 30.00 − 30.00 + 30.00 − 20.00


def test_a_primary_and_secondary_corrected_in_one_835_settle_the_secondary_against_the_corrected_share(db):
    clinic, primary, secondary = _books(db, "Qzcobboth")
    _pay_secondary(db, clinic, secondary, "30.00", [("OA", "23", "170.00")], "SECBOTH1")
    # one carrier holds both plans and re-adjudicates both in one 835: the primary now leaves 40.00 (PR-2) and
    # the secondary pays those 40.00
    _post(db, clinic, [_payment(primary, "120.00", PRIMARY, reversal=True),
                       _payment(primary, "110.00", (("CO", "45", "50.00"), ("PR", "2", "40.00"))),
                       _payment(secondary, "30.00", [("OA", "23", "170.00")], reversal=True),
                       _payment(secondary, "40.00", [("OA", "23", "160.00")])], "SECBOTH2", payer_code="SX001")
    assert _balance(db, clinic) == D("0.00")  # 40.00 owed after the primary's correction − 40.00 the secondary paid
    assert db.scalars(select(RemittanceException).where(RemittanceException.kind == "cob_overpayment")).all() == []
    # a denial of another claim earlier in the same piece does not stop the secondary's share from settling
    [other] = accepted_claims(db, clinic, 1, (("99214", "90.00"),))
    _post(db, clinic, [_payment(other, "0.00", [("CO", "197", "90.00")]),
                       _payment(secondary, "40.00", [("OA", "23", "160.00")], reversal=True)], "SECBOTH3",
          payer_code="SX001")
    assert _balance(db, clinic) == D("40.00")


def test_a_secondary_paying_more_than_the_patient_share_is_flagged_as_an_overpayment_not_credited_to_the_patient(db):
    clinic, _, secondary = _books(db, "Qzcobover")
    # the secondary pays 50.00 (and says the primary's decision was 150.00): 20.00 more than the 30.00 share
    _pay_secondary(db, clinic, secondary, "50.00", [("OA", "23", "150.00")], "SECOVER")
    assert _balance(db, clinic) == D("0.00")  # the patient's 30.00 is paid; the 20.00 is the payer's money
    assert _entries(db, secondary) == [("payer_payment", D("-30.00"))]
    [flag] = db.scalars(select(RemittanceException).where(RemittanceException.kind == "cob_overpayment")).all()
    assert (flag.amount, flag.status, flag.patient_control_number) == (
        D("20.00"), "open", secondary.patient_control_number)
    assert "20.00 more than the patient's share of 30.00" in flag.message


def test_a_secondary_saying_the_patient_owes_more_than_the_primary_allowed_bills_only_the_primarys_share(db):
    clinic, _, secondary = _books(db, "Qzcobexcess")
    # the secondary allows the whole 200.00 on its own schedule and applies 80.00 to its deductible (PR-1), paying
    # nothing; but the primary's contract capped the patient at 30.00 (its CO-45 50.00 may not be billed to them)
    _pay_secondary(db, clinic, secondary, "0.00", [("OA", "23", "120.00"), ("PR", "1", "80.00")], "SECEXCESS")
    assert _balance(db, clinic) == D("30.00")  # not 80.00: the 50.00 beyond the chain's share is not billed
    assert _entries(db, secondary) == []
    [flag] = db.scalars(select(RemittanceException).where(RemittanceException.kind == "cob_patient_excess")).all()
    assert (flag.amount, flag.status, flag.patient_control_number) == (
        D("50.00"), "open", secondary.patient_control_number)
    assert "50.00 more than the 30.00 the patient owed" in flag.message
    assert "cob_patient_excess" in web.KINDS


def test_the_primarys_decision_reported_as_oa_23_is_neither_open_insurance_ar_nor_a_denial(db):
    clinic, primary, secondary = _books(db, "Qzcobar")
    _pay_secondary(db, clinic, secondary, "30.00", [("OA", "23", "170.00")], "SECAR")
    assert db.get(Claim, secondary.id).status == "paid"
    assert reports.insurance_aging(db, SYSTEM, AS_OF, "practice", clinic.practice.id) == []  # 200 − 30 − 170 = 0
    assert db.scalars(select(DenialCase).where(DenialCase.claim_id.in_([primary.id, secondary.id]))).all() == []


def test_a_line_with_many_adjustments_keeps_them_all_and_its_oa_23_is_read_whole(db):
    clinic, _, secondary = _books(db, "Qzcobmany")
    # OA-23 170.00 sent as 34 CAS entries of 5.00 (a payer itemising the primary's decision): 34 tokens,
    # over 300 characters, once cut there and read back as a broken token
    itemised = [("OA", "23", "5.00")] * 34
    _pay_secondary(db, clinic, secondary, "30.00", itemised, "SECMANY")
    [posted] = db.scalars(select(LinePosting).join(ClaimPosting).where(ClaimPosting.claim_id == secondary.id)).all()
    assert len(posted.adjustments) > 300 and posted.adjustments.split() == ["OA:23:5.00"] * 34
    assert reports.insurance_aging(db, SYSTEM, AS_OF, "practice", clinic.practice.id) == []  # 200 − 30 − 34 × 5
    november = facts.kpi_trend(db, SYSTEM, AS_OF, 2, clinic.practice.id)[1]
    assert november.values["days_in_ar"] == D("0.0")


def test_a_secondary_not_yet_paid_is_open_for_what_the_primary_left_not_for_the_whole_charge(db):
    clinic, _, secondary = _books(db, "Qzcobwait")
    (waiting,) = reports.insurance_aging(db, SYSTEM, AS_OF, "practice", clinic.practice.id)
    assert (waiting.aging.total, sum(waiting.aging.counts.values())) == (D("30.00"), 1)  # 200 − 120 − 50
    november = facts.kpi_trend(db, SYSTEM, AS_OF, 2, clinic.practice.id)[1]  # open at AS_OF, the month's end
    # 30.00 open over 200.00 charged in the 51 days since the book's first service (Oct 1 – Nov 20): 30 × 51 / 200
    assert november.values["days_in_ar"] == D("7.7")
    _pay_secondary(db, clinic, secondary, "30.00", [("OA", "23", "170.00")], "SECWAIT")
    assert reports.insurance_aging(db, SYSTEM, AS_OF, "practice", clinic.practice.id) == []


def test_a_reversed_secondary_payment_not_yet_corrected_is_open_for_what_the_primary_left(db):
    clinic, _, secondary = _books(db, "Qzcobrevwait")
    _pay_secondary(db, clinic, secondary, "30.00", [("OA", "23", "170.00")], "SECRW1")
    _pay_secondary(db, clinic, secondary, "30.00", [("OA", "23", "170.00")], "SECRW2", reversal=True)
    # the secondary took its decision back: it is waiting again, owing at most the 30.00 the primary left
    (waiting,) = reports.insurance_aging(db, SYSTEM, AS_OF, "practice", clinic.practice.id)
    assert (waiting.aging.total, waiting.aging.credits) == (D("30.00"), D("0.00"))  # not the whole 200.00
    november = facts.kpi_trend(db, SYSTEM, AS_OF, 2, clinic.practice.id)[1]
    assert november.values["days_in_ar"] == D("7.7")  # 30 × 51 / 200, as before the secondary answered


def test_a_secondary_paying_nothing_of_a_deductible_is_adjudicated_not_denied(db):
    clinic, _, secondary = _books(db, "Qzcobzero")
    # the secondary applies the 30.00 to its own deductible (PR-1): nothing paid, the patient still owes 30.00
    _pay_secondary(db, clinic, secondary, "0.00", [("OA", "23", "170.00"), ("PR", "1", "30.00")], "SECZERO")
    assert db.get(Claim, secondary.id).status == "paid"
    assert db.scalars(select(DenialCase).where(DenialCase.claim_id == secondary.id)).all() == []
    assert reports.insurance_aging(db, SYSTEM, AS_OF, "practice", clinic.practice.id) == []
    assert _balance(db, clinic) == D("30.00")


def test_a_secondary_denial_beside_oa_23_still_opens_a_case_for_its_own_amount_only(db):
    clinic, _, secondary = _books(db, "Qzcobdeny")
    # the secondary denies its 30.00 for missing authorization (CO-197)
    _pay_secondary(db, clinic, secondary, "0.00", [("OA", "23", "170.00"), ("CO", "197", "30.00")], "SECDENY")
    [case] = db.scalars(select(DenialCase).where(DenialCase.claim_id == secondary.id)).all()
    assert (case.amount, case.category, case.reasons) == (D("30.00"), "authorization", "CO:197")
    (row,) = reports.insurance_aging(db, SYSTEM, AS_OF, "practice", clinic.practice.id)
    assert row.aging.total == D("30.00")  # the secondary's denied 30.00 stays open until worked; the 170.00 does not


def test_a_secondary_paying_on_appeal_without_reversing_its_denial_replaces_the_denial_not_adds_to_it(db):
    clinic, _, secondary = _books(db, "Qzcobappeal")
    _pay_secondary(db, clinic, secondary, "0.00", [("OA", "23", "170.00"), ("CO", "197", "30.00")], "SECAPP1")
    # on appeal the secondary pays its 30.00 in a new claim payment (CLP02 1) that repeats the OA-23 170.00
    _pay_secondary(db, clinic, secondary, "30.00", [("OA", "23", "170.00")], "SECAPP2")
    assert _balance(db, clinic) == D("0.00")
    assert db.scalars(select(RemittanceException).where(RemittanceException.kind == "cob_overpayment")).all() == []
    assert reports.insurance_aging(db, SYSTEM, AS_OF, "practice", clinic.practice.id) == []  # no 170.00 credit
    october, november = facts.kpi_trend(db, SYSTEM, AS_OF, 2, clinic.practice.id)
    assert october.values["gross_collection_rate"] == D("75.0")  # 150 / 200
    assert october.values["net_collection_rate"] == D("100.0")  # 150 / (200 − 50): the 170.00 counted once
    assert november.values["days_in_ar"] == D("0.0")


def test_kpis_count_the_charge_once_and_both_payers_payments(db):
    clinic, _, secondary = _books(db, "Qzcobkpi")
    _pay_secondary(db, clinic, secondary, "30.00", [("OA", "23", "170.00")], "SECKPI")
    october, november = facts.kpi_trend(db, SYSTEM, AS_OF, 2, clinic.practice.id)
    assert (october.month, october.claims) == (date(2026, 10, 1), 1)  # one service, billed to two payers
    # payments 120.00 + 30.00 = 150.00; charges 200.00 once; contractual 50.00 (the primary's CO-45)
    assert october.values["gross_collection_rate"] == D("75.0")  # 150 / 200
    assert october.values["net_collection_rate"] == D("100.0")  # 150 / (200 − 50)
    assert november.values["days_in_ar"] == D("0.0")  # nothing open at AS_OF, neither claim nor the OA-23 170.00


def test_kpis_count_a_secondarys_write_off_of_the_patient_share_once_however_its_835_splits_it(db):
    clinic, _, secondary = _books(db, "Qzcobkpico")
    # pays 10.00 of the 30.00, CO-45 20.00: the 20.00 is written off; the primary's 50.00 is not counted again
    _pay_secondary(db, clinic, secondary, "10.00", [("OA", "23", "120.00"), ("CO", "45", "70.00")], "SECKPICO")
    october = facts.kpi_trend(db, SYSTEM, AS_OF, 2, clinic.practice.id)[0]
    # payments 120 + 10 = 130; contractual 50 + (70 + 120 − 170 the primary paid and wrote off) = 70
    assert october.values["gross_collection_rate"] == D("65.0")  # 130 / 200
    assert october.values["net_collection_rate"] == D("100.0")  # 130 / (200 − 70)


cents = st.integers(min_value=0, max_value=100_000).map(lambda c: D(c) / 100)


@given(owed=cents, paid=cents, patient=cents)
def test_a_later_payers_posting_leaves_the_patient_owing_its_pr_and_its_reversal_restores_the_share(owed, paid,
                                                                                                   patient):
    shares = secondary.PatientShares(earlier={2: (1,)})
    shares.add(1, "responsibility", owed)  # the primary's PR on the primary claim (1)
    settled = secondary.settle(shares, 2, paid, patient, reversal=False)
    assert shares.owed(2) == min(patient, owed)  # what the secondary (claim 2) says, never more than the chain held
    assert settled.excess == max(patient - owed, D("0.00"))  # flagged for a person, not billed
    assert sum((a for k, a in settled.entries if k == secondary.PAYMENT), D("0.00")) == -min(paid, max(
        owed - patient, D("0.00")))
    assert settled.overpaid == paid - min(paid, max(owed - patient, D("0.00")))  # never credited to the patient
    secondary.settle(shares, 2, -paid, -patient, reversal=True)
    assert shares.owed(2) == owed
