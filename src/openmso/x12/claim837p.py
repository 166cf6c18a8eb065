"""Typed 837P Health Care Claim: Professional, 005010X222A1 (the model).

Slots dataclasses, as for the 835: the writer must produce tens of thousands of claims a second
and the reader must read payer-returned and clearinghouse files quickly; values are validated where
they are written or read. Money is `Decimal`, dates of service are `date`.

Shape: one transaction set has a submitter (1000A), a receiver (1000B) and one billing provider
(2000A/2010AA, optional pay-to address 2010AB). Each `ProfessionalClaim` carries its subscriber
(2000B/2010BA), payer (2010BB) and, when the patient is not the subscriber, the patient
(2000C/2010CA). The writer emits one 2000B per claim, which every payer accepts; the reader reads
any valid HL nesting back into the same shape. A claim to a secondary or tertiary payer carries the
earlier payers in `other_payers` (2320/2330A/2330B) and their line decisions in each line's
`adjudications` (2430), so the next payer can coordinate benefits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from openmso.x12.remit835 import Address, Adjustment, Procedure

FREQUENCY_ORIGINAL = "1"
FREQUENCY_REPLACEMENT = "7"
FREQUENCY_VOID = "8"


@dataclass(slots=True)
class Submitter:
    """Loop 1000A: NM1*41 submitter with its PER contact."""

    name: str
    identifier: str  # NM109 (qualifier 46, electronic transmitter id)
    contact_name: str
    contact_phone: str = ""
    contact_email: str = ""
    entity_type: str = "2"


@dataclass(slots=True)
class Receiver:
    """Loop 1000B: NM1*40 receiver (clearinghouse or payer)."""

    name: str
    identifier: str


@dataclass(slots=True)
class Provider:
    """Billing (2010AA), rendering (2310B), referring (2310A) or service facility (2310C) provider."""

    last_or_organization: str
    npi: str | None = None
    entity_type: str = "2"  # NM102: 1 person, 2 non-person entity
    first: str = ""
    middle: str = ""
    suffix: str = ""
    taxonomy: str = ""  # PRV03 (billing PRV*BI, rendering PRV*PE)
    tax_id: str = ""  # 2010AA REF*EI (EIN) or REF*SY (SSN)
    tax_id_qualifier: str = "EI"
    address: Address | None = None


@dataclass(slots=True)
class Subscriber:
    """Loops 2000B/2010BA: SBR and the insured (NM1*IL), address and demographics."""

    last_name: str
    member_id: str
    first_name: str = ""
    middle_name: str = ""
    suffix: str = ""
    payer_responsibility: str = "P"  # SBR01: P primary, S secondary, T tertiary
    group_number: str = ""  # SBR03
    group_name: str = ""  # SBR04
    filing_indicator: str = "CI"  # SBR09: CI commercial, MB Medicare B, MC Medicaid, BL, HM, ...
    entity_type: str = "1"
    address: Address | None = None
    birth_date: date | None = None
    gender: str = ""  # DMG03 F/M/U


@dataclass(slots=True)
class Patient:
    """Loops 2000C/2010CA, only when the patient is not the subscriber."""

    relationship: str  # PAT01: 01 spouse, 19 child, 20 employee, 21 unknown, 39 organ donor, 53 life partner, G8 other
    last_name: str
    first_name: str = ""
    middle_name: str = ""
    suffix: str = ""
    address: Address | None = None
    birth_date: date | None = None
    gender: str = ""


@dataclass(slots=True)
class Payer:
    """Loop 2010BB: NM1*PR payer name and payer id (PI)."""

    name: str
    payer_id: str
    id_qualifier: str = "PI"
    address: Address | None = None


@dataclass(slots=True)
class LineAdjudication:
    """Loop 2430: how another payer adjudicated this line (SVD, CAS, DTP*573, AMT*EAF), for COB."""

    payer_id: str  # SVD01, the 2330B NM109 of the payer that adjudicated the line
    paid: Decimal  # SVD02
    procedure: Procedure  # SVD03, as adjudicated
    paid_units: Decimal  # SVD05
    adjudicated_on: date  # DTP*573 line check or remittance date
    adjustments: list[Adjustment] = field(default_factory=list)  # CAS, grouped by CAS01 when written
    bundled_line: int | None = None  # SVD06
    remaining_patient_liability: Decimal | None = None  # AMT*EAF


@dataclass(slots=True)
class ServiceLine:
    """Loop 2400: LX, SV1 professional service, DTP*472 date(s) of service, REF*6R."""

    procedure: Procedure
    charge: Decimal  # SV102
    units: Decimal  # SV104
    service_date: date  # DTP03 (D8, or start of RD8)
    service_date_end: date | None = None  # end of an RD8 range
    diagnosis_pointers: tuple[int, ...] = (1,)  # SV107, 1 to 4 pointers into HI (1-based)
    place_of_service: str = ""  # SV105 when it differs from CLM05-1
    unit_basis: str = "UN"  # SV103: UN units, MJ minutes
    line_item_control_number: str | None = None  # REF*6R, echoed in 835 2110 REF*6R
    adjudications: list[LineAdjudication] = field(default_factory=list)  # 2430, one per earlier payer


@dataclass(slots=True)
class OtherPayer:
    """Loops 2320 (other subscriber information), 2330A (other subscriber) and 2330B (other payer):
    a payer that covers the patient besides the destination payer and, after it adjudicated the
    claim, what it decided (claim-level CAS, AMT*D paid amount), for coordination of benefits."""

    payer_responsibility: str  # SBR01 of this other payer: P, S or T
    relationship: str  # SBR02: patient to the other subscriber (18 self, 01 spouse, 19 child, G8 other)
    subscriber_last_name: str  # 2330A NM103
    subscriber_member_id: str  # 2330A NM109 (MI)
    payer: Payer  # 2330B NM1*PR
    subscriber_first_name: str = ""  # 2330A NM104
    subscriber_entity_type: str = "1"
    group_number: str = ""  # SBR03
    group_name: str = ""  # SBR04
    filing_indicator: str = "CI"  # SBR09
    adjustments: list[Adjustment] = field(default_factory=list)  # 2320 CAS (claim level)
    paid: Decimal | None = None  # 2320 AMT*D, required once the payer adjudicated the claim
    remaining_patient_liability: Decimal | None = None  # 2320 AMT*EAF
    benefits_assignment: str = "Y"  # OI03
    release_of_information: str = "Y"  # OI06
    adjudicated_on: date | None = None  # 2330B DTP*573, when no 2430 line carries the date
    payer_claim_number: str | None = None  # 2330B REF*F8


@dataclass(slots=True)
class ProfessionalClaim:
    """Loop 2300: CLM, REF, HI, 2310A/B/C providers and 2400 service lines."""

    patient_control_number: str  # CLM01, echoed as 835 CLP01 and 277CA 2200D TRN02
    total_charge: Decimal  # CLM02
    place_of_service: str  # CLM05-1
    subscriber: Subscriber
    payer: Payer
    diagnoses: list[str]  # HI: first is principal (ABK), the rest ABF; at most 12
    lines: list[ServiceLine]
    frequency_code: str = FREQUENCY_ORIGINAL  # CLM05-3: 1 original, 7 replacement, 8 void
    patient: Patient | None = None  # None when the patient is the subscriber
    provider_signature: str = "Y"  # CLM06
    assignment: str = "A"  # CLM07 A/B/C
    benefits_assignment: str = "Y"  # CLM08 Y/N/W
    release_of_information: str = "Y"  # CLM09 I/Y
    prior_authorization: str | None = None  # REF*G1
    payer_claim_control_number: str | None = None  # REF*F8, required for frequency 7 and 8
    clearinghouse_trace: str | None = None  # REF*D9
    referring_provider: Provider | None = None  # 2310A NM1*DN
    rendering_provider: Provider | None = None  # 2310B NM1*82
    service_facility: Provider | None = None  # 2310C NM1*77
    diagnosis_qualifier: str = "ABK"  # ABK ICD-10-CM (ABF for the others); BK/BF for ICD-9
    billing_provider: Provider | None = None  # None: the transaction's billing provider (2000A)
    other_payers: list[OtherPayer] = field(default_factory=list)  # 2320/2330x, at most 10


@dataclass(slots=True)
class ProfessionalClaimTransaction:
    """One 837P transaction set: header, submitter, receiver, billing provider and its claims."""

    control_number: str  # ST02
    reference: str  # BHT03 originator application transaction identifier
    created: date  # BHT04
    created_time: str  # BHT05 HHMM
    submitter: Submitter
    receiver: Receiver
    billing_provider: Provider
    claims: list[ProfessionalClaim] = field(default_factory=list)
    pay_to_address: Address | None = None  # 2010AB
    purpose: str = "00"  # BHT02: 00 original, 18 reissue
    claim_or_encounter: str = "CH"  # BHT06: CH chargeable, RP reporting (encounters)
    implementation: str = "005010X222A1"
