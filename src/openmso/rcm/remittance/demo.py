"""The demo network's money-in step, run after the claims pipeline (`rcm.demo`): contracted rates on file,
the payer simulator's 835s posted, bank deposits reconciled, denials being worked, patients paying —
so the remittance, exception, denial, underpayment, balance, aging and KPI pages all have data.

Deterministic for a seed. Everything goes through the same services as the product, under SYSTEM.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from openmso.core.tenancy import SYSTEM
from openmso.core.types import CENT
from openmso.identity.models import User
from openmso.network.models import Payer
from openmso.rcm.ar import patients
from openmso.rcm.claims.models import Claim, ClaimLine
from openmso.rcm.contracts import service as contracts
from openmso.rcm.denials import service as denials
from openmso.rcm.denials.models import DenialCase
from openmso.rcm.remittance import deposits
from openmso.rcm.remittance.ingest import post_clearinghouse_remittances
from openmso.rcm.remittance.models import ClaimPosting, Remittance

CONTRACT_PREMIUM = Decimal("0.66")  # the contract allows 66 % of the fee; the simulated payers allow 62 %


@dataclass
class MoneyDemoSummary:
    files: int = 0
    payments: int = 0
    claims: int = 0
    lines: int = 0
    exceptions: int = 0
    rates: int = 0
    deposits: int = 0
    denials_worked: int = 0
    patient_payments: int = 0


def _contract_rates(db: Session) -> int:
    """For each practice, a fee schedule with its most-billed commercial payer a little above what that payer
    allows, so the underpayment worklist has something to chase."""
    rows = db.execute(select(Claim.practice_id, Payer.payer_code, ClaimLine.procedure_code, ClaimLine.charge_amount,
                             ClaimLine.units)
                      .join(ClaimLine, ClaimLine.claim_id == Claim.id).join(Payer, Payer.id == Claim.payer_id)
                      .where(Payer.line_of_business == "commercial", ClaimLine.modifiers == ""))
    payers: dict[int, Counter] = {}
    fees: dict[tuple[int, str], Decimal] = {}
    for practice_id, payer_code, code, charge, units in rows:
        payers.setdefault(practice_id, Counter())[payer_code] += 1
        fees.setdefault((practice_id, code), (charge / max(units, 1)).quantize(CENT))
    imported = 0
    for practice_id, counts in sorted(payers.items()):
        payer_code = counts.most_common(1)[0][0]
        lines = ["payer,code,allowed_amount,effective_from"] + [
            f"{payer_code},{code},{(fee * CONTRACT_PREMIUM).quantize(CENT)},2026-01-01"
            for (practice, code), fee in sorted(fees.items()) if practice == practice_id]
        imported += contracts.import_rates(db, SYSTEM, practice_id, "\n".join(lines) + "\n",
                                           filename="demo-fee-schedule.csv").imported
    return imported


def _posted_after_payment(db: Session, rng: random.Random) -> None:
    """Posting happens a business day or three after the money arrives, not at the moment the demo is built."""
    for remittance_id, paid_on in db.execute(select(Remittance.id, Remittance.payment_date)
                                             .where(Remittance.status == "posted")).all():
        when = datetime.combine(paid_on + timedelta(days=rng.randint(1, 3)), time(15), tzinfo=UTC)
        db.execute(update(Remittance).where(Remittance.id == remittance_id).values(posted_at=when))
        db.execute(update(ClaimPosting).where(ClaimPosting.remittance_id == remittance_id).values(posted_at=when))


def _deposits(db: Session, rng: random.Random) -> int:
    """The bank's deposit CSV per practice: most EFTs match; one deposit per practice is short (an exception)."""
    count = 0
    by_practice: dict[int, list] = {}
    for row in db.execute(select(Remittance.practice_id, Remittance.payment_date, Remittance.payment_amount,
                                 Remittance.trace_number, Remittance.payer_name)
                          .where(Remittance.status == "posted", Remittance.payment_amount > 0)
                          .order_by(Remittance.id)):
        by_practice.setdefault(row.practice_id, []).append(row)
    for practice_id, rows in sorted(by_practice.items()):
        lines = ["deposit_date,amount,trace_number,payer"]
        for number, row in enumerate(rows):
            if rng.random() < 0.1:
                continue  # not deposited yet
            amount = row.payment_amount - (Decimal("12.50") if number == 0 else 0)
            lines.append(f"{row.payment_date + timedelta(days=1)},{amount},{row.trace_number},"
                         f"\"{row.payer_name.replace(chr(34), '')}\"")
        count += deposits.import_deposits(db, SYSTEM, practice_id, "\n".join(lines) + "\n", "demo-bank.csv")
    return count


def _work_denials(db: Session, rng: random.Random, as_of: date) -> int:
    """Billers have started on the worklist: some denials assigned and noted, a few appealed, resubmitted,
    transferred to the patient or written off."""
    billers = list(db.scalars(select(User.id).where(User.role == "mso_staff").order_by(User.id)))
    cases = list(db.scalars(select(DenialCase).where(DenialCase.status == "open").order_by(DenialCase.id)))
    worked = 0
    for case in cases:
        case_id, roll, pick = case.id, rng.random(), rng.random()  # both drawn always: the same work whoever may do it
        if roll > 0.45:
            continue
        assignable = {user_id for user_id, _ in denials.assignable_users(db, case.practice_id)}
        if billers and (theirs := [user_id for user_id in billers if user_id in assignable]):
            denials.assign(db, SYSTEM, case_id, theirs[int(pick * len(theirs))])
        denials.add_note(db, SYSTEM, case_id, rng.choice((
            "Called the payer; reference number requested.", "Pulled the visit note for the appeal.",
            "Checked eligibility on the portal.", "Waiting on the authorization number from the front desk.")))
        if roll < 0.05:
            denials.appeal_letter(db, SYSTEM, case_id, today=as_of)
        elif roll < 0.09:
            denials.resubmit(db, SYSTEM, case_id, "corrected and resubmitted")
        elif roll < 0.12 and denials.patient_may_be_billed(case):
            denials.transfer_to_patient(db, SYSTEM, case_id, "non-covered service, waiver on file", on=as_of)
        elif roll < 0.14:
            denials.write_off(db, SYSTEM, case_id, "below the cost of an appeal")
        worked += 1
    return worked


def _patient_payments(db: Session, rng: random.Random, as_of: date) -> int:
    paid = 0
    for row in patients.balances(db, SYSTEM, limit=100_000):
        roll = rng.random()
        if roll < 0.35:
            amount = row.balance if roll < 0.2 else (row.balance / 2).quantize(CENT)
            if amount > 0:
                patients.record_payment(db, SYSTEM, row.practice_id, row.patient_id, amount,
                                        (row.oldest or as_of) + timedelta(days=rng.randint(1, 7)),
                                        f"card {rng.randrange(1000, 9999)}")
                paid += 1
    return paid


def run_money_demo(db: Session, *, seed: int = 7, as_of: date) -> MoneyDemoSummary:
    """Contract rates → the simulator's 835s posted → deposits → denials worked → patient payments."""
    rng = random.Random(seed * 2003)
    summary = MoneyDemoSummary(rates=_contract_rates(db))
    for report in post_clearinghouse_remittances(db, SYSTEM):
        summary.files += 1
        summary.payments += report.posted
        summary.claims += report.claims
        summary.lines += report.lines
        summary.exceptions += report.exceptions
    _posted_after_payment(db, rng)
    summary.deposits = _deposits(db, rng)
    summary.denials_worked = _work_denials(db, rng, as_of)
    summary.patient_payments = _patient_payments(db, rng, as_of)
    db.flush()
    return summary
