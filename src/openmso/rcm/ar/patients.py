"""Patient A/R: who owes what (named, for the balances page and statements), patient payments, and
patient A/R aged by bucket.

A patient's ledger holds debits (responsibility posted from PR adjustments, denied amounts
transferred) and credits (payments, write-offs). A credit that names a claim (a later payer's payment
of the patient's share, a write-off) settles that service's debits first — those naming any claim of
its chain, the primary's PR that a secondary pays — as a billing office applies a payment to the
service it paid; what is left of it, and credits naming no claim (the patient's own payments), settle
the oldest debits first (FIFO, the usual statement convention). What remains open keeps the date it
was posted and ages from there (`ar.aging`: patient A/R ages from the day the responsibility was posted).
Credits beyond every debit leave a credit balance: not A/R, but a refund the practice owes, so the
balances list and the aging show it apart, flagged, rather than dropping the patient.

The patient's share of a service for a later payer (secondary, tertiary) is not the patient's to pay until that
payer answers: insurance A/R holds it meanwhile — a waiting claim open for what the earlier payer left
(`reports.insurance_aging`), or, before the next plan is billed, the share itself under that plan
(`next_plans`) — so patient A/R leaves that share out and statements show it as pending insurance, not due: one
dollar is in one A/R, never both. Only the share the later payer is asked to cover waits (`Held`); a denial the
biller moved to the patient is due meanwhile, as insurance A/R no longer holds it. The patient's own payments
settle what is due, never a share insurance holds: paid ahead, that share is a credit on the patient's side until
the later payer answers. Once the later payer answers, what it paid settles the debit (a credit naming the
service) and what is left is the patient's, aged from the day it was first posted.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from openmso.agreements import aggregation
from openmso.agreements.enforcement import MsoAction, authorize
from openmso.core import audit
from openmso.core.errors import Invalid, NotFound
from openmso.core.pagination import PageParams, Slice
from openmso.core.tenancy import Actor, ensure_can_write, visible
from openmso.core.types import CENT
from openmso.network.models import Patient
from openmso.rcm.ar import chains, later_payers, next_plans
from openmso.rcm.ar.aging import Aging, age_in_days
from openmso.rcm.ar.chains import first_claims
from openmso.rcm.ar.reports import (
    BILLED,
    NOT_WITH_PAYER,
    AgingRow,
    _labels,
    billed_since,
    payment_practices,
    suppress_small_cells,
)
from openmso.rcm.ar.schemas import BalanceFilter
from openmso.rcm.claims.models import Claim
from openmso.rcm.claims.states import ClaimStatus
from openmso.rcm.claims.timeline import first_submissions
from openmso.rcm.remittance.models import PatientLedgerEntry

ZERO = Decimal("0.00")


def open_debits(entries: Iterable[tuple]) -> list[tuple[date, Decimal, int | None]]:
    """What is still owed of each debit, (date, amount, service) in date order, from (date, amount) or (date,
    amount, service) ledger entries, the service being the first claim of the chain the entry names (None: no
    claim). A credit settles its own service's debits first, oldest first; the rest of it, and credits of no
    service, settle the oldest debits of any service. A credit larger than every debit leaves no open item (a
    credit balance is a refund matter, not A/R)."""
    debits, credit = _settle_own(entries)
    _settle_oldest(debits, 1, credit)
    return [(day, amount, service) for day, amount, service in debits if amount > 0]


def _settle_own(entries: Iterable[tuple]) -> tuple[list[list], Decimal]:
    """The debits, [date, still owed, service] in date order, after each credit naming a service settled that
    service's debits, oldest first; and the credit left to settle others (credits naming no service, and what
    exceeded their own service's debits)."""
    ordered = sorted(entries, key=lambda e: e[0])
    debits = [[e[0], e[1], _service(e)] for e in ordered if e[1] > 0]
    tied: dict[int, Decimal] = defaultdict(Decimal)
    credit = ZERO  # not tied to a service, or left over from one
    for entry in ordered:
        if entry[1] < 0:
            service = _service(entry)
            if service is None:
                credit -= entry[1]
            else:
                tied[service] -= entry[1]
    for debit in debits:
        if tied.get(debit[2]):
            used = min(tied[debit[2]], debit[1])
            debit[1] -= used
            tied[debit[2]] -= used
    return debits, credit + sum(tied.values(), ZERO)


def _settle_oldest(debits: list[list], position: int, credit: Decimal) -> Decimal:
    """Settle the amounts at `position` of `debits`, oldest first, with `credit`; what is left of it."""
    for debit in debits:
        used = min(credit, debit[position])
        debit[position] -= used
        credit -= used
    return credit


def due_items(entries: Iterable[tuple], pending: Mapping[int, Held]) -> list[tuple[date, Decimal]]:
    """Patient A/R of one ledger: what is still owed of each debit, (date posted, amount), less the `pending`
    shares (a later payer's to answer first: in insurance A/R until it does)."""
    return [(day, due) for day, due, _ in _split_open(entries, pending)[0] if due > 0]


def _split_open(entries: Iterable[tuple], pending: Mapping[int, Held]
                ) -> tuple[list[tuple[date, Decimal, Decimal]], Decimal]:
    """Each open debit as (date, the part due, the part held), and the credit left over. A service's `pending`
    share is held out of the debits of the claims it covers, oldest first, never more than they still owe: only
    that share waits for the later payer, the rest (a denial the biller moved to the patient) is due now. Credits
    naming a service settle its debits first (a later payer's payment settles the share it was asked for);
    credits naming none (the patient's own payments) settle what is due, and what is left of them is a credit,
    not a payment of the share insurance A/R holds — else a dollar would be in both A/Rs, or the patient asked
    for what they paid."""
    debits, credit = _settle_own(entries)
    split = [[day, amount - held, held]
             for (day, amount, _), held in zip(debits, _holds(((d[2], d[1]) for d in debits), pending), strict=True)]
    credit = _settle_oldest(split, 1, credit)
    return [(day, due, held) for day, due, held in split if due > 0 or held > 0], credit


def _holds(debits: Iterable[tuple[int | None, Decimal]], pending: Mapping[int, Held]) -> list[Decimal]:
    """Of each open debit, (service, still owed) in date order, the part held for a later payer: a service's
    `pending` share drawn from the debits of the claims it covers, oldest first, never more than they still owe."""
    left: dict[int, Decimal] = {}
    held = []
    for service, amount in debits:
        hold = pending.get(service) if service is not None else None
        part = ZERO
        if hold is not None and amount > 0:
            part = min(amount, left.setdefault(hold.service, hold.share))
            left[hold.service] -= part
        held.append(part)
    return held


def _service(entry: tuple) -> int | None:
    return entry[2] if len(entry) > 2 else None


def payments_by_claim(entries: Iterable[tuple[date, str, int | None, Decimal]],
                      pending: Mapping[date, Shares] | None = None) -> dict[int, list[tuple[date, Decimal]]]:
    """Which claims a patient's payments paid, and on what day, from (date, kind, claim id, amount) ledger entries
    in posting order, each claim id the first of its chain (`services`). As in `open_debits`, a credit naming a
    claim settles that claim's open debits first; a credit naming none (the patient's own payment) settles what
    is due on its day first (the debits less the shares insurance held then: `pending`, by day, as
    `pending_shares_on` gives them), oldest first, as the ledger applies it (`_split_open`); what is left of
    either, like any other credit, the oldest debits. The part of a payment that settles a claim's debit counts as
    collected on that claim on the payment's day. A credit made before anything was owed waits for the next debit;
    what exceeds every debit (a credit balance, a refund due) paid no claim."""
    debits: deque[list] = deque()  # [claim id, still owed]
    credits: deque[list] = deque()  # [day, not yet applied, is a payment]
    paid: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    for day, kind, claim_id, amount in sorted(entries, key=lambda e: e[0]):
        if amount > 0:
            debits.append([claim_id, amount])
        elif amount < 0:
            credit = [day, -amount, kind == "payment"]
            if claim_id is not None:  # its own claim's debits first
                for debit in (d for d in debits if d[0] == claim_id):
                    used = min(debit[1], credit[1])
                    debit[1] -= used
                    credit[1] -= used
                    if credit[2] and used:
                        paid[claim_id].append((day, used))
                debits = deque(d for d in debits if d[1])
            elif pending and pending.get(day):  # what is due that day first, not a share insurance holds
                for debit, held in zip(debits, _holds(((d[0], d[1]) for d in debits), pending[day]), strict=True):
                    used = min(debit[1] - held, credit[1])
                    if used > 0:
                        debit[1] -= used
                        credit[1] -= used
                        if credit[2] and debit[0] is not None:
                            paid[debit[0]].append((day, used))
                debits = deque(d for d in debits if d[1])
            if credit[1]:
                credits.append(credit)
        while debits and credits:
            debit, credit = debits[0], credits[0]
            used = min(debit[1], credit[1])
            debit[1] -= used
            credit[1] -= used
            if credit[2] and debit[0] is not None:
                paid[debit[0]].append((credit[0], used))
            if not debit[1]:
                debits.popleft()
            if not credit[1]:
                credits.popleft()
    return dict(paid)


@dataclass(frozen=True, slots=True)
class Owed:
    """Where one patient's ledger stands."""

    balance: Decimal  # the ledger's sum; negative: a credit balance
    pending: Decimal  # of the balance, the share of services a later payer has not answered yet
    oldest: date | None  # the oldest debit due from the patient (not pending); None when nothing is due

    @property
    def due(self) -> Decimal:
        """What the patient is asked to pay now."""
        return max(self.balance - self.pending, ZERO)


def balance_of(entries: Iterable[tuple], pending: Mapping[int, Held] | None = None) -> Owed:
    """A ledger's balance, the part of it waiting for a later payer (the `pending` shares of its services'
    open debits) and the date of its oldest debit due."""
    entries = list(entries)
    split, _ = _split_open(entries, pending or {})
    due = [day for day, part, _ in split if part > 0]
    return Owed(sum((e[1] for e in entries), ZERO), sum((held for _, _, held in split), ZERO),
                due[0] if due else None)


@dataclass
class PatientBalance:
    practice_id: int
    patient_id: int
    mrn: str
    name: str
    balance: Decimal  # negative: a credit balance
    oldest: date | None  # the oldest debit due from the patient; None for a credit or when all of it is pending
    credit: bool = False
    pending: Decimal = ZERO  # of the balance, what waits for a later payer's answer

    @property
    def due(self) -> Decimal:
        return max(self.balance - self.pending, ZERO)


def ledgers(db: Session, ids: list[int], patient_id: int | None = None, as_of: date | None = None
             ) -> dict[tuple[int, int], list[tuple[date, Decimal, int | None]]]:
    """Each patient's ledger entries as (date, amount, service: the first claim of the chain it names)."""
    ledgers: dict[tuple[int, int], list] = defaultdict(list)
    query = (select(PatientLedgerEntry.practice_id, PatientLedgerEntry.patient_id, PatientLedgerEntry.entered_on,
                    PatientLedgerEntry.amount, PatientLedgerEntry.claim_id)
             .where(PatientLedgerEntry.practice_id.in_(ids)))
    if patient_id is not None:
        query = query.where(PatientLedgerEntry.patient_id == patient_id)
    if as_of is not None:
        query = query.where(PatientLedgerEntry.entered_on <= as_of)
    first = services(db, ids, patient_id)
    for practice_id, patient_id, day, amount, claim_id in db.execute(query):
        ledgers[(practice_id, patient_id)].append((day, amount, first.get(claim_id, claim_id)))
    return ledgers


def services(db: Session, ids: list[int], patient_id: int | None = None) -> dict[int, int]:
    """These practices' (or one patient's) later payers' claims → the first claim of their chain: a ledger entry
    naming either is of the same service."""
    return first_claims({row.id: row.primary_claim_id for row in _later_claims(db, ids, patient_id)})


def _later_claims(db: Session, ids: list[int], patient_id: int | None = None) -> list:
    """These practices' (or one patient's) claims billed to a later payer: they are few."""
    first_sent = first_submissions(ids)
    return db.execute(_later_claims_query(ids, patient_id).add_columns(
        Claim.primary_claim_id, Claim.original_claim_id, Claim.status, billed_since(first_sent).label("billed_since"),
        Claim.service_date_from, Claim.frequency_code).outerjoin(first_sent, first_sent.c.claim_id == Claim.id)).all()


def _later_claims_query(ids: list[int], patient_id: int | None = None) -> Select:
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
    return pending_shares_on(db, ids, [as_of], patient_id)[as_of]


def pending_shares_on(db: Session, ids: list[int], days: Sequence[date | None], patient_id: int | None = None
                      ) -> dict[date | None, Shares]:
    """`pending_shares` on each of `days` (None: now), claims and postings read once (the KPI trend asks for every
    month's end). The claims whose share may be held are found by subquery: a network's multi-plan patients have
    more claims than a statement can list."""
    later = _later_claims(db, ids, patient_id)
    first = first_claims({row.id: row.primary_claim_id for row in later})
    # sent (a rejected one is sent again: it still waits), not closed by a correction of it
    corrected = {row.original_claim_id for row in later if row.original_claim_id is not None}
    # sent (a rejected one is sent again: it still waits), not closed without a correction taking its place (one
    # superseded by a replacement or void was sent: its chain reads on, the void withdrawing it from its day)
    billed = [row for row in later if row.status in BILLED
              or (row.billed_since and (row.status != ClaimStatus.CLOSED or row.id in corrected))]
    later_by_id = {row.id: row for row in later}
    answers, chain_of = {}, {}
    for members, together in _chained(later, later_payers.postings_of(
            db, _later_claims_query(ids, patient_id).with_only_columns(Claim.id))):
        for claim_id in members:
            answers[claim_id], chain_of[claim_id] = together, members
    rows, postings = _sharing_claims(db, ids, patient_id)
    plans = next_plans.next_plans(db, ids, patient_id) if rows else {}
    by_id = {row.id: row for row in rows}
    chained = _chained(rows, postings)
    pending: dict[date | None, Shares] = {}
    for day in days:
        pending[day] = {}
        asked = defaultdict(list)  # a claim → the later payers' claims billed from it by the day
        for row in billed:
            if _billed_by(row, day):
                asked[row.primary_claim_id].append(row)
        for members, chain in chained:
            sent = [row for claim_id in members for row in asked.get(claim_id, ())]
            if sent:  # held while a later payer billed from the service, and not withdrawn since, has not answered
                waits = any(not later_payers.standing(answers.get(row.id, ()), day).answered for row in sent
                            if not _voided(later_by_id, chain_of[row.id], day))
            else:  # held for a next plan not billed yet
                waits = any(_next_plan_by(plans.get(claim_id), day) for claim_id in members)
            if not waits or _voided(by_id, members, day):
                continue
            share = _share_left(chain, by_id[members[0]].primary_claim_id is not None, day)
            if share > 0:
                held = Held(first.get(members[0], members[0]), share)
                pending[day].update((first.get(claim_id, claim_id), held) for claim_id in members)
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


def _balance_rows(db: Session, actor: Actor, practice_id: int | None,
                  which: BalanceFilter) -> list[tuple[int, int, Owed]]:
    """(practice, patient, where their ledger stands) of every patient with a balance of the kind wanted: owing
    largest first, then credits, largest credit last."""
    wanted = {BalanceFilter.ALL: lambda b: b != 0, BalanceFilter.OWING: lambda b: b > 0,
              BalanceFilter.CREDIT: lambda b: b < 0}[which]
    ids = payment_practices(db, actor, practice_id)
    pending = pending_shares(db, ids)
    rows = []
    for (practice, patient), entries in ledgers(db, ids).items():
        owed = balance_of(entries, pending)
        if wanted(owed.balance):
            rows.append((practice, patient, owed))
    rows.sort(key=lambda r: (-r[2].balance, r[1]))
    return rows


def _named(db: Session, actor: Actor, practice_id: int | None, rows) -> list[PatientBalance]:
    """The rows with each patient's name and MRN: a PHI read, audited."""
    names = {row.id: row for row in db.execute(select(Patient.id, Patient.mrn, Patient.first_name, Patient.last_name)
                                               .where(Patient.id.in_([r[1] for r in rows])))} if rows else {}
    named = [PatientBalance(p, pid, names[pid].mrn, f"{names[pid].first_name} {names[pid].last_name}", owed.balance,
                            owed.oldest, credit=owed.balance < 0, pending=owed.pending) for p, pid, owed in rows]
    audit.record(db, actor, "ar.patient_balances", "patient", None, practice_id=practice_id,
                 reason=f"rows={len(named)}")
    return named


def balances(db: Session, actor: Actor, practice_id: int | None = None, limit: int = 500,
             which: BalanceFilter = BalanceFilter.ALL) -> list[PatientBalance]:
    """Patients who owe something, largest balance first, then credit balances (refunds due), largest credit
    last; `which` keeps only one kind; the first `limit` (names them: a PHI read, audited)."""
    return _named(db, actor, practice_id, _balance_rows(db, actor, practice_id, which)[:limit])


def balance_page(db: Session, actor: Actor, params: PageParams, practice_id: int | None = None,
                 which: BalanceFilter = BalanceFilter.ALL) -> Slice:
    """One page of `balances`, with how many patients there are in all: a network has far more patients
    with a balance than one page holds, and every one of them must be reachable."""
    rows = _balance_rows(db, actor, practice_id, which)
    return Slice(_named(db, actor, practice_id, rows[params.offset:params.offset + params.limit]), len(rows), params)


def balance_after(db: Session, practice_id: int, patient_id: int) -> Decimal:
    """What one patient owes now (negative: a credit), from their whole ledger."""
    return balance_of(ledgers(db, [practice_id], patient_id).get((practice_id, patient_id), [])).balance


def owed_by(db: Session, practice_id: int, patient_id: int) -> Owed:
    """Where one patient's ledger stands now, with what waits for a later payer (for their statement)."""
    ledger = ledgers(db, [practice_id], patient_id).get((practice_id, patient_id), [])
    return balance_of(ledger, pending_shares(db, [practice_id], patient_id=patient_id))


def aging(db: Session, actor: Actor, as_of: date, practice_id: int | None = None,
          by: str = "practice") -> list[AgingRow]:
    """Open patient A/R at the end of `as_of` (ledger entries on or before it) by bucket, per practice or for the
    whole network (consenting practices only); patients in credit are counted apart as credits, and shares a
    later payer had yet to answer on `as_of` are not counted (`pending_shares`)."""
    ids = payment_practices(db, actor, practice_id)
    scope = aggregation.participation(db, ids) if by != "practice" else aggregation.separately(ids)
    groups: dict[int | None, Aging] = defaultdict(Aging)
    pending = pending_shares(db, list(scope.included), as_of)
    for (practice, patient), entries in ledgers(db, list(scope.included), as_of=as_of).items():
        if not sum((entry[1] for entry in entries), ZERO) and not any(entry[2] in pending for entry in entries):
            continue  # settled, nothing held: a paid share held for another plan is a credit meanwhile
        group = groups[practice if by == "practice" else None]
        split, credit = _split_open(entries, pending)
        for day, amount, _ in split:
            if amount > 0:
                group.add(age_in_days(day, as_of), amount, patient)
        if credit > 0:  # beyond what is due: owed back, or kept for the share another plan may leave
            group.add(0, -credit, patient)
    labels = _labels(db, "practice" if by == "practice" else "network", list(groups))
    audit.record(db, actor, "ar.patient_aging", "practice", practice_id, practice_id=practice_id, reason=f"by={by}")
    rows = sorted((AgingRow(k, labels.get(k, str(k)), v) for k, v in groups.items()), key=lambda r: r.label)
    return suppress_small_cells(db, actor, f"patient_aging_by_{by}", scope, rows)


def record_payment(db: Session, actor: Actor, practice_id: int, patient_id: int, amount: Decimal, on: date,
                   reference: str = "") -> PatientLedgerEntry:
    """Post a patient's payment (cash, card, check) against what they owe now; more is refused, because an
    overpayment is a refund to handle, not a credit to keep — and a share pending with another plan is not theirs
    to pay until that plan answers (`owed_by`)."""
    patient = db.scalar(visible(select(Patient), actor).where(Patient.id == patient_id,
                                                              Patient.practice_id == practice_id))
    if patient is None:
        raise NotFound("Patient not found")
    ensure_can_write(actor, practice_id)
    authorize(db, actor, MsoAction.POST_PAYMENTS, practice_id, object_type="patient", object_id=patient_id,
              patient_id=patient_id)
    amount = Decimal(amount)
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(CENT):
        raise Invalid.field(["body", "amount"], "a payment is a positive amount in dollars and cents")
    owed = owed_by(db, practice_id, patient_id)
    if amount > owed.due:
        pending = (f" ({owed.pending} more is pending with the patient's other plan, not theirs to pay until it "
                   "answers)" if owed.pending else "")
        raise Invalid.field(["body", "amount"], f"the patient owes {owed.due}{pending}; a payment of {amount} "
                                                "would be an overpayment (refund it instead)")
    entry = PatientLedgerEntry(practice_id=practice_id, patient_id=patient_id, kind="payment", amount=-amount,
                               entered_on=on, detail=f"patient payment {reference}".strip()[:200])
    db.add(entry)
    db.flush()
    audit.record(db, actor, "ar.patient_payment", "patient", patient_id, practice_id=practice_id,
                 patient_id=patient_id, reason=f"{amount} {reference}"[:500])
    return entry
