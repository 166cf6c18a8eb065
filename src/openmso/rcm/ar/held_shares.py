"""The patient's shares insurance A/R holds, by day: the share of a service a later payer billed for and not
answered yet, or left for a next plan not billed yet (`next_plans`). Patient A/R, statements, the balances page and
the KPIs leave them out of what the patient owes (`patients`): one dollar is in one A/R, never both.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from openmso.rcm.ar import chains, later_payers, next_plans
from openmso.rcm.ar.chains import first_claims
from openmso.rcm.ar.reports import BILLED, NOT_WITH_PAYER, billed_since
from openmso.rcm.claims.models import Claim
from openmso.rcm.claims.states import ClaimStatus
from openmso.rcm.claims.timeline import first_submissions

ZERO = Decimal("0.00")


def later_claims(db: Session, ids: list[int], patient_id: int | None = None) -> list:
    """These practices' (or one patient's) claims billed to a later payer: they are few."""
    first_sent = first_submissions(ids)
    return db.execute(later_claims_query(ids, patient_id).add_columns(
        Claim.primary_claim_id, Claim.original_claim_id, Claim.status, billed_since(first_sent).label("billed_since"),
        Claim.service_date_from, Claim.frequency_code).outerjoin(first_sent, first_sent.c.claim_id == Claim.id)).all()


def later_claims_query(ids: list[int], patient_id: int | None = None) -> Select:
    """These practices' (or one patient's) claims billed to a later payer, by id: a query, not a list, so a
    statement reading their postings does not grow with them."""
    query = select(Claim.id).where(Claim.practice_id.in_(ids), Claim.primary_claim_id.is_not(None))
    return query if patient_id is None else query.where(Claim.patient_id == patient_id)


class Held(NamedTuple):
    """The patient's share of a service that insurance A/R holds: the ledger's entries naming any claim of the
    service (the claims of its correction chain) draw on this one share."""

    service: int  # the first claim of the service's chain
    share: Decimal


Shares = dict[int, Held]  # claim a ledger entry names (`ledgers`) → the share of its service held


def pending_shares(db: Session, ids: list[int], as_of: date | None = None, patient_id: int | None = None
                   ) -> Shares:
    """The patient's shares insurance aging holds — on `as_of` when given, else now — by the claims ledger entries
    name: the share the payer before a later payer billed and not answered yet left (no adjudication of the later
    payer's stands: `later_payers.standing`), and the share a last payer left for a next plan not billed yet
    (`next_plans`), each as that payer's decision stands on the day."""
    return HeldShares(db, ids, patient_id)[as_of]


class HeldShares(dict):
    """`pending_shares` by day, asked for as needed: ``held[day]`` (None: now). The claims and postings are read
    once, when it is made, so one reader serves every day a request asks about (the KPI trend asks for each payment
    day of the patients' ledgers and each month's end). The claims whose share may be held are found by subquery:
    a network's multi-plan patients have more claims than a statement can list."""

    def __init__(self, db: Session, ids: list[int], patient_id: int | None = None) -> None:
        super().__init__()
        later = later_claims(db, ids, patient_id)
        self._first = first_claims({row.id: row.primary_claim_id for row in later})
        corrected = {row.original_claim_id for row in later if row.original_claim_id is not None}
        # sent (a rejected one is sent again: it still waits), not closed without a correction taking its place
        # (one superseded by a replacement or void was sent: its chain reads on, the void withdrawing it from its day)
        self._billed = [row for row in later if row.status in BILLED
                        or (row.billed_since and (row.status != ClaimStatus.CLOSED or row.id in corrected))]
        self._later_by_id = {row.id: row for row in later}
        self._answers, self._chain_of = {}, {}
        for members, together in _chained(later, later_payers.postings_of(
                db, later_claims_query(ids, patient_id).with_only_columns(Claim.id))):
            for claim_id in members:
                self._answers[claim_id], self._chain_of[claim_id] = together, members
        rows, postings = _sharing_claims(db, ids, patient_id)
        self._plans = next_plans.next_plans(db, ids, patient_id) if rows else {}
        self._by_id = {row.id: row for row in rows}
        self._chained = _chained(rows, postings)

    def __missing__(self, day: date | None) -> Shares:
        self[day] = shares = self._on(day)
        return shares

    def get(self, day: date | None, default=None) -> Shares:  # noqa: ARG002 (every day has its shares)
        return self[day]

    def _on(self, day: date | None) -> Shares:
        pending: Shares = {}
        asked = defaultdict(list)  # a claim → the later payers' claims billed from it by the day
        for row in self._billed:
            if _billed_by(row, day):
                asked[row.primary_claim_id].append(row)
        for members, chain in self._chained:
            sent = [row for claim_id in members for row in asked.get(claim_id, ())]
            if sent:  # held while a later payer billed from the service, and not withdrawn since, has not answered
                waits = any(not later_payers.standing(self._answers.get(row.id, ()), day).answered for row in sent
                            if not _voided(self._later_by_id, self._chain_of[row.id], day))
            else:  # held for a next plan not billed yet
                waits = any(_next_plan_by(self._plans.get(claim_id), day) for claim_id in members)
            if not waits or _voided(self._by_id, members, day):
                continue
            share = _share_left(chain, self._by_id[members[0]].primary_claim_id is not None, day)
            if share > 0:
                held = Held(self._first.get(members[0], members[0]), share)
                pending.update((self._first.get(claim_id, claim_id), held) for claim_id in members)
        return pending


def _chained(claims: list, postings: dict[int, list[later_payers.LaterPosting]]
             ) -> list[tuple[list[int], list[later_payers.LaterPosting]]]:
    """The correction chains of these claims, each with the postings of all its claims in posting order: a chain is
    one claim at its payer (a replacement sent after its payer answered the claim it corrects is answered too), as
    insurance aging reads it."""
    return [(members, sorted((p for claim_id in members for p in postings.get(claim_id, ())), key=lambda p: p.key.id))
            for members in chains.correction_chains((row.id, row.original_claim_id) for row in claims).values()]


def _sharing_claims(db: Session, ids: list[int], patient_id: int | None) -> tuple[list, dict]:
    """The claims whose patient share a later payer may be asked for — those with a next plan (`next_plans`), those
    a later payer's claim was billed from, and their corrections — with when they were billed; and their postings by
    claim."""
    found = next_plans.with_next_plan(ids, patient_id)
    billed_from = select(Claim.primary_claim_id).where(Claim.practice_id.in_(ids), Claim.primary_claim_id.is_not(None))
    wanted = or_(Claim.id.in_(select(found.c.claim_id)), Claim.id.in_(billed_from),
                 Claim.original_claim_id.in_(billed_from),  # corrected after the later payer was billed
                 Claim.id.in_(select(Claim.original_claim_id).where(Claim.id.in_(billed_from))))  # or before
    scope = [Claim.practice_id.in_(ids), wanted] + ([Claim.patient_id == patient_id] if patient_id is not None else [])
    first_sent = first_submissions(ids)
    rows = db.execute(select(Claim.id, Claim.original_claim_id, Claim.primary_claim_id, Claim.frequency_code,
                             Claim.status, Claim.service_date_from, billed_since(first_sent).label("billed_since"))
                      .outerjoin(first_sent, first_sent.c.claim_id == Claim.id).where(*scope)).all()
    if not rows:
        return [], {}
    claims = select(Claim.id).where(*scope)
    return rows, {**later_payers.first_payer_postings(db, claims.where(Claim.primary_claim_id.is_(None))),
                  **later_payers.postings_of(db, claims.where(Claim.primary_claim_id.is_not(None)))}


def _voided(claims: dict, members: list[int], day: date | None) -> bool:
    """Whether a void of the claim was with the payer on `day` (as insurance aging reads a chain): nothing is
    billed to that payer any more, so no share is left for a next plan, and a later payer's claim voided waits for
    nothing (the share the payer before it left is the patient's)."""
    return any(claims[claim_id].frequency_code == chains.VOID and claims[claim_id].status not in NOT_WITH_PAYER
               and _billed_by(claims[claim_id], day) for claim_id in members[1:])


def _share_left(postings: list[later_payers.LaterPosting], later: bool, day: date | None) -> Decimal:
    """The patient's share the payer's decision standing on `day` (now when None) leaves."""
    if later:
        stands = later_payers.standing(postings, day)
        return stands.patient if stands.answered else ZERO
    return later_payers.first_payer_money(postings, day)[2]


def _next_plan_by(plans: list[next_plans.NextPlan] | None, day: date | None) -> bool:
    """Whether a claim with these next plans (`next_plans.next_plans`) had one on file by `day` (now when None)."""
    first = next_plans.first_on_file(plans)
    return first is not None and (day is None or first <= day)


def _billed_by(claim, as_of: date | None) -> bool:
    """Whether `claim` was in insurance A/R on `as_of` (now when None), as `reports.insurance_aging` counts it."""
    if as_of is None:
        return True
    if claim.billed_since is None:
        return claim.service_date_from <= as_of
    return claim.billed_since < later_payers.end_of_day(as_of)
