"""Insurance A/R ages from a claim's first submission, and a rejection does not take it out: a claim the payer's
front end rejected is corrected and sent again, but the money was owed all along. Aging from the latest
submission restarted the clock of every rejected claim (A/R looked younger than it was), and a past day's aging
lost the claims rejected since, so the same report for the same day changed with later work."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D

from openmso.core.tenancy import SYSTEM, Role
from openmso.core.types import simulated_clock
from openmso.network import schemas
from openmso.network import service as network
from openmso.rcm.ar import facts, reports
from openmso.rcm.claims import batches, building, editing, scrubbing
from openmso.rcm.claims.models import Claim
from openmso.rcm.claims.schemas import ClaimEditIn, ClaimRebillIn
from openmso.rcm.claims.states import ClaimEvent
from openmso.rcm.claims.timeline import advance
from openmso.rcm.clearinghouse.adapters import default_envelope
from openmso.rcm.remittance.ingest import ingest_file
from tests.factories import add_payer, add_signed_agreement, add_user, signed_in
from tests.rcm.conftest import make_clinic
from tests.rcm.remits import paid, render, transaction

ENVELOPE = default_envelope("Test MSO", "SIMULATED PAYERS", "SIMCH")


def _at(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC).replace(hour=15)


def _sent(db, claim_ids: list[int], day: date) -> None:
    with simulated_clock(_at(day)):
        batches.build_batches(db, SYSTEM, ENVELOPE, adapter="test", claim_ids=claim_ids)


def _rejected_and_sent_again(db, claim: Claim, rejected: date, again: date) -> None:
    """The payer's front end rejects the claim; the biller corrects it (codes unchanged) and it goes again."""
    with simulated_clock(_at(rejected)):
        advance(db, SYSTEM, claim, ClaimEvent.CLEARINGHOUSE_ACCEPT, "999: accepted")
        advance(db, SYSTEM, claim, ClaimEvent.PAYER_REJECT, "277CA A7:164: member id not found")
    with simulated_clock(_at(again)):
        editing.edit_claim(db, SYSTEM, claim.id, ClaimEditIn(
            diagnoses=claim.diagnosis_codes, prior_authorization=claim.prior_authorization, reason="member id re-keyed",
            lines=[{"line_number": line.line_number, "procedure_code": line.procedure_code,
                    "modifiers": line.modifier_list, "units": line.units, "charge_amount": line.charge_amount,
                    "pointers": line.pointer_list} for line in claim.lines]))
    assert db.get(Claim, claim.id).status == "ready"
    _sent(db, [claim.id], again)
    with simulated_clock(_at(again)):
        advance(db, SYSTEM, claim, ClaimEvent.CLEARINGHOUSE_ACCEPT, "999: accepted")
        advance(db, SYSTEM, claim, ClaimEvent.PAYER_ACCEPT, "277CA A2:20")


def _open(db, clinic, as_of: date) -> dict[str, D]:
    rows = reports.insurance_aging(db, SYSTEM, as_of, "practice", clinic.practice.id)
    return {key: amount for row in rows for key, amount in row.aging.amounts.items() if amount}


def test_a_rejected_claim_stays_in_insurance_a_r_aged_from_its_first_submission(client, db, settings):
    clinic = make_clinic(db, "Qzreject", patients=2)
    add_signed_agreement(db, clinic.practice)
    for patient in clinic.patients:
        clinic.charge(db, patient, service_date=date(2026, 9, 15))
    ids = building.build_claims(db, SYSTEM, clinic.practice.id)
    scrubbing.scrub_claims(db, SYSTEM, claim_ids=ids, as_of=date(2026, 9, 18))
    _sent(db, ids, date(2026, 9, 20))
    rejected, accepted = (db.get(Claim, claim_id) for claim_id in ids)
    with simulated_clock(_at(date(2026, 9, 22))):
        advance(db, SYSTEM, accepted, ClaimEvent.CLEARINGHOUSE_ACCEPT, "999: accepted")
        advance(db, SYSTEM, accepted, ClaimEvent.PAYER_ACCEPT, "277CA A2:20")
    _rejected_and_sent_again(db, rejected, date(2026, 9, 22), date(2026, 10, 7))
    assert rejected.submitted_at.date() == date(2026, 10, 7)  # its latest submission

    # while rejected (being corrected), still owed: both claims, 10 days old
    assert _open(db, clinic, date(2026, 9, 30)) == {"0_30": D("290.00")}
    # 35 days after the first submission, not 18 after the second: both in 31-60
    assert _open(db, clinic, date(2026, 10, 25)) == {"31_60": D("290.00")}
    ingest_file(db, SYSTEM, "paid.835", render(transaction(clinic.practice, [paid(rejected), paid(accepted)])))
    assert _open(db, clinic, date(2026, 11, 20)) == {}  # paid 2026-11-02, the patients' shares left to them
    assert _open(db, clinic, date(2026, 10, 25)) == {"31_60": D("290.00")}  # the past day does not change

    (history, other) = facts.load_histories(db, [clinic.practice.id], date(2026, 9, 1), date(2026, 9, 30))
    assert history.billed_on == other.billed_on == date(2026, 9, 20)
    page = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN)).get(f"/claims/{rejected.id}").text
    assert "2026-09-20, sent again 2026-10-07" in page[page.index('id="submissions"'):]


def test_a_claim_rebilled_to_another_plan_ages_under_the_payer_that_had_it_on_the_day(db):
    """Sent to Aetna on Sept 20 and rejected (wrong payer, A3:116); the patient's plan from Sept 1 is Cigna, and
    the claim is rebilled to it on Oct 7. Aging by payer as of Sept 30 shows it under Aetna, which had it then;
    as of Oct 25, under Cigna. Neither day's figure changes with the rebill."""
    clinic = make_clinic(db, "Qzrebill", patients=1)
    add_signed_agreement(db, clinic.practice)
    [patient] = clinic.patients
    clinic.charge(db, patient, service_date=date(2026, 9, 15))
    [claim_id] = building.build_claims(db, SYSTEM, clinic.practice.id)
    scrubbing.scrub_claims(db, SYSTEM, claim_ids=[claim_id], as_of=date(2026, 9, 18))
    _sent(db, [claim_id], date(2026, 9, 20))
    claim = db.get(Claim, claim_id)
    with simulated_clock(_at(date(2026, 9, 22))):
        advance(db, SYSTEM, claim, ClaimEvent.CLEARINGHOUSE_ACCEPT, "999: accepted")
        advance(db, SYSTEM, claim, ClaimEvent.PAYER_REJECT, "277CA A3:116: wrong payer")

    def by_payer(as_of: date) -> dict[int, D]:
        return {row.key: row.aging.total for row in reports.insurance_aging(db, SYSTEM, as_of, "payer",
                                                                            clinic.practice.id)}

    assert by_payer(date(2026, 9, 30)) == {clinic.payer.id: D("145.00")}
    cigna = add_payer(db, "62308", "Cigna Healthcare")
    network.update_coverage(db, SYSTEM, patient.coverages[0].id, schemas.CoverageUpdate(
        effective_to=date(2026, 8, 31), reason="the patient changed plans"))
    plan = network.add_coverage(db, SYSTEM, patient.id, schemas.CoverageCreate(
        payer_id=cigna.id, member_id="CIG123456789", effective_from=date(2026, 9, 1)))
    with simulated_clock(_at(date(2026, 10, 7))):
        editing.rebill(db, SYSTEM, claim_id, ClaimRebillIn(coverage_id=plan.id, reason="the patient's new plan"))
    assert by_payer(date(2026, 9, 30)) == {clinic.payer.id: D("145.00")}  # where it was that day
    assert by_payer(date(2026, 10, 25)) == {cigna.id: D("145.00")}
