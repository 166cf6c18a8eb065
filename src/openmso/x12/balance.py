"""835 balancing (005010X221A1 section 1.10.2, "Balancing"), reported as findings, not raised.

- Transaction: BPR02 = Σ CLP04 − Σ PLB amounts.
- Claim: CLP03 − Σ CAS amounts (claim level and every service line) = CLP04.
- Service line: SVC02 − Σ line CAS amounts = SVC03.

A remittance that does not balance is still a remittance the payer sent; posting decides what to
do with it, so the check returns every imbalance instead of stopping at the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from openmso.x12.remit835 import Remittance

ZERO = Decimal("0")


@dataclass(frozen=True, slots=True)
class BalanceFinding:
    """One imbalance: where (transaction, claim or line), what was expected and what was found."""

    level: str  # "transaction", "claim" or "line"
    transaction_control_number: str
    patient_control_number: str | None
    line_number: int | None  # 1-based position of the SVC in its claim
    expected: Decimal
    actual: Decimal
    rule: str

    @property
    def difference(self) -> Decimal:
        return self.actual - self.expected

    def __str__(self) -> str:
        where = f"ST {self.transaction_control_number}"
        if self.patient_control_number is not None:
            where += f" claim {self.patient_control_number}"
        if self.line_number is not None:
            where += f" line {self.line_number}"
        return f"{where}: {self.rule}: expected {self.expected}, found {self.actual}"


def check_balance(remittance: Remittance) -> list[BalanceFinding]:
    """Every balancing rule the remittance breaks; an empty list means it balances."""
    findings: list[BalanceFinding] = []
    control = remittance.control_number
    total_paid = ZERO
    for claim in remittance.claims:
        total_paid += claim.paid
        adjusted = ZERO
        for adjustment in claim.adjustments:  # plain loops: a generator per line costs more than the sums
            adjusted += adjustment.amount
        for number, line in enumerate(claim.service_lines, start=1):
            line_adjusted = ZERO
            for adjustment in line.adjustments:
                line_adjusted += adjustment.amount
            adjusted += line_adjusted
            if line.charge - line_adjusted != line.paid:
                findings.append(BalanceFinding(
                    "line", control, claim.patient_control_number, number,
                    expected=line.charge - line_adjusted, actual=line.paid,
                    rule="SVC02 − Σ line CAS = SVC03",
                ))
        if claim.charge - adjusted != claim.paid:
            findings.append(BalanceFinding(
                "claim", control, claim.patient_control_number, None,
                expected=claim.charge - adjusted, actual=claim.paid,
                rule="CLP03 − Σ CAS = CLP04",
            ))
    expected_payment = total_paid - remittance.provider_adjustment_total
    if expected_payment != remittance.payment.amount:
        findings.append(BalanceFinding(
            "transaction", control, None, None,
            expected=expected_payment, actual=remittance.payment.amount,
            rule="BPR02 = Σ CLP04 − Σ PLB",
        ))
    return findings
