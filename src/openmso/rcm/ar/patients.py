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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from openmso.agreements import aggregation
from openmso.agreements.enforcement import MsoAction, authorize
from openmso.core import audit
from openmso.core.errors import Invalid, NotFound
from openmso.core.pagination import PageParams, Slice
from openmso.core.tenancy import Actor, ensure_can_write, visible
from openmso.core.types import CENT
from openmso.network.models import Patient
from openmso.rcm.ar.aging import Aging, age_in_days
from openmso.rcm.ar.chains import first_claims
from openmso.rcm.ar.held_shares import Held, Shares, later_claims, pending_shares
from openmso.rcm.ar.reports import (
    AgingRow,
    _labels,
    payment_practices,
    suppress_small_cells,
)
from openmso.rcm.ar.schemas import BalanceFilter
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
    `held_shares.HeldShares` gives them), oldest first, as the ledger applies it (`_split_open`); what is left of
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
            elif pending is not None and pending.get(day):  # what is due that day first, not a share insurance holds
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
    return first_claims({row.id: row.primary_claim_id for row in later_claims(db, ids, patient_id)})



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
