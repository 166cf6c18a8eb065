"""KPI facts from the ledger: one `ClaimFacts` per claim as it stood at a period's end, and the KPIs
month by month for a practice or the whole network (`kpis.summarize` does the arithmetic).

A month's claims are a cohort: those with a date of service in the month, followed to `as_of`
(everything posted to them so far) for the collection rates, lags, denial and first-pass
measures — so a recent month's rates still rise as its claims are paid. Days in A/R and % over
90 days are stocks: *all* A/R open at the month's end — every claim's insurance balance (any service month
within the look-back) and every patient's balance due (`patients.aging`'s rule) — divided by the average daily
charges of the 90 days ending then — the MAP Key's
"A/R at period end over average daily charges" with the usual three-month charge base, so a
month with few charges does not swing it; a book younger than 90 days averages over the days since its first date of
service (`charge_base_days`). Replacement and void claims (frequency 7/8) re-bill a service already
counted, so they are folded into the claim they correct (`chains`): one service, billed for its latest correction's
charge (nothing once voided), with every posting to any claim of the chain. Claims billed to a later payer
(secondary, tertiary: `primary_claim_id`) are not counted as charges either — the service was counted on the
primary's claim — but their payer's payments are cash and count, on the primary's claim (`ClaimHistory.later`),
and so do their open balances (what the later payer still owes, less the earlier payers' decision it reports as
CARC 23; the patient's share the earlier payer left while no adjudication of the later payer stands —
`later_payers.standing`, as in `reports.insurance_aging`; before a next plan in force is billed, the share the
last payer left for it — `next_plans`) and the part of the patient's share the later payer wrote off (its
contractual and CARC 23 amounts beyond what the earlier payers already paid and wrote off, whichever way its
835 splits them, and never more than the patient's share they left and it did not pay: its CARC 23 may repeat
an earlier decision since reversed). Collections count every payment,
as the MAP Keys count cash: the payers' (claim postings) and the patient's (the patient ledger, each payment
applied to the claims it settled, what was due first, oldest first — `patients.payments_by_claim`).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from openmso.agreements import aggregation
from openmso.agreements.enforcement import MsoAction, practices_allowing
from openmso.core import audit
from openmso.core.tenancy import Actor
from openmso.rcm.ar import chains, kpis, later_payers, next_plans
from openmso.rcm.ar.aging import age
from openmso.rcm.ar.held_shares import HeldShares
from openmso.rcm.ar.patients import due_items, ledgers, payments_by_claim, services
from openmso.rcm.ar.reports import BILLED, NOT_WITH_PAYER, billed_since
from openmso.rcm.ar.reversals import PostingKey
from openmso.rcm.claims.models import Charge, Claim, TimelineEntry
from openmso.rcm.claims.states import ClaimEvent
from openmso.rcm.claims.timeline import first_submissions
from openmso.rcm.denials.models import DenialCase
from openmso.rcm.remittance.models import ClaimPosting, PatientLedgerEntry

ZERO = Decimal("0.00")
LOOK_BACK_DAYS = 365  # claims served earlier than this before the first month are not loaded
CHUNK = 900
CHARGE_BASE_DAYS = 90  # days in A/R divides by the average daily charges of the last 90 days (`charge_base_days`)


@dataclass(slots=True)
class ClaimHistory:
    """A claim and everything posted to it, from which its facts at any date are cut."""

    charge: Decimal
    service_date: date
    charge_entered: date
    billed_on: date | None
    clean_first_pass: bool | None
    postings: list[later_payers.LaterPosting] = field(default_factory=list)
    closed: list[tuple[date, Decimal]] = field(default_factory=list)  # denials written off or transferred
    transferred: list[tuple[date, Decimal]] = field(default_factory=list)  # those moved to the patient's share
    patient_id: int | None = None  # for small-cell suppression of network views
    patient_payments: list[tuple[date, Decimal]] = field(default_factory=list)  # what the patient paid of it
    adjudications: list[later_payers.LaterPosting] = field(default_factory=list)  # a later payer's claim's postings
    later: list[ClaimHistory] = field(default_factory=list)  # the same service billed to later payers, in order
    corrections: list[tuple[date, Decimal]] = field(default_factory=list)  # (billed on, charge) of its corrections
    # the day from which the patient has a plan of the next order on file to bill its share to (`next_plans`)
    next_plan_from: date | None = None
    voided_on: date | None = None  # the day a void of it was billed: no share is left for a next plan from then

    def charge_at(self, end: date) -> Decimal:
        """What the service is billed for on `end`: the charge of its latest correction billed by then (nothing
        once voided), else its own."""
        return next((charge for billed, charge in reversed(self.corrections) if billed <= end), self.charge)

    def absorb(self, correction: ClaimHistory, billed_charge: Decimal, void: bool = False) -> None:
        """Take in a correction of this claim (`chains`): its postings are the service's, its charge the
        service's from the day it was billed (a `void`'s is nothing, and it leaves no share for a next plan)."""
        self.postings = sorted((*self.postings, *correction.postings), key=lambda p: p.key.id)
        self.adjudications = sorted((*self.adjudications, *correction.adjudications), key=lambda p: p.key.id)
        self.closed += correction.closed
        self.transferred += correction.transferred
        self.patient_payments += correction.patient_payments
        self.next_plan_from = min((day for day in (self.next_plan_from, correction.next_plan_from) if day),
                                  default=None)
        if correction.billed_on is not None:
            self.corrections.append((correction.billed_on, billed_charge))
            if void and (self.voided_on is None or correction.billed_on < self.voided_on):
                self.voided_on = correction.billed_on

    def _money_at(self, end: date) -> tuple[Decimal, Decimal, Decimal, Decimal, list[later_payers.LaterPosting]]:
        """Paid, contractual, patient responsibility and what is left (the charge less what the payer paid, wrote
        off or closed: its open balance plus the patient's share) as of `end`; the postings until then."""
        postings = [p for p in self.postings if p.paid_on <= end]
        if len(postings) > 1:  # a decision replaced without a reversal counts once
            paid, contractual, patient = later_payers.first_payer_money(postings)
        else:
            paid = sum((p.key.paid for p in postings), ZERO)
            contractual = sum((p.contractual for p in postings), ZERO)
            patient = sum((p.patient for p in postings), ZERO)
        return paid, contractual, patient, self.charge_at(end) - paid - contractual - self._closed_by(end), postings

    def _closed_by(self, end: date, closed: list[tuple[date, Decimal]] | None = None) -> Decimal:
        return sum((amount for day, amount in (self.closed if closed is None else closed) if day <= end), ZERO)

    def _billed_by(self, end: date) -> bool:
        return self.billed_on is not None and self.billed_on <= end

    def next_plan_on(self, end: date) -> bool:
        """Whether a next plan to bill its share to was on file by `end`."""
        return self.next_plan_from is not None and self.next_plan_from <= end

    def facts_at(self, end: date) -> kpis.ClaimFacts:
        billed = self.billed_on if self._billed_by(end) else None
        paid, contractual, patient, left, postings = self._money_at(end)
        open_balance = max(left - patient, ZERO) if billed else ZERO
        by_insurance = paid + contractual  # what the payers so far paid or wrote off of the charge
        # the patient's share the payers so far left (with denials transferred to the patient), which a later
        # payer may pay or write off
        share = patient + self._closed_by(end, self.transferred)
        # the patient's share the last payer heard from left (PR): what the next payer is asked to cover, held in
        # insurance A/R until it answers — billed to it, or waiting for a next plan not billed yet (`holds`); the
        # rest of what that payer left (an open denial) is its own open balance, counted once
        voided = self.voided_on is not None and self.voided_on <= end  # nothing billed: no share left for anyone
        asked = ZERO if voided else patient
        holds = self.next_plan_on(end) and not voided
        for later in self.later:
            stands = later_payers.standing(later.adjudications, end)
            later_left = stands.left(later.charge_at(end), later._closed_by(end))
            withdrawn = later.voided_on is not None and later.voided_on <= end
            if later._billed_by(end) and withdrawn:  # asked for nothing: what the payer before it left is the
                holds, asked = False, ZERO  # patient's, and a payment not taken back is owed back (not A/R)
            elif later._billed_by(end):
                open_balance += max(later_left - stands.patient if stands.answered else asked, ZERO)
                holds = later.next_plan_on(end) and stands.answered
                if not stands.answered:  # no decision of its stands to leave the payer after it a share
                    asked = ZERO
            # never more than the share it did not pay: its CARC 23 repeats an earlier decision that may since
            # have been reversed (the primary's 170.00 gone, no share left: nothing written off)
            written_off = min(max(stands.contractual + stands.prior - by_insurance, ZERO),
                              max(share - stands.paid, ZERO))
            paid += stands.paid
            contractual += written_off
            by_insurance += stands.paid + written_off
            if stands.answered and not withdrawn:  # never more than it was asked to cover (`reports`)
                share = asked = min(stands.patient, asked)
        if holds:  # a share is left only by an adjudication, so the claim was billed
            open_balance += max(asked, ZERO)
        first = next((p for p in postings if p.outcome != "reversed"), None)
        adjudication = None if first is None else ("denied" if first.outcome == "denied" else "paid")
        return kpis.ClaimFacts(
            charge=self.charge_at(end), service_date=self.service_date, charge_entered=self.charge_entered,
            billed_on=billed, clean_first_pass=self.clean_first_pass, first_adjudication=adjudication,
            paid=paid, contractual=contractual, open_balance=open_balance,
            paid_on=first.paid_on if first else None, posted_on=first.posted_on if first else None,
            patient_paid=sum((amount for day, amount in self.patient_payments if day <= end), ZERO))


def load_histories(db: Session, practice_ids: list[int], since: date, until: date,
                   held: HeldShares | None = None) -> list[ClaimHistory]:
    """Every original claim of these practices served in [since, until], with its postings; its corrections
    (replacements, voids: `chains`) are folded into it, and the claims that billed it to later payers ride on it
    (`ClaimHistory.later`). `held`: the shares insurance held by day, if the caller has read them already."""
    first_sent = first_submissions(practice_ids)
    query = (select(Claim.id, Claim.total_charge, Claim.service_date_from, Claim.created_at,
                    billed_since(first_sent).label("billed_since"), Claim.patient_id, Claim.primary_claim_id,
                    Claim.original_claim_id, Claim.frequency_code, Claim.status)
             .outerjoin(first_sent, first_sent.c.claim_id == Claim.id)
             .where(Claim.practice_id.in_(practice_ids), Claim.service_date_from.between(since, until),
                    or_(Claim.original_claim_id.is_(None), Claim.status.not_in(NOT_WITH_PAYER))).order_by(Claim.id))
    rows = list(db.execute(query))
    histories: dict[int, ClaimHistory] = {}  # every claim loaded, later payers' too, until the end
    ids = [r.id for r in rows]
    entered: dict[int, date] = {}
    first_scrub: dict[int, bool] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        entered.update((claim_id, when.date()) for claim_id, when in db.execute(
            select(Charge.claim_id, func.min(Charge.created_at)).where(Charge.claim_id.in_(chunk))
            .group_by(Charge.claim_id)))
        for claim_id, event in db.execute(
                select(TimelineEntry.claim_id, TimelineEntry.event)
                .where(TimelineEntry.claim_id.in_(chunk),
                       TimelineEntry.event.in_((ClaimEvent.PASS.value, ClaimEvent.HOLD.value)))
                .order_by(TimelineEntry.id)):
            first_scrub.setdefault(claim_id, event == ClaimEvent.PASS.value)
    onward = next_plans.next_plans(db, practice_ids)
    for r in rows:
        histories[r.id] = ClaimHistory(r.total_charge, r.service_date_from,
                                       entered.get(r.id, r.created_at.date()),
                                       _billed_on(r), first_scrub.get(r.id),
                                       patient_id=r.patient_id,
                                       next_plan_from=next_plans.first_on_file(onward.get(r.id)))
    for claim_id, postings in later_payers.postings_by_claim(db, practice_ids).items():
        if claim_id in histories:
            histories[claim_id].adjudications = postings
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        for p in db.execute(select(ClaimPosting.id, ClaimPosting.claim_id, ClaimPosting.status_code,
                                   ClaimPosting.payer_claim_number, ClaimPosting.payment_date, ClaimPosting.posted_at,
                                   ClaimPosting.paid, ClaimPosting.contractual, ClaimPosting.patient_responsibility,
                                   ClaimPosting.outcome).where(ClaimPosting.claim_id.in_(chunk))
                            .order_by(ClaimPosting.id)):
            posted_on = p.posted_at.date()
            key = PostingKey(p.id, p.claim_id, p.status_code, p.payer_claim_number or "", p.paid)
            histories[p.claim_id].postings.append(later_payers.LaterPosting(
                key, p.payment_date or posted_on, p.contractual, p.patient_responsibility, ZERO, p.outcome,
                posted_on=posted_on))
        # the claim lines of claims posted more than once (few) say which adjudication a later one replaced
        again = {posting.key.id: posting for claim_id in chunk if len(histories[claim_id].postings) > 1
                 for posting in histories[claim_id].postings}
        if again:
            later_payers.read_lines(db, again, [ClaimPosting.id.in_(list(again))])
        for claim_id, closed_at, amount, status in db.execute(
                select(DenialCase.claim_id, DenialCase.closed_at, DenialCase.amount, DenialCase.status)
                .where(DenialCase.claim_id.in_(chunk), DenialCase.status.in_(("written_off", "transferred")))):
            closed = (closed_at.date() if closed_at else until, amount)
            histories[claim_id].closed.append(closed)
            if status == "transferred":
                histories[claim_id].transferred.append(closed)
    for claim_id, payments in _patient_payments(db, practice_ids, until, held).items():
        if claim_id in histories:  # by the first claim of its payers' chain: what was paid of it is the service's
            histories[claim_id].patient_payments += payments
    first_of = _fold_corrections(histories, rows)
    for claim_id, first in first_of.items():  # in claim order: a secondary before its tertiary
        later = histories.pop(claim_id)
        if first in histories:
            histories[first].later.append(later)
    return list(histories.values())


def _billed_on(claim) -> date | None:
    """The day a claim went into insurance A/R, as `reports.in_insurance_ar` reads it: its first submission, else
    (a claim loaded billed, with no submission on its timeline or stamp) its date of service if its status says it
    was billed. The KPIs and the agings then count the same claims open."""
    if claim.billed_since is not None:
        return claim.billed_since.date()
    return claim.service_date_from if claim.status in BILLED else None


def _fold_corrections(histories: dict[int, ClaimHistory], rows: list) -> dict[int, int]:
    """Fold every correction into the claim it corrects (`ClaimHistory.absorb`); the first claims of the later
    payers' claims left (later claim → the first claim, through corrections, of its payers' chain)."""
    by_id = {row.id: row for row in rows}
    root_of = {}
    for first, members in chains.correction_chains((row.id, row.original_claim_id) for row in rows).items():
        for claim_id in members[1:]:
            root_of[claim_id] = first
            row = by_id[claim_id]
            histories[first].absorb(histories.pop(claim_id), chains.billed_charge(row.total_charge, row.frequency_code),
                                    void=row.frequency_code == chains.VOID)
    return chains.first_claims({row.id: root_of.get(row.primary_claim_id, row.primary_claim_id)
                                for row in rows if row.id in histories})


def _patient_payments(db: Session, practice_ids: list[int], until: date,
                      held: HeldShares | None = None) -> dict[int, list[tuple[date, Decimal]]]:
    """Each claim's patient payments up to `until` (by the first claim of its chain): every ledger of these
    practices, a credit settling its own service first, the patient's own payment what was due on its day (not a
    share insurance held then), then the oldest debts (`patients.payments_by_claim`)."""
    ledgers: dict[tuple[int, int], list] = defaultdict(list)
    first = services(db, practice_ids)
    for row in db.execute(select(PatientLedgerEntry.practice_id, PatientLedgerEntry.patient_id,
                                 PatientLedgerEntry.entered_on, PatientLedgerEntry.kind, PatientLedgerEntry.claim_id,
                                 PatientLedgerEntry.amount)
                          .where(PatientLedgerEntry.practice_id.in_(practice_ids),
                                 PatientLedgerEntry.entered_on <= until)
                          .order_by(PatientLedgerEntry.entered_on, PatientLedgerEntry.id)):
        ledgers[(row.practice_id, row.patient_id)].append((row.entered_on, row.kind,
                                                           first.get(row.claim_id, row.claim_id), row.amount))
    if held is None and any(claim_id is None and kind == "payment"  # the patient's own payments: what was due?
                            for entries in ledgers.values() for _, kind, claim_id, _ in entries):
        held = HeldShares(db, practice_ids)
    paid: dict[int, list[tuple[date, Decimal]]] = {}
    for entries in ledgers.values():
        paid.update(payments_by_claim(entries, held))
    return paid


def _patient_ar(db: Session, practice_ids: list[int], ends: list[date], held: HeldShares | None = None
                ) -> dict[date, list[PatientOwed]]:
    """The patient A/R open at the end of each of `ends`, as `patients.aging` counts it: each debit still owed
    then, less the shares a later payer had yet to answer (in insurance A/R until it does)."""
    if not practice_ids or not ends:
        return {}
    every = ledgers(db, practice_ids, as_of=max(ends))
    held = held if held is not None else HeldShares(db, practice_ids)
    return {end: [(patient, day, amount) for (_, patient), entries in every.items()
                  for day, amount in due_items([e for e in entries if e[0] <= end], held[end])] for end in ends}


def month_starts(as_of: date, months: int) -> list[date]:
    """The first days of the `months` calendar months ending with the month of `as_of`, oldest first."""
    starts, year, month = [], as_of.year, as_of.month
    for _ in range(months):
        starts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


STOCK_KPIS = ("days_in_ar", "ar_over_90")  # measured on every claim open at the month's end, not the cohort


@dataclass
class MonthKpis:
    month: date
    period_end: date
    claims: int
    values: dict[str, Decimal | None]
    patients: int = 0  # distinct patients of the month's cohort
    open_patients: int = 0  # distinct patients with a claim open at the month's end
    suppressed: frozenset[str] = frozenset()  # KPI ids (and "claims") hidden in a network view: under 11 patients

    @property
    def claims_shown(self) -> int | None:
        return None if "claims" in self.suppressed else self.claims

    def populations(self) -> dict[str, int]:
        return {kpi: self.open_patients if kpi in STOCK_KPIS else self.patients for kpi in self.values}


def month_end(start: date, as_of: date) -> date:
    """The last day of the month starting on `start`, or `as_of` when that comes first (the month so far)."""
    return min(date(start.year, start.month, calendar.monthrange(start.year, start.month)[1]), as_of)


PatientOwed = tuple[int, date, Decimal]  # (patient, the day a debit was posted, what is still owed of it)


def trend(histories: list[ClaimHistory], as_of: date, months: int,
          revenue_cycle_cost: dict[date, Decimal] | None = None,
          patient_ar: dict[date, list[PatientOwed]] | None = None) -> list[MonthKpis]:
    """Every KPI of `kpis.DEFINITIONS` for each of the last `months` months, with `patient_ar` the patient A/R
    open at each month's end (`month_end`) (pure: no I/O)."""
    by_month: dict[date, list[ClaimHistory]] = defaultdict(list)
    for history in histories:
        by_month[history.service_date.replace(day=1)].append(history)
    result = []
    # the book's first date of service (a patient balance older than any claim loaded dates it back too)
    opened = min((*(h.service_date for h in histories),
                  *(day for owed in (patient_ar or {}).values() for _, day, _ in owed)), default=None)
    for start in month_starts(as_of, months):
        end = month_end(start, as_of)
        facts = [h.facts_at(as_of) for h in by_month.get(start, [])]
        cost = (revenue_cycle_cost or {}).get(start)
        values = kpis.summarize(facts, start, end, as_of, cost)
        open_at_end = [(h.patient_id, h.facts_at(end)) for h in histories if h.service_date <= end]
        owed = (patient_ar or {}).get(end, [])  # insurance A/R ages from billing, patient A/R from posting
        every_open = age([*((f.billed_on or f.service_date, f.open_balance) for _, f in open_at_end),
                          *((day, amount) for _, day, amount in owed)], end)
        days = charge_base_days(opened, end)
        base_start = end - timedelta(days=days - 1)
        charges = sum((h.charge_at(end) for h in histories if base_start <= h.service_date <= end), ZERO)
        values["days_in_ar"] = kpis.days_in_ar(every_open.total, charges, days)
        values["ar_over_90"] = kpis.percent_over_90(every_open.over_90, every_open.total)
        result.append(MonthKpis(start, end, len(facts), values,
                                patients=len({h.patient_id for h in by_month.get(start, [])}),
                                open_patients=len({p for p, f in open_at_end if f.open_balance}
                                                  | {patient for patient, _, _ in owed})))
    return result


def charge_base_days(opened: date | None, end: date) -> int:
    """The days of charges days in A/R averages: the `CHARGE_BASE_DAYS` ending at `end`, or, for a book younger
    than that, the days since its first date of service (dividing a young book's charges by 90 days would make each
    day's charges look a fraction of what they are, and its days in A/R that many times too high)."""
    if opened is None:
        return CHARGE_BASE_DAYS
    return max(min(CHARGE_BASE_DAYS, (end - opened).days + 1), 0)


def kpi_trend(db: Session, actor: Actor, as_of: date, months: int = 6, practice_id: int | None = None,
              revenue_cycle_cost: dict[date, Decimal] | None = None) -> list[MonthKpis]:
    """The KPIs of one practice (or every practice the actor may see) month by month up to `as_of`.

    Across several practices, only consenting practices count and a month's KPI computed from fewer
    than 11 patients is hidden (`agreements.aggregation`).
    """
    scope = aggregation.participation(db, practices_allowing(db, actor, MsoAction.POST_PAYMENTS, practice_id))
    ids = list(scope.included)
    first = month_starts(as_of, months)[0]
    held = HeldShares(db, ids) if ids else None  # read once: asked for each payment day and each month's end
    histories = load_histories(db, ids, first - timedelta(days=LOOK_BACK_DAYS), as_of, held) if ids else []
    patient_ar = _patient_ar(db, ids, [month_end(start, as_of) for start in month_starts(as_of, months)], held)
    audit.record(db, actor, "ar.kpis", "practice", practice_id, practice_id=practice_id,
                 reason=f"months={months} as_of={as_of} claims={len(histories)}")
    result = trend(histories, as_of, months, revenue_cycle_cost, patient_ar)
    if scope.is_aggregate:
        for month in result:
            month.suppressed = frozenset(aggregation.suppress(month.values, month.populations())
                                         | ({"claims"} if aggregation.too_small(month.patients) else set()))
        aggregation.record(db, actor, "kpi_trend", scope, len({h.patient_id for h in histories}),
                           sum(len(m.suppressed) for m in result), f"{months} months to {as_of}")
    return result


def as_csv_rows(months: list[MonthKpis]) -> list[list[str]]:
    """Header and one row per month and KPI: the CSV export."""
    rows = [["month", "period_end", "kpi", "name", "value", "unit", "claims", "definition", "source"]]
    for month in months:
        for definition in kpis.DEFINITIONS:
            value = month.values.get(definition.id)
            rows.append([month.month.strftime("%Y-%m"), month.period_end.isoformat(), definition.id,
                         definition.name, "" if value is None else str(value), definition.unit,
                         "" if month.claims_shown is None else str(month.claims),
                         definition.formula, definition.source])
    return rows
