"""A/R reports on the posted ledger where it is easy to get wrong: settled claims in small-cell counts, the
"as of" day, credits, reversed payments in the underpayment worklist, and a patient's credit balance."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from openmso.core.audit import AuditEntry
from openmso.core.tenancy import SYSTEM, Role
from openmso.identity.service import actor_for
from openmso.rcm.ar import facts, patients, reports, service, statements
from openmso.rcm.ar.aging import Aging, bucket_for
from openmso.rcm.ar.patients import payments_by_claim
from openmso.rcm.ar.reversals import PostingKey, reversed_postings
from openmso.rcm.ar.schemas import AgingBy, AgingKind, BalanceFilter
from openmso.rcm.contracts import service as contracts
from openmso.rcm.remittance.ingest import ingest_file
from tests.factories import (
    add_patient,
    add_payer,
    add_practice,
    add_provider,
    add_signed_agreement,
    add_user,
    signed_in,
)
from tests.rcm.conftest import make_clinic
from tests.rcm.remits import accepted_claims, paid, render, transaction

AS_OF = date(2026, 11, 20)  # after the 835s' payment date (2026-11-02)


def _post(db, clinic, claim_payments, trace):
    ingest_file(db, SYSTEM, f"{trace}.835", render(transaction(clinic.practice, claim_payments, trace=trace)))


def _biller_of_two_consenting_practices(db, clinic):
    add_signed_agreement(db, clinic.practice)
    other = add_practice(db, "Qzother")
    add_signed_agreement(db, other)
    return actor_for(add_user(db, Role.MSO_STAFF, scope=[clinic.practice, other]))


def test_a_payer_cell_of_one_open_patient_is_hidden_however_many_claims_were_paid(db):
    clinic = make_clinic(db, "Qzpriv", patients=13)
    biller = _biller_of_two_consenting_practices(db, clinic)
    claims = accepted_claims(db, clinic, 13)
    _post(db, clinic, [paid(c) for c in claims[:12]], "PRIV1")  # 12 claims settled to 0.00; one left open
    (row,) = reports.insurance_aging(db, biller, AS_OF, "payer")
    assert row.aging.counts["31_60"] == 1 and row.aging.patient_counts()["31_60"] == 1  # open claims only
    (line,) = service.aging(db, biller, AgingKind.INSURANCE, AgingBy.PAYER, AS_OF)
    shown = line.as_dict()
    assert shown["buckets"]["31_60"] is None and shown["total"] is None and shown["counts"]["31_60"] is None


def test_the_network_total_hides_a_complementary_cell_rather_than_give_a_hidden_cell_back():
    many, few = Aging(), Aging()
    for patient in range(30):
        many.add(45, D("10.00"), patient)
    for patient in range(100, 103):
        few.add(45, D("500.00"), patient)
    lines = [service.AgingLine(1, "Aetna", many), service.AgingLine(2, "Cigna", few, frozenset({"31_60", "total"}))]
    total = service.network_total(lines)  # 33 patients: the total less Aetna's 300.00 would be Cigna's cell
    assert lines[0].shown("31_60") is None and lines[0].total is None  # so Aetna's is hidden too
    assert total.shown("31_60") == total.total == D("1800.00")


def test_a_column_with_nothing_to_hide_beside_its_one_small_cell_hides_its_total():
    few = Aging()
    for patient in range(3):
        few.add(45, D("500.00"), patient)
    total = service.network_total([service.AgingLine(1, "Cigna", few, frozenset({"31_60", "total"})),
                                   service.AgingLine(2, "Aetna", Aging())])
    assert total.shown("31_60") is None and total.total is None


def test_a_network_credit_of_few_patients_is_hidden_without_hiding_the_open_ar():
    open_ar = Aging()
    for patient in range(20):
        open_ar.add(10, D("100.00"), patient)
    open_ar.add(10, D("-75.00"), 7)  # one patient's claim credited below zero
    total = service.network_total([service.AgingLine(1, "Aetna", open_ar), service.AgingLine(2, "Cigna", Aging())])
    assert total.credits is None and total.as_dict()["credit_count"] is None
    assert total.total == D("2000.00") and total.over_90 == D("0.00")  # neither netted nor hidden with it


def test_settled_providers_drop_out_and_providers_are_named_in_full_with_their_npi(db):
    clinic = make_clinic(db, "Qzdoc", patients=2)
    second = add_provider(db, clinic.practice, "Qzdoc")  # same last name as the first provider
    clinic.charge(db, clinic.patients[1], rendering_provider_id=second.id)
    claims = accepted_claims(db, clinic, 1)
    paid_claim = next(c for c in claims if c.rendering_provider_id == second.id)
    _post(db, clinic, [paid(paid_claim)], "DOC1")
    rows = reports.insurance_aging(db, SYSTEM, AS_OF, "provider", clinic.practice.id)
    first = clinic.provider
    assert [(r.label, r.aging.total) for r in rows] == [
        (f"{first.first_name} {first.last_name} (NPI {first.npi})", D("145.00"))]


def test_aging_as_of_a_past_day_counts_only_claims_billed_and_postings_made_by_then(db):
    clinic = make_clinic(db, "Qzpast", patients=2)
    claims = accepted_claims(db, clinic, 2)
    for claim in claims:
        claim.submitted_at = datetime(2026, 10, 5, 15, 0, tzinfo=UTC)
    _post(db, clinic, [paid(claims[0])], "PAST1")  # paid 2026-11-02
    practice = clinic.practice.id
    assert reports.insurance_aging(db, SYSTEM, date(2026, 10, 4), "practice", practice) == []  # not billed yet
    (billed,) = reports.insurance_aging(db, SYSTEM, date(2026, 10, 5), "practice", practice)
    assert billed.aging.amounts["0_30"] == D("290.00")  # submitted that afternoon: age 0
    (before_payment,) = reports.insurance_aging(db, SYSTEM, date(2026, 11, 1), "practice", practice)
    assert before_payment.aging.amounts["0_30"] == D("290.00") and before_payment.aging.counts["0_30"] == 2
    (after_payment,) = reports.insurance_aging(db, SYSTEM, date(2026, 11, 5), "practice", practice)
    assert after_payment.aging.amounts["31_60"] == D("145.00") and after_payment.aging.total == D("145.00")
    assert patients.aging(db, SYSTEM, date(2026, 11, 1), practice) == []  # the copay was posted 2026-11-02
    (owed,) = patients.aging(db, SYSTEM, date(2026, 11, 5), practice)
    assert owed.aging.amounts["0_30"] == D("20.00")


def test_a_negative_age_is_not_current():
    with pytest.raises(ValueError):
        bucket_for(-1)


def test_an_over_credited_claim_is_a_credit_and_does_not_reduce_the_open_ar(db):
    clinic = make_clinic(db, "Qzcredit", patients=2)
    claims = accepted_claims(db, clinic, 2)
    _post(db, clinic, [paid(claims[0])], "CREDIT1")
    # the payer paid the same claim twice (67.00, CO-45 58.00, PR-2 20.00 each time): the second decision
    # replaces the first, its payment does not, so 145 − 2 × 67 − 58 − 20 = 67.00 is owed back
    _post(db, clinic, [paid(claims[0])], "CREDIT2")
    (row,) = reports.insurance_aging(db, SYSTEM, AS_OF, "practice", clinic.practice.id)
    assert row.aging.total == D("145.00")  # the unpaid claim, not netted to 0.00 by the credit
    assert (row.aging.credits, row.aging.credit_count) == (D("67.00"), 1)
    (line,) = service.aging(db, SYSTEM, AgingKind.INSURANCE, AgingBy.PRACTICE, AS_OF, clinic.practice.id)
    assert line.as_dict()["credits"] == D("67.00") and line.as_dict()["total"] == D("145.00")


def test_underpayments_leave_out_a_payment_the_payer_reversed_and_paid_again(db):
    clinic = make_clinic(db, "Qzunder", patients=2)
    contracts.import_rates(db, SYSTEM, clinic.practice.id,
                           "payer,code,allowed_amount,effective_from\n60054,99213,95.00,2026-01-01\n")
    claims = accepted_claims(db, clinic, 2)
    _post(db, clinic, [paid(c) for c in claims], "UNDER1")  # each allowed 87.00 against 95.00
    before = reports.underpayments(db, SYSTEM, clinic.practice.id)
    assert [(r.lines, r.difference) for r in before] == [(2, D("16.00"))]
    at_contract = D("95.00") / D("145.00")
    _post(db, clinic, [paid(claims[0], status="22", sign=-1), paid(claims[0], share=at_contract)], "UNDER2")
    after = reports.underpayments(db, SYSTEM, clinic.practice.id)
    # the first claim's 87.00 was taken back and re-adjudicated at 95.00: only the second claim is short
    assert [(r.lines, r.expected, r.allowed, r.difference) for r in after] == [
        (1, D("95.00"), D("87.00"), D("8.00"))]


def test_a_reversal_takes_back_the_earlier_posting_it_negates():
    def key(id_, status, paid_, number="P1", claim=1):
        return PostingKey(id_, claim, status, number, D(paid_))
    history = [key(1, "1", "67.00"), key(2, "1", "10.00"), key(3, "22", "-67.00"), key(4, "1", "75.00"),
               key(5, "22", "-75.00"), key(6, "22", "-5.00", claim=2), key(7, "1", "5.00", "P9", claim=3),
               key(8, "22", "-5.00", "P8", claim=3)]
    # 3 negates 1 exactly; 5 negates 4; claim 2 has nothing to take back; claim 3's numbers differ
    assert reversed_postings(history) == {1, 4}


def test_a_reversal_under_a_replacement_takes_back_the_originals_payment_it_negates_along_the_chain():
    def key(id_, claim, status, paid_, number):
        return PostingKey(id_, claim, status, number, D(paid_))
    # claim 1 paid 20.00; its replacement, claim 2, paid 25.00; then a reversal of 20.00 under claim 2
    chain = [key(1, 1, "1", "20.00", "ICN1"), key(2, 2, "1", "25.00", "ICN2"), key(3, 2, "22", "-20.00", "ICN2")]
    assert reversed_postings(chain, chain=True) == {1}  # the original's payment: the replacement's stands
    assert reversed_postings(chain) == {2}  # claim by claim (one practice's postings), only its own claim's
    # its own payment negated exactly comes first; an amount neither paid takes back its own claim's latest
    assert reversed_postings([*chain[:2], key(3, 2, "22", "-25.00", "ICN2")], chain=True) == {2}
    assert reversed_postings([*chain[:2], key(3, 2, "22", "-7.00", "ICN2")], chain=True) == {2}
    # a reversal under the original never reaches its replacement's payment
    assert reversed_postings([*chain[:2], key(3, 1, "22", "-25.00", "ICN1")], chain=True) == {1}


def test_a_patient_in_credit_gets_a_credit_statement_and_is_listed_as_a_refund(db):
    clinic = make_clinic(db, "Qzrefund", patients=1)
    (claim,) = accepted_claims(db, clinic, 1)
    _post(db, clinic, [paid(claim)], "REFUND1")  # 20.00 copay
    patients.record_payment(db, SYSTEM, clinic.practice.id, claim.patient_id, D("20.00"), date(2026, 11, 3))
    no_copay = paid(claim, patient=D("0.00"))
    _post(db, clinic, [paid(claim, status="22", sign=-1), no_copay], "REFUND2")  # the payer covers the copay
    statement = statements.patient_statement(db, SYSTEM, clinic.practice.id, claim.patient_id, today=AS_OF)
    text = PdfReader(io.BytesIO(statement)).pages[0].extract_text()
    assert "Credit balance $20.00 - no payment due" in text
    assert "Amount due" not in text and "Please pay" not in text
    (row,) = patients.balances(db, SYSTEM, clinic.practice.id)
    assert (row.patient_id, row.balance, row.credit, row.oldest) == (claim.patient_id, D("-20.00"), True, None)
    assert patients.balances(db, SYSTEM, clinic.practice.id, which=BalanceFilter.OWING) == []
    assert [r.patient_id for r in patients.balances(db, SYSTEM, clinic.practice.id, which=BalanceFilter.CREDIT)] \
        == [claim.patient_id]
    (aged,) = patients.aging(db, SYSTEM, AS_OF, clinic.practice.id)
    assert aged.aging.total == D("0.00") and aged.aging.credits == D("20.00")


def test_patient_payments_are_applied_to_the_oldest_claims_they_settle():
    ledger = [(date(2026, 9, 1), "payment", None, D("-10.00")),  # paid at check-in, before anything was owed
              (date(2026, 9, 5), "responsibility", 1, D("25.00")),
              (date(2026, 9, 20), "responsibility", 2, D("40.00")),
              (date(2026, 10, 1), "write_off", None, D("-5.00")),
              (date(2026, 10, 3), "payment", None, D("-30.00")),
              (date(2026, 10, 9), "payment", None, D("-50.00"))]
    # claim 1: 10.00 from the check-in payment, 5.00 written off, 10.00 of Oct 3's 30.00;
    # claim 2: the other 20.00 of Oct 3, then 20.00 of Oct 9's 50.00 — whose last 30.00 is a credit, paying no claim
    assert payments_by_claim(ledger) == {
        1: [(date(2026, 9, 1), D("10.00")), (date(2026, 10, 3), D("10.00"))],
        2: [(date(2026, 10, 3), D("20.00")), (date(2026, 10, 9), D("20.00"))]}


def test_collection_rates_count_the_patients_payments(db):
    clinic = make_clinic(db, "Qzcollect", patients=1)
    (claim,) = accepted_claims(db, clinic, 1)
    _post(db, clinic, [paid(claim)], "COLLECT1")  # 145.00 charged: payer 67.00, contractual 58.00, copay 20.00
    before = facts.kpi_trend(db, SYSTEM, AS_OF, 2, clinic.practice.id)[0].values
    # the payer's 67.00 alone: 67 / 145 = 46.2 %, and 67 / (145 − 58) = 77.0 %
    assert (before["gross_collection_rate"], before["net_collection_rate"]) == (D("46.2"), D("77.0"))
    patients.record_payment(db, SYSTEM, clinic.practice.id, claim.patient_id, D("20.00"), date(2026, 11, 3))
    october = facts.kpi_trend(db, SYSTEM, AS_OF, 2, clinic.practice.id)[0]
    assert october.month == date(2026, 10, 1)
    # 67.00 + the patient's 20.00 = 87.00: 87 / 145 = 60.0 %, and 87 / (145 − 58) = 100.0 %
    assert (october.values["gross_collection_rate"], october.values["net_collection_rate"]) == (D("60.0"), D("100.0"))


def test_the_balances_api_and_page_show_a_credit_and_filter_by_kind(client, db, settings):
    clinic = make_clinic(db, "Qzpage", patients=2)
    add_signed_agreement(db, clinic.practice)
    owing, refunded = accepted_claims(db, clinic, 2)
    _post(db, clinic, [paid(owing), paid(refunded)], "PAGE1")
    patients.record_payment(db, SYSTEM, clinic.practice.id, refunded.patient_id, D("20.00"), date(2026, 11, 3))
    _post(db, clinic, [paid(refunded, status="22", sign=-1), paid(refunded, patient=D("0.00"))], "PAGE2")
    browser = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
    listed = browser.get("/api/v1/patient-balances", params={"practice_id": clinic.practice.id}).json()["items"]
    assert [(r["patient_id"], r["balance"], r["credit"]) for r in listed] == [
        (owing.patient_id, "20.00", False), (refunded.patient_id, "-20.00", True)]
    credits = browser.get("/api/v1/patient-balances", params={"balance": "credit"}).json()["items"]
    assert [r["patient_id"] for r in credits] == [refunded.patient_id]
    page = browser.get("/patient-balances", params={"practice_id": clinic.practice.id}).text
    assert "Credit $20.00" in page and "refund due, no payment" in page and page.count("Post payment") == 1
    aging = browser.get("/api/v1/ar/aging", params={"kind": "patient", "practice_id": clinic.practice.id,
                                                     "as_of": "2026-11-20"}).json()
    assert [(r["total"], r["credits"], r["credit_count"]) for r in aging] == [("20.00", "20.00", 1)]


def test_the_network_total_shows_a_bucket_whose_hidden_cells_hold_eleven_patients_or_more_between_them():
    """Two payers' cells of 6 patients each are hidden; the total less the cells shown gives only their sum, 12
    patients' worth, so the bucket and the total are shown and no other cell is hidden. One more payer's hidden
    cell of 3 patients in another bucket, alone there, hides the smallest other cell of that bucket with it."""
    lines = []
    for number, name in enumerate(("Aetna", "Cigna")):
        few = Aging()
        for patient in range(number * 100, number * 100 + 6):
            few.add(45, D("100.00"), patient)
        lines.append(service.AgingLine(number + 1, name, few, frozenset({"31_60", "total"})))
    many = Aging()
    for patient in range(500, 530):
        many.add(45, D("10.00"), patient)
    lines.append(service.AgingLine(3, "Humana", many))
    total = service.network_total(lines)
    assert (total.shown("31_60"), total.total, total.over_90) == (D("1500.00"), D("1500.00"), D("0.00"))
    alone, old = Aging(), Aging()
    for patient in range(900, 903):
        alone.add(100, D("40.00"), patient)
    for patient in range(700, 720):
        old.add(100, D("5.00"), patient)
    tricare = service.AgingLine(5, "Tricare", old)
    total = service.network_total([*lines, service.AgingLine(4, "Medi-Cal", alone, frozenset({"91_120", "total"})),
                                   tricare])
    # 23 patients in 91–120: the total less Tricare's 100.00 would be Medi-Cal's hidden cell of 3, so Tricare's
    # is hidden too (Humana's 31–60 stays shown: that column is safe already)
    assert tricare.shown("91_120") is None and tricare.total is None and lines[2].shown("31_60") == D("300.00")
    assert total.shown("91_120") == D("220.00") and total.shown("31_60") == D("1500.00")


def test_a_payer_cell_given_back_by_the_network_aging_is_hidden_in_every_view_and_counted_in_the_trail(db):
    """By payer, Cigna's 3 open patients are a small cell; the aging by network (or the page's network line) less
    Aetna's cell would give it back, so the payer view hides Aetna's cell of 15 too, through the API as on the page,
    and the audit trail of the aggregation counts the four cells hidden (each payer's bucket and its total)."""
    clinic = make_clinic(db, "Qzcompl", patients=15)
    cigna = add_payer(db, "62308", "Cigna")
    clinic.patients += [add_patient(db, clinic.practice, "Qzcompl", cigna) for _ in range(3)]
    biller = _biller_of_two_consenting_practices(db, clinic)
    accepted_claims(db, clinic, 18)  # nothing paid: every claim open in one bucket as of AS_OF
    by_payer = {line.label: line for line in service.aging(db, biller, AgingKind.INSURANCE, AgingBy.PAYER, AS_OF)}
    assert set(by_payer) == {"Aetna", "Cigna"}
    bucket = next(key for key, amount in by_payer["Aetna"].aging.amounts.items() if amount)
    assert all(line.shown(bucket) is None and line.total is None for line in by_payer.values())
    (network,) = service.aging(db, biller, AgingKind.INSURANCE, AgingBy.NETWORK, AS_OF)
    assert network.shown(bucket) == D("2610.00")  # 18 × 145.00: it no longer gives Cigna's 435.00 back
    (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.action == "aggregation.insurance_aging_by_payer",
                                                   AuditEntry.practice_id == clinic.practice.id)).all()
    assert "18 patients, 4 cells suppressed" in entry.reason


def test_a_hidden_credit_cell_hides_the_smallest_other_credit_cell_but_not_the_open_ar():
    """Cigna's credits of 2 patients are hidden; the network's credits (17 patients) less Aetna's would give them
    back, so Aetna's credits are hidden too. Credits are not in the total: Aetna's open A/R and total stay shown."""
    aetna, cigna = Aging(), Aging()
    for patient in range(15):
        aetna.add(10, D("100.00"), patient)
        aetna.add(10, D("-10.00"), 100 + patient)
    for patient in range(200, 202):
        cigna.add(10, D("-10.00"), patient)
    lines = [service.AgingLine(1, "Aetna", aetna), service.AgingLine(2, "Cigna", cigna, frozenset({"credits"}))]
    total = service.network_total(lines)
    assert lines[0].credits is None and lines[0].total == D("1500.00") and lines[0].shown("0_30") == D("1500.00")
    assert total.credits == D("170.00") and total.total == D("1500.00")  # credits are kept as owed back
