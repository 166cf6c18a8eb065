"""The demo network's money-in work, alongside the claims pipeline (`rcm.demo`) in the simulated months
(`demo.timeline`): contracted rates on file, the payer simulator's 835s posted, denials being worked, patients
paying, bank deposits reconciled — so the remittance, exception, denial, underpayment, balance, aging and KPI
pages all have data.

Deterministic for a seed on a fresh database: the payer simulator keys its answers on control numbers, which
carry the practice's id, so a database whose id sequences have moved on answers differently. Everything goes
through the same services as the product, under SYSTEM.
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from openmso.core.tenancy import SYSTEM
from openmso.core.types import CENT
from openmso.identity.models import User
from openmso.network.models import Coverage, Payer
from openmso.rcm.ar import patients
from openmso.rcm.claims.models import Charge
from openmso.rcm.contracts import service as contracts
from openmso.rcm.demo import add_business_days
from openmso.rcm.denials import service as denials
from openmso.rcm.denials.models import DenialCase
from openmso.rcm.denials.rules import Action
from openmso.rcm.remittance import deposits
from openmso.rcm.remittance.ingest import post_clearinghouse_remittances
from openmso.rcm.remittance.models import Remittance

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
    denials_acted_on: int = 0  # of those worked, the ones appealed, resubmitted, written off or transferred
    patient_payments: int = 0


STATEMENT_DAYS = 14  # a patient pays after the statement: not before this many days after the balance arose
DENIAL_PICKUP_DAYS = 2  # a new denial reaches a biller's worklist review after this many days


def _contract_rates(db: Session, effective_from: date) -> int:
    """For each practice, a fee schedule with its most-billed commercial payer a little above what that payer
    allows, so the underpayment worklist has something to chase. Loaded before the first 835 is posted."""
    rows = db.execute(select(Charge.practice_id, Payer.payer_code, Charge.procedure_code, Charge.charge_amount,
                             Charge.units)
                      .join(Coverage, Coverage.id == Charge.coverage_id).join(Payer, Payer.id == Coverage.payer_id)
                      .where(Payer.line_of_business == "commercial", Charge.modifiers == "").order_by(Charge.id))
    payers: dict[int, Counter] = {}
    fees: dict[tuple[int, str], Decimal] = {}
    for practice_id, payer_code, code, charge, units in rows:
        payers.setdefault(practice_id, Counter())[payer_code] += 1
        fees.setdefault((practice_id, code), (charge / max(units, 1)).quantize(CENT))
    imported = 0
    for practice_id, counts in sorted(payers.items()):
        payer_code = counts.most_common(1)[0][0]
        lines = ["payer,code,allowed_amount,effective_from"] + [
            f"{payer_code},{code},{(fee * CONTRACT_PREMIUM).quantize(CENT)},{effective_from}"
            for (practice, code), fee in sorted(fees.items()) if practice == practice_id]
        imported += contracts.import_rates(db, SYSTEM, practice_id, "\n".join(lines) + "\n",
                                           filename="demo-fee-schedule.csv").imported
    return imported


class MoneyDesk:
    """The billing office's money-in work in the demo's simulated months: the 835s the clearinghouse delivered
    posted the next business day, denials picked up a couple of days after they arrive, patients paying after
    their statements, and the bank's deposit file reconciled at the end. Deterministic for a seed; everything
    goes through the product's services under SYSTEM, with the clock (`core.types.simulated_clock`) set by
    the caller to each step's time."""

    def __init__(self, db: Session, *, seed: int, rates_from: date):
        self.db = db
        self.rng = random.Random(seed * 2003)
        self.summary = MoneyDemoSummary(rates=_contract_rates(db, rates_from))
        self.billers = list(db.scalars(select(User.id).where(User.role == "mso_staff").order_by(User.id)))
        self.seen_cases: set[int] = set()
        self.seen_balances: set[tuple[int, int]] = set()

    def post(self) -> None:
        """Post every 835 the clearinghouse poll stored as awaiting posting."""
        for report in post_clearinghouse_remittances(self.db, SYSTEM):
            self.summary.files += 1
            self.summary.payments += report.posted
            self.summary.claims += report.claims
            self.summary.lines += report.lines
            self.summary.exceptions += report.exceptions

    def work_denials(self, day: date) -> None:
        """Billers start on the denials that reached the worklist: some assigned and noted, a few appealed,
        resubmitted, transferred to the patient or written off. Each case is looked at once."""
        arrived_by = datetime.combine(day - timedelta(days=DENIAL_PICKUP_DAYS), time(23, 59), tzinfo=UTC)
        cases = [case for case in self.db.scalars(select(DenialCase).where(
            DenialCase.status == "open", DenialCase.created_at <= arrived_by).order_by(DenialCase.id))
            if case.id not in self.seen_cases]
        for case in cases:
            self.seen_cases.add(case.id)
            # both drawn always, so the work done is the same whoever may be assigned it
            case_id, roll, pick = case.id, self.rng.random(), self.rng.random()
            if roll > 0.45:
                continue
            assignable = {user_id for user_id, _ in denials.assignable_users(self.db, case.practice_id)}
            if theirs := [user_id for user_id in self.billers if user_id in assignable]:
                denials.assign(self.db, SYSTEM, case_id, theirs[int(pick * len(theirs))])
            denials.add_note(self.db, SYSTEM, case_id, self.rng.choice((
                "Called the payer; reference number requested.", "Pulled the visit note for the appeal.",
                "Checked eligibility on the portal.", "Waiting on the authorization number from the front desk.")))
            # acted on now, as the worklist suggests; the others wait, noted and assigned. Until one case has
            # been acted on, every case picked up is: a small network has few denials, and the draws (keyed by
            # the payer simulator on control numbers that carry database ids) must not leave it all open
            if (roll < 0.25 or not self.summary.denials_acted_on) and self._act_on(case, day):
                self.summary.denials_acted_on += 1
            self.summary.denials_worked += 1

    def _act_on(self, case: DenialCase, day: date) -> bool:
        """What a biller does about a denial they pick up: the worklist's suggested action, the way an
        office works it (so the demo's worklist shows every status, whatever the random draws). False when
        the suggestion needs someone to confirm first (billing the patient without a waiver), so nothing
        was done."""
        action = case.suggested_action
        if action == Action.APPEAL:
            denials.appeal_letter(self.db, SYSTEM, case.id, today=day)
        elif action == Action.CORRECT_AND_RESUBMIT:
            denials.resubmit(self.db, SYSTEM, case.id, "corrected and resubmitted")
        elif action == Action.WRITE_OFF:
            denials.write_off(self.db, SYSTEM, case.id, "below the cost of an appeal")
        elif denials.patient_billing(case) == "allowed":  # nothing to confirm: e.g. coverage had ended
            denials.transfer_to_patient(self.db, SYSTEM, case.id, "non-covered service, waiver on file", on=day)
        else:
            return False
        return True

    def patient_payments(self, day: date) -> None:
        """Patients whose balance due is older than a statement cycle pay on `day`: in full, half, or not yet
        (never the share pending with their other plan). Each balance is decided once."""
        statement_sent = day - timedelta(days=STATEMENT_DAYS)
        for row in patients.balances(self.db, SYSTEM, limit=100_000):
            key = (row.practice_id, row.patient_id)
            if key in self.seen_balances or row.oldest is None or row.oldest > statement_sent:
                continue
            self.seen_balances.add(key)
            roll = self.rng.random()
            if roll < 0.35:
                amount = row.due if roll < 0.2 else (row.due / 2).quantize(CENT)
                if amount > 0:
                    patients.record_payment(self.db, SYSTEM, row.practice_id, row.patient_id, amount, day,
                                            f"card {self.rng.randrange(1000, 9999)}")
                    self.summary.patient_payments += 1

    def deposits(self, last_day: date) -> None:
        """The bank's deposit CSV per practice: most EFTs land the business day after their payment date; one
        deposit per practice is short (an exception); those landing after `last_day` are not on it yet."""
        by_practice: dict[int, list] = {}
        for row in self.db.execute(select(Remittance.practice_id, Remittance.payment_date, Remittance.payment_amount,
                                          Remittance.trace_number, Remittance.payer_name)
                                   .where(Remittance.status == "posted", Remittance.payment_amount > 0)
                                   .order_by(Remittance.id)):
            by_practice.setdefault(row.practice_id, []).append(row)
        for practice_id, rows in sorted(by_practice.items()):
            lines = ["deposit_date,amount,trace_number,payer"]
            for number, row in enumerate(rows):
                landed = add_business_days(row.payment_date, 1)
                if self.rng.random() < 0.1 or landed > last_day:
                    continue  # not deposited yet
                amount = row.payment_amount - (Decimal("12.50") if number == 0 else 0)
                lines.append(f"{landed},{amount},{row.trace_number},\"{row.payer_name.replace(chr(34), '')}\"")
            self.summary.deposits += deposits.import_deposits(self.db, SYSTEM, practice_id, "\n".join(lines) + "\n",
                                                              "demo-bank.csv")
        self.db.flush()
