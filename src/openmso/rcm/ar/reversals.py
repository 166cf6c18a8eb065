"""Which claim postings a payer has taken back, as a payment poster reads an 835.

A reversal (CLP02 22) takes back an earlier adjudication of the same claim: the payer repeats that
claim payment with every amount negated, usually just before the corrected payment (CLP02 1–4) in the
same 835. The reversed posting keeps its own outcome (it was paid), so anything that reads what the
payer "decided" — the allowed amounts of the underpayment worklist — must leave it out, and count only
the adjudication that stands.

Each reversal cancels one earlier posting of the same claim that is not reversed yet: one with the
same payer claim number (CLP07) when both carry one, preferring the one whose payment is exactly the
negated reversal, else the latest. A reversal with no such posting (its original was posted elsewhere)
cancels nothing. Read along a correction chain (a claim and the replacements of it, `chain=True`), a
reversal posted to a correction whose amount is none of its own payments but exactly a payment on a
claim it corrects takes that one back: payers send the reversal of the original's payment under the
replacement's claim, and the replacement's own decision then stands.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from openmso.rcm.ar.chains import correction_chains
from openmso.rcm.claims.models import Claim
from openmso.rcm.remittance.models import ClaimPosting

REVERSAL = "22"  # CLP02: reversal of previous payment


@dataclass(frozen=True, slots=True)
class PostingKey:
    id: int  # posting order
    claim_id: int
    status_code: str
    payer_claim_number: str
    paid: Decimal


def reversed_postings(postings: Iterable[PostingKey], chain: bool = False) -> set[int]:
    """The ids of the postings a later reversal takes back; with `chain`, the postings are of one correction
    chain, a correction's claim id greater than the claims it corrects (pure: no I/O)."""
    return set(reversal_targets(postings, chain).values())


def reversal_targets(postings: Iterable[PostingKey], chain: bool = False) -> dict[int, int]:
    """Each reversal's id to the id of the posting it takes back (reversals that cancel nothing are left out);
    `chain` as in `reversed_postings` (pure: no I/O)."""
    by_claim: dict[int, list[PostingKey]] = defaultdict(list)
    for posting in postings:
        by_claim[0 if chain else posting.claim_id].append(posting)
    targets: dict[int, int] = {}
    taken_back: set[int] = set()
    for history in by_claim.values():
        history.sort(key=lambda p: p.id)
        for position, reversal in enumerate(history):
            if reversal.status_code != REVERSAL:
                continue
            before = [p for p in history[:position] if p.status_code != REVERSAL and p.id not in taken_back]
            candidates = [p for p in before if p.claim_id == reversal.claim_id
                          and (not p.payer_claim_number or not reversal.payer_claim_number
                               or p.payer_claim_number == reversal.payer_claim_number)]
            exact = [p for p in candidates if p.paid == -reversal.paid]
            corrected = [p for p in before if p.claim_id < reversal.claim_id and p.paid == -reversal.paid]
            if exact or corrected or candidates:
                targets[reversal.id] = (exact or corrected or candidates)[-1].id
                taken_back.add(targets[reversal.id])
    return targets


def reversed_in(db: Session, practice_ids: list[int]) -> set[int]:
    """The claim postings of these practices that a reversal has taken back, each correction chain read as one
    (a reversal posted under a replacement may take back the payment on the claim it replaces): the claims with a
    reversal, and the claims they correct (few), one query per step back along the chains."""
    reversed_claims = (select(ClaimPosting.claim_id).where(ClaimPosting.practice_id.in_(practice_ids),
                                                           ClaimPosting.status_code == REVERSAL))
    parents = dict(db.execute(select(Claim.id, Claim.original_claim_id).where(Claim.id.in_(reversed_claims))).all())
    corrected: set[int] = set()
    wanted = {original for original in parents.values() if original is not None}
    while wanted:
        corrected |= wanted
        rows = db.execute(select(Claim.id, Claim.original_claim_id).where(Claim.id.in_(wanted))).all()
        parents.update((claim_id, original) for claim_id, original in rows if claim_id not in parents)
        wanted = {original for _, original in rows if original is not None} - parents.keys()
    rows = db.execute(select(ClaimPosting.id, ClaimPosting.claim_id, ClaimPosting.status_code,
                             ClaimPosting.payer_claim_number, ClaimPosting.paid)
                      .where(ClaimPosting.practice_id.in_(practice_ids),
                             or_(ClaimPosting.claim_id.in_(reversed_claims), ClaimPosting.claim_id.in_(corrected))))
    first_of = {claim_id: first for first, members in correction_chains(parents.items()).items()
                for claim_id in members}
    by_chain: dict[int, list[PostingKey]] = defaultdict(list)
    for row in rows:
        by_chain[first_of.get(row.claim_id, row.claim_id)].append(PostingKey(*row))
    return set().union(*(reversed_postings(keys, chain=True) for keys in by_chain.values()))
