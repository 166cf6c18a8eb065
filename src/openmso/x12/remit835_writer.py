"""Writing typed 835s (005010X221A1), for the payer simulator, sample files and round-trip tests.

Segment order follows the TR3: header BPR, TRN, CUR, REF, DTM*405; 1000A N1*PR/N3/N4/REF;
1000B N1*PE/N3/N4/REF; 2000 LX; 2100 CLP, CAS, NM1, MOA, REF, DTM, AMT, QTY; 2110 SVC, DTM, CAS,
REF, REF*6R, AMT, QTY, LQ; summary PLB. Consecutive adjustments of one group share a CAS segment
(at most six reason/amount/quantity triples each); PLB carries at most six adjustments.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from openmso.x12.envelope import GroupHeader, InterchangeHeader
from openmso.x12.remit835 import Adjustment, ClaimPayment, Party, Procedure, Remittance
from openmso.x12.tokenizer import Delimiters
from openmso.x12.writer import InterchangeWriter, Segment

# 2110 REF qualifiers that precede REF*6R (Service Identification) in the TR3.
_SERVICE_IDENTIFICATION = frozenset({"1S", "APC", "BB", "E9", "G1", "G3", "LU", "RB"})


def _procedure(procedure: Procedure) -> tuple[str, ...]:
    modifiers = tuple(procedure.modifiers) + ("",) * (4 - len(procedure.modifiers))
    return (procedure.qualifier, procedure.code, *modifiers, procedure.description)


def _adjustment_segments(adjustments: list[Adjustment], out: list[Segment]) -> None:
    index = 0
    while index < len(adjustments):
        group = adjustments[index].group_code
        segment: list[object] = ["CAS", group]
        count = 0
        while index < len(adjustments) and adjustments[index].group_code == group and count < 6:
            adjustment = adjustments[index]
            segment += [adjustment.reason_code, adjustment.amount, adjustment.quantity]
            index += 1
            count += 1
        out.append(segment)


def _party_segments(party: Party, out: list[Segment]) -> None:
    out.append(["N1", party.entity_code, party.name, party.id_qualifier, party.identifier])
    if party.address is not None:
        address = party.address
        if address.lines:
            out.append(["N3", *address.lines])
        out.append(["N4", address.city, address.state, address.postal_code, address.country])
    for reference in party.references:
        out.append(["REF", reference.qualifier, reference.value])
    for contact in party.contacts:
        out.append(["PER", contact.function_code, contact.name, *(v for pair in contact.numbers for v in pair)])


def _claim_segments(claim: ClaimPayment, out: list[Segment]) -> None:
    out.append(["CLP", claim.patient_control_number, claim.status_code, claim.charge, claim.paid,
                claim.patient_responsibility, claim.filing_indicator, claim.payer_claim_control_number,
                claim.facility_type, claim.frequency_code])
    _adjustment_segments(claim.adjustments, out)
    for name in claim.names.values():
        out.append(["NM1", name.entity_code, name.entity_type, name.last_or_organization, name.first,
                    name.middle, "", name.suffix, name.id_qualifier, name.identifier])
    moa = [remark.value for remark in claim.remarks if remark.qualifier == "MOA"]
    if moa:
        out.append(["MOA", "", "", *moa])
    for reference in claim.references:
        out.append(["REF", reference.qualifier, reference.value])
    for qualifier, value in claim.dates.items():
        out.append(["DTM", qualifier, value])
    for qualifier, amount in claim.amounts.items():
        out.append(["AMT", qualifier, amount])
    for qualifier, quantity in claim.quantities.items():
        out.append(["QTY", qualifier, quantity])
    for line in claim.service_lines:
        out.append(["SVC", _procedure(line.procedure), line.charge, line.paid, line.revenue_code,
                    line.units_paid,
                    _procedure(line.original_procedure) if line.original_procedure else None,
                    line.original_units])
        for qualifier, value in line.dates.items():
            out.append(["DTM", qualifier, value])
        _adjustment_segments(line.adjustments, out)
        for reference in line.references:
            if reference.qualifier in _SERVICE_IDENTIFICATION:
                out.append(["REF", reference.qualifier, reference.value])
        if line.line_item_control_number is not None:
            out.append(["REF", "6R", line.line_item_control_number])
        for reference in line.references:
            if reference.qualifier not in _SERVICE_IDENTIFICATION:
                out.append(["REF", reference.qualifier, reference.value])
        for qualifier, amount in line.amounts.items():
            out.append(["AMT", qualifier, amount])
        for qualifier, quantity in line.quantities.items():
            out.append(["QTY", qualifier, quantity])
        for remark in line.remarks:
            out.append(["LQ", remark.qualifier, remark.value])


def remittance_segments(remittance: Remittance) -> list[Segment]:
    """The body of an 835 transaction set (between ST and SE) for `remittance`."""
    payment = remittance.payment
    out: list[Segment] = [[
        "BPR", payment.handling_code, payment.amount, payment.credit_debit, payment.method, payment.format,
        payment.sender_dfi_qualifier, payment.sender_dfi_id, payment.sender_account_qualifier,
        payment.sender_account, payment.payer_company_id, payment.payer_supplemental_code,
        payment.receiver_dfi_qualifier, payment.receiver_dfi_id, payment.receiver_account_qualifier,
        payment.receiver_account, payment.date,
    ]]
    trace = remittance.trace
    out.append(["TRN", trace.type_code, trace.trace_number, trace.originator_id, trace.supplemental_id])
    if remittance.currency:
        out.append(["CUR", "PR", remittance.currency])
    for reference in remittance.references:
        out.append(["REF", reference.qualifier, reference.value])
    if remittance.production_date is not None:
        out.append(["DTM", "405", remittance.production_date])
    _party_segments(remittance.payer, out)
    _party_segments(remittance.payee, out)
    header_number: object = object()
    for claim in remittance.claims:
        if claim.header_number != header_number:
            header_number = claim.header_number
            if header_number is not None:
                out.append(["LX", str(header_number)])
        _claim_segments(claim, out)
    segment: list[object] | None = None
    for plb in remittance.provider_adjustments:
        if (
            segment is None
            or len(segment) >= 15
            or segment[1] != plb.provider_id
            or segment[2] != plb.fiscal_period_date
        ):
            segment = ["PLB", plb.provider_id, plb.fiscal_period_date]
            out.append(segment)
        segment += [(plb.reason_code, plb.reference), plb.amount]
    return out


def write_835(
    out: TextIO,
    remittances: Iterable[Remittance],
    interchange: InterchangeHeader,
    group: GroupHeader,
    delimiters: Delimiters | None = None,
    *,
    line_breaks: bool = False,
) -> int:
    """Write one interchange with one functional group (GS01 HP) of 835s; returns the count."""
    count = 0
    with InterchangeWriter(out, interchange, delimiters, line_breaks=line_breaks) as writer:
        writer.begin_group(group)
        for remittance in remittances:
            writer.write_transaction("835", remittance.control_number, remittance_segments(remittance))
            count += 1
        writer.end_group()
    return count
