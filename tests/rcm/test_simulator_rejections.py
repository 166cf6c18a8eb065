"""The payer simulator's random front-end rejections are about the data they name: a claim resent unchanged
is rejected again for the same reason, one whose named data was corrected is rolled again and accepted at the
payer's usual rate (3% rejected for a commercial payer)."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

from openmso.rcm.clearinghouse.simulator import Decision, PayerSimulator
from openmso.x12.claim837p import Patient, Payer, ProfessionalClaim, ServiceLine, Subscriber
from openmso.x12.remit835 import Procedure

RECEIVED = date(2026, 10, 20)
BILLING_NPI = "1234567893"
SIMULATOR = PayerSimulator()


def _claim(pcn: str, *, member_id: str = "W123456789", payer_id: str = "60054", birth_date: date = date(1961, 4, 9),
           patient: Patient | None = None) -> ProfessionalClaim:
    """A clean commercial claim (valid NPI and codes, seen before it was received) for `pcn`."""
    return ProfessionalClaim(
        patient_control_number=pcn, total_charge=Decimal("145.00"), place_of_service="11",
        subscriber=Subscriber("DOE", member_id, "JANE", birth_date=birth_date, gender="F"),
        payer=Payer("AETNA", payer_id), diagnoses=["I10"], patient=patient,
        lines=[ServiceLine(Procedure("HC", "99213"), Decimal("145.00"), Decimal(1), date(2026, 10, 1))])


def _rejected_for(code: str, count: int, **data) -> list[ProfessionalClaim]:
    """The first `count` claims (PCN1000-00000, -00001, …) the payer rejects for `code`."""
    found = []
    number = 0
    while len(found) < count:
        claim = _claim(f"1000-{number:05d}", **data)
        if SIMULATOR.decide(claim, BILLING_NPI, RECEIVED).code == code:
            found.append(claim)
        number += 1
    return found


def _decide(claim: ProfessionalClaim) -> Decision:
    return SIMULATOR.decide(claim, BILLING_NPI, RECEIVED)


def _rerolled(claim: ProfessionalClaim, fixed: ProfessionalClaim) -> None:
    """The fix keeps the reason (drawn from the PCN) and changes the roll, and the resent claim is accepted."""
    (reason, roll), (fixed_reason, fixed_roll) = SIMULATOR.rejection_roll(claim), SIMULATOR.rejection_roll(fixed)
    assert fixed_reason == reason and fixed_roll != roll
    assert roll < Decimal("0.03") <= fixed_roll
    decision = _decide(fixed)
    assert decision.accepted and (decision.category, decision.code) == ("A2", "20")
    assert len(decision.payer_claim_number) == 18


def test_a_member_id_rejection_repeats_until_the_member_id_is_corrected():
    claim = _rejected_for("164", 1)[0]
    assert (_decide(claim).category, _decide(claim).entity) == ("A7", "IL")
    assert _decide(dataclasses.replace(claim)).code == "164"  # resent unchanged
    other_data_fixed = _claim(claim.patient_control_number, birth_date=date(1961, 4, 10))
    assert _decide(other_data_fixed).code == "164"
    _rerolled(claim, _claim(claim.patient_control_number, member_id="W987654321"))


def test_a_wrong_payer_rejection_repeats_until_the_claim_goes_to_another_payer():
    claim = _rejected_for("116", 1)[0]
    assert _decide(claim).category == "A3"
    assert _decide(_claim(claim.patient_control_number, member_id="W987654321")).code == "116"
    _rerolled(claim, _claim(claim.patient_control_number, payer_id="87726"))


def test_a_birth_date_rejection_repeats_until_the_patients_birth_date_is_corrected():
    claim = _rejected_for("158", 1)[0]
    assert (_decide(claim).category, _decide(claim).entity) == ("A7", "QC")
    assert _decide(_claim(claim.patient_control_number, member_id="W987654321")).code == "158"
    _rerolled(claim, _claim(claim.patient_control_number, birth_date=date(1961, 9, 4)))


def test_a_dependents_birth_date_rejection_is_about_the_patient_not_the_subscriber():
    child = Patient("19", "DOE", "SAM", birth_date=date(2015, 2, 3))
    claim = _rejected_for("158", 1, patient=child)[0]
    assert _decide(_claim(claim.patient_control_number, patient=child, birth_date=date(1961, 9, 4))).code == "158"
    _rerolled(claim, _claim(claim.patient_control_number,
                            patient=dataclasses.replace(child, birth_date=date(2015, 3, 2))))


def test_corrected_claims_are_rejected_again_only_at_the_payers_rate():
    """Of 300 claims rejected for a member id, all are rejected again resent unchanged; with the member id
    corrected, about the commercial rate of 3% (9 of 300) are rejected again, for the same reason."""
    rejected = _rejected_for("164", 300)
    assert all(_decide(claim).code == "164" for claim in rejected)
    again = [_decide(_claim(claim.patient_control_number, member_id="W555000111")) for claim in rejected]
    still = [decision for decision in again if not decision.accepted]
    assert 2 <= len(still) <= 20 and {decision.code for decision in still} == {"164"}


def test_the_reason_is_drawn_from_the_patient_control_number_evenly():
    """Among claims rejected at the front end, each reason is about a third of them."""
    reasons = [_decide(_claim(f"2000-{number:05d}")).code for number in range(6000)]
    counts = {code: reasons.count(code) for code in ("164", "116", "158")}
    assert 150 <= sum(counts.values()) <= 210  # 3% of 6,000 = 180
    assert all(35 <= count <= 85 for count in counts.values()), counts
