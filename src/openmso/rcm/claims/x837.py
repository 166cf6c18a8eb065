"""Mapping a `ClaimView` onto the 837P model of `openmso.x12` (005010X222A1), with no I/O.

Billing provider (2010AA) is the practice as an organization: group NPI, EIN (REF*EI) and the
address of its main location. The subscriber (2010BA) is the patient when the coverage says
"self" (SBR02 18); otherwise the coverage's subscriber, with the patient in 2000C/2010CA.
SBR09 comes from the payer's line of business.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from openmso.rcm.claims.cob import PriorPayer
from openmso.rcm.claims.views import ClaimView, LocationView, PartyView, PayerView
from openmso.x12 import (
    Patient,
    Payer,
    ProfessionalClaim,
    ProfessionalClaimTransaction,
    Provider,
    Receiver,
    ServiceLine,
    Submitter,
    Subscriber,
)
from openmso.x12.claim837p import LineAdjudication, OtherPayer
from openmso.x12.remit835 import Address, Adjustment, Procedure

# SBR09 claim filing indicator codes by line of business (X222A1 2000B SBR09).
FILING_INDICATORS = {"medicare": "MB", "medicare_advantage": "16", "medicaid": "MC",
                     "medicaid_managed_care": "MC", "commercial": "CI", "tricare": "CH", "workers_comp": "WC"}
# PAT01 from our subscriber relation (2000C): spouse, child, other.
PATIENT_RELATIONSHIP = {"01": "01", "19": "19", "G8": "G8"}


@dataclass(frozen=True, slots=True)
class Envelope:
    """Who the MSO is to the receiver: 1000A submitter and 1000B receiver."""

    submitter_name: str
    submitter_id: str
    contact_name: str
    contact_phone: str
    receiver_name: str
    receiver_id: str


_DELIMITERS = str.maketrans("*~:^", "    ")
_HAS_DELIMITER = re.compile(r"[*~:^]")


def _clean(text: str | None) -> str:
    """Upper-case ASCII (the X12 basic and extended character sets) with delimiter characters replaced,
    so names like O'Brien or "Medicare Part B — Noridian" stay readable."""
    if not text:
        return ""
    if not text.isascii():
        folded = unicodedata.normalize("NFKD", text.replace("\u2014", "-").replace("\u2013", "-"))
        text = folded.encode("ascii", "ignore").decode("ascii")
    text = text.upper()
    # translate is slow next to a search, and almost no name holds a delimiter
    return text.translate(_DELIMITERS) if _HAS_DELIMITER.search(text) else text


def _address(party: PartyView | LocationView) -> Address | None:
    if not party.address_line1:
        return None
    return Address((_clean(party.address_line1),), _clean(party.city), party.state or "",
                   (party.postal_code or "").replace("-", ""))


def billing_provider(claim: ClaimView, main_location: LocationView) -> Provider:
    practice = claim.practice
    return Provider(_clean(practice.legal_name)[:60], practice.group_npi, "2", taxonomy="",
                    tax_id=practice.tin, address=_address(main_location))


def other_payer(prior: PriorPayer, patient: PartyView) -> OtherPayer:
    """Loops 2320/2330A/2330B from the earlier payer's coverage and posted decision."""
    coverage, payer = prior.coverage, prior.payer
    self_insured = coverage.subscriber_relation == "18"
    return OtherPayer(
        prior.responsibility, "18" if self_insured else PATIENT_RELATIONSHIP.get(coverage.subscriber_relation, "G8"),
        _clean(patient.last_name if self_insured else coverage.subscriber_last_name), coverage.member_id,
        Payer(_clean(payer.name)[:60], payer.payer_code),
        subscriber_first_name=_clean(patient.first_name if self_insured else coverage.subscriber_first_name),
        group_number=coverage.group_number or "", filing_indicator=FILING_INDICATORS.get(payer.line_of_business, "CI"),
        adjustments=[Adjustment(*a) for a in prior.adjustments], paid=prior.paid,
        remaining_patient_liability=prior.patient_responsibility,
        adjudicated_on=None if prior.lines else prior.paid_on, payer_claim_number=prior.payer_claim_number or None)


def _line_adjudications(priors: list[PriorPayer], number: int) -> list[LineAdjudication]:
    """Loop 2430 for one line: each earlier payer's decision on it, in payer order."""
    found = []
    for prior in priors:
        decision = prior.lines.get(number)
        if decision is not None:
            found.append(LineAdjudication(
                prior.payer.payer_code, decision.paid, Procedure("HC", decision.procedure_code, decision.modifiers),
                Decimal(decision.units), decision.paid_on or prior.paid_on,
                [Adjustment(*a) for a in decision.adjustments]))
    return found


class _Shared:
    """The parts many claims of one batch have in common (payer, providers, service facility, procedure
    composites, unit counts), built once and shared: the 837P model is read-only to the writer."""

    def __init__(self):
        self.payers: dict[int, Payer] = {}
        self.providers: dict[tuple, Provider] = {}
        self.facilities: dict[int, Provider | None] = {}
        self.procedures: dict[tuple[str, tuple[str, ...]], Procedure] = {}
        self.units: dict[int, Decimal] = {}

    def payer(self, payer: PayerView | None) -> Payer:
        if payer is None:
            return Payer("", "")
        held = self.payers.get(payer.id)
        if held is None:
            held = self.payers[payer.id] = Payer(_clean(payer.name)[:60], payer.payer_code)
        return held

    def provider(self, party: PartyView | None) -> Provider | None:
        if party is None:
            return None
        key = (party.npi, party.last_name, party.first_name, party.taxonomy)
        held = self.providers.get(key)
        if held is None:
            held = self.providers[key] = Provider(_clean(party.last_name), party.npi, "1", _clean(party.first_name),
                                                  taxonomy=party.taxonomy)
        return held

    def facility(self, location: LocationView) -> Provider | None:
        """2310C, only when the place of service is not the office (11)."""
        if location.id not in self.facilities:
            self.facilities[location.id] = Provider(_clean(location.name)[:60], None, "2", address=_address(location)) \
                if location.place_of_service != "11" else None
        return self.facilities[location.id]

    def procedure(self, code: str, modifiers: tuple[str, ...]) -> Procedure:
        held = self.procedures.get((code, modifiers))
        if held is None:
            held = self.procedures[(code, modifiers)] = Procedure("HC", code, modifiers)
        return held

    def unit_count(self, units: int) -> Decimal:
        held = self.units.get(units)
        if held is None:
            held = self.units[units] = Decimal(units)
        return held


def professional_claim(claim: ClaimView, shared: _Shared | None = None) -> ProfessionalClaim:
    shared = shared or _Shared()
    coverage, payer, patient = claim.coverage, claim.payer, claim.patient
    self_insured = coverage is None or coverage.subscriber_relation == "18"
    patient_address = _address(patient)
    if self_insured:
        subscriber = Subscriber(_clean(patient.last_name), coverage.member_id if coverage else "",
                                _clean(patient.first_name), address=patient_address,
                                birth_date=patient.birth_date, gender=patient.sex)
        insured_patient = None
    else:
        subscriber = Subscriber(_clean(coverage.subscriber_last_name), coverage.member_id,
                                _clean(coverage.subscriber_first_name), address=patient_address,
                                birth_date=coverage.subscriber_birth_date, gender="U")  # DMG03 U: not recorded
        insured_patient = Patient(PATIENT_RELATIONSHIP.get(coverage.subscriber_relation, "G8"),
                                  _clean(patient.last_name), _clean(patient.first_name), address=patient_address,
                                  birth_date=patient.birth_date, gender=patient.sex)
    subscriber.payer_responsibility = claim.payer_responsibility
    subscriber.group_number = (coverage.group_number or "") if coverage else ""
    subscriber.filing_indicator = FILING_INDICATORS.get(payer.line_of_business, "CI") if payer else "CI"
    priors = claim.prior_payers
    procedure, unit_count = shared.procedure, shared.unit_count
    prefix = f"{claim.id}-"
    lines = [ServiceLine(procedure(line.procedure_code, line.modifiers), line.charge, unit_count(line.units),
                         line.service_date, line.service_date_end, line.pointers,
                         line_item_control_number=prefix + str(line.number),
                         adjudications=_line_adjudications(priors, line.number) if priors else [])
             for line in claim.lines]
    return ProfessionalClaim(
        patient_control_number=claim.patient_control_number,
        total_charge=claim.total_charge,
        place_of_service=claim.place_of_service,
        subscriber=subscriber,
        payer=shared.payer(payer),
        diagnoses=list(claim.diagnoses),
        lines=lines,
        frequency_code=claim.frequency_code,
        patient=insured_patient,
        prior_authorization=claim.prior_authorization,
        payer_claim_control_number=claim.payer_claim_number if claim.frequency_code != "1" else None,
        rendering_provider=shared.provider(claim.rendering),
        referring_provider=shared.provider(claim.referring),
        service_facility=shared.facility(claim.location),
        other_payers=[other_payer(prior, claim.patient) for prior in priors],
    )


def professional_claims(claims: list[ClaimView]) -> list[ProfessionalClaim]:
    """`professional_claim` of each, sharing what they have in common."""
    shared = _Shared()
    return [professional_claim(claim, shared) for claim in claims]


def claim_transaction(control_number: str, reference: str, created: date, created_time: str, envelope: Envelope,
                      billing: Provider, claims: list[ProfessionalClaim]) -> ProfessionalClaimTransaction:
    return ProfessionalClaimTransaction(
        control_number=control_number, reference=reference, created=created, created_time=created_time,
        submitter=Submitter(envelope.submitter_name, envelope.submitter_id, envelope.contact_name,
                            envelope.contact_phone),
        receiver=Receiver(envelope.receiver_name, envelope.receiver_id),
        billing_provider=billing, claims=claims)
