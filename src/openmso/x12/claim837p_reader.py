"""Reading 837P (005010X222A1, and the A2 errata) transaction sets into the typed model.

Any valid HL nesting is accepted: several billing providers (2000A), several claims per
subscriber, several patients per subscriber. Claims under a later 2000A whose provider differs
from the first carry it in `ProfessionalClaim.billing_provider`. Coordination of benefits is read
into the model: 2320 other subscriber information (SBR, CAS, AMT*D/EAF, OI), 2330A other
subscriber and 2330B other payer (NM1, N3/N4, DTP*573, REF*F8), and 2430 line adjudication (SVD,
CAS, DTP*573, AMT*EAF). Loops the model does not carry are skipped: 2330C-G other payer
providers and the 2420x line-level providers.
"""

from __future__ import annotations

from openmso.x12.claim837p import (
    LineAdjudication,
    OtherPayer,
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
from openmso.x12.elements import CONVERSION_ERRORS, amount_value, date_value, decimal_value, element, locate_failure
from openmso.x12.envelope import Transaction
from openmso.x12.errors import X12Error
from openmso.x12.remit835 import Address, Adjustment, Procedure

_RULES = {
    "BHT": {3: "req", 4: "DT"},
    "CLM": {1: "req", 2: "M", 5: "req"},
    "SV1": {1: "req", 2: "M", 3: "req", 4: "R"},
    "DMG": {2: "DT"},
    "HL": {1: "req", 3: "req"},
    "LX": {1: "N"},
    "NM1": {1: "req", 2: "req"},
    "DTP": {1: "req", 2: "req", 3: "req"},
    "SVD": {1: "req", 2: "M", 3: "req", 5: "R"},
    "CAS": {1: "req", 2: "req", 3: "M", 4: "R", 6: "M", 7: "R", 9: "M", 10: "R", 12: "M", 13: "R",
            15: "M", 16: "R", 18: "M", 19: "R"},
    "AMT": {1: "req", 2: "M"},
}
_REQUIRED = {"CLM": (1, 2, 5), "SV1": (1, 2, 3, 4), "BHT": (3, 4), "DTP": (1, 2, 3)}
_PRINCIPAL = {"ABK", "BK"}
_OTHER = {"ABF", "BF"}


def _name_fields(segment: list[str]) -> tuple[str, str, str, str, str]:
    """NM102, NM103, NM104, NM105, NM107."""
    return (element(segment, 2), element(segment, 3), element(segment, 4), element(segment, 5),
            element(segment, 7))


def _provider(segment: list[str]) -> Provider:
    entity_type, last, first, middle, suffix = _name_fields(segment)
    npi = element(segment, 9) if element(segment, 8) == "XX" else None
    return Provider(last, npi, entity_type, first, middle, suffix)


def _dates(segment: list[str]) -> tuple:
    value = segment[3]
    if segment[2] == "RD8":
        start, _, end = value.partition("-")
        return date_value(start), date_value(end)
    return date_value(value), None


def _adjustments(segment: list[str]) -> list[Adjustment]:
    """CAS01 group code and up to six reason/amount/quantity triples (CAS02-CAS19)."""
    group = segment[1]
    found = []
    for position in range(2, len(segment), 3):
        reason = segment[position]
        if not reason:
            continue
        quantity = element(segment, position + 2)
        found.append(Adjustment(group, reason, amount_value(segment[position + 1]),
                                decimal_value(quantity) if quantity else None))
    return found


def _procedure(transaction: Transaction, index: int, segment: list[str], position: int, component: str) -> Procedure:
    """The procedure composite (C003) of SV101 or SVD03: qualifier, code, up to four modifiers."""
    parts = segment[position].split(component)
    if len(parts) < 2 or not parts[1]:
        raise transaction.error(index, f"{segment[0]}{position:02d} {segment[position][:40]!r} is not "
                                f"qualifier{component}code", element_position=position, expected="procedure composite")
    return Procedure(parts[0], parts[1], tuple(m for m in parts[2:6] if m))


def parse_837p(transaction: Transaction) -> ProfessionalClaimTransaction:
    """Read one 837P transaction set; raises a located `X12Error` when it cannot be read."""
    if transaction.set_id != "837":
        raise transaction.error(0, f"transaction set {transaction.set_id} is not an 837", element_position=1,
                                expected="837")
    segments = transaction.segments
    component = transaction.delimiters.component
    header: dict[str, object] = {}
    submitter: Submitter | None = None
    receiver: Receiver | None = None
    first_provider: Provider | None = None
    provider: Provider | None = None
    pay_to: Address | None = None
    subscriber: Subscriber | None = None
    payer: Payer | None = None
    patient: Patient | None = None
    claim: ProfessionalClaim | None = None
    line: ServiceLine | None = None
    claims: list[ProfessionalClaim] = []
    context: object = None  # the entity N3/N4/DMG/PRV/REF attach to
    billing_taxonomy = ""
    skipping = False  # inside a loop the model does not carry
    other: OtherPayer | None = None  # the open 2320 (other subscriber information)
    other_loop = ""  # "2320", "2330A", "2330B" or "" (2330C-G, skipped)
    adjudication: LineAdjudication | None = None  # the open 2430
    index = 0
    try:
        for index in range(1, len(segments) - 1):
            segment = segments[index]
            segment_id = segment[0]
            if segment_id == "LX":
                line = adjudication = None
                skipping = False
                context = None
            elif segment_id == "SV1":
                if claim is None:
                    raise transaction.error(index, "SV1 before CLM", expected="CLM (loop 2300) first")
                procedure = _procedure(transaction, index, segment, 1, component)
                pointers = element(segment, 7)
                line = ServiceLine(
                    procedure=procedure,
                    charge=amount_value(segment[2]),
                    unit_basis=segment[3],
                    units=decimal_value(segment[4]),
                    place_of_service=element(segment, 5),
                    diagnosis_pointers=tuple(int(p) for p in pointers.split(component) if p) if pointers else (),
                    service_date=None,  # set by DTP*472
                )
                claim.lines.append(line)
            elif segment_id == "SVD":
                if line is None:
                    raise transaction.error(index, "SVD outside a service line", expected="SV1 (loop 2400) first")
                procedure = _procedure(transaction, index, segment, 3, component)
                bundled = element(segment, 6)
                adjudication = LineAdjudication(segment[1], amount_value(segment[2]), procedure,
                                                decimal_value(segment[5]), adjudicated_on=None,
                                                bundled_line=int(bundled) if bundled else None)
                line.adjudications.append(adjudication)
                context = None
            elif segment_id == "CAS":
                if adjudication is not None:
                    adjudication.adjustments += _adjustments(segment)
                elif other is not None and line is None:
                    other.adjustments += _adjustments(segment)
            elif segment_id == "AMT":
                if adjudication is not None:
                    if segment[1] == "EAF":
                        adjudication.remaining_patient_liability = amount_value(segment[2])
                elif other is not None and line is None:
                    if segment[1] == "D":
                        other.paid = amount_value(segment[2])
                    elif segment[1] == "EAF":
                        other.remaining_patient_liability = amount_value(segment[2])
            elif segment_id == "OI":
                if other is not None:
                    other.benefits_assignment = element(segment, 3)
                    other.release_of_information = element(segment, 6)
            elif segment_id == "DTP":
                if adjudication is not None:
                    if segment[1] == "573":
                        adjudication.adjudicated_on = date_value(segment[3])
                elif line is not None and segment[1] == "472" and not skipping:
                    line.service_date, line.service_date_end = _dates(segment)
                elif line is None and other_loop == "2330B" and segment[1] == "573":
                    other.adjudicated_on = date_value(segment[3])
            elif segment_id == "REF":
                if skipping:
                    continue
                qualifier, value = segment[1], element(segment, 2)
                if other is not None and line is None:
                    if other_loop == "2330B" and qualifier == "F8":
                        other.payer_claim_number = value
                elif line is not None:
                    if qualifier == "6R":
                        line.line_item_control_number = value
                elif claim is not None:
                    if qualifier == "G1":
                        claim.prior_authorization = value
                    elif qualifier == "F8":
                        claim.payer_claim_control_number = value
                    elif qualifier == "D9":
                        claim.clearinghouse_trace = value
                elif context is provider and provider is not None and qualifier in ("EI", "SY"):
                    provider.tax_id_qualifier, provider.tax_id = qualifier, value
            elif segment_id == "NM1":
                code = segment[1]
                if line is not None or skipping:
                    context = None
                    continue
                if other is not None:
                    context = None
                    if code == "IL":
                        other_loop = "2330A"
                        other.subscriber_entity_type, other.subscriber_last_name = segment[2], element(segment, 3)
                        other.subscriber_first_name = element(segment, 4)
                        other.subscriber_member_id = element(segment, 9)
                    elif code == "PR":
                        other_loop = "2330B"
                        other.payer = Payer(element(segment, 3), element(segment, 9), element(segment, 8))
                        context = other.payer
                    else:
                        other_loop = ""  # 2330C-G: the other payer's providers, not modelled
                elif claim is not None:
                    if code in ("DN", "82", "77"):
                        named = _provider(segment)
                        if code == "DN":
                            claim.referring_provider = named
                        elif code == "82":
                            claim.rendering_provider = named
                        else:
                            claim.service_facility = named
                        context = named
                    else:
                        context = None  # 2310D/E/F or other 2300-level names not modelled
                elif code == "IL":
                    entity_type, last, first, middle, suffix = _name_fields(segment)
                    subscriber.entity_type = entity_type
                    subscriber.last_name, subscriber.first_name = last, first
                    subscriber.middle_name, subscriber.suffix = middle, suffix
                    subscriber.member_id = element(segment, 9)
                    context = subscriber
                elif code == "PR":
                    payer = Payer(element(segment, 3), element(segment, 9), element(segment, 8))
                    context = payer
                elif code == "QC":
                    _, last, first, middle, suffix = _name_fields(segment)
                    patient.last_name, patient.first_name, patient.middle_name, patient.suffix = (
                        last, first, middle, suffix)
                    context = patient
                elif code == "85":
                    provider = _provider(segment)
                    provider.taxonomy = billing_taxonomy
                    if first_provider is None:
                        first_provider = provider
                    context = provider
                elif code == "87":
                    pay_to = Address()
                    context = pay_to
                elif code == "41":
                    submitter = Submitter(element(segment, 3), element(segment, 9), "",
                                          entity_type=segment[2])
                    context = submitter
                elif code == "40":
                    receiver = Receiver(element(segment, 3), element(segment, 9))
                    context = receiver
                else:
                    context = None
            elif segment_id == "N3" or segment_id == "N4":
                if skipping or context is None or isinstance(context, Submitter | Receiver):
                    continue
                address = context if isinstance(context, Address) else context.address
                if address is None:
                    address = context.address = Address()
                if segment_id == "N3":
                    address.lines = tuple(segment[1:3])
                else:
                    address.city = element(segment, 1)
                    address.state = element(segment, 2)
                    address.postal_code = element(segment, 3)
                    address.country = element(segment, 4)
            elif segment_id == "HL":
                level = segment[3]
                claim = line = other = adjudication = None
                other_loop = ""
                skipping = False
                context = None
                if level == "22":
                    subscriber = Subscriber("", "")
                    patient = None
                elif level == "23":
                    patient = Patient("", "")
                elif level == "20":
                    subscriber = patient = payer = None
                    billing_taxonomy = ""
                else:
                    raise transaction.error(index, f"HL03 {level!r} is not an 837P level", element_position=3,
                                            expected="20, 22 or 23")
            elif segment_id == "CLM":
                if subscriber is None or payer is None:
                    raise transaction.error(index, "CLM without subscriber and payer",
                                            expected="loops 2000B, 2010BA and 2010BB before 2300")
                place = segment[5].split(component)
                claim = ProfessionalClaim(
                    patient_control_number=segment[1],
                    total_charge=amount_value(segment[2]),
                    place_of_service=place[0],
                    subscriber=subscriber,
                    payer=payer,
                    diagnoses=[],
                    lines=[],
                    frequency_code=place[2] if len(place) > 2 else "",
                    patient=patient,
                    provider_signature=element(segment, 6),
                    assignment=element(segment, 7),
                    benefits_assignment=element(segment, 8),
                    release_of_information=element(segment, 9),
                    billing_provider=provider if provider != first_provider else None,
                )
                claims.append(claim)
                line = None
                context = claim
            elif segment_id == "HI":
                if claim is None or skipping:
                    continue
                for value in segment[1:]:
                    qualifier, _, code = value.partition(component)
                    code = code.split(component)[0]
                    if qualifier in _PRINCIPAL:
                        claim.diagnosis_qualifier = qualifier
                        claim.diagnoses.insert(0, code)
                    elif qualifier in _OTHER:
                        claim.diagnoses.append(code)
            elif segment_id == "SBR":
                if claim is not None:  # 2320 other subscriber information
                    other = OtherPayer(segment[1], element(segment, 2), "", "", Payer("", ""),
                                       group_number=element(segment, 3), group_name=element(segment, 4),
                                       filing_indicator=element(segment, 9))
                    claim.other_payers.append(other)
                    other_loop, context = "2320", None
                    continue
                subscriber.payer_responsibility = segment[1]
                subscriber.group_number = element(segment, 3)
                subscriber.group_name = element(segment, 4)
                subscriber.filing_indicator = element(segment, 9)
            elif segment_id == "PAT":
                patient.relationship = element(segment, 1)
            elif segment_id == "DMG":
                if isinstance(context, Subscriber | Patient) and not skipping:
                    context.birth_date = date_value(segment[2]) if element(segment, 2) else None
                    context.gender = element(segment, 3)
            elif segment_id == "PRV":
                if segment[1] == "BI" and claim is None:
                    billing_taxonomy = element(segment, 3)  # PRV*BI precedes NM1*85 in 2000A
                elif segment[1] == "PE" and isinstance(context, Provider):
                    context.taxonomy = element(segment, 3)
            elif segment_id == "PER":
                if isinstance(context, Submitter):
                    context.contact_name = element(segment, 2)
                    for position in range(3, len(segment) - 1, 2):
                        if segment[position] == "TE":
                            context.contact_phone = segment[position + 1]
                        elif segment[position] == "EM":
                            context.contact_email = segment[position + 1]
            elif segment_id == "BHT":
                header = {"purpose": segment[2], "reference": segment[3], "created": date_value(segment[4]),
                          "created_time": element(segment, 5), "claim_or_encounter": element(segment, 6)}
    except X12Error:
        raise
    except AttributeError:
        raise transaction.error(index, f"{segments[index][0]} outside the loop it belongs to",
                                expected="the TR3 loop order (HL, SBR, NM1, CLM, LX)") from None
    except CONVERSION_ERRORS as error:
        raise locate_failure(transaction, index, _RULES, _REQUIRED, error) from None
    for claim in claims:
        for number, service in enumerate(claim.lines, start=1):
            if service.service_date is None:
                raise transaction.error(0, f"claim {claim.patient_control_number} line {number} has no DTP*472",
                                        expected="date of service")
            if any(a.adjudicated_on is None for a in service.adjudications):
                raise transaction.error(0, f"claim {claim.patient_control_number} line {number} has a 2430 "
                                        "adjudication without DTP*573", expected="line check or remittance date")
    if not header or submitter is None or receiver is None or first_provider is None:
        raise transaction.error(0, "837P lacks BHT, submitter (1000A), receiver (1000B) or billing provider "
                                "(2010AA)", expected="the 837P header loops")
    return ProfessionalClaimTransaction(
        control_number=transaction.control_number,
        submitter=submitter,
        receiver=receiver,
        billing_provider=first_provider,
        claims=claims,
        pay_to_address=pay_to,
        implementation=transaction.implementation,
        **header,
    )

