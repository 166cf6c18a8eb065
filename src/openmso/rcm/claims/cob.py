"""Coordination of benefits: what an earlier payer decided, carried on the claim to the next payer.

The primary's decision is what the remittance domain posted from its 835: claim and line postings,
a reversal (CLP02 22) posted as negative rows. Summing the postings per claim and per line, and
each CAS group/reason across them, gives the primary's current adjudication, which the secondary
837P carries in loops 2320/2330A/2330B (claim level) and 2430 (line level) per 005010X222A1. A
tertiary claim carries the primary's and the secondary's, one 2320 each, in payer order.
Read-only use of the remittance tables; nothing here writes them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import ScalarSelect, bindparam, func, select
from sqlalchemy.orm import Session

from openmso.network.models import Payer
from openmso.rcm.ar import later_payers
from openmso.rcm.ar.reversals import PostingKey, reversal_targets
from openmso.rcm.claims.id_sets import id_set
from openmso.rcm.claims.models import Claim, ClaimLine
from openmso.rcm.claims.views import ClaimView, CoverageView, PayerView, ReferenceCache
from openmso.rcm.remittance.models import ClaimPosting, LinePosting

ZERO = Decimal("0.00")
CasKey = tuple[str, str]  # (group code, CARC)


def parse_adjustments(text: str) -> dict[CasKey, Decimal]:
    """"CO:45:55.10 PR:2:20.00" (how postings keep CAS) → {(group, reason): amount}."""
    found: dict[CasKey, Decimal] = defaultdict(Decimal)
    for part in text.split():
        group, reason, amount = part.split(":")
        found[(group, reason)] += Decimal(amount)
    return found


def _net(adjustments: dict[CasKey, Decimal]) -> list[tuple[str, str, Decimal]]:
    return [(group, reason, amount) for (group, reason), amount in adjustments.items() if amount]


@dataclass(slots=True)
class LineDecision:
    """Loop 2430 for one line: what the earlier payer paid and adjusted on it."""

    procedure_code: str
    modifiers: tuple[str, ...]
    units: int
    charge: Decimal
    paid: Decimal
    adjustments: list[tuple[str, str, Decimal]]
    paid_on: date | None

    @property
    def balanced(self) -> bool:
        return self.paid + sum((a[2] for a in self.adjustments), ZERO) == self.charge


@dataclass(slots=True)
class PriorPayer:
    """Loops 2320/2330A/2330B: an earlier payer of the claim (its coverage and payer) and its decision."""

    responsibility: str  # the earlier payer's SBR01: P, or S when this claim goes to the tertiary
    coverage: CoverageView
    payer: PayerView
    paid: Decimal
    patient_responsibility: Decimal
    paid_on: date | None
    payer_claim_number: str
    adjustments: list[tuple[str, str, Decimal]]  # claim-level CAS
    lines: dict[int, LineDecision] = field(default_factory=dict)  # by line number

    def problems(self) -> list[str]:
        """Why this decision cannot be sent as balanced COB (X222A1 2320 AMT*D and 2430 notes)."""
        found = [f"line {number}: paid {line.paid} plus adjustments does not equal the charge {line.charge}"
                 for number, line in sorted(self.lines.items()) if not line.balanced]
        if self.lines:
            expected = sum((line.paid for line in self.lines.values()), ZERO) - sum(
                (a[2] for a in self.adjustments), ZERO)
            if expected != self.paid:
                found.append(f"claim paid {self.paid}, but the lines paid less claim adjustments give {expected}")
        return found


def patient_share_posted() -> ScalarSelect:
    """For each claim (correlated): the patient's share (CLP05) its payer's postings report, net of reversals:
    what a next payer is asked to cover. SQL, so a worklist can leave out the claims that left nothing without
    reading their postings; a payer that decided a claim's lines again without reversing it may have left less
    than this, which `posted_decisions` (what is sent) tells exactly."""
    return (select(func.sum(ClaimPosting.patient_responsibility)).where(ClaimPosting.claim_id == Claim.id)
            .correlate(Claim).scalar_subquery())


def posted_decisions(db: Session, claim_ids: list[int]) -> dict[int, PriorPayer]:
    """The posted adjudication of each of these (primary) claims that has one, by claim id.
    The coverage and payer are left to `attach`; this reads only the postings."""
    if not claim_ids:
        return {}
    connection = db.connection()
    ids = {"ids": sorted(set(claim_ids))}
    postings = connection.execute(
        select(ClaimPosting.id, ClaimPosting.claim_id, ClaimPosting.paid, ClaimPosting.patient_responsibility,
               ClaimPosting.adjustments, ClaimPosting.payment_date, ClaimPosting.payer_claim_number,
               ClaimPosting.outcome)
        .where(ClaimPosting.claim_id.in_(bindparam("ids", expanding=True))).order_by(ClaimPosting.id), ids).all()
    restated = _restated(db, postings)
    elsewhere = _reversals_of_corrected_claims(db, postings)
    decisions: dict[int, PriorPayer] = {}
    claim_cas: dict[int, dict[CasKey, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for posting_id, claim_id, paid, patient, adjustments, paid_on, number, outcome in postings:
        # replaced whole, or the reversal of a corrected claim's decision posted under this correction
        if (posting_id in restated and restated[posting_id] is None) or posting_id in elsewhere:
            continue
        decision = decisions.get(claim_id)
        if decision is None:
            decision = decisions[claim_id] = PriorPayer("P", None, None, ZERO, ZERO, None, "", [])
        decision.paid += paid
        decision.patient_responsibility += patient
        if outcome != "reversed":
            decision.paid_on = paid_on or decision.paid_on
            decision.payer_claim_number = number or decision.payer_claim_number
        for key, amount in parse_adjustments(adjustments).items():
            claim_cas[claim_id][key] += amount
    lines = connection.execute(
        select(ClaimPosting.id, ClaimPosting.claim_id, ClaimLine.id, ClaimLine.line_number, LinePosting.procedure_code,
               LinePosting.modifiers, LinePosting.units, LinePosting.charge, LinePosting.paid, LinePosting.adjustments,
               LinePosting.patient_responsibility, ClaimPosting.payment_date, ClaimPosting.outcome)
        .join_from(LinePosting, ClaimPosting, LinePosting.claim_posting_id == ClaimPosting.id)
        .join(ClaimLine, ClaimLine.id == LinePosting.claim_line_id)
        .where(ClaimPosting.claim_id.in_(bindparam("ids", expanding=True))).order_by(LinePosting.id), ids).all()
    line_cas: dict[tuple[int, int], dict[CasKey, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for (posting_id, claim_id, line_id, number, code, modifiers, units, charge, paid, adjustments, patient, paid_on,
         outcome) in lines:
        if posting_id in elsewhere:
            continue
        if posting_id in restated:
            if restated[posting_id] is None:
                continue
            if line_id in restated[posting_id]:  # this line was decided again: its earlier decision leaves the sums
                decisions[claim_id].paid -= paid
                decisions[claim_id].patient_responsibility -= patient or ZERO
                continue
        held = decisions[claim_id].lines
        line = held.get(number)
        if line is None:
            line = held[number] = LineDecision(code, (), units, ZERO, ZERO, [], None)
        line.paid += paid
        if outcome != "reversed":  # the reversal's negative rows undo amounts, not what was adjudicated
            line.procedure_code, line.units, line.charge = code, units, charge
            line.modifiers = tuple(m for m in modifiers.split(":") if m)
            line.paid_on = paid_on or line.paid_on
        for key, amount in parse_adjustments(adjustments).items():
            line_cas[(claim_id, number)][key] += amount
    for claim_id, decision in decisions.items():
        decision.adjustments = _net(claim_cas[claim_id])
        for number, line in decision.lines.items():
            line.adjustments = _net(line_cas[(claim_id, number)])
    return decisions


def _restated(db: Session, postings) -> dict[int, frozenset[int] | None]:
    """What a later adjudication of the same claim lines restated without a reversal, by posting
    (`later_payers.replaced_parts`: some claim lines, or None for the whole posting): a denial paid on appeal in
    a new CLP02 1, a payment sent twice. The next payer is told the decision that stands, line by line — an
    appeal of one line leaves the others' decisions standing; a duplicate payment is the payer's to take back,
    not part of it. Only claims posted more than once are read again."""
    counts = Counter(row.claim_id for row in postings)
    again = [claim_id for claim_id, count in counts.items() if count > 1]
    return later_payers.restated_among(db, again) if again else {}


def _reversals_of_corrected_claims(db: Session, postings) -> set[int]:
    """Reversals posted to a correction that take back what the payer paid on a claim it corrects (`reversals`, read
    along the chain: payers send the original's reversal under the replacement's number): they undo that claim's
    decision, not a part of the correction's, so the next payer is told the correction's own."""
    reversed_on = {row.claim_id for row in postings if row.outcome == "reversed"}
    if not reversed_on:
        return set()
    corrections = dict(db.execute(select(Claim.id, Claim.original_claim_id).where(
        Claim.id.in_(reversed_on), Claim.original_claim_id.is_not(None))).all())
    if not corrections:
        return set()
    chains = later_payers.corrected_claims(db, corrections)
    members = sorted({*chains, *(claim_id for chain in chains.values() for claim_id in chain)})
    keys = [PostingKey(*row) for row in db.execute(
        select(ClaimPosting.id, ClaimPosting.claim_id, ClaimPosting.status_code, ClaimPosting.payer_claim_number,
               ClaimPosting.paid).where(ClaimPosting.claim_id.in_(members)).order_by(ClaimPosting.id))]
    claim_of = {key.id: key.claim_id for key in keys}
    elsewhere: set[int] = set()
    for correction, chain in chains.items():
        wanted = {correction, *chain}
        targets = reversal_targets([key for key in keys if key.claim_id in wanted], chain=True)
        elsewhere |= {reversal for reversal, taken in targets.items()
                      if claim_of[reversal] == correction and claim_of[taken] != correction}
    return elsewhere


MAX_EARLIER_PAYERS = 10  # X222A1 loop 2320 repeats at most ten times


def earlier_claims(db: Session, claim_ids: set[int]) -> dict[int, object]:
    """The claims `claim_ids` followed (primary_claim_id) and theirs in turn, back to each chain's primary:
    a tertiary claim follows the secondary, which follows the primary. One query per step back, the ids
    bound as one set (`id_set`) however many claims a scrubbed chunk or a batch follows."""
    found: dict[int, object] = {}
    wanted = set(claim_ids)
    connection = db.connection()
    while wanted:
        of_claims, params = id_set(connection, Claim.__table__.c.id, wanted, "claims")
        rows = connection.execute(
            select(Claim.id, Claim.coverage_id, Claim.payer_id, Claim.payer_responsibility, Claim.practice_id,
                   Claim.patient_id, Claim.rendering_provider_id, Claim.referring_provider_id, Claim.location_id,
                   Claim.primary_claim_id, Claim.patient_control_number, Payer.payer_code)
            .join_from(Claim, Payer, Payer.id == Claim.payer_id, isouter=True)
            .where(of_claims), params).all()
        found.update((row.id, row) for row in rows)
        wanted = {row.primary_claim_id for row in rows if row.primary_claim_id is not None} - found.keys()
    return found


def chain_of(claim: ClaimView, earlier: dict[int, object]) -> list:
    """`claim`'s earlier payers' claims (rows of `earlier_claims`), the payer just before first."""
    chain, claim_id = [], claim.primary_claim_id
    while claim_id is not None and claim_id in earlier and len(chain) < MAX_EARLIER_PAYERS:
        chain.append(earlier[claim_id])
        claim_id = earlier[claim_id].primary_claim_id
    return chain


def attach(db: Session, views: list[ClaimView], cache: ReferenceCache) -> None:
    """Give each secondary or tertiary claim among `views` every earlier payer's coverage, payer and posted
    decision, the primary first: X222A1 repeats loop 2320 (and 2430 per line) once per earlier payer."""
    following = [view for view in views if view.primary_claim_id is not None]
    if not following:
        return
    earlier = earlier_claims(db, {view.primary_claim_id for view in following})
    cache.prepare(list(earlier.values()))
    decisions = posted_decisions(db, list(earlier))
    for view in following:
        in_payer_order = (_decision_of(claim, decisions, cache) for claim in reversed(chain_of(view, earlier)))
        view.prior_payers = [decision for decision in in_payer_order if decision is not None]


def _decision_of(claim, decisions: dict[int, PriorPayer], cache: ReferenceCache) -> PriorPayer | None:
    decision = decisions.get(claim.id)
    if decision is None or claim.coverage_id is None or claim.payer_id is None:
        return None
    decision.responsibility = claim.payer_responsibility
    decision.coverage = cache.coverages[claim.coverage_id]
    decision.payer = cache.payers[claim.payer_id]
    return decision
