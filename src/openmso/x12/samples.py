"""Deterministic generators of realistic, valid 835 and 837P data (seeded; same seed, same bytes).

Used by the benchmark, the tests and, later, demo data. Shapes follow what a professional-claims
MSO sees: 1-6 service lines per claim, E/M and common procedure codes with modifiers, contractual
CO-45 write-downs, PR-1/2/3 patient responsibility, CO-97/CO-50 denials with RARCs, reversals
(CLP02 22) with negated amounts, crossovers (CLP02 19), and PLB interest/recoupments. Every
generated 835 balances.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from openmso.x12.claim837p import (
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
from openmso.x12.claim837p_writer import professional_claim_segments
from openmso.x12.envelope import GroupHeader, InterchangeHeader
from openmso.x12.remit835 import (
    Address,
    Adjustment,
    ClaimPayment,
    Contact,
    EntityName,
    Party,
    Payment,
    Procedure,
    ProviderAdjustment,
    Reference,
    Remittance,
    ServicePayment,
    Trace,
    reversal_of,
)
from openmso.x12.remit835_writer import remittance_segments
from openmso.x12.writer import InterchangeWriter

CENT = Decimal("0.01")
_PROCEDURES = [("99213", Decimal("145")), ("99214", Decimal("210")), ("99203", Decimal("180")),
               ("99204", Decimal("265")), ("36415", Decimal("18")), ("85025", Decimal("42")),
               ("80053", Decimal("60")), ("93000", Decimal("75")), ("71046", Decimal("120")),
               ("97110", Decimal("68")), ("20610", Decimal("190")), ("90471", Decimal("35"))]
_MODIFIERS = ["25", "59", "26", "TC", "LT", "RT", "GT", "95"]
_DIAGNOSES = ["E119", "I10", "J069", "M545", "Z0000", "E785", "R0602", "K219", "F419", "N390",
              "M170", "Z23", "E039", "J45909"]
_PAYERS = [("MEDICARE PART B", "04412"), ("BLUE CROSS OF ANYSTATE", "00510BC"), ("AETNA", "60054"),
           ("UNITEDHEALTHCARE", "87726"), ("STATE MEDICAID", "SKCO0"), ("CIGNA", "62308")]
_LAST = ["SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "GARCIA", "MILLER", "DAVIS", "LOPEZ", "WILSON"]
_FIRST = ["JAMES", "MARY", "ROBERT", "PATRICIA", "JOHN", "JENNIFER", "MICHAEL", "LINDA", "DAVID", "ELENA"]
_REMARKS = ["N130", "M15", "N381", "MA130", "N522", "M80"]


def _npi(rng: random.Random) -> str:
    return "1" + "".join(rng.choice("0123456789") for _ in range(9))


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT)


def interchange_header(control_number: int, *, sender: str = "OPENMSO", receiver: str = "CLEARINGHOUSE",
                       when: date = date(2024, 3, 1)) -> InterchangeHeader:
    return InterchangeHeader("ZZ", sender, "ZZ", receiver, f"{control_number:09d}", when, "1200",
                             usage_indicator="P", acknowledgment_requested="0")


def group_header(functional_id: str, control_number: int, version: str, *, sender: str = "OPENMSO",
                 receiver: str = "CLEARINGHOUSE", when: date = date(2024, 3, 1)) -> GroupHeader:
    return GroupHeader(functional_id, sender, receiver, str(control_number), when, "1200", version)


# ---------------------------------------------------------------- 835


def _service_payment(rng: random.Random, service_date: date, status: str) -> ServicePayment:
    code, fee = rng.choice(_PROCEDURES)
    units = Decimal(rng.choice((1, 1, 1, 1, 2, 3)))
    modifiers = tuple(rng.sample(_MODIFIERS, rng.choice((0, 0, 0, 1, 1, 2))))
    charge = _money(fee * units)
    line = ServicePayment(Procedure("HC", code, modifiers), charge, Decimal("0"), units_paid=units)
    line.dates["472"] = service_date
    line.line_item_control_number = f"{rng.randrange(10**9):09d}"
    if status == "4":
        line.adjustments.append(Adjustment("CO", rng.choice(("97", "50", "16")), charge))
        line.remarks.append(Reference("HE", rng.choice(_REMARKS)))
        line.paid = Decimal("0.00")
        return line
    allowed = _money(charge * Decimal(rng.randrange(45, 95)) / 100)
    line.amounts["B6"] = allowed
    if charge != allowed:
        line.adjustments.append(Adjustment("CO", "45", charge - allowed))
    patient_share = Decimal("0")
    roll = rng.random()
    if roll < 0.25:
        patient_share = _money(allowed * Decimal("0.2"))
        line.adjustments.append(Adjustment("PR", "2", patient_share))
    elif roll < 0.40:
        patient_share = min(allowed, Decimal("25.00"))
        line.adjustments.append(Adjustment("PR", "3", patient_share))
    elif roll < 0.45:
        patient_share = allowed
        line.adjustments.append(Adjustment("PR", "1", patient_share))
    if rng.random() < 0.05:
        line.original_procedure = Procedure("HC", "99215")
    if rng.random() < 0.1:
        line.remarks.append(Reference("HE", rng.choice(_REMARKS)))
    line.paid = allowed - patient_share
    return line


def _claim_payment(rng: random.Random, number: int, filing: str) -> ClaimPayment:
    status = rng.choices(("1", "2", "4", "19"), weights=(82, 6, 7, 5))[0]
    service_date = date(2024, 1, 1) + timedelta(days=rng.randrange(60))
    lines = [_service_payment(rng, service_date, status) for _ in range(rng.choice((1, 1, 2, 2, 3, 4, 6)))]
    charge = sum((line.charge for line in lines), Decimal("0"))
    paid = sum((line.paid for line in lines), Decimal("0"))
    patient_share = sum((a.amount for line in lines for a in line.adjustments if a.group_code == "PR"),
                        Decimal("0"))
    claim = ClaimPayment(f"PCN{number:08d}", status, charge, paid, patient_share, filing,
                         f"{rng.randrange(10**13):013d}", "11", "1")
    claim.names["QC"] = EntityName("QC", "1", rng.choice(_LAST), rng.choice(_FIRST), "", "", "MI",
                                   f"M{rng.randrange(10**9):09d}")
    if rng.random() < 0.3:
        claim.names["82"] = EntityName("82", "1", rng.choice(_LAST), rng.choice(_FIRST), "", "", "XX",
                                       _npi(rng))
    claim.dates["050"] = service_date + timedelta(days=3)
    claim.service_lines = lines
    return claim


def generate_remittances(seed: int = 835, count: int = 10, claims_per_payment: tuple[int, int] = (1, 60)
                         ) -> Iterator[Remittance]:
    """`count` balanced 835 remittances (one payment each), deterministic for `seed`."""
    rng = random.Random(seed)
    claim_number = 0
    for number in range(1, count + 1):
        payer_name, payer_id = rng.choice(_PAYERS)
        payee_npi = _npi(rng)
        claims: list[ClaimPayment] = []
        for _ in range(rng.randint(*claims_per_payment)):
            claim_number += 1
            claim = _claim_payment(rng, claim_number, "MB" if "MEDICARE" in payer_name else "12")
            claim.header_number = 1
            claims.append(claim)
            if rng.random() < 0.03:
                claims.append(reversal_of(claim))
        paid = sum((c.paid for c in claims), Decimal("0"))
        plbs: list[ProviderAdjustment] = []
        fiscal = date(2024, 12, 31)
        if rng.random() < 0.15:
            plbs.append(ProviderAdjustment(payee_npi, fiscal, "L6", "", -_money(paid * Decimal("0.004"))))
        if rng.random() < 0.1 and paid > 100:
            plbs.append(ProviderAdjustment(payee_npi, fiscal, "WO", f"{rng.randrange(10**10)}", Decimal("40.00")))
        if rng.random() < 0.03 and paid > 50:
            plbs.append(ProviderAdjustment(payee_npi, fiscal, rng.choice(("FB", "72", "J1")), "", Decimal("12.50")))
        total = paid - sum((p.amount for p in plbs), Decimal("0"))
        check = rng.random() < 0.2
        trace_number = f"{rng.randrange(10**10):010d}"
        payment = Payment("I" if total > 0 else "H", total, "C", "CHK" if check else ("ACH" if total > 0 else "NON"),
                          "" if check or total <= 0 else "CCP", date=date(2024, 3, 1) + timedelta(days=number % 20))
        if payment.method == "ACH":
            payment.sender_dfi_qualifier, payment.sender_dfi_id = "01", "021000021"
            payment.sender_account_qualifier, payment.sender_account = "DA", "123456789"
            payment.payer_company_id = "1" + payer_id.rjust(9, "0")[:9]
            payment.receiver_dfi_qualifier, payment.receiver_dfi_id = "01", "011000015"
            payment.receiver_account_qualifier, payment.receiver_account = "DA", f"{rng.randrange(10**8)}"
        payer = Party("PR", payer_name, "XV", payer_id, Address(("PO BOX 1000",), "ANYTOWN", "PA", "17101"))
        payer.references.append(Reference("2U", payer_id))
        payer.contacts.append(Contact("BL", "EDI SUPPORT", (("TE", "8005550199"),)))
        payee = Party("PE", f"{rng.choice(_LAST)} FAMILY PRACTICE", "XX", payee_npi,
                      Address(("12 MAIN ST",), "ANYTOWN", "PA", "171010001"),
                      [Reference("TJ", f"{rng.randrange(10**9):09d}")])
        yield Remittance(
            control_number=f"{number:04d}",
            payment=payment,
            trace=Trace("1", trace_number, payment.payer_company_id or "1" + payer_id.rjust(9, "0")[:9]),
            payer=payer,
            payee=payee,
            production_date=date(2024, 3, 1),
            claims=claims,
            provider_adjustments=plbs,
        )


# ---------------------------------------------------------------- 837P


def _person_address(rng: random.Random) -> Address:
    return Address((f"{rng.randrange(1, 9999)} OAK ST",), "ANYTOWN", "PA", "17101")


def generate_professional_claims(rng: random.Random, start: int, count: int) -> list[ProfessionalClaim]:
    """`count` realistic professional claims numbered from `start`."""
    claims = []
    for number in range(start, start + count):
        payer_name, payer_id = rng.choice(_PAYERS)
        subscriber = Subscriber(rng.choice(_LAST), f"M{rng.randrange(10**9):09d}", rng.choice(_FIRST),
                                group_number=f"G{rng.randrange(10**5)}",
                                filing_indicator="MB" if "MEDICARE" in payer_name else "CI",
                                address=_person_address(rng),
                                birth_date=date(1940 + rng.randrange(60), 1 + rng.randrange(12), 1 + rng.randrange(28)),
                                gender=rng.choice("FM"))
        patient = None
        if rng.random() < 0.3:
            patient = Patient("19", subscriber.last_name, rng.choice(_FIRST), address=subscriber.address,
                              birth_date=date(2010 + rng.randrange(10), 1 + rng.randrange(12), 1 + rng.randrange(28)),
                              gender=rng.choice("FM"))
        diagnoses = rng.sample(_DIAGNOSES, rng.choice((1, 2, 2, 3, 4, 6)))
        service_date = date(2024, 1, 2) + timedelta(days=rng.randrange(60))
        lines = []
        for line_number in range(rng.choice((1, 1, 2, 2, 3, 4, 6))):
            code, fee = rng.choice(_PROCEDURES)
            units = Decimal(rng.choice((1, 1, 1, 2)))
            pointers = tuple(range(1, min(len(diagnoses), rng.choice((1, 2, 4))) + 1))
            lines.append(ServiceLine(
                Procedure("HC", code, tuple(rng.sample(_MODIFIERS, rng.choice((0, 0, 1, 2))))),
                _money(fee * units), units, service_date,
                service_date + timedelta(days=2) if rng.random() < 0.05 else None,
                pointers, line_item_control_number=f"{number}-{line_number + 1}"))
        frequency = rng.choices(("1", "7", "8"), weights=(94, 4, 2))[0]
        claim = ProfessionalClaim(
            patient_control_number=f"PCN{number:08d}",
            total_charge=sum((line.charge for line in lines), Decimal("0")),
            place_of_service=rng.choice(("11", "11", "11", "02", "22")),
            subscriber=subscriber,
            payer=Payer(payer_name, payer_id),
            diagnoses=diagnoses,
            lines=lines,
            frequency_code=frequency,
            patient=patient,
            prior_authorization=f"AUTH{rng.randrange(10**6)}" if rng.random() < 0.1 else None,
            payer_claim_control_number=f"{rng.randrange(10**13):013d}" if frequency != "1" else None,
            rendering_provider=Provider(rng.choice(_LAST), _npi(rng), "1", rng.choice(_FIRST),
                                        taxonomy="207Q00000X") if rng.random() < 0.7 else None,
            referring_provider=Provider(rng.choice(_LAST), _npi(rng), "1", rng.choice(_FIRST))
            if rng.random() < 0.15 else None,
            service_facility=Provider("ANYTOWN CLINIC", _npi(rng), "2",
                                      address=Address(("400 ELM ST",), "ANYTOWN", "PA", "171010002"))
            if rng.random() < 0.1 else None,
        )
        claims.append(claim)
    return claims


def generate_claim_transactions(seed: int = 837, count: int = 10, claims_per_transaction: int = 100
                                ) -> Iterator[ProfessionalClaimTransaction]:
    """`count` 837P transaction sets of `claims_per_transaction` claims each, deterministic for `seed`."""
    rng = random.Random(seed)
    for number in range(1, count + 1):
        billing = Provider(f"{rng.choice(_LAST)} MEDICAL GROUP", _npi(rng), "2", taxonomy="207Q00000X",
                           tax_id=f"{rng.randrange(10**9):09d}",
                           address=Address(("100 MAIN ST",), "ANYTOWN", "PA", "171010001"))
        yield ProfessionalClaimTransaction(
            control_number=f"{number:04d}",
            reference=f"B{number:08d}",
            created=date(2024, 3, 1),
            created_time="1200",
            submitter=Submitter("OPENMSO BILLING", "OPENMSO01", "BILLING DESK", "8005550100"),
            receiver=Receiver("CLEARINGHOUSE", "CH0001"),
            billing_provider=billing,
            claims=generate_professional_claims(rng, (number - 1) * claims_per_transaction + 1,
                                                claims_per_transaction),
        )


# ---------------------------------------------------------------- files


def write_835_file(path: str | Path, target_bytes: int, *, seed: int = 835) -> int:
    """Write one interchange of 835s until the file reaches `target_bytes`; returns transactions."""
    count = 0
    with open(path, "w", encoding="latin-1", newline="") as out:
        with InterchangeWriter(out, interchange_header(1, sender="PAYER", receiver="OPENMSO")) as writer:
            writer.begin_group(group_header("HP", 1, "005010X221A1", sender="PAYER", receiver="OPENMSO"))
            for remittance in generate_remittances(seed, count=10**9):
                remittance.control_number = f"{count + 1:04d}"
                # ST03 is not used in X221A1
                writer.write_transaction("835", remittance.control_number, remittance_segments(remittance))
                count += 1
                if out.tell() >= target_bytes:
                    break
            writer.end_group()
    return count


def write_837p_file(path: str | Path, target_bytes: int, *, seed: int = 837) -> int:
    """Write one interchange of 837Ps until the file reaches `target_bytes`; returns claims."""
    claims = 0
    with open(path, "w", encoding="latin-1", newline="") as out:
        with InterchangeWriter(out, interchange_header(1)) as writer:
            writer.begin_group(group_header("HC", 1, "005010X222A1"))
            for transaction in generate_claim_transactions(seed, count=10**9):
                writer.write_transaction("837", transaction.control_number,
                                         professional_claim_segments(transaction, writer.delimiters),
                                         transaction.implementation)
                claims += len(transaction.claims)
                if out.tell() >= target_bytes:
                    break
            writer.end_group()
    return claims
