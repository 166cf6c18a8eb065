"""An embedded, deterministic payer and clearinghouse: reads our 837P, answers with a 999, a 277CA
and an 835, the way a clearinghouse and a payer do — for the demo and the tests.

- 999 (005010X231A1): each transaction set is read with the X12 reader; one that cannot be read is
  rejected (IK5 R) with the segment and element at fault (IK3/IK4).
- 277CA (005010X214): each claim is accepted (A2:20, with a payer claim number in REF*1K) or
  rejected with a realistic reason: invalid NPI (A7:562), a diagnosis that is not billable
  (A7:255), a date of service after the file (A7:187), a member id too short to be one (A7:164), and,
  at the payer's configured rate, a front-end rejection about data our edits cannot check: a member id
  the payer does not know (A7:164), the wrong payer (A3:116) or a patient birth date that does not match
  (A7:158).
- 835 (005010X221A1, written with `openmso.x12.write_835`): accepted claims are paid with the
  contractual write-down (CO-45) and patient responsibility (PR-1/2/3), or denied (CO-16, CO-97,
  CO-50, CO-29, CO-197) at the payer's rates. A later payer's claim (SBR01 S or T, each line carrying the earlier
  payer's 2430 adjudication) is coordinated: the payer pays what the earlier payers left the patient (for a
  quarter of claims less its own coinsurance on it, PR-2) and reports their decision as OA-23, CLP02 2 or 3.
  A replacement claim (frequency 7) of a claim this payer paid or denied is answered as payers do: the
  original's claim payment reversed (CLP02 22), then the replacement adjudicated; a void (8) gets the reversal
  alone. Every 835 balances (a reversal larger than what the 835 pays
  is carried forward in a PLB FB, so the payment is never negative).

Decisions are a hash of the claim's patient control number and the seed: the same file always
gets the same answers. A front-end rejection's reason is drawn from the patient control number alone,
and whether the claim is rejected for it from a roll that also reads the data the reason names (the
member id, the payer id, the patient's birth date): a claim resent unchanged is rejected again for the
same reason, one whose named data was corrected is rolled again and accepted at the payer's usual rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from openmso.network.identifiers import npi_problem
from openmso.rcm.clearinghouse import x12_responses
from openmso.rcm.clearinghouse.payer_profiles import DEFAULT_RATES, LINE_OF_BUSINESS_RATES, PayerRates, fraction
from openmso.rcm.scrubber import codes
from openmso.x12 import ClaimPayment, X12Error, iter_transactions, parse_837p
from openmso.x12.claim837p import ProfessionalClaim

# Rejections a payer's front end returns for claims that pass our own edits (category, status, entity).
FRONT_END_REJECTIONS = (("A7", "164", "IL"), ("A3", "116", ""), ("A7", "158", "QC"))


def named_data(claim: ProfessionalClaim, code: str) -> str:
    """The data of `claim` that the front-end rejection `code` (277CA STC01-2) is about: the subscriber's
    member id (164), the payer's id (116), or the patient's birth date (158; the subscriber's when the
    patient is the subscriber). Correcting it is what gives the claim another chance."""
    if code == "164":
        return claim.subscriber.member_id
    if code == "116":
        return claim.payer.payer_id
    birth_date = (claim.patient or claim.subscriber).birth_date
    return birth_date.isoformat() if birth_date else ""


@dataclass(slots=True)
class Decision:
    accepted: bool
    category: str = "A2"
    code: str = "20"
    entity: str = ""
    payer_claim_number: str = ""


@dataclass
class PayerSimulator:
    """The payer side. `rates` by electronic payer id override the line-of-business defaults."""

    seed: int = 7
    rates: dict[str, PayerRates] = field(default_factory=dict)
    sender_id: str = "SIMPAYERS"
    days_to_pay: tuple[int, int] = (14, 14)  # fewest and most days from receipt to the 835's payment date
    # its standing claim payments by payer claim number, which a replacement or void reverses
    answered: dict[str, ClaimPayment] = field(default_factory=dict)

    def paid_on(self, control: int, received: date) -> date:
        """The payment date (BPR16) of the 835 answering interchange `control`: a fixed draw in `days_to_pay`."""
        fewest, most = self.days_to_pay
        return received + timedelta(days=fewest + int(fraction(self.seed, "paid", control) * (most - fewest + 1)))

    def rates_for(self, payer_id: str, filing_indicator: str) -> PayerRates:
        return self.rates.get(payer_id) or LINE_OF_BUSINESS_RATES.get(filing_indicator, DEFAULT_RATES)

    def decide(self, claim: ProfessionalClaim, billing_npi: str, received: date) -> Decision:
        """Accept or reject one claim at the payer's front end (277CA)."""
        pcn = claim.patient_control_number
        if npi_problem(billing_npi or ""):
            return Decision(False, "A7", "562", "85")
        if claim.rendering_provider and npi_problem(claim.rendering_provider.npi or ""):
            return Decision(False, "A7", "562", "82")
        if any(codes.diagnosis_problem(code) for code in claim.diagnoses):
            return Decision(False, "A7", "255")
        if any(line.service_date > received for line in claim.lines):
            return Decision(False, "A7", "187")
        if not claim.subscriber.member_id or len(claim.subscriber.member_id) < 5:
            return Decision(False, "A7", "164", "IL")
        rates = self.rates_for(claim.payer.payer_id, claim.subscriber.filing_indicator)
        reason, roll = self.rejection_roll(claim)
        if roll < rates.reject:
            return Decision(False, *reason)
        number = int(fraction(self.seed, "icn", pcn, claim.frequency_code) * Decimal(10**13))
        return Decision(True, payer_claim_number=f"{received:%y%j}{number:013d}")

    def rejection_roll(self, claim: ProfessionalClaim) -> tuple[tuple[str, str, str], Decimal]:
        """The reason (category, status, entity) the payer's front end would reject `claim` for, drawn from
        its patient control number only, and the roll below the payer's rate that rejects it, which also
        reads the data the reason names: unchanged data rolls the same, corrected data rolls anew."""
        pcn = claim.patient_control_number
        reason = FRONT_END_REJECTIONS[int(fraction(self.seed, "reason", pcn) * len(FRONT_END_REJECTIONS))]
        roll = fraction(self.seed, "reject", pcn, claim.frequency_code, named_data(claim, reason[1]))
        return reason, roll

    def respond(self, content: bytes, control: int, today: date) -> list[tuple[str, str]]:
        """The files the clearinghouse and payer send back for one 837P interchange: (name, text) pairs."""
        try:
            transactions = list(iter_transactions(content))
        except X12Error as error:
            return [(f"999_{control:09d}.x12", x12_responses.interchange_rejected(self.sender_id, control, today,
                                                                                  error))]
        if not transactions:
            return []
        header = transactions[0].interchange
        results = []  # (transaction, parsed or None, error or None)
        for transaction in transactions:
            try:
                results.append((transaction, parse_837p(transaction), None))
            except X12Error as error:
                results.append((transaction, None, error))
        files = [(f"999_{control:09d}.x12",
                  x12_responses.implementation_acknowledgment(self.sender_id, header.sender_id, control, today,
                                                              results))]
        parsed = [(t, p) for t, p, error in results if p is not None]
        if not parsed:
            return files
        decided = []
        for _transaction, claim_set in parsed:
            billing_npi = claim_set.billing_provider.npi or ""
            decided.append((claim_set, [(c, self.decide(c, billing_npi, today)) for c in claim_set.claims]))
        files.append((f"277CA_{control:09d}.x12",
                      x12_responses.claim_acknowledgment(self.sender_id, header.sender_id, control, today, decided)))
        paid_on = self.paid_on(control, today)
        remittances = x12_responses.remittances(self, decided, paid_on)
        if remittances:
            files.append((f"835_{control:09d}.x12",
                          x12_responses.remittance_file(self.sender_id, header.sender_id, control, paid_on,
                                                        remittances)))
        return files
