"""The simulator's answers as X12: 999 (005010X231A1), 277CA (005010X214) and 835 (005010X221A1).

The 999 and 277CA are written segment by segment through `InterchangeWriter` (the codec reads
them, it has no typed writer for them); the 835 is built as the codec's `Remittance` model and
written with `write_835`, so it is exactly what the remittance domain will read.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from openmso.core.types import CENT
from openmso.rcm.clearinghouse.payer_profiles import DENIALS, fraction
from openmso.x12 import (
    Adjustment,
    ClaimPayment,
    EntityName,
    GroupHeader,
    InterchangeHeader,
    InterchangeWriter,
    Party,
    Payment,
    ProviderAdjustment,
    Reference,
    Remittance,
    ServicePayment,
    Trace,
    X12Error,
    reversal_of,
    write_835,
)
from openmso.x12.claim837p import FREQUENCY_REPLACEMENT, FREQUENCY_VOID
from openmso.x12.remit835 import Address

ZERO = Decimal("0")
COINSURED_LATER = Decimal("0.25")  # share of a later payer's claims on which it leaves its own coinsurance


def _headers(functional_id: str, version: str, sender: str, receiver: str, control: int, today: date):
    isa = InterchangeHeader("ZZ", sender, "ZZ", receiver, f"{control:09d}", today, "1200", usage_indicator="P")
    gs = GroupHeader(functional_id, sender, receiver, str(control), today, "1200", version)
    return isa, gs


def _interchange(functional_id: str, version: str, sender: str, receiver: str, control: int, today: date,
                 set_id: str, *bodies: list) -> str:
    """One interchange and group with a transaction set per body (ST02 0001, 0002, …)."""
    out = io.StringIO()
    isa, gs = _headers(functional_id, version, sender, receiver, control, today)
    with InterchangeWriter(out, isa, line_breaks=True) as writer:
        writer.begin_group(gs)
        for number, body in enumerate(bodies, start=1):
            writer.write_transaction(set_id, f"{number:04d}", [segment for segment in body if segment is not None],
                                     version)
        writer.end_group()
    return out.getvalue()


def _segment_errors(transaction, error: X12Error) -> list:
    """IK3/IK4 for the segment and element an `X12Error` names (positions counted from ST = 1)."""
    position = 1
    if error.segment_number is not None:
        position = max(1, error.segment_number - transaction.first_segment_number + 1)
    body = [["IK3", error.segment_id or "ST", str(position), "", "8"]]
    element = error.element_position
    if element is not None:
        main = str(element).split("-")[0]
        if main.isdigit():
            body.append(["IK4", main, "", "7"])
    return body


def implementation_acknowledgment(sender: str, receiver: str, control: int, today: date, results: list) -> str:
    """A 999 for one functional group: per transaction set accepted (A) or rejected (R) with IK3/IK4."""
    first = results[0][0]
    body: list = [["AK1", "HC", first.group.control_number, first.implementation]]
    accepted = 0
    for transaction, _parsed, error in results:
        body.append(["AK2", "837", transaction.control_number, transaction.implementation])
        if error is None:
            body.append(["IK5", "A"])
            accepted += 1
        else:
            body += _segment_errors(transaction, error)
            body.append(["IK5", "R", "5"])
    status = "A" if accepted == len(results) else ("R" if accepted == 0 else "P")
    body.append(["AK9", status, str(len(results)), str(len(results)), str(accepted)])
    return _interchange("FA", "005010X231A1", sender, receiver, control, today, "999", body)


def interchange_rejected(sender: str, control: int, today: date, error: X12Error) -> str:
    """A 999 for an interchange that could not be read at all (no group to acknowledge)."""
    body = [["AK1", "HC", "0", "005010X222A1"], ["AK9", "R", "0", "0", "0", "1"]]
    return _interchange("FA", "005010X231A1", sender, "UNKNOWN", control, today, "999", body)


def claim_acknowledgment(sender: str, receiver: str, control: int, today: date, decided: list) -> str:
    """A 277CA interchange with one transaction set per 837 transaction set answered.

    X214 allows one information receiver loop (2000B) per transaction set, whose 2200B trace
    names the 837 batch (BHT03), so several batches take several 277 transaction sets. Each holds
    the batch totals (2200B), its billing provider with a status (2000C/2200C, STC required) and
    each claim's STC (2000D/2200D).
    """
    return _interchange("HN", "005010X214", sender, receiver, control, today, "277",
                        *(_claim_set_acknowledgment(sender, receiver, f"{control:09d}{number:04d}", today, *answer)
                          for number, answer in enumerate(decided, start=1)))


def _claim_set_acknowledgment(sender: str, receiver: str, reference: str, today: date, claim_set, decisions
                              ) -> list:
    accepted = [c for c, d in decisions if d.accepted]
    rejected = [c for c, d in decisions if not d.accepted]
    totals = [["QTY", "90", str(len(accepted))] if accepted else None,
              ["QTY", "AA", str(len(rejected))] if rejected else None,
              ["AMT", "YU", sum((c.total_charge for c in accepted), ZERO)] if accepted else None,
              ["AMT", "YY", sum((c.total_charge for c in rejected), ZERO)] if rejected else None]
    total = sum((c.total_charge for c, _ in decisions), ZERO)
    received = ["STC", ("A1", "19", "PR"), today, "WQ", total]
    billing = claim_set.billing_provider
    body: list = [
        ["BHT", "0085", "08", reference, today, "1200", "TH"],
        ["HL", "1", "", "20", "1"], ["NM1", "PR", "2", "SIMULATED PAYER CLEARINGHOUSE", "", "", "", "", "46", sender],
        ["TRN", "1", reference], ["DTP", "050", "D8", today], ["DTP", "009", "D8", today],
        ["HL", "2", "1", "21", "1"], ["NM1", "41", "2", "SUBMITTER", "", "", "", "", "46", receiver],
        ["TRN", "2", claim_set.reference], received, *totals,
        ["HL", "3", "2", "19", "1"],
        ["NM1", "85", "2", billing.last_or_organization, "", "", "", "", "XX", billing.npi],
        ["TRN", "1", "0"], ["STC", ("A1", "19", "PR"), "", "WQ", total],  # 2200C: STC02 not used
        ["QTY", "QA", str(len(accepted))] if accepted else None,
        ["QTY", "QC", str(len(rejected))] if rejected else None,
        ["AMT", "YU", sum((c.total_charge for c in accepted), ZERO)] if accepted else None,
        ["AMT", "YY", sum((c.total_charge for c in rejected), ZERO)] if rejected else None,
    ]
    for hl, (claim, decision) in enumerate(decisions, start=4):
        subscriber = claim.subscriber
        patient_last = claim.patient.last_name if claim.patient else subscriber.last_name
        patient_first = claim.patient.first_name if claim.patient else subscriber.first_name
        body += [["HL", str(hl), "3", "PT"],
                 ["NM1", "QC", "1", patient_last, patient_first, "", "", "", "MI", subscriber.member_id],
                 ["TRN", "2", claim.patient_control_number],
                 ["STC", (decision.category, decision.code, decision.entity), today,
                  "WQ" if decision.accepted else "U", claim.total_charge]]
        if decision.accepted:
            body.append(["REF", "1K", decision.payer_claim_number])
        first = min(line.service_date for line in claim.lines)
        last = max(line.service_date_end or line.service_date for line in claim.lines)
        body.append(["DTP", "472", "D8", first] if first == last else
                    ["DTP", "472", "RD8", f"{first:%Y%m%d}-{last:%Y%m%d}"])
    return body


def _paid_line(line, rates, roll: Decimal, first_line: bool) -> ServicePayment:
    allowed = (line.charge * rates.allowed).quantize(CENT)
    paid_line = ServicePayment(line.procedure, line.charge, ZERO, units_paid=line.units)
    paid_line.dates["472"] = line.service_date
    paid_line.line_item_control_number = line.line_item_control_number
    paid_line.amounts["B6"] = allowed
    if line.charge > allowed:
        paid_line.adjustments.append(Adjustment("CO", "45", line.charge - allowed))
    share = ZERO
    if roll < rates.deductible_share:
        share = min(allowed, Decimal("150.00"))
        paid_line.adjustments.append(Adjustment("PR", "1", share))
    elif first_line and rates.copay and line.procedure.code.startswith("99"):
        share = min(allowed, rates.copay)
        paid_line.adjustments.append(Adjustment("PR", "3", share))
    elif rates.coinsurance:
        share = (allowed * rates.coinsurance).quantize(CENT)
        paid_line.adjustments.append(Adjustment("PR", "2", share))
    paid_line.paid = allowed - share
    return paid_line


def _denied_line(line, reason: tuple[str, str, str]) -> ServicePayment:
    group, code, remark = reason
    denied = ServicePayment(line.procedure, line.charge, ZERO, units_paid=line.units)
    denied.dates["472"] = line.service_date
    denied.line_item_control_number = line.line_item_control_number
    denied.adjustments.append(Adjustment(group, code, line.charge))
    if remark:
        denied.remarks.append(Reference("HE", remark))
    return denied


def _left_to_patient(line) -> Decimal:
    """What the earlier payers left the patient on `line`: the last one's remaining liability (2430 AMT*EAF),
    else its patient-responsibility adjustments."""
    last = line.adjudications[-1]
    if last.remaining_patient_liability is not None:
        return last.remaining_patient_liability
    return sum((a.amount for a in last.adjustments if a.group_code == "PR"), ZERO)


def _coordinated_line(line, rates, roll: Decimal) -> ServicePayment:
    """A later payer's answer to a line an earlier payer adjudicated (coordination of benefits): it considers what
    the earlier payers left the patient and pays it, or, for some claims, all but its own coinsurance on it; the
    earlier payers' decision (the charge less that share) is reported as OA-23, as secondary payers do."""
    share = _left_to_patient(line)
    own = (share * rates.coinsurance).quantize(CENT) if roll < COINSURED_LATER else ZERO
    answer = ServicePayment(line.procedure, line.charge, share - own, units_paid=line.units)
    answer.dates["472"] = line.service_date
    answer.line_item_control_number = line.line_item_control_number
    if line.charge > share:
        answer.adjustments.append(Adjustment("OA", "23", line.charge - share))
    if own:
        answer.adjustments.append(Adjustment("PR", "2", own))
    return answer


def _claim_payment(simulator, claim, decision, rates) -> ClaimPayment:
    pcn = claim.patient_control_number
    coordinated = claim.subscriber.payer_responsibility != "P" and all(line.adjudications for line in claim.lines)
    denied = not coordinated and fraction(simulator.seed, "deny", pcn) < rates.deny
    lines = []
    for number, line in enumerate(claim.lines):
        roll = fraction(simulator.seed, "line", pcn, number)
        if coordinated:
            lines.append(_coordinated_line(line, rates, fraction(simulator.seed, "share", pcn)))
        elif denied:
            lines.append(_denied_line(line, DENIALS[int(fraction(simulator.seed, "why", pcn) * len(DENIALS))]))
        elif number > 0 and roll > Decimal("0.97"):
            lines.append(_denied_line(line, ("CO", "97", "M15")))  # bundled into the first line
        else:
            lines.append(_paid_line(line, rates, fraction(simulator.seed, "share", pcn), number == 0))
    paid = sum((line.paid for line in lines), ZERO)
    patient = sum((a.amount for line in lines for a in line.adjustments if a.group_code == "PR"), ZERO)
    status = "4" if denied else "1"  # CLP02: processed as primary, or denied
    if coordinated:
        status = {"S": "2", "T": "3"}.get(claim.subscriber.payer_responsibility, "1")  # as secondary, tertiary
    payment = ClaimPayment(pcn, status, claim.total_charge, paid, patient,
                           claim.subscriber.filing_indicator, decision.payer_claim_number, claim.place_of_service,
                           claim.frequency_code, 1)
    payment.names["QC"] = EntityName("QC", "1", claim.patient.last_name if claim.patient
                                     else claim.subscriber.last_name,
                                     claim.patient.first_name if claim.patient else claim.subscriber.first_name,
                                     "", "", "MI", claim.subscriber.member_id)
    payment.service_lines = lines
    return payment


def _answers(simulator, accepted: list, rates) -> list[ClaimPayment]:
    """The claim payments answering accepted claims: a correction's original taken back first (the payer's
    standing payment of it reversed), then the claim adjudicated, unless it is a void."""
    claims = []
    for claim, decision in accepted:
        if claim.frequency_code in (FREQUENCY_REPLACEMENT, FREQUENCY_VOID):
            earlier = simulator.answered.pop(claim.payer_claim_control_number or "", None)
            if earlier is not None:
                claims.append(reversal_of(earlier))
            if claim.frequency_code == FREQUENCY_VOID:
                continue
        payment = _claim_payment(simulator, claim, decision, rates)
        simulator.answered[payment.payer_claim_control_number] = payment
        claims.append(payment)
    return claims


def remittances(simulator, decided: list, paid_on: date) -> list[Remittance]:
    """One 835 per 837 transaction (one payer, one billing provider) for its accepted claims."""
    result = []
    for number, (claim_set, decisions) in enumerate(decided, start=1):
        accepted = [(c, d) for c, d in decisions if d.accepted]
        if not accepted:
            continue
        payer = accepted[0][0].payer
        rates = simulator.rates_for(payer.payer_id, accepted[0][0].subscriber.filing_indicator)
        claims = _answers(simulator, accepted, rates)
        if not claims:
            continue
        total = sum((c.paid for c in claims), ZERO)
        billing = claim_set.billing_provider
        company = "1" + payer.payer_id.rjust(9, "0")[-9:]
        trace_number = f"{int(claim_set.reference[2:] or 0):09d}{number}"
        forward = []  # what the reversals took back beyond this payment: carried to the next one
        if total < 0:
            forward = [ProviderAdjustment(billing.npi or "", date(paid_on.year, 12, 31), "FB", trace_number, total)]
            total = ZERO
        payment = Payment("I" if total > 0 else "H", total, "C", "ACH" if total > 0 else "NON",
                          "CCP" if total > 0 else "", date=paid_on)
        if total > 0:
            payment.sender_dfi_qualifier, payment.sender_dfi_id = "01", "021000021"
            payment.sender_account_qualifier, payment.sender_account = "DA", "123456789"
            payment.payer_company_id = company
            payment.receiver_dfi_qualifier, payment.receiver_dfi_id = "01", "011000015"
            payment.receiver_account_qualifier, payment.receiver_account = "DA", "987654321"
        payer_party = Party("PR", payer.name or "PAYER", "XV", payer.payer_id,
                            Address(("PO BOX 1000",), "ANYTOWN", "PA", "17101"))
        payee = Party("PE", billing.last_or_organization, "XX", billing.npi or "", billing.address,
                      [Reference("TJ", billing.tax_id)] if billing.tax_id else [])
        result.append(Remittance(f"{number:04d}", payment, Trace("1", trace_number, company), payer_party, payee,
                                 production_date=paid_on, claims=claims, provider_adjustments=forward))
    return result


def remittance_file(sender: str, receiver: str, control: int, today: date, items: list[Remittance]) -> str:
    out = io.StringIO()
    isa, gs = _headers("HP", "005010X221A1", sender, receiver, control, today)
    write_835(out, items, isa, gs, line_breaks=True)
    return out.getvalue()
