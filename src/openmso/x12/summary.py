"""Per-transaction summaries of X12 files, as plain data for the CLI (JSON or a table)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from openmso.x12.ack999 import parse_999
from openmso.x12.balance import check_balance
from openmso.x12.claim837p_reader import parse_837p
from openmso.x12.envelope import Transaction, iter_transactions
from openmso.x12.remit835 import GROUP_CODES, Remittance
from openmso.x12.remit835_reader import parse_835
from openmso.x12.status277ca import parse_277ca
from openmso.x12.tokenizer import Source

ZERO = Decimal("0")


def summarize_835(remittance: Remittance) -> dict[str, object]:
    """Payer, payee, trace, totals, Σ adjustments by group code, Σ PLB and balance status."""
    by_group = dict.fromkeys(sorted(GROUP_CODES), ZERO)
    for claim in remittance.claims:
        for adjustment in claim.all_adjustments():
            by_group[adjustment.group_code] += adjustment.amount
    findings = check_balance(remittance)
    return {
        "payer": remittance.payer.name,
        "payer_id": remittance.payer.identifier,
        "payee": remittance.payee.name,
        "payee_npi": remittance.payee.npi,
        "payee_tin": remittance.payee.tin,
        "trace_number": remittance.trace.trace_number,
        "payment_method": remittance.payment.method,
        "total_paid": remittance.payment.amount,
        "claims": len(remittance.claims),
        "service_lines": remittance.service_line_count,
        "adjustments_by_group": by_group,
        "provider_adjustments": remittance.provider_adjustment_total,
        "balanced": not findings,
        "balance_findings": [str(finding) for finding in findings],
    }


def summarize_transaction(transaction: Transaction) -> dict[str, object]:
    """Type, control number and the facts that matter for that transaction type."""
    summary: dict[str, object] = {
        "type": transaction.set_id,
        "implementation": transaction.implementation,
        "control_number": transaction.control_number,
        "interchange_control_number": transaction.interchange.control_number,
        "group_control_number": transaction.group.control_number,
        "segments": len(transaction.segments),
    }
    if transaction.set_id == "835":
        summary.update(summarize_835(parse_835(transaction)))
    elif transaction.set_id == "837" and "X222" in transaction.implementation:
        claims = parse_837p(transaction)
        summary.update({
            "billing_provider": claims.billing_provider.last_or_organization,
            "billing_provider_npi": claims.billing_provider.npi,
            "claims": len(claims.claims),
            "service_lines": sum(len(claim.lines) for claim in claims.claims),
            "total_charge": sum((claim.total_charge for claim in claims.claims), ZERO),
        })
    elif transaction.set_id == "999":
        acknowledgment = parse_999(transaction)
        summary.update({
            "acknowledged_group": acknowledgment.group_control_number,
            "group_status": acknowledgment.status,
            "accepted": acknowledgment.accepted,
            "transactions": {t.control_number: t.status for t in acknowledgment.transactions},
            "segment_errors": sum(len(t.segment_errors) for t in acknowledgment.transactions),
        })
    elif transaction.set_id == "277":
        acknowledgment = parse_277ca(transaction)
        summary.update({
            "information_source": acknowledgment.information_source,
            "claims": len(acknowledgment.claims),
            "accepted_claims": sum(claim.accepted for claim in acknowledgment.claims),
            "rejected_claims": sum(claim.rejected for claim in acknowledgment.claims),
        })
    return summary


def summarize(source: Source) -> Iterator[dict[str, object]]:
    """Stream one summary per transaction set in `source`."""
    for transaction in iter_transactions(source):
        yield summarize_transaction(transaction)
