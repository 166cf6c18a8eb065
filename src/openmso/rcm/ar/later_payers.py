"""Where a claim billed to a later payer (secondary, tertiary: `Claim.primary_claim_id`) stands, for insurance
aging and the KPIs alike, so both count it the same way.

A later payer's 835 reports the earlier payers' decision as CARC 23 (usually OA-23): that part of the charge
was paid or written off by them, not owed by this payer, and it is not a denial. Until the later payer has an
adjudication that stands — one that is not a reversal (CLP02 22) and that no reversal has taken back
(`reversals`) — its claim is waiting: open for what the earlier payer left (the patient's share it is asked to
cover), never for the whole charge it repeats. A reversal with no corrected payment yet puts the claim back to
waiting, as if the payer had not answered. What the payer decided — its contractual write-off, CARC 23 and the
patient's share — is read from its latest standing adjudication alone: a payer that denies, then pays on appeal
in a new claim payment (CLP02 1) without reversing the denial, repeats its CARC 23 there, which would otherwise
count twice (a credit in aging, a negative net collection rate). Its payments are cash and all count.

An earlier (first) payer's claim adjudicated more than once without a reversal in between — a denial paid on
appeal in a new CLP02 1, the same payment sent twice — counts each decision of a claim line once: the lines a
later standing adjudication restates are replaced in the earlier one (`replaced_parts`: its other lines' decisions
stand, and a posting without line postings is replaced whole), and only the later one's contractual and patient
share count for them; every payment counts, as a payment made twice is owed back (`first_payer_money`). Aging,
the KPIs and the patient ledger at posting all read that one rule. A payer that splits a claim into several CLPs,
each with some of its lines, replaces nothing: each counts in full. A replacement claim (frequency 7) is the
same service adjudicated again: its standing adjudication replaces the decisions of the claims it corrects,
reversed first or not.

Later payers' claims are few, so their postings are read one by one here, with the CARC 23 amounts that sit in
the postings' adjustment text (claim and line level); primary claims pay nothing for this.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from openmso.rcm.ar.reversals import REVERSAL, PostingKey, reversal_targets, reversed_postings
from openmso.rcm.claims.models import Claim
from openmso.rcm.remittance.matching import prior_payer_amount
from openmso.rcm.remittance.models import ClaimPosting, LinePosting

ZERO = Decimal("0.00")


def end_of_day(day: date) -> datetime:
    """The first instant after `day` (UTC): what happened before it happened on or before `day`."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


@dataclass(slots=True)
class LaterPosting:
    """One claim posting as the A/R rules read it: a later payer's (`standing`), or a first payer's posted more than
    once (`first_payer_money`), or any claim's in the KPI facts (`facts.ClaimHistory`)."""

    key: PostingKey
    paid_on: date  # the payment date, or the posting day when the 835 has none
    contractual: Decimal
    patient: Decimal
    prior: Decimal  # CARC 23: the earlier payers' decision its payer reported
    outcome: str = ""  # paid, partially_paid, denied or reversed
    lines: frozenset[int] = frozenset()  # the claim lines its line postings matched; none: the whole claim
    # by claim line: the (contractual, patient share) of its line postings, which a restatement of the line replaces
    line_money: dict[int, tuple[Decimal, Decimal]] = field(default_factory=dict)
    posted_on: date | None = None  # the day it was posted (the KPIs' payment posting lag)


@dataclass(frozen=True, slots=True)
class Standing:
    answered: bool  # an adjudication of the later payer stands; else the claim waits for one
    paid: Decimal
    contractual: Decimal
    prior: Decimal
    patient: Decimal

    def left(self, charge: Decimal, closed: Decimal) -> Decimal:
        """The charge less what the later payer paid, wrote off, reported as the earlier payers' or closed
        (its open balance plus the patient's share)."""
        return charge - self.paid - self.contractual - self.prior - closed


def standing(postings: Sequence[LaterPosting], end: date | None = None) -> Standing:
    """Where a later payer's claim stands on `end` (every posting when None) (pure: no I/O)."""
    seen = [p for p in postings if end is None or p.paid_on <= end]
    return _standing(seen, reversed_postings([p.key for p in seen], chain=True))


def chain_standings(postings: Sequence[LaterPosting]) -> dict[int, Standing]:
    """Where each claim of one correction chain stands with its later payer, by claim id: the chain read as one
    (`reversals`), and a reversal's cash counted to the claim whose payment it takes back, so a correction under
    which the payer took back what it paid on the original keeps its own decision and its own payment, and the
    original its payment netted to nothing (pure: no I/O)."""
    targets = reversal_targets([p.key for p in postings], chain=True)
    claim_of = {p.key.id: p.key.claim_id for p in postings}
    mine: dict[int, list[LaterPosting]] = defaultdict(list)
    for p in postings:
        mine[claim_of.get(targets.get(p.key.id), p.key.claim_id)].append(p)
    taken_back = set(targets.values())
    return {claim_id: _standing(own, taken_back) for claim_id, own in mine.items()}


def _standing(seen: Sequence[LaterPosting], taken_back: set[int]) -> Standing:
    adjudications = [p for p in seen if p.key.status_code != REVERSAL and p.key.id not in taken_back]
    paid = sum((p.key.paid for p in seen), ZERO)  # cash, whichever adjudication it came with
    if not adjudications:
        return Standing(False, paid, ZERO, ZERO, ZERO)
    latest = adjudications[-1]  # a new adjudication without a reversal (paid on appeal) replaces the one before
    return Standing(True, paid, latest.contractual, latest.prior, latest.patient)


def replaced_parts(postings: Sequence[LaterPosting]) -> dict[int, frozenset[int] | None]:
    """What later standing adjudications (not reversals, not taken back by one: `reversals`) restated of each
    earlier standing one without a reversal, by posting id: its claim lines they restated, or None for the whole
    posting — every one of its lines, or any of them when either posting has no line postings (it covers the whole
    claim), or all of it when the later one is of a correction of its claim (a replacement decides the whole
    service anew, whether or not its 835 reverses the original first). A payer that denies, then pays on appeal in
    a new CLP02 1, or sends the same payment twice, restates its decision of those lines; an appeal paid for the
    one line denied restates that line alone, the other lines' decisions stand; a payer that splits a claim into
    CLPs on disjoint lines restates nothing. `postings` are in posting order, of one claim or of one correction
    chain (`chains`: a correction's id is greater than its original's) (pure: no I/O)."""
    taken_back = reversed_postings([p.key for p in postings], chain=True)
    standing = [p for p in postings if p.key.status_code != REVERSAL and p.key.id not in taken_back]
    parts: dict[int, frozenset[int] | None] = {}
    for position, p in enumerate(standing):
        restated: set[int] = set()
        whole = False
        for later in standing[position + 1:]:
            if later.key.claim_id > p.key.claim_id or (later.key.claim_id == p.key.claim_id
                                                       and (not p.lines or not later.lines)):
                whole = True
                break
            if later.key.claim_id == p.key.claim_id:
                restated |= p.lines & later.lines
        if whole or (restated and restated >= p.lines):
            parts[p.key.id] = None
        elif restated:
            parts[p.key.id] = frozenset(restated)
    return parts


def first_payer_money(postings: Sequence[LaterPosting], end: date | None = None
                      ) -> tuple[Decimal, Decimal, Decimal]:
    """An earlier (first) payer's claim's paid, contractual and patient share on `end` (every posting when None):
    its postings summed — a reversal negates the one it takes back — except the contractual and patient share of
    what later adjudications restated (`replaced_parts`: whole postings, or some of their lines); every payment
    counts, a payment made twice is owed back (pure: no I/O)."""
    seen = [p for p in postings if end is None or p.paid_on <= end]
    parts = replaced_parts(seen)
    contractual = patient = ZERO
    for p in seen:
        if p.key.id not in parts:
            contractual, patient = contractual + p.contractual, patient + p.patient
        elif (restated := parts[p.key.id]) is not None:  # some lines restated: the others' decisions stand
            contractual += p.contractual - sum((p.line_money.get(line, (ZERO, ZERO))[0] for line in restated), ZERO)
            patient += p.patient - sum((p.line_money.get(line, (ZERO, ZERO))[1] for line in restated), ZERO)
    return sum((p.key.paid for p in seen), ZERO), contractual, patient


def patient_share_change(before: Sequence[LaterPosting], posting: LaterPosting) -> tuple[Decimal, Decimal, bool]:
    """What a new posting to a first payer's claim changes in the patient's share that `before` (its earlier
    postings, in order) left: (share before, share after, whether it replaces an earlier adjudication, in whole or
    in part). The patient ledger posts the difference, so it always holds `first_payer_money`'s share (pure: no
    I/O)."""
    after = [*before, posting]
    replaces = replaced_parts(after) != replaced_parts(before)
    return first_payer_money(before)[2], first_payer_money(after)[2], replaces


def postings_by_claim(db: Session, practice_ids: list[int], as_of: date | None = None
                      ) -> dict[int, list[LaterPosting]]:
    """Every posting to these practices' later payers' claims (paid on or before `as_of` when given), in posting
    order, by claim."""
    following = select(Claim.id).where(Claim.practice_id.in_(practice_ids), Claim.primary_claim_id.is_not(None))
    return _read(db, [ClaimPosting.claim_id.in_(following), *_paid_by(as_of)])


def postings_of(db: Session, claim_ids: list[int] | Select) -> dict[int, list[LaterPosting]]:
    """Every posting to these later payers' claims (ids, or a query selecting them), in posting order, by claim
    (the few a posting settles again)."""
    return _read(db, [ClaimPosting.claim_id.in_(claim_ids)]) if _any(claim_ids) else {}


def first_payers_posted_again(db: Session, practice_ids: list[int], as_of: date | None = None
                              ) -> dict[int, list[LaterPosting]]:
    """The postings (paid on or before `as_of` when given) of these practices' first payers' claims that were
    posted more than once, in posting order, by claim, with their claim lines, for `first_payer_money`; their
    CARC 23 is not read (a first payer reports none)."""
    again = (select(ClaimPosting.claim_id).join(Claim, Claim.id == ClaimPosting.claim_id)
             .where(ClaimPosting.practice_id.in_(practice_ids), Claim.primary_claim_id.is_(None))
             .group_by(ClaimPosting.claim_id).having(func.count(ClaimPosting.id) > 1))
    return _read(db, [ClaimPosting.claim_id.in_(again), *_paid_by(as_of)], prior=False)


def first_payer_postings(db: Session, claim_ids: list[int] | Select) -> dict[int, list[LaterPosting]]:
    """Every posting to these first payers' claims (ids, or a query selecting them), in posting order, by claim,
    with their claim lines (the few claims an 835 adjudicates again, for `patient_share_change`)."""
    return _read(db, [ClaimPosting.claim_id.in_(claim_ids)], prior=False) if _any(claim_ids) else {}


def _any(claim_ids: list[int] | Select) -> bool:
    """Whether there may be claims to read: a query is run (a long list of ids would overflow the statement's
    parameters), an empty list is not."""
    return isinstance(claim_ids, Select) or bool(claim_ids)


def corrected_claims(db: Session, corrections: dict[int, int]) -> dict[int, list[int]]:
    """For corrections of claims (correction id → the claim it corrects): the claims each corrects, however many
    times corrected, the nearest first (the few claims an 835 adjudicates as replacements)."""
    original: dict[int, int | None] = dict(corrections)
    wanted = set(corrections.values()) - set(original)
    while wanted:  # a correction of a correction: its original's own original, a hop at a time
        found = dict(db.execute(select(Claim.id, Claim.original_claim_id).where(Claim.id.in_(wanted))).all())
        original.update({claim_id: found.get(claim_id) for claim_id in wanted})
        wanted = {claim_id for claim_id in found.values() if claim_id is not None} - set(original)
    chains: dict[int, list[int]] = {}
    for correction in corrections:
        chain, claim_id = [], original.get(correction)
        while claim_id is not None and claim_id != correction and claim_id not in chain:
            chain.append(claim_id)
            claim_id = original.get(claim_id)
        chains[correction] = chain
    return chains


def restated_among(db: Session, claim_ids: list[int]) -> dict[int, frozenset[int] | None]:
    """The claim lines of these claims' postings that a later adjudication restated (`replaced_parts`: None for
    a whole posting), read for claims posted more than once (the callers pass only those)."""
    parts: dict[int, frozenset[int] | None] = {}
    for postings in first_payer_postings(db, claim_ids).values():
        parts.update(replaced_parts(postings))
    return parts


def add_line_money(money: dict[int, tuple[Decimal, Decimal]], line_id: int | None, contractual: Decimal,
                   patient: Decimal) -> None:
    """Count a line posting's contractual and patient share toward its claim line (`LaterPosting.line_money`)."""
    if line_id is not None:
        before = money.get(line_id, (ZERO, ZERO))
        money[line_id] = (before[0] + (contractual or ZERO), before[1] + (patient or ZERO))


def _paid_by(as_of: date | None) -> list:
    """The condition for a posting paid on or before `as_of` (posted then, when the 835 has no payment date)."""
    if as_of is None:
        return []
    return [or_(ClaimPosting.payment_date <= as_of,
                and_(ClaimPosting.payment_date.is_(None), ClaimPosting.posted_at < end_of_day(as_of)))]


def _read(db: Session, posted: list, prior: bool = True) -> dict[int, list[LaterPosting]]:
    """The claim postings matching `posted`, with the claim lines of their line postings and, with `prior`, the
    CARC 23 of their claim and line adjustments."""
    found: dict[int, list[LaterPosting]] = defaultdict(list)
    by_id: dict[int, LaterPosting] = {}
    for row in db.execute(select(ClaimPosting.id, ClaimPosting.claim_id, ClaimPosting.status_code,
                                 ClaimPosting.payer_claim_number, ClaimPosting.paid, ClaimPosting.payment_date,
                                 ClaimPosting.posted_at, ClaimPosting.contractual,
                                 ClaimPosting.patient_responsibility, ClaimPosting.adjustments, ClaimPosting.outcome)
                          .where(*posted).order_by(ClaimPosting.id)):
        posting = LaterPosting(PostingKey(row.id, row.claim_id, row.status_code, row.payer_claim_number or "",
                                          row.paid), row.payment_date or row.posted_at.date(), row.contractual,
                               row.patient_responsibility,
                               prior_payer_amount(row.adjustments or "") if prior else ZERO, row.outcome,
                               posted_on=row.posted_at.date())
        found[row.claim_id].append(posting)
        by_id[row.id] = posting
    if by_id:
        read_lines(db, by_id, posted, prior)
    return found


def read_lines(db: Session, by_id: dict[int, LaterPosting], posted: list, prior: bool = False) -> None:
    """Fill in the postings `by_id` (those matching the claim posting conditions `posted`) from their line
    postings: the claim lines they matched and each line's contractual and patient share (which say what a later
    adjudication restates: `replaced_parts`), and with `prior` the CARC 23 of their line adjustments."""
    lines: dict[int, set[int]] = defaultdict(set)
    for posting_id, line_id, text, contractual, patient in db.execute(
            select(LinePosting.claim_posting_id, LinePosting.claim_line_id, LinePosting.adjustments,
                   LinePosting.contractual, LinePosting.patient_responsibility)
            .join(ClaimPosting, LinePosting.claim_posting_id == ClaimPosting.id).where(*posted)):
        lines[posting_id].add(line_id)
        add_line_money(by_id[posting_id].line_money, line_id, contractual, patient)
        if prior:
            by_id[posting_id].prior += prior_payer_amount(text or "")
    for posting_id, claim_lines in lines.items():
        by_id[posting_id].lines = frozenset(claim_lines)
