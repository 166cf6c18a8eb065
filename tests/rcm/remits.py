"""Builders of 835s about our own claims, written with the codec's `write_835` (the same bytes a
payer or the simulator sends), for the posting tests."""

from __future__ import annotations

import io
import itertools
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from openmso.core.tenancy import SYSTEM
from openmso.rcm.claims import building
from openmso.rcm.claims.models import Claim
from openmso.x12 import (
    Adjustment,
    ClaimPayment,
    GroupHeader,
    InterchangeHeader,
    Party,
    Payment,
    Procedure,
    ProviderAdjustment,
    Reference,
    Remittance,
    ServicePayment,
    Trace,
    write_835,
)

PAID_ON = date(2026, 11, 2)
CENT = Decimal("0.01")
_control = itertools.count(500)


def accepted_claims(db, clinic, count: int = 1, lines=(("99213", "145.00"),)) -> list[Claim]:
    """Claims the payer has accepted (277CA), one per patient, with the given (code, charge) lines."""
    for patient in clinic.patients[:count]:
        for code, charge in lines:
            clinic.charge(db, patient, procedure_code=code, charge_amount=Decimal(charge))
    ids = building.build_claims(db, SYSTEM, clinic.practice.id)
    claims = db.scalars(select(Claim).where(Claim.id.in_(ids)).order_by(Claim.id)).all()
    for number, claim in enumerate(claims):
        claim.status, claim.payer_claim_number = "payer_accepted", f"PCN{claim.id:08d}{number}"
    db.flush()
    return list(claims)


def _line(claim, line, paid, adjustments, control=True, **changes) -> ServicePayment:
    procedure = Procedure("HC", changes.pop("code", line.procedure_code), tuple(line.modifier_list))
    units = changes.pop("units_paid", Decimal(line.units))
    service = ServicePayment(procedure, line.charge_amount, paid, units_paid=units, **changes)
    service.dates["472"] = line.service_date
    service.adjustments = adjustments
    if control:
        service.line_item_control_number = f"{claim.id}-{line.line_number}"
    return service


def paid(claim, share: Decimal = Decimal("0.60"), patient: Decimal = Decimal("20.00"), control=True,
         status: str = "1", sign: int = 1, **line_changes) -> ClaimPayment:
    """Every line allowed at `share` of its charge (CO-45), the first line's `patient` as PR-2."""
    lines = []
    for number, line in enumerate(claim.lines):
        allowed = (line.charge_amount * share).quantize(CENT)
        pr = min(patient, allowed) if number == 0 else Decimal("0.00")
        adjustments = [Adjustment("CO", "45", sign * (line.charge_amount - allowed))]
        if pr:
            adjustments.append(Adjustment("PR", "2", sign * pr))
        service = _line(claim, line, sign * (allowed - pr), adjustments, control, **line_changes)
        service.charge = sign * line.charge_amount
        lines.append(service)
    total_paid = sum((s.paid for s in lines), Decimal("0.00"))
    patient_total = sum((a.amount for s in lines for a in s.adjustments if a.group_code == "PR"), Decimal("0.00"))
    payment = ClaimPayment(claim.patient_control_number, status, sign * claim.total_charge, total_paid,
                           patient_total, "CI", claim.payer_claim_number or "", "11", "1")
    payment.service_lines = lines
    return payment


def denied(claim, group="CO", carc="197", remark: str | None = None, sign: int = 1) -> ClaimPayment:
    """Every line denied with `group`-`carc`; `sign` -1 is the payer's reversal of that denial (CLP02 22)."""
    lines = []
    for line in claim.lines:
        service = _line(claim, line, Decimal("0.00"), [Adjustment(group, carc, sign * line.charge_amount)])
        service.charge = sign * line.charge_amount
        if remark:
            service.remarks.append(Reference("HE", remark))
        lines.append(service)
    payment = ClaimPayment(claim.patient_control_number, "4" if sign > 0 else "22", sign * claim.total_charge,
                           Decimal("0.00"), Decimal("0.00"), "CI", claim.payer_claim_number or "", "11", "1")
    payment.service_lines = lines
    return payment


def transaction(practice, claims: list[ClaimPayment], trace: str = "EFT0001", plbs=(), payer_code="60054",
                amount: Decimal | None = None, control: str = "0001", npi: str | None = None) -> Remittance:
    total = sum((c.paid for c in claims), Decimal("0.00")) - sum((p.amount for p in plbs), Decimal("0.00"))
    payment = Payment("I", total if amount is None else amount, "C", "ACH", "CCP", date=PAID_ON)
    return Remittance(control, payment, Trace("1", trace, "1" + payer_code.rjust(9, "0")),
                      Party("PR", "AETNA", "XV", payer_code), Party("PE", "CLINIC", "XX", npi or practice.group_npi),
                      production_date=PAID_ON, claims=claims, provider_adjustments=list(plbs))


def plb(practice, reason: str, amount: str, reference: str = "") -> ProviderAdjustment:
    return ProviderAdjustment(practice.group_npi, date(2026, 12, 31), reason, reference, Decimal(amount))


def render(*transactions: Remittance) -> bytes:
    out = io.StringIO()
    control = next(_control)
    isa = InterchangeHeader("ZZ", "AETNA", "ZZ", "TESTMSO", f"{control:09d}", PAID_ON, "1200")
    gs = GroupHeader("HP", "AETNA", "TESTMSO", str(control), PAID_ON, "1200", "005010X221A1")
    write_835(out, transactions, isa, gs, line_breaks=True)
    return out.getvalue().encode("latin-1")
