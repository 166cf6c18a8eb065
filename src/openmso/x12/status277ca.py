"""Typed 277CA Health Care Claim Acknowledgment, 005010X214 (reader).

Hierarchy (HL03): 20 information source (2000A, payer or clearinghouse), 21 information receiver
(2000B, the submitter), 19 billing provider of service (2000C), PT patient (2000D). Claim-level
status (2200D) identifies the claim by TRN02 (the 837 CLM01 patient control number) and carries
STC status (category code such as A1/A2/A3/A4/A6/A7/A8, status code, entity code), REF*1K payer
claim control number, REF*D9 clearinghouse trace, REF*BLT bill type, DTP*472 service dates and
the total charge in STC04.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from openmso.x12.elements import CONVERSION_ERRORS, date_value, element, locate_failure, optional_amount
from openmso.x12.envelope import Transaction

# Claim status category codes (code source 507) meaning "accepted into adjudication".
ACCEPTED_CATEGORIES = frozenset({"A1", "A2", "A5"})
REJECTED_CATEGORIES = frozenset({"A3", "A4", "A6", "A7", "A8"})


@dataclass(slots=True)
class Status:
    """One STC status: STC01 (or STC10/STC11) composite plus STC02 date and STC04 charge."""

    category: str  # STC01-1 claim status category code (A1 acknowledgement/receipt, A3 returned, ...)
    code: str  # STC01-2 claim status code (code source 508)
    entity: str = ""  # STC01-3 entity identifier code (e.g. 85 billing provider, 41 submitter)
    effective_date: date | None = None  # STC02
    action_code: str = ""  # STC03: WQ accepted, U rejected
    charge: Decimal | None = None  # STC04 total claim charge
    free_text: str = ""  # STC12


@dataclass(slots=True)
class ClaimStatus:
    """Loop 2200D: the status of one claim the provider submitted."""

    patient_control_number: str  # TRN02, the 837 CLM01
    statuses: list[Status] = field(default_factory=list)
    payer_claim_control_number: str | None = None  # REF*1K
    clearinghouse_trace: str | None = None  # REF*D9
    bill_type: str | None = None  # REF*BLT (institutional)
    service_date: date | None = None  # DTP*472 (D8 or start of RD8)
    service_date_end: date | None = None
    patient_last_name: str = ""
    patient_first_name: str = ""
    member_id: str = ""
    provider_npi: str = ""  # from the enclosing 2100C NM1*85

    @property
    def rejected(self) -> bool:
        return any(status.category in REJECTED_CATEGORIES for status in self.statuses)

    @property
    def accepted(self) -> bool:
        return bool(self.statuses) and not self.rejected and any(
            status.category in ACCEPTED_CATEGORIES for status in self.statuses)

    @property
    def total_charge(self) -> Decimal | None:
        return next((s.charge for s in self.statuses if s.charge is not None), None)


@dataclass(slots=True)
class ClaimAcknowledgment:
    """One 277CA transaction set."""

    control_number: str
    reference: str  # BHT03
    created: date | None  # BHT04
    information_source: str = ""  # 2100A NM103
    information_source_id: str = ""  # 2100A NM109
    receiver_statuses: list[Status] = field(default_factory=list)  # 2200B
    provider_statuses: list[Status] = field(default_factory=list)  # 2200C
    claims: list[ClaimStatus] = field(default_factory=list)

    def claim(self, patient_control_number: str) -> ClaimStatus | None:
        for claim in self.claims:
            if claim.patient_control_number == patient_control_number:
                return claim
        return None


_RULES = {"STC": {1: "req", 2: "DT", 4: "M"}, "TRN": {1: "req", 2: "req"}, "HL": {1: "req", 3: "req"},
          "BHT": {4: "DT"}, "DTP": {1: "req", 2: "req", 3: "req"}}
_REQUIRED = {"STC": (1,), "TRN": (1, 2), "HL": (1, 3)}


def _statuses(segment: list[str], component: str) -> list[Status]:
    effective = date_value(segment[2]) if element(segment, 2) else None
    charge = optional_amount(element(segment, 4))
    result = []
    for position in (1, 10, 11):
        value = element(segment, position)
        if not value:
            continue
        parts = value.split(component)
        result.append(Status(parts[0], parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else "",
                             effective, element(segment, 3), charge, element(segment, 12)))
    return result


def parse_277ca(transaction: Transaction) -> ClaimAcknowledgment:
    """Read one 277CA transaction set; raises a located `X12Error` when it cannot be read."""
    if transaction.set_id != "277":
        raise transaction.error(0, f"transaction set {transaction.set_id} is not a 277", element_position=1,
                                expected="277")
    component = transaction.delimiters.component
    segments = transaction.segments
    result = ClaimAcknowledgment(transaction.control_number, "", None)
    level = ""
    claim: ClaimStatus | None = None
    provider_npi = ""
    name: list[str] | None = None
    in_line = False  # 2220D service line information: its STC/REF/DTP are not claim-level
    index = 0
    try:
        for index in range(1, len(segments) - 1):
            segment = segments[index]
            segment_id = segment[0]
            if segment_id == "HL":
                level = segment[3]
                claim = name = None
                in_line = False
            elif segment_id == "NM1":
                name = segment
                if level == "20":
                    result.information_source = element(segment, 3)
                    result.information_source_id = element(segment, 9)
                elif level == "19":
                    provider_npi = element(segment, 9) if element(segment, 8) == "XX" else ""
            elif segment_id == "TRN":
                if level == "PT":
                    claim = ClaimStatus(segment[2], provider_npi=provider_npi)
                    if name is not None:
                        claim.patient_last_name = element(name, 3)
                        claim.patient_first_name = element(name, 4)
                        claim.member_id = element(name, 9)
                    result.claims.append(claim)
            elif segment_id == "STC":
                statuses = _statuses(segment, component)
                if in_line:
                    continue
                if claim is not None:
                    claim.statuses.extend(statuses)
                elif level == "21":
                    result.receiver_statuses.extend(statuses)
                elif level == "19":
                    result.provider_statuses.extend(statuses)
            elif segment_id == "REF":
                if claim is None or in_line:
                    continue
                qualifier, value = segment[1], element(segment, 2)
                if qualifier == "1K":
                    claim.payer_claim_control_number = value
                elif qualifier == "D9":
                    claim.clearinghouse_trace = value
                elif qualifier == "BLT":
                    claim.bill_type = value
            elif segment_id == "DTP":
                if claim is not None and not in_line and segment[1] == "472":
                    start, _, end = segment[3].partition("-")
                    claim.service_date = date_value(start)
                    claim.service_date_end = date_value(end) if end else None
            elif segment_id == "SVC":
                in_line = True
            elif segment_id == "BHT":
                result.reference = element(segment, 3)
                result.created = date_value(segment[4]) if element(segment, 4) else None
    except CONVERSION_ERRORS as error:
        raise locate_failure(transaction, index, _RULES, _REQUIRED, error) from None
    return result
