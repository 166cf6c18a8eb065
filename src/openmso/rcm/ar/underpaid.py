"""Underpaid lines: each posted service line the payer allowed below its contract by more than a tolerance.

One rule serves the underpayment worklist's sums by payer and code and the lines behind each sum, which is
what a biller takes to the payer (claim, date of service, contracted, allowed, paid, the 835 it came in):

- only lines with a contracted amount on file (`LinePosting.expected_allowed`) count;
- a denied line is a denial, worked on the denial worklist, not an underpayment;
- only adjudications that stand count: a claim payment the payer later reversed (CLP02 22, `ar.reversals`)
  is replaced by the corrected payment after it, and reversals carry no contracted amount; a line a later
  adjudication restated without a reversal (a payment sent twice, an appeal of that line) counts once, the
  earlier adjudication's other lines still count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openmso.rcm.ar import later_payers, reversals
from openmso.rcm.claims.models import Claim, ClaimLine
from openmso.rcm.remittance.models import ClaimPosting, LinePosting, Remittance


@dataclass(frozen=True, slots=True)
class UnderpaidLine:
    line_posting_id: int
    practice_id: int
    claim_id: int
    claim_number: str  # our patient control number (CLP01)
    payer_id: int | None
    procedure_code: str
    modifiers: str
    units: int
    service_date: date
    expected: Decimal  # the contract's allowed amount for the date of service
    allowed: Decimal
    paid: Decimal
    remittance_id: int
    trace_number: str
    paid_on: date | None

    @property
    def difference(self) -> Decimal:
        return self.expected - self.allowed


def underpaid_lines(db: Session, practice_ids: list[int], tolerance: Decimal, payer_id: int | None = None,
                    procedure_code: str | None = None) -> list[UnderpaidLine]:
    """The practices' underpaid lines (of one payer and code when given), largest difference first."""
    if not practice_ids:
        return []
    taken_back = reversals.reversed_in(db, practice_ids)
    query = (select(LinePosting.id, LinePosting.practice_id, Claim.id, Claim.patient_control_number, Claim.payer_id,
                    LinePosting.procedure_code, LinePosting.modifiers, LinePosting.units, ClaimLine.service_date,
                    LinePosting.expected_allowed, LinePosting.allowed, LinePosting.paid, Remittance.id,
                    Remittance.trace_number, ClaimPosting.payment_date, ClaimPosting.id, LinePosting.claim_line_id)
             .join(ClaimPosting, ClaimPosting.id == LinePosting.claim_posting_id)
             .join(Claim, Claim.id == ClaimPosting.claim_id)
             .join(ClaimLine, ClaimLine.id == LinePosting.claim_line_id)
             .join(Remittance, Remittance.id == ClaimPosting.remittance_id)
             .where(LinePosting.practice_id.in_(practice_ids), LinePosting.expected_allowed.is_not(None),
                    ClaimPosting.outcome != "reversed", LinePosting.denied.is_(False)))
    if payer_id is not None:
        query = query.where(Claim.payer_id == payer_id)
    if procedure_code is not None:
        query = query.where(LinePosting.procedure_code == procedure_code)
    rows = [row for row in db.execute(query) if row.expected_allowed - row.allowed > tolerance
            and row[-2] not in taken_back]
    restated = _restated(db, {row[2] for row in rows})
    found = [UnderpaidLine(*row[:-2]) for row in rows
             if row[-2] not in restated or (restated[row[-2]] is not None and row[-1] not in restated[row[-2]])]
    return sorted(found, key=lambda line: (-line.difference, line.service_date, line.line_posting_id))


def _restated(db: Session, claim_ids: set[int]) -> dict[int, frozenset[int] | None]:
    """The claim lines of these claims' postings that a later adjudication restated without a reversal
    (`later_payers.replaced_parts`, None for a whole posting: a payment sent twice lists its lines once, a line
    paid on appeal is the appeal's). Only claims posted more than once are read again."""
    if not claim_ids:
        return {}
    again = list(db.scalars(select(ClaimPosting.claim_id).where(ClaimPosting.claim_id.in_(claim_ids))
                            .group_by(ClaimPosting.claim_id).having(func.count(ClaimPosting.id) > 1)))
    return later_payers.restated_among(db, again)
