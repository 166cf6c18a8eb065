"""A share the payer left to a patient who has a next plan in force is the next plan's to answer first, billed yet
or not: from the day it is posted, insurance A/R holds it (under that plan's payer, by payer), patient A/R and the
statement's amount due leave it out, and the KPIs count it once.

Figures are those of `test_cob_secondary_books`: a 200.00 claim served 2026-10-01, the primary paid 120.00 on
2026-11-02 (CO-45 50.00, PR-2 30.00), the patient has a second plan with "Second Mutual".
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
from sqlalchemy import event

from openmso.core.errors import Invalid
from openmso.core.tenancy import SYSTEM
from openmso.core.types import simulated_clock
from openmso.network import schemas as network_schemas
from openmso.network import service as network
from openmso.rcm.ar import facts, held_shares, patients, reports
from openmso.rcm.claims import building, service
from openmso.rcm.claims.models import Claim
from openmso.rcm.claims.schemas import Correction
from tests.factories import add_payer, add_plan
from tests.rcm.conftest import make_clinic
from tests.rcm.remits import accepted_claims
from tests.rcm.test_cob_secondary_books import AS_OF, PRIMARY, _books, _pay_secondary, _payment, _post, sent
from tests.rcm.test_cob_transferred_share import (
    primary_paid_with_a_denial,
    primary_paid_with_a_denial_moved_to_the_patient,
)
from tests.rcm.test_pending_insurance import _statement, _totals

PAID_ON = date(2026, 11, 2)


def _primary_paid(db, marker: str, second_plan_from: date | None = date(2024, 1, 1)):
    """The primary's 835 posted, and nothing billed to the second plan (none when `second_plan_from` is None)."""
    clinic = make_clinic(db, marker, patients=1)
    if second_plan_from is not None:
        second = add_payer(db, "SX001", "Second Mutual")
        add_plan(db, clinic.patients[0].id, second.id, "SEC123", 2, effective_from=second_plan_from)
    [primary] = accepted_claims(db, clinic, 1, (("99213", "200.00"),))
    _post(db, clinic, [_payment(primary, "120.00", PRIMARY)], f"P{marker}")
    return clinic, db.get(Claim, primary.id)


def _days_in_ar(db, clinic) -> D:
    return facts.kpi_trend(db, SYSTEM, AS_OF, 2, clinic.practice.id)[1].values["days_in_ar"]


def test_a_share_for_a_next_plan_not_billed_yet_is_insurance_ar_under_that_plans_payer(db):
    clinic, primary = _primary_paid(db, "Qzholdwait")
    assert _totals(db, clinic, PAID_ON) == (D("30.00"), D("0.00"))
    assert _totals(db, clinic, AS_OF) == (D("30.00"), D("0.00"))
    assert _totals(db, clinic, date(2026, 11, 1)) == (D("200.00"), D("0.00"))  # before the primary paid
    by_payer = {row.label: row.aging.total for row in reports.insurance_aging(db, SYSTEM, AS_OF, "payer",
                                                                               clinic.practice.id)}
    assert by_payer == {"Second Mutual": D("30.00")}  # the primary owes nothing more; the next plan is asked
    (row,) = patients.balances(db, SYSTEM, clinic.practice.id)
    assert (row.balance, row.pending, row.due, row.oldest) == (D("30.00"), D("30.00"), D("0.00"), None)
    text = _statement(db, clinic, primary.patient_id)
    assert "Amount due: $0.00" in text and "Pending insurance: $30.00" in text and "Please pay" not in text
    assert _days_in_ar(db, clinic) == D("7.7")  # 30 × 51 / 200: counted once, not in both A/Rs, not in neither


def test_billing_the_next_plan_moves_the_hold_to_its_claim_without_counting_it_twice(db):
    clinic, primary = _primary_paid(db, "Qzholdbill")
    service.bill_secondary(db, SYSTEM, primary.id)
    db.expire_all()
    assert _totals(db, clinic, AS_OF) == (D("30.00"), D("0.00"))
    assert _days_in_ar(db, clinic) == D("7.7")


def test_without_a_next_plan_in_force_on_the_date_of_service_the_share_is_the_patients(db):
    for marker, plan_from in (("Qzholdnone", None), ("Qzholdlate", date(2026, 10, 2))):  # a day after the service
        clinic, primary = _primary_paid(db, marker, plan_from)
        assert _totals(db, clinic, AS_OF) == (D("0.00"), D("30.00")), marker
        (row,) = patients.balances(db, SYSTEM, clinic.practice.id)
        assert (row.pending, row.due) == (D("0.00"), D("30.00")), marker
        assert "Amount due: $30.00" in _statement(db, clinic, primary.patient_id), marker
        assert _days_in_ar(db, clinic) == D("7.7"), marker


def test_a_share_a_paid_secondary_leaves_waits_for_the_tertiary_billed_or_not(db):
    clinic, primary, secondary = _books(db, "Qzholdthird")
    third = add_payer(db, "TX001", "Third Benefit")
    add_plan(db, primary.patient_id, third.id, "TER123", 3)
    _pay_secondary(db, clinic, secondary, "20.00", [("OA", "23", "170.00"), ("PR", "2", "10.00")], "HOLD3")
    assert _totals(db, clinic, AS_OF) == (D("10.00"), D("0.00"))  # the secondary's 10.00 coinsurance
    by_payer = {row.label: row.aging.total for row in reports.insurance_aging(db, SYSTEM, AS_OF, "payer",
                                                                               clinic.practice.id)}
    assert by_payer == {"Third Benefit": D("10.00")}
    assert patients.balances(db, SYSTEM, clinic.practice.id)[0].due == D("0.00")
    service.bill_secondary(db, SYSTEM, secondary.id)  # the tertiary's claim now holds it
    db.expire_all()
    assert _totals(db, clinic, AS_OF) == (D("10.00"), D("0.00"))
    assert _days_in_ar(db, clinic) == D("2.6")  # 10 × 51 / 200


def test_a_denial_moved_to_the_patient_is_due_while_the_share_waits_for_the_next_plan(db):
    clinic, primary = primary_paid_with_a_denial_moved_to_the_patient(db, "Qzholdxfer")
    # the next plan is asked for the 30.00 PR-2 share; the 20.00 the biller moved to the patient is theirs now:
    # 50.00 on the ledger, each dollar in one A/R
    for billed in (False, True):
        assert _totals(db, clinic, AS_OF) == (D("30.00"), D("20.00")), billed
        (row,) = patients.balances(db, SYSTEM, clinic.practice.id)
        assert (row.balance, row.pending, row.due) == (D("50.00"), D("30.00"), D("20.00")), billed
        text = _statement(db, clinic, primary.patient_id)
        assert "Amount due: $20.00" in text and "Pending insurance: $30.00" in text, billed
        assert _days_in_ar(db, clinic) == D("12.8"), billed  # (30 + 20) × 51 / 200 = 12.75
        if not billed:  # the secondary billed and sent: its claim's wait holds the same 30.00
            sent(db, service.bill_secondary(db, SYSTEM, primary.id), "SEC", date(2026, 11, 3))


READJUDICATED = (("CO", "45", "50.00"), ("PR", "2", "50.00"))  # the primary's second thoughts: 100.00 paid


def _held_once(db, clinic, trace: str) -> None:
    """After the primary's decision changed while the secondary waits: the secondary is asked for the 50.00 share
    the primary now leaves, insurance holds it, and the patient owes nothing yet — each dollar in one A/R."""
    assert _totals(db, clinic, AS_OF) == (D("50.00"), D("0.00")), trace
    (row,) = patients.balances(db, SYSTEM, clinic.practice.id)
    assert (row.balance, row.pending, row.due) == (D("50.00"), D("50.00"), D("0.00")), trace
    assert _days_in_ar(db, clinic) == D("12.8"), trace  # 50 × 51 / 200 = 12.75


def test_a_primary_readjudicated_while_the_secondary_waits_holds_its_new_share(db):
    clinic, primary, _ = _books(db, "Qzholdreadj")
    _post(db, clinic, [_payment(primary, "120.00", PRIMARY, reversal=True),
                       _payment(primary, "100.00", READJUDICATED)], "READJ")
    _held_once(db, clinic, "READJ")


def test_a_primary_replaced_while_the_secondary_waits_holds_the_replacements_share(db):
    clinic, primary, _ = _books(db, "Qzholdrepl")
    replacement = sent(db, service.correct(db, SYSTEM, primary.id, Correction(kind="replace",
                                                                             reason="modifier added")),
                       "RPL", date(2026, 11, 5))
    _post(db, clinic, [_payment(primary, "120.00", PRIMARY, reversal=True),
                       _payment(replacement, "100.00", READJUDICATED)], "REPL")
    _held_once(db, clinic, "REPL")


def test_an_open_denial_of_the_primary_is_counted_once_while_the_secondary_waits(db):
    """The primary pays 100.00: CO-45 50.00, OA-27 20.00 (a denial still being worked), PR-2 30.00. Insurance A/R
    is the denial (the primary's to answer) and the 30.00 share (the secondary's): 50.00, billed or not — the
    secondary is not asked for the primary's open denial on top."""
    clinic, primary, _ = primary_paid_with_a_denial(db, "Qzholddeny")
    assert _totals(db, clinic, AS_OF) == (D("50.00"), D("0.00"))
    assert _days_in_ar(db, clinic) == D("12.8")  # 50 × 51 / 200 = 12.75
    sent(db, service.bill_secondary(db, SYSTEM, primary.id), "SEC", date(2026, 11, 3))
    by_payer = {row.label: row.aging.total for row in reports.insurance_aging(db, SYSTEM, AS_OF, "payer",
                                                                               clinic.practice.id)}
    assert by_payer == {clinic.payer.name: D("20.00"), "Second Mutual": D("30.00")}  # was 20 + 50: 70 in all
    assert _totals(db, clinic, AS_OF) == (D("50.00"), D("0.00"))
    assert _days_in_ar(db, clinic) == D("12.8")  # was 17.9: 70 × 51 / 200


def test_a_void_with_the_payer_leaves_no_share_for_the_next_plan(db):
    clinic, primary = _primary_paid(db, "Qzholdvoid")
    void = service.correct(db, SYSTEM, primary.id, Correction(kind="void", reason="billed in error"))
    void.status, void.submitted_at = "payer_accepted", datetime(2026, 11, 5, 9, tzinfo=UTC)
    db.flush()
    db.expire_all()
    # before the void was sent the next plan was to be asked for the 30.00; once it is, nothing is billed any
    # more: the 120.00 paid is owed back to the payer (a credit, apart) and the patient's 30.00 is theirs until
    # the payer takes its decision back
    assert _totals(db, clinic, date(2026, 11, 4)) == (D("30.00"), D("0.00"))
    assert _totals(db, clinic, AS_OF) == (D("0.00"), D("30.00"))
    (row,) = patients.balances(db, SYSTEM, clinic.practice.id)
    assert (row.pending, row.due) == (D("0.00"), D("30.00"))
    [history] = facts.load_histories(db, [clinic.practice.id], date(2026, 10, 1), AS_OF)
    assert history.facts_at(date(2026, 11, 4)).open_balance == D("30.00")
    assert history.facts_at(AS_OF).open_balance == D("0.00")  # the patient's 30.00 is counted in patient A/R


def _parameters_read(db, work) -> int:
    """The most parameters any one statement `work` runs binds."""
    most = 0

    def count(conn, cursor, statement, parameters, context, executemany):
        nonlocal most
        most = max(most, len(parameters or ()))

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return most


def test_patient_ar_finds_the_next_plans_claims_by_query_not_by_a_list_of_their_ids(db):
    """A network's multi-plan patients have more claims than one statement may list (PostgreSQL binds at most
    65,535 parameters): no statement grows with their number."""
    clinic = make_clinic(db, "Qzholdmany", patients=6)
    second = add_payer(db, "SX001", "Second Mutual")
    for patient in clinic.patients:
        add_plan(db, patient.id, second.id, f"SEC{patient.id}", 2)
    first = accepted_claims(db, clinic, 1, (("99213", "200.00"),))
    _post(db, clinic, [_payment(first[0], "120.00", PRIMARY)], "PQzholdmany1")
    one = _parameters_read(db, lambda: held_shares.pending_shares(db, [clinic.practice.id], AS_OF))
    more = accepted_claims(db, clinic, 6, (("99213", "200.00"),))  # six more claims, one per patient
    _post(db, clinic, [_payment(claim, "120.00", PRIMARY) for claim in more], "PQzholdmany2")
    shares = {}
    seven = _parameters_read(db, lambda: shares.update(held_shares.pending_shares(db, [clinic.practice.id], AS_OF)))
    assert shares == {claim.id: held_shares.Held(claim.id, D("30.00")) for claim in first + more}
    assert seven == one


def test_a_tertiary_billed_before_the_secondary_reversed_is_asked_for_nothing_while_the_secondary_waits(db):
    clinic, primary, secondary = _books(db, "Qzholdrev3")
    third = add_payer(db, "TX001", "Third Benefit")
    add_plan(db, primary.patient_id, third.id, "TER123", 3)
    answer = [("OA", "23", "170.00"), ("PR", "2", "10.00")]
    _pay_secondary(db, clinic, secondary, "20.00", answer, "REV3A")
    sent(db, service.bill_secondary(db, SYSTEM, secondary.id), "TER", date(2026, 11, 10))
    _pay_secondary(db, clinic, db.get(Claim, secondary.id), "20.00", answer, "REV3B", reversal=True)
    # the secondary owes the primary's 30.00 share again; no decision of it stands to leave the tertiary any
    by_payer = {row.label: row.aging.total for row in reports.insurance_aging(db, SYSTEM, AS_OF, "payer",
                                                                               clinic.practice.id)}
    assert by_payer == {"Second Mutual": D("30.00")}  # was Third Benefit 200.00 beside it
    assert _totals(db, clinic, AS_OF) == (D("30.00"), D("0.00"))
    assert _days_in_ar(db, clinic) == D("7.7")  # 30 × 51 / 200: once, not on each waiting claim


def test_a_primary_voided_while_the_secondary_waits_leaves_it_nothing_to_cover(db):
    clinic, primary, _ = _books(db, "Qzholdvoid2")
    void = service.correct(db, SYSTEM, primary.id, Correction(kind="void", reason="billed in error"))
    void.status, void.submitted_at = "payer_accepted", datetime(2026, 11, 5, 9, tzinfo=UTC)
    db.flush()
    db.expire_all()
    assert _totals(db, clinic, AS_OF) == (D("0.00"), D("30.00"))  # and 120.00 owed back to the primary, apart
    [history] = facts.load_histories(db, [clinic.practice.id], date(2026, 10, 1), AS_OF)
    assert history.facts_at(AS_OF).open_balance == D("0.00")  # was 30.00: in both, with the patient's 30.00


def test_a_secondary_replaced_after_it_answered_leaves_the_patient_its_share(db):
    clinic, _, secondary = _books(db, "Qzholdrepl2")
    _pay_secondary(db, clinic, secondary, "20.00", [("OA", "23", "170.00"), ("PR", "2", "10.00")], "REPL2")
    replacement = service.correct(db, SYSTEM, secondary.id, Correction(kind="replace", reason="modifier added"))
    replacement.status, replacement.submitted_at = "payer_accepted", datetime(2026, 11, 10, 9, tzinfo=UTC)
    service.supersede_on_acceptance(db, SYSTEM, replacement)
    db.flush()
    db.expire_all()
    # the secondary's decision stands until the payer answers the replacement: the 10.00 it left is the patient's
    assert _totals(db, clinic, AS_OF) == (D("0.00"), D("10.00"))  # was in neither
    (row,) = patients.balances(db, SYSTEM, clinic.practice.id)
    assert (row.balance, row.pending, row.due) == (D("10.00"), D("0.00"), D("10.00"))


def test_a_patients_payment_settles_what_is_due_and_never_the_share_insurance_holds(db):
    clinic, primary = primary_paid_with_a_denial_moved_to_the_patient(db, "Qzholdpay")
    # 30.00 PR-2 pending with the second plan, 20.00 moved to the patient and due; the patient pays the 20.00
    patients.record_payment(db, SYSTEM, clinic.practice.id, primary.patient_id, D("20.00"), date(2026, 11, 10))
    assert _totals(db, clinic, AS_OF) == (D("30.00"), D("0.00"))
    (row,) = patients.balances(db, SYSTEM, clinic.practice.id)
    assert (row.balance, row.pending, row.due) == (D("30.00"), D("30.00"), D("0.00"))  # was due 20.00 again
    assert "Amount due: $0.00" in _statement(db, clinic, primary.patient_id)
    # not a cent more: the 30.00 is the second plan's to answer first
    with pytest.raises(Invalid, match=r"owes 0\.00 \(30\.00 more is pending with the patient's other plan"):
        patients.record_payment(db, SYSTEM, clinic.practice.id, primary.patient_id, D("10.00"), date(2026, 11, 11))


def test_a_share_paid_before_the_next_plan_was_on_file_is_a_patient_credit_while_that_plan_is_asked(db):
    clinic, primary = _primary_paid(db, "Qzholdahead", second_plan_from=None)
    patients.record_payment(db, SYSTEM, clinic.practice.id, primary.patient_id, D("30.00"), date(2026, 11, 5))
    assert _totals(db, clinic, AS_OF) == (D("0.00"), D("0.00"))  # paid: nothing owed by anyone
    second = add_payer(db, "SX001", "Second Mutual")  # the front desk learns of a second plan in force on 11-10
    add_plan(db, primary.patient_id, second.id, "SEC123", 2, entered=datetime(2026, 11, 10, 15, tzinfo=UTC))
    assert _totals(db, clinic, date(2026, 11, 9)) == (D("0.00"), D("0.00"))  # the books then: not on file yet
    # the second plan is asked for the 30.00; the patient's 30.00 is a credit meanwhile (refunded once it pays)
    [patient_row] = patients.aging(db, SYSTEM, AS_OF, clinic.practice.id)
    assert (patient_row.aging.total, patient_row.aging.credits) == (D("0.00"), D("30.00"))
    assert _totals(db, clinic, AS_OF)[0] - patient_row.aging.credits == D("0.00")  # the ledger's balance


def _secondary_answered_then_voided(db, marker: str):
    """The secondary pays 20.00 of the 30.00 (PR-2 10.00 left), then the practice voids it with the payer."""
    clinic, primary, secondary = _books(db, marker)
    _pay_secondary(db, clinic, secondary, "20.00", [("OA", "23", "170.00"), ("PR", "2", "10.00")], f"{marker}A")
    void = service.correct(db, SYSTEM, secondary.id, Correction(kind="void", reason="billed to the wrong plan"))
    sent(db, void, "SECV", date(2026, 11, 10))
    return clinic, primary, db.get(Claim, secondary.id)


def _insurance(db, clinic, as_of: date = AS_OF) -> tuple[D, D]:
    """(insurance A/R in the buckets, credits owed back to payers) of the practice at the end of `as_of`."""
    rows = reports.insurance_aging(db, SYSTEM, as_of, "practice", clinic.practice.id)
    return (sum((row.aging.total for row in rows), D("0.00")), sum((row.aging.credits for row in rows), D("0.00")))


def test_a_secondary_voided_after_it_paid_owes_back_only_its_payment_and_holds_no_share(db):
    clinic, primary, _ = _secondary_answered_then_voided(db, "Qzvoidsec")
    # nothing is billed to the secondary any more: its 20.00 is owed back until it takes it back (a credit, not
    # its whole 200.00 charge), and it waits for nothing; the patient owes the 10.00 it left meanwhile
    assert _insurance(db, clinic) == (D("0.00"), D("20.00"))  # was a 200.00 credit
    assert _insurance(db, clinic, date(2026, 11, 9)) == (D("0.00"), D("0.00"))  # before the void was sent
    assert _totals(db, clinic, AS_OF)[1] == D("10.00")
    [history] = facts.load_histories(db, [clinic.practice.id], date(2026, 10, 1), AS_OF)
    assert history.facts_at(AS_OF).open_balance == D("0.00")


def test_a_secondary_voided_and_its_payment_taken_back_leaves_the_patient_the_primarys_share(db):
    clinic, primary, secondary = _secondary_answered_then_voided(db, "Qzvoidsec2")
    _pay_secondary(db, clinic, secondary, "20.00", [("OA", "23", "170.00"), ("PR", "2", "10.00")], "QzvoidsecR",
                   reversal=True)
    # the secondary was withdrawn and has taken its payment back: it is asked for nothing, so the primary's 30.00
    # is the patient's (billing the second plan again is a new claim, which waits for its answer)
    assert _insurance(db, clinic) == (D("0.00"), D("0.00"))  # was 30.00 waiting on the voided claim
    assert _totals(db, clinic, AS_OF)[1] == D("30.00")  # was nothing: held for the voided claim
    (row,) = patients.balances(db, SYSTEM, clinic.practice.id)
    assert (row.balance, row.pending, row.due) == (D("30.00"), D("0.00"), D("30.00"))
    [history] = facts.load_histories(db, [clinic.practice.id], date(2026, 10, 1), AS_OF)
    assert history.facts_at(AS_OF).open_balance == D("0.00")  # the 30.00 is counted in patient A/R


def test_a_later_payers_share_beyond_the_one_it_was_asked_for_is_not_held_for_the_tertiary(db):
    clinic, primary, secondary = _books(db, "Qzholdexcess")
    third = add_payer(db, "TX001", "Third Benefit")
    add_plan(db, primary.patient_id, third.id, "TER123", 3)
    # the secondary puts 80.00 to its deductible (PR-1) of a service whose primary capped the patient at 30.00: the
    # 50.00 beyond it is flagged, not billed, so the tertiary is asked for the 30.00 on the ledger, not 80.00
    _pay_secondary(db, clinic, secondary, "0.00", [("OA", "23", "120.00"), ("PR", "1", "80.00")], "HOLDEXC")
    by_payer = {row.label: row.aging.total for row in reports.insurance_aging(db, SYSTEM, AS_OF, "payer",
                                                                               clinic.practice.id)}
    assert by_payer == {"Third Benefit": D("30.00")}  # was 80.00
    (row,) = patients.balances(db, SYSTEM, clinic.practice.id)
    assert (row.balance, row.pending, row.due) == (D("30.00"), D("30.00"), D("0.00"))
    assert _days_in_ar(db, clinic) == D("7.7")  # 30 × 51 / 200, not 80


def test_a_plan_entered_later_does_not_change_a_past_days_hold_for_the_plan_then_on_file(db):
    clinic = make_clinic(db, "Qzholdlater", patients=1)
    patient = clinic.patients[0]
    add_plan(db, patient.id, add_payer(db, "TX001", "Third Benefit").id, "TER123", 3)  # on file 2026-09-01
    [primary] = accepted_claims(db, clinic, 1, (("99213", "200.00"),))
    _post(db, clinic, [_payment(primary, "120.00", PRIMARY)], "PQzholdlater")
    before = (_totals(db, clinic, AS_OF), _days_in_ar(db, clinic))
    assert before == ((D("30.00"), D("0.00")), D("7.7"))  # held for the plan after the primary then on file
    # on 2026-11-25 the front desk learns of a secondary plan in force on the date of service: it is next from then
    add_plan(db, patient.id, add_payer(db, "SX001", "Second Mutual").id, "SEC123", 2,
             entered=datetime(2026, 11, 25, 15, tzinfo=UTC))
    assert (_totals(db, clinic, AS_OF), _days_in_ar(db, clinic)) == before  # the books of 11-20 read the same
    by_payer = {row.label: row.aging.total for row in reports.insurance_aging(db, SYSTEM, AS_OF, "payer",
                                                                               clinic.practice.id)}
    assert by_payer == {"Third Benefit": D("30.00")}
    later = {row.label: row.aging.total for row in reports.insurance_aging(db, SYSTEM, date(2026, 11, 26), "payer",
                                                                            clinic.practice.id)}
    assert later == {"Second Mutual": D("30.00")}


def test_collections_count_a_patients_payment_on_the_service_it_settled_not_on_one_whose_share_insurance_held(db):
    """Two services of one patient, each leaving a 30.00 PR-2: the older one (served 09-15) while a second plan was
    in force, its share held for it; the newer one (10-01) after that plan ended, due. The patient pays 30.00 on
    11-10: the ledger applies it to what was due, so the KPIs count it collected on the newer service."""
    clinic = make_clinic(db, "Qzholdcollect", patients=1)
    patient = clinic.patients[0]
    second = add_payer(db, "SX001", "Second Mutual")
    with simulated_clock(datetime(2026, 9, 1, 9, tzinfo=UTC)):
        network.add_coverage(db, SYSTEM, patient.id, network_schemas.CoverageCreate(
            payer_id=second.id, member_id="SEC123", priority=2, effective_from=date(2024, 1, 1),
            effective_to=date(2026, 9, 30)))
    clinic.charge(db, patient, charge_amount=D("200.00"), service_date=date(2026, 9, 15))
    clinic.charge(db, patient, charge_amount=D("200.00"))
    ids = building.build_claims(db, SYSTEM, clinic.practice.id)
    older, newer = (db.get(Claim, claim_id) for claim_id in sorted(ids))
    for claim in (older, newer):
        sent(db, claim, "PCN", date(2026, 10, 5))
    _post(db, clinic, [_payment(db.get(Claim, older.id), "120.00", PRIMARY),
                       _payment(db.get(Claim, newer.id), "120.00", PRIMARY)], "PQzholdcollect")
    patients.record_payment(db, SYSTEM, clinic.practice.id, patient.id, D("30.00"), date(2026, 11, 10))
    histories = sorted(facts.load_histories(db, [clinic.practice.id], date(2026, 9, 1), AS_OF),
                       key=lambda h: h.service_date)
    assert [h.facts_at(AS_OF).patient_paid for h in histories] == [D("0.00"), D("30.00")]  # was [30.00, 0.00]
    assert _totals(db, clinic, AS_OF) == (D("30.00"), D("0.00"))  # the older share still held, nothing due
