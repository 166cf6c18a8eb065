"""Writing 837P (005010X222A1) transaction sets from `ProfessionalClaimTransaction`.

Order of segments follows the TR3: BHT; 1000A NM1*41/PER; 1000B NM1*40; 2000A HL*20/PRV*BI;
2010AA NM1*85/N3/N4/REF*EI; 2010AB NM1*87/N3/N4; per claim 2000B HL*22/SBR; 2010BA NM1*IL/N3/
N4/DMG; 2010BB NM1*PR; 2000C HL*23/PAT and 2010CA NM1*QC/N3/N4/DMG when the patient is not the
subscriber; 2300 CLM/REF*G1/REF*F8/REF*D9/HI; 2310A NM1*DN; 2310B NM1*82/PRV*PE; 2310C NM1*77/
N3/N4; per other payer (coordination of benefits) 2320 SBR/CAS/AMT*D/AMT*EAF/OI, 2330A NM1*IL/
2330B NM1*PR/DTP*573/REF*F8; 2400 LX/SV1/DTP*472/REF*6R, then per earlier payer 2430 SVD/CAS/
DTP*573/AMT*EAF.

Rules checked before writing (each raises a located `X12Error`): CLM02 equals the sum of SV102;
1 to 12 diagnoses; 1 to 50 lines; at most 4 modifiers and 4 diagnosis pointers per line, each
pointing at an existing diagnosis; frequency code 1, 7 or 8; REF*F8 present for 7 and 8; at most
10 other payers; COB balancing (X222A1 2320 AMT*D and 2430 SVD02 notes): each adjudicated line's
SVD02 plus its CAS equals SV102, and a payer's AMT*D equals the sum of its SVD02 less its
claim-level CAS.
"""

from __future__ import annotations

import io
import operator
from collections.abc import Iterable
from decimal import Decimal
from typing import TextIO

from openmso.x12.claim837p import (
    LineAdjudication,
    OtherPayer,
    ProfessionalClaim,
    ProfessionalClaimTransaction,
    Provider,
    ServiceLine,
)
from openmso.x12.collection import collection_paused
from openmso.x12.elements import DATE_TEXTS, format_date, format_decimal
from openmso.x12.envelope import GroupHeader, InterchangeHeader
from openmso.x12.errors import X12Error
from openmso.x12.remit835 import Address, Adjustment, Procedure
from openmso.x12.tokenizer import Delimiters
from openmso.x12.writer import InterchangeWriter, RenderedSegments, Segment

_ZERO = Decimal("0")
_OTHER_DIAGNOSIS = {"ABK": "ABF", "BK": "BF"}
_CHARGE = operator.attrgetter("charge")
_ADJUDICATIONS = operator.attrgetter("adjudications")


class _PointerTexts(dict):
    """Diagnosis pointers (1, 3) → their SV107 components ("1", "3"); lines repeat a handful of them."""

    def __missing__(self, key: tuple[int, ...]) -> tuple[str, ...]:
        value = tuple(map(str, key))
        if len(self) < 4096:
            self[key] = value
        return value


_POINTER_TEXTS = _PointerTexts()
_LINE_NUMBERS = tuple(map(str, range(51)))  # LX01 of lines 1 to 50 (a claim has at most 50)

class _Composites:
    """Composite elements as tuples of their components, which any writer renders (the generic path)."""

    __slots__ = ()

    def __call__(self, parts: tuple[str, ...]) -> tuple[str, ...]:
        return parts

    def procedure(self, procedure: Procedure) -> tuple[str, ...]:
        return (procedure.qualifier, procedure.code, *procedure.modifiers)

    def pointers(self, pointers: tuple[int, ...]) -> tuple[str, ...]:
        return _POINTER_TEXTS[pointers] if type(pointers) is tuple else tuple(map(str, pointers))

    def diagnoses(self, principal: str, other: str, codes: list[str]) -> list[object]:
        """The HI segment: the principal diagnosis with its qualifier, then the others with theirs."""
        return ["HI", self((principal, codes[0])), *[self((other, code)) for code in codes[1:]]]


_TUPLES = _Composites()


class _CompositeJoiner(_Composites):
    """Joins composites with one interchange's component separator and counts the separators.

    The count lets the writer prove, from the finished text, that no value carried a delimiter
    (see `RenderedSegments`); trailing empty components are dropped as X12.6 requires. The
    procedure (SV101) and diagnosis pointer (SV107) composites of one transaction set repeat a few
    codes over many lines, so each is joined once and its text and separator count reused.
    """

    __slots__ = ("separator", "count", "_joined")

    def __init__(self, separator: str) -> None:
        self.separator = separator
        self.count = 0
        self._joined: dict[tuple, tuple[str, int]] = {}

    def __call__(self, parts: tuple[str, ...]) -> str:
        if not parts[-1]:
            parts = tuple(parts)
            while parts and not parts[-1]:
                parts = parts[:-1]
            if not parts:
                return ""
        self.count += len(parts) - 1
        return self.separator.join(parts)

    def _remembered(self, key: tuple, parts: tuple[str, ...]) -> str:
        before = self.count
        text = self(parts)
        if len(self._joined) < 4096:
            self._joined[key] = text, self.count - before
        return text

    def procedure(self, procedure: Procedure) -> str:
        key = (procedure.code, procedure.modifiers, procedure.qualifier)
        try:
            text, separators = self._joined[key]
        except KeyError:
            return self._remembered(key, (procedure.qualifier, procedure.code, *procedure.modifiers))
        except TypeError:  # modifiers given as a list: joined every time
            return self((procedure.qualifier, procedure.code, *procedure.modifiers))
        self.count += separators
        return text

    def diagnoses(self, principal: str, other: str, codes: list[str]) -> list[object]:
        if not all(codes) or not principal or not other:  # an empty component is trimmed: one by one
            return super().diagnoses(principal, other, codes)
        separator = self.separator
        self.count += len(codes)
        return ["HI", principal + separator + codes[0], *[other + separator + code for code in codes[1:]]]

    def pointers(self, pointers: tuple[int, ...]) -> str:
        try:
            text, separators = self._joined[pointers]
        except KeyError:
            return self._remembered(pointers, super().pointers(pointers))
        except TypeError:  # pointers given as a list
            return self(tuple(map(str, pointers)))
        self.count += separators
        return text


def _address(address: Address | None, out: list[Segment]) -> None:
    if address is None:
        return
    out.append(["N3", *address.lines])
    if address.country:
        out.append(["N4", address.city, address.state, address.postal_code, address.country])
    else:  # the usual domestic address: no trailing empty element for the writer to trim
        out.append(["N4", address.city, address.state, address.postal_code])


def _provider_name(code: str, provider: Provider) -> list[object]:
    npi = provider.npi
    if npi:
        return ["NM1", code, provider.entity_type, provider.last_or_organization, provider.first, provider.middle, "",
                provider.suffix, "XX", npi]
    return ["NM1", code, provider.entity_type, provider.last_or_organization, provider.first, provider.middle, "",
            provider.suffix]


def _billing_provider(number: int, provider: Provider, pay_to: Address | None, out: list[Segment]) -> None:
    out.append(["HL", str(number), "", "20", "1"])
    if provider.taxonomy:
        out.append(["PRV", "BI", "PXC", provider.taxonomy])
    out.append(_provider_name("85", provider))
    _address(provider.address, out)
    if provider.tax_id:
        out.append(["REF", provider.tax_id_qualifier, provider.tax_id])
    if pay_to is not None:
        out.append(["NM1", "87", "2"])
        _address(pay_to, out)


def _fail(claim: ProfessionalClaim, segment_id: str, position: int | str, reason: str, expected: str) -> X12Error:
    return X12Error(f"claim {claim.patient_control_number}: {reason}", segment_id=segment_id,
                    element_position=position, expected=expected)


def _check_claim(claim: ProfessionalClaim) -> None:
    if not 1 <= len(claim.diagnoses) <= 12:
        raise _fail(claim, "HI", 1, f"{len(claim.diagnoses)} diagnosis codes", "1 to 12")
    if not 1 <= len(claim.lines) <= 50:
        raise _fail(claim, "LX", 1, f"{len(claim.lines)} service lines", "1 to 50")
    if claim.frequency_code not in ("1", "7", "8"):
        raise _fail(claim, "CLM", "5-3", f"frequency code {claim.frequency_code!r}", "1, 7 or 8")
    if claim.frequency_code in ("7", "8") and not claim.payer_claim_control_number:
        raise _fail(claim, "REF", 2, "a replacement or void needs the payer claim control number (REF*F8)",
                    "REF*F8")
    total = sum(map(_CHARGE, claim.lines), _ZERO)
    if total != claim.total_charge:
        raise _fail(claim, "CLM", 2, f"total charge {claim.total_charge} is not the sum of the lines {total}",
                    str(total))
    if claim.other_payers or any(map(_ADJUDICATIONS, claim.lines)):
        _check_other_payers(claim)


def _bad_line(claim: ProfessionalClaim, number: int, line: ServiceLine) -> X12Error:
    """The error for a line with too many modifiers or wrong diagnosis pointers."""
    if len(line.procedure.modifiers) > 4:
        return _fail(claim, "SV1", "1-3", f"line {number} has {len(line.procedure.modifiers)} modifiers",
                     "at most 4")
    return _fail(claim, "SV1", 7, f"line {number} diagnosis pointers {line.diagnosis_pointers}",
                 f"1 to 4 pointers between 1 and {len(claim.diagnoses)}")


def _total(adjustments: list[Adjustment]) -> Decimal:
    return sum((a.amount for a in adjustments), _ZERO)


def _check_other_payers(claim: ProfessionalClaim) -> None:
    if len(claim.other_payers) > 10:
        raise _fail(claim, "SBR", 1, f"{len(claim.other_payers)} other payers", "at most 10 (loop 2320)")
    known = {other.payer.payer_id for other in claim.other_payers}
    lines_paid: dict[str, Decimal] = {}
    for number, line in enumerate(claim.lines, start=1):
        if len(line.adjudications) > 15:
            raise _fail(claim, "SVD", 1, f"line {number} has {len(line.adjudications)} adjudications",
                        "at most 15 (loop 2430)")
        for adjudication in line.adjudications:
            if adjudication.payer_id not in known:
                raise _fail(claim, "SVD", 1, f"line {number} adjudicated by {adjudication.payer_id!r}, not an "
                            "other payer of the claim", "a 2330B NM109")
            balance = adjudication.paid + _total(adjudication.adjustments)
            if balance != line.charge:
                raise _fail(claim, "SVD", 2, f"line {number}: paid {adjudication.paid} plus adjustments "
                            f"{_total(adjudication.adjustments)} is not the charge {line.charge}", str(line.charge))
            lines_paid[adjudication.payer_id] = lines_paid.get(adjudication.payer_id, _ZERO) + adjudication.paid
    for other in claim.other_payers:
        paid = lines_paid.get(other.payer.payer_id)
        if paid is None:
            continue
        if other.paid is None:
            raise _fail(claim, "AMT", 1, f"payer {other.payer.payer_id} adjudicated lines but has no paid amount",
                        "AMT*D in loop 2320")
        expected = paid - _total(other.adjustments)
        if other.paid != expected:
            raise _fail(claim, "AMT", 2, f"payer {other.payer.payer_id} paid {other.paid}, but its lines paid {paid} "
                        f"less claim adjustments {_total(other.adjustments)}", str(expected))


def _adjustments(adjustments: list[Adjustment], out: list[Segment]) -> None:
    """CAS segments: one per group code (CO, PR, OA, PI), at most six reason triples each."""
    groups: dict[str, list[Adjustment]] = {}
    for adjustment in adjustments:
        groups.setdefault(adjustment.group_code, []).append(adjustment)
    for group, items in groups.items():
        for start in range(0, len(items), 6):
            segment: list[object] = ["CAS", group]
            for item in items[start:start + 6]:
                segment += [item.reason_code, item.amount, item.quantity]
            out.append(segment)


def _other_payer(other: OtherPayer, line_level: bool, out: list[Segment]) -> None:
    out.append(["SBR", other.payer_responsibility, other.relationship, other.group_number, other.group_name,
                "", "", "", "", other.filing_indicator])
    _adjustments(other.adjustments, out)
    if other.paid is not None:
        out.append(["AMT", "D", other.paid])
    if other.remaining_patient_liability is not None:
        out.append(["AMT", "EAF", other.remaining_patient_liability])
    out.append(["OI", "", "", other.benefits_assignment, "", "", other.release_of_information])
    out.append(["NM1", "IL", other.subscriber_entity_type, other.subscriber_last_name, other.subscriber_first_name,
                "", "", "", "MI", other.subscriber_member_id])
    payer = other.payer
    out.append(["NM1", "PR", "2", payer.name, "", "", "", "", payer.id_qualifier, payer.payer_id])
    _address(payer.address, out)
    if other.adjudicated_on is not None and not line_level:
        out.append(["DTP", "573", "D8", other.adjudicated_on])
    if other.payer_claim_number:
        out.append(["REF", "F8", other.payer_claim_number])


def _line_adjudication(adjudication: LineAdjudication, out: list[Segment], composite: _Composites) -> None:
    procedure = adjudication.procedure
    out.append(["SVD", adjudication.payer_id, adjudication.paid,
                composite.procedure(procedure), "", adjudication.paid_units,
                adjudication.bundled_line])
    _adjustments(adjudication.adjustments, out)
    out.append(["DTP", "573", "D8", adjudication.adjudicated_on])
    if adjudication.remaining_patient_liability is not None:
        out.append(["AMT", "EAF", adjudication.remaining_patient_liability])


def _lines(claim: ProfessionalClaim, out: list[Segment], composite: _Composites) -> None:
    """Loops 2400 (and 2430) of a claim; each line's modifiers and pointers are checked as it is written."""
    diagnosis_count = len(claim.diagnoses)
    date_texts = DATE_TEXTS
    append = out.append
    for number, line in enumerate(claim.lines, start=1):
        procedure = line.procedure
        pointers = line.diagnosis_pointers
        if (len(procedure.modifiers) > 4 or not 1 <= len(pointers) <= 4 or min(pointers) < 1
                or max(pointers) > diagnosis_count):
            raise _bad_line(claim, number, line)
        append(["LX", _LINE_NUMBERS[number]])
        # `str` of a decimal is its X12 text unless it has an exponent or is negative zero (`format_decimal`).
        charge, units = str(line.charge), str(line.units)
        if "E" in charge or charge[0] == "-":
            charge = format_decimal(line.charge)
        if "E" in units or units[0] == "-":
            units = format_decimal(line.units)
        append(["SV1", composite.procedure(procedure), charge, line.unit_basis, units, line.place_of_service, "",
                composite.pointers(pointers)])
        if line.service_date_end is None:
            append(["DTP", "472", "D8", date_texts[line.service_date]])
        else:
            append(["DTP", "472", "RD8", f"{date_texts[line.service_date]}-{date_texts[line.service_date_end]}"])
        if line.line_item_control_number is not None:
            append(["REF", "6R", line.line_item_control_number])
        for adjudication in line.adjudications:
            _line_adjudication(adjudication, out, composite)


def _claim(claim: ProfessionalClaim, hl: int, parent: int, out: list[Segment], composite: _Composites) -> int:
    """Write 2000B (and 2000C) with the claim; returns the last HL number used."""
    _check_claim(claim)
    subscriber = claim.subscriber
    patient = claim.patient
    out.append(["HL", str(hl), str(parent), "22", "0" if patient is None else "1"])
    out.append(["SBR", subscriber.payer_responsibility, "18" if patient is None else "", subscriber.group_number,
                subscriber.group_name, "", "", "", "", subscriber.filing_indicator])
    out.append(["NM1", "IL", subscriber.entity_type, subscriber.last_name, subscriber.first_name,
                subscriber.middle_name, "", subscriber.suffix, "MI", subscriber.member_id])
    _address(subscriber.address, out)
    if subscriber.birth_date is not None:
        out.append(["DMG", "D8", DATE_TEXTS[subscriber.birth_date], subscriber.gender])
    payer = claim.payer
    out.append(["NM1", "PR", "2", payer.name, "", "", "", "", payer.id_qualifier, payer.payer_id])
    _address(payer.address, out)
    if patient is not None:
        out.append(["HL", str(hl + 1), str(hl), "23", "0"])
        out.append(["PAT", patient.relationship])
        out.append(["NM1", "QC", "1", patient.last_name, patient.first_name, patient.middle_name, "",
                    patient.suffix])
        _address(patient.address, out)
        if patient.birth_date is not None:
            out.append(["DMG", "D8", DATE_TEXTS[patient.birth_date], patient.gender])
        hl += 1
    out.append(["CLM", claim.patient_control_number, format_decimal(claim.total_charge), "", "",
                composite((claim.place_of_service, "B", claim.frequency_code)), claim.provider_signature,
                claim.assignment, claim.benefits_assignment, claim.release_of_information])
    if claim.prior_authorization:
        out.append(["REF", "G1", claim.prior_authorization])
    if claim.payer_claim_control_number:
        out.append(["REF", "F8", claim.payer_claim_control_number])
    if claim.clearinghouse_trace:
        out.append(["REF", "D9", claim.clearinghouse_trace])
    principal = claim.diagnosis_qualifier
    other = _OTHER_DIAGNOSIS.get(principal, "ABF")
    out.append(composite.diagnoses(principal, other, claim.diagnoses))
    if claim.referring_provider is not None:
        out.append(_provider_name("DN", claim.referring_provider))
    if claim.rendering_provider is not None:
        rendering = claim.rendering_provider
        out.append(_provider_name("82", rendering))
        if rendering.taxonomy:
            out.append(["PRV", "PE", "PXC", rendering.taxonomy])
    if claim.service_facility is not None:
        facility = claim.service_facility
        out.append(_provider_name("77", facility))
        _address(facility.address, out)
    if claim.other_payers:
        line_level = {a.payer_id for line in claim.lines for a in line.adjudications}
        for other in claim.other_payers:
            _other_payer(other, other.payer.payer_id in line_level, out)
    _lines(claim, out, composite)
    return hl


def professional_claim_segments(
    transaction: ProfessionalClaimTransaction, delimiters: Delimiters | None = None
) -> list[Segment]:
    """The body of an 837P transaction set (between ST and SE).

    With `delimiters` (those of the interchange it goes into), composites come already joined in
    a `RenderedSegments`, which `InterchangeWriter` renders with one ``join`` per segment; without,
    composites are tuples, for any writer.
    """
    if delimiters is None:
        return _segments(transaction, [], _TUPLES)
    joiner = _CompositeJoiner(delimiters.component)
    rendered = RenderedSegments(delimiters, lambda: professional_claim_segments(transaction))
    _segments(transaction, rendered, joiner)
    rendered.components = joiner.count
    return rendered


def _segments(transaction: ProfessionalClaimTransaction, out: list[Segment], composite: _Composites) -> list[Segment]:
    submitter = transaction.submitter
    out += [
        ["BHT", "0019", transaction.purpose, transaction.reference, format_date(transaction.created),
         transaction.created_time, transaction.claim_or_encounter],
        ["NM1", "41", submitter.entity_type, submitter.name, "", "", "", "", "46", submitter.identifier],
    ]
    contact: list[object] = ["PER", "IC", submitter.contact_name]
    if submitter.contact_phone:
        contact += ["TE", submitter.contact_phone]
    if submitter.contact_email:
        contact += ["EM", submitter.contact_email]
    out.append(contact)
    out.append(["NM1", "40", "2", transaction.receiver.name, "", "", "", "", "46", transaction.receiver.identifier])
    if not transaction.claims:
        raise X12Error(f"837P {transaction.control_number} has no claims", segment_id="CLM",
                       expected="at least one claim")
    hl = 0
    billing_hl = 0
    current_provider: Provider | None = None
    for claim in transaction.claims:
        provider = claim.billing_provider or transaction.billing_provider
        # Claims of one transaction set usually share one provider object: `is` spares the dataclass
        # comparison of every field (and the address) per claim.
        if provider is not current_provider and provider != current_provider:
            hl += 1
            billing_hl = hl
            pay_to = transaction.pay_to_address if provider == transaction.billing_provider else None
            _billing_provider(hl, provider, pay_to, out)
            current_provider = provider
        hl = _claim(claim, hl + 1, billing_hl, out, composite)
    return out


def write_837p(
    out: TextIO,
    transactions: Iterable[ProfessionalClaimTransaction],
    interchange: InterchangeHeader,
    group: GroupHeader,
    delimiters: Delimiters | None = None,
    *,
    line_breaks: bool = False,
) -> int:
    """Write one interchange with one functional group (GS01 HC) of 837P transaction sets.

    Control numbers come from `interchange`, `group` and each transaction; returns the number of
    transaction sets written. The cyclic garbage collector is paused while each set is built and
    rendered (see `collection_paused`).
    """
    count = 0
    with InterchangeWriter(out, interchange, delimiters, line_breaks=line_breaks) as writer:
        writer.begin_group(group)
        for transaction in transactions:
            with collection_paused():
                writer.write_transaction("837", transaction.control_number,
                                         professional_claim_segments(transaction, writer.delimiters),
                                         transaction.implementation)
            count += 1
        writer.end_group()
    return count


def render_837p(
    transactions: Iterable[ProfessionalClaimTransaction],
    interchange: InterchangeHeader,
    group: GroupHeader,
    delimiters: Delimiters | None = None,
    *,
    line_breaks: bool = False,
) -> str:
    """`write_837p` into a string."""
    buffer = io.StringIO()
    write_837p(buffer, transactions, interchange, group, delimiters, line_breaks=line_breaks)
    return buffer.getvalue()
