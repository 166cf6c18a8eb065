"""A/R reports from the posted ledger: insurance and patient aging, underpayments.

Insurance balance of a billed claim = charge − Σ(paid + contractual + patient responsibility)
over its postings − denied amounts closed by write-off or transfer. Denied amounts stay in A/R
until worked, as they are still recoverable. A claim billed after another payer (secondary,
tertiary) also takes off what its payer reported as the earlier payers' decision (CARC 23, usually
OA-23): that part of the charge was paid or written off by them, not owed by this payer, and it is not
a denial. Until the later payer has an adjudication that stands (`later_payers.standing`: none yet, or
its only one reversed), its claim is open for the patient's share the earlier payer left (PR), which it is
asked to cover — not for the whole charge it repeats, nor for the earlier payer's open denials, which are open
on the earlier payer's claim. Before it is billed, a share the
last payer left a patient with a next plan in force is insurance A/R too, under that plan's payer
(`next_plans`). Insurance A/R ages from the first submission (a rejected claim sent again stays in A/R, its
clock running: `in_insurance_ar`), patient A/R from the day the responsibility was posted (see `ar.aging`). A
claim settled to zero is not open A/R; one credited below zero is a credit owed back to the payer, listed apart
(`Aging.credits`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Subquery, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from openmso.agreements import aggregation
from openmso.agreements.enforcement import MsoAction, practices_allowing
from openmso.core import audit
from openmso.core.tenancy import Actor
from openmso.network.models import Payer, Practice, Provider
from openmso.rcm.ar import chains, later_payers, next_plans, underpaid
from openmso.rcm.ar.aging import BUCKETS, Aging, age_in_days
from openmso.rcm.ar.later_payers import end_of_day
from openmso.rcm.claims.models import Claim
from openmso.rcm.claims.states import EDITABLE, ClaimStatus
from openmso.rcm.claims.timeline import first_submissions, payers_before_rebills
from openmso.rcm.denials.models import DenialCase
from openmso.rcm.remittance.models import ClaimPosting, PatientLedgerEntry

ZERO = Decimal("0.00")
BILLED = (ClaimStatus.SUBMITTED, ClaimStatus.CLEARINGHOUSE_ACCEPTED, ClaimStatus.PAYER_ACCEPTED, ClaimStatus.PAID,
          ClaimStatus.PARTIALLY_PAID, ClaimStatus.DENIED)
# a correction (replacement, void) in these is not with the payer, so the claim it corrects still stands
NOT_WITH_PAYER = frozenset({*EDITABLE, ClaimStatus.SCRUBBED})
GROUPINGS = ("practice", "payer", "provider", "network")
CROSS_PRACTICE = ("payer", "network")  # groupings whose cells add up several practices' claims
CREDITS = "credits"  # the cell of credit balances, beside the bucket keys and "total"


def billed_since(first_sent: Subquery):
    """When a claim went into insurance A/R: its first submission (`timeline.first_submissions`, outer-joined
    as `first_sent`), else `submitted_at` (a claim whose timeline has no submission, e.g. one loaded billed)."""
    return func.coalesce(first_sent.c.at, Claim.submitted_at)


def in_insurance_ar(since, as_of: date):
    """Whether a claim was in insurance A/R at the end of `as_of`: submitted by then (or, never stamped, billed
    and served by then), whatever happened after - a rejection sends it back to be corrected, not out of A/R,
    so a past day's aging does not change when a claim is rejected later. A correction counts while the payer
    has it; a claim closed without a correction replacing it is out."""
    corrections = aliased(Claim)
    superseded = select(corrections.original_claim_id).where(corrections.original_claim_id == Claim.id)
    return and_(or_(since < end_of_day(as_of),
                    and_(since.is_(None), Claim.status.in_(BILLED), Claim.service_date_from <= as_of)),
                or_(Claim.status != ClaimStatus.CLOSED, superseded.exists()),
                or_(Claim.original_claim_id.is_(None), Claim.status.not_in(NOT_WITH_PAYER)))


def payment_practices(db: Session, actor: Actor, practice_id: int | None = None) -> list[int]:
    """The practices whose payments, A/R and KPIs the actor may see (the agreement's POST_PAYMENTS right)."""
    return practices_allowing(db, actor, MsoAction.POST_PAYMENTS, practice_id)


@dataclass
class AgingRow:
    key: int | None
    label: str
    aging: Aging
    suppressed: frozenset[str] = frozenset()  # bucket keys, and "total", hidden as too small


def hide_complements(rows: list) -> None:
    """For each bucket and the credits, while the cells hidden in its column hold 1–10 patients between them, hide
    the cell shown with the fewest patients too (and, for a bucket, its row's total, which would give it back): a
    column's total (the network line, or another view of the same A/R such as the aging by network) less the
    cells shown would otherwise give the hidden ones back. Rows need `label`, `aging` and `suppressed`; hiding is
    idempotent."""
    for column in (*(bucket.key for bucket in BUCKETS), CREDITS):
        with_it = {column} if column == CREDITS else {column, "total"}  # credits are not in the total
        while aggregation.too_small(len(patients_hidden(rows, column))):
            shown = [line for line in rows if column not in line.suppressed and _behind(line.aging, column)]
            if not shown:
                break  # nothing left to hide with: the column's total is hidden instead
            smallest = min(shown, key=lambda line: (len(_behind(line.aging, column)), str(line.label)))
            smallest.suppressed = smallest.suppressed | with_it


def _behind(aging: Aging, column: str) -> set[int]:
    """The patients behind one cell: a bucket key, "total" (every bucket) or the credits."""
    if column == CREDITS:
        return aging.credit_patients
    return set().union(*(aging.patients[b.key] for b in BUCKETS)) if column == "total" else aging.patients[column]


def patients_hidden(rows: list, column: str) -> set[int]:
    """The patients behind the cells of `column` hidden on these rows."""
    return set().union(*(_behind(line.aging, column) for line in rows if column in line.suppressed))


def suppress_small_cells(db: Session, actor: Actor, view: str, scope: aggregation.Participation,
                         rows: list) -> list:
    """Mark the cells of a cross-practice aging under 11 patients (and the totals summing them), and the cells
    hidden with them (`hide_complements`), and record the aggregation with every cell hidden; rows need `key`,
    `label`, `aging` and `suppressed`."""
    if not scope.is_aggregate:
        return rows
    hidden = aggregation.suppressed_cells({row.key: row.aging.patient_counts() for row in rows})
    for row in rows:
        row.suppressed = frozenset({column for key, column in hidden if key == row.key and column is not None}
                                   | ({"total"} if (row.key, None) in hidden else set())
                                   | ({CREDITS} if aggregation.too_small(len(row.aging.credit_patients)) else set()))
    hide_complements(rows)
    patients = len(set().union(*(ids for row in rows
                                 for ids in (*row.aging.patients.values(), row.aging.credit_patients))))
    aggregation.record(db, actor, view, scope, patients, sum(len(row.suppressed) for row in rows))
    return rows


def _labels(db: Session, by: str, keys) -> dict:
    """Row labels: a practice's legal name, a payer's name, a provider's full name and NPI (last names repeat)."""
    ids = [k for k in keys if k]
    if by not in ("practice", "payer", "provider") or not ids:
        return {None: "Network"}
    if by == "provider":
        return {row.id: f"{row.first_name} {row.last_name} (NPI {row.npi})" for row in db.execute(
            select(Provider.id, Provider.first_name, Provider.last_name, Provider.npi).where(Provider.id.in_(ids)))}
    model, name = (Practice, Practice.legal_name) if by == "practice" else (Payer, Payer.name)
    return dict(db.execute(select(model.id, name).where(model.id.in_(ids))).all())


def insurance_aging(db: Session, actor: Actor, as_of: date, by: str = "practice",
                    practice_id: int | None = None) -> list[AgingRow]:
    """Open insurance A/R at the end of `as_of` by bucket, grouped by practice, payer, rendering provider or the
    whole network.

    As of a day means what the books held then: claims first submitted on or before it, less what was posted with a
    payment date (the posting day when the 835 has none) and denials closed on or before it. Only open claims
    count — in amounts, claim counts and the patients behind a cell (small-cell suppression) — and a claim
    credited below zero is a credit owed back to the payer, listed apart and never netted against the buckets.
    A claim adjudicated again without a reversal (a denial paid on appeal in a new claim payment, a payment sent
    twice) counts the later decision of the lines it restates, not the earlier one's too; its payments all count,
    so a payment made twice is a credit owed back (`later_payers.first_payer_money`). Claims posted more than
    once are few: only they are read posting by posting. A claim corrected at the payer (replaced or voided) and
    its corrections are one service (`chains`): the correction billed last by then stands for it — its charge, its
    payer, provider and patient — less everything posted to any claim of the chain, aged from the chain's first
    submission; a superseded original still counts on days before its correction was billed. By payer, a claim
    rebilled to another of the patient's plans after `as_of` counts under the payer it was billed to then. A voided
    service is owed nothing: only a payment the payer has not taken back yet stays, as a credit owed back. A later
    payer's claim voided (withdrawn from that payer) waits for nothing and asks the payer after it for nothing: the
    share the payer before it left is the patient's, unless the practice bills that plan again in a new claim.
    """
    ids = payment_practices(db, actor, practice_id)
    scope = aggregation.participation(db, ids) if by in CROSS_PRACTICE else aggregation.separately(ids)
    ids = list(scope.included)
    cutoff = end_of_day(as_of)
    posted = (select(ClaimPosting.claim_id, func.sum(ClaimPosting.paid).label("paid"),
                     func.sum(ClaimPosting.contractual).label("contractual"),
                     func.sum(ClaimPosting.patient_responsibility).label("patient"))
              .where(ClaimPosting.practice_id.in_(ids),
                     or_(ClaimPosting.payment_date <= as_of,
                         and_(ClaimPosting.payment_date.is_(None), ClaimPosting.posted_at < cutoff)))
              .group_by(ClaimPosting.claim_id).subquery())
    closed = (select(DenialCase.claim_id, func.sum(DenialCase.amount).label("closed"))
              .where(DenialCase.practice_id.in_(ids), DenialCase.status.in_(("written_off", "transferred")),
                     or_(DenialCase.closed_at.is_(None), DenialCase.closed_at < cutoff))
              .group_by(DenialCase.claim_id).subquery())
    group_column = {"practice": Claim.practice_id, "payer": Claim.payer_id,
                    "provider": Claim.rendering_provider_id}.get(by)
    later = later_payers.postings_by_claim(db, ids, as_of)
    payer_then = payers_before_rebills(db, ids, cutoff) if by == "payer" else {}
    first_sent = first_submissions(ids)
    since = billed_since(first_sent)
    query = (select(Claim.id, Claim.primary_claim_id.label("earlier"), Claim.original_claim_id,
                    Claim.frequency_code,
                    (group_column if group_column is not None else Claim.practice_id).label("key"),
                    Claim.total_charge.label("charge"), since.label("billed_since"), Claim.service_date_from,
                    Claim.patient_id, posted.c.paid, posted.c.contractual, posted.c.patient, closed.c.closed)
             .outerjoin(posted, posted.c.claim_id == Claim.id).outerjoin(closed, closed.c.claim_id == Claim.id)
             .outerjoin(first_sent, first_sent.c.claim_id == Claim.id)
             .where(Claim.practice_id.in_(ids), in_insurance_ar(since, as_of)))
    billed = {row.id: row for row in db.execute(query)}
    groups: dict = defaultdict(Aging)
    left: dict[int, Decimal] = {}  # by claim: the charge less what its payer paid, wrote off or closed (not PR)
    asked: dict[int, Decimal] = {}  # by claim: the patient's share its payer left (PR), which a next payer covers
    waiting = []  # later payers' claims their payer has not answered yet
    again = later_payers.first_payers_posted_again(db, ids, as_of)
    chained = chains.correction_chains((row.id, row.original_claim_id) for row in billed.values())
    onward = next_plans.payers_on(next_plans.next_plans(db, ids), as_of)  # a next plan on file then → its payer
    billed_on = {row.earlier for row in billed.values() if row.earlier is not None}  # a next payer billed from
    corrected = later_payers.first_payer_postings(db, [claim_id for members in chained.values() if len(members) > 1
                                                       for claim_id in members])
    for members in chained.values():
        claims = [billed[claim_id] for claim_id in members]
        latest = claims[-1]  # the correction billed last by then stands for the service
        since = min(row.billed_since.date() if row.billed_since else row.service_date_from for row in claims)
        key = (payer_then.get(latest.id) or latest.key) if group_column is not None else None
        cell = (latest.id, latest.earlier, key, age_in_days(since, as_of), latest.patient_id)
        charge = chains.billed_charge(latest.charge, latest.frequency_code)
        closed_amount = sum((row.closed or ZERO for row in claims), ZERO)
        if latest.earlier is None:
            if len(claims) > 1:  # a correction decides the service anew: the claims' postings read as one
                paid, contractual, patient = later_payers.first_payer_money(
                    sorted((p for row in claims for p in corrected.get(row.id, ())), key=lambda p: p.key.id), as_of)
            elif claims[0].id in again:  # adjudicated more than once: a decision replaced counts once
                paid, contractual, patient = later_payers.first_payer_money(again[claims[0].id])
            else:
                only = claims[0]
                paid, contractual, patient = only.paid or ZERO, only.contractual or ZERO, only.patient or ZERO
            balance = charge - paid - contractual - closed_amount
            if latest.frequency_code == chains.VOID:  # nothing billed: a payment not taken back yet is owed back
                balance, patient = -paid, ZERO
            left.update((row.id, balance) for row in claims)
            asked.update((row.id, patient) for row in claims)
            _add_held(groups, cell, (balance - patient).quantize(ZERO), _held(members, patient, onward, billed_on),
                      by)
            continue
        stands = later_payers.standing(sorted((p for row in claims for p in later.get(row.id, ())),
                                              key=lambda p: p.key.id))
        if latest.frequency_code == chains.VOID:  # withdrawn: asked for nothing, waits for nothing; a payment
            left.update((row.id, -stands.paid) for row in claims)  # not taken back yet is owed back
            asked.update((row.id, ZERO) for row in claims)
            _add_held(groups, cell, (-stands.paid).quantize(ZERO), (ZERO, None), by)
            continue
        left.update((row.id, stands.left(charge, closed_amount)) for row in claims)
        if stands.answered:
            # what it leaves the patient, never more than the share it was asked to cover: the rest is flagged for
            # a person (`cob_patient_excess`), not billed, so the payer after it is not asked for it either
            share = min(stands.patient, asked.get(latest.earlier, stands.patient))
            asked.update((row.id, share) for row in claims)
            _add_held(groups, cell, (left[latest.id] - stands.patient).quantize(ZERO),
                      _held(members, share, onward, billed_on), by)
        else:
            waiting.append(cell)
            asked.update((row.id, ZERO) for row in claims)  # no decision stands to leave the next payer a share
    # a later payer not heard from yet is asked for the share the payer before it left (PR), not for that payer's
    # open denials, which are that payer's own open balance
    for claim_id, earlier, key, days, patient_id in sorted(waiting):
        groups[key].add(days, asked.get(earlier, left[claim_id]).quantize(ZERO), patient_id)
    groups = {key: aging for key, aging in groups.items() if aging.total or aging.credits}
    labels = _labels(db, by, list(groups))
    audit.record(db, actor, "ar.aging", "practice", practice_id, practice_id=practice_id, reason=f"by={by}")
    rows = sorted((AgingRow(k, labels.get(k, str(k)), v) for k, v in groups.items()), key=lambda r: r.label)
    return suppress_small_cells(db, actor, f"insurance_aging_by_{by}", scope, rows)


def _held(members: list[int], share: Decimal, onward: dict[int, int], billed_on: set[int]
          ) -> tuple[Decimal, int | None]:
    """(the patient's share a service's last payer left that insurance A/R holds for its next plan, that plan's
    payer): all of it while the patient has a next plan and no claim to it was billed from any claim of the chain
    (`next_plans`), else nothing."""
    payer = next((onward[claim_id] for claim_id in members if claim_id in onward), None)
    if payer is None or share <= 0 or any(claim_id in billed_on for claim_id in members):
        return ZERO, None
    return share.quantize(ZERO), payer


def _add_held(groups: dict, cell: tuple, amount: Decimal, held: tuple[Decimal, int | None], by: str) -> None:
    """Count a claim's own open balance in its cell, and the share held for its next plan (`_held`) — by payer,
    under that plan's payer: one account when both land in one cell and the balance is not a credit (a credit is
    never netted)."""
    _, _, key, days, patient_id = cell
    share, payer = held
    held_key = payer if by == "payer" and payer is not None else key
    if held_key == key and amount >= 0:
        groups[key].add(days, amount + share, patient_id)
    else:
        groups[key].add(days, amount, patient_id)
        groups[held_key].add(days, share, patient_id)


def patient_balances(db: Session, actor: Actor, practice_id: int | None = None) -> list[tuple[int, int, Decimal]]:
    """(practice id, patient id, balance) of every patient who owes something."""
    ids = payment_practices(db, actor, practice_id)
    query = (select(PatientLedgerEntry.practice_id, PatientLedgerEntry.patient_id, func.sum(PatientLedgerEntry.amount))
             .where(PatientLedgerEntry.practice_id.in_(ids))
             .group_by(PatientLedgerEntry.practice_id, PatientLedgerEntry.patient_id))
    rows = [(p, patient, total) for p, patient, total in db.execute(query) if total]
    audit.record(db, actor, "ar.patient_balances", "patient", None, practice_id=practice_id, reason=f"rows={len(rows)}")
    return sorted(rows, key=lambda r: -r[2])


@dataclass
class Underpayment:
    payer_id: int | None
    procedure_code: str
    lines: int
    expected: Decimal
    allowed: Decimal

    @property
    def difference(self) -> Decimal:
        return self.expected - self.allowed


def underpayments(db: Session, actor: Actor, practice_id: int | None = None,
                  tolerance: Decimal = Decimal("1.00")) -> list[Underpayment]:
    """Posted lines allowed below the contract by more than `tolerance` (`underpaid`: standing adjudications,
    not denials), summed by payer and code."""
    summed: dict[tuple, Underpayment] = {}
    for line in underpaid.underpaid_lines(db, payment_practices(db, actor, practice_id), tolerance):
        row = summed.setdefault((line.payer_id, line.procedure_code),
                                Underpayment(line.payer_id, line.procedure_code, 0, ZERO, ZERO))
        row.lines += 1
        row.expected += line.expected
        row.allowed += line.allowed
    audit.record(db, actor, "ar.underpayments", "practice", practice_id, practice_id=practice_id,
                 reason=f"rows={len(summed)}")
    return sorted(summed.values(), key=lambda r: -r.difference)
