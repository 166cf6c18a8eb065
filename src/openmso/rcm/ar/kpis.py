"""Revenue-cycle KPIs: each one's definition written down as data, and its formula as a pure function.

Definitions follow the HFMA MAP Keys (Healthcare Financial Management Association, "MAP Keys",
hfma.org/map-keys) where HFMA defines the measure, and the common physician-practice definition
(MGMA) where it does not; `source` says which. The functions take plain numbers so they can be
tested on a hand-made book and fed by any query; a ratio with a zero denominator is `None`
("no data"), never zero or an error.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from openmso.rcm.ar.aging import age

HFMA = "HFMA MAP Keys (hfma.org/map-keys)"
MGMA = "MGMA physician-practice revenue-cycle definitions"
ONE_DECIMAL = Decimal("0.1")


@dataclass(frozen=True, slots=True)
class KpiDefinition:
    id: str
    name: str
    formula: str
    unit: str  # "days" or "%"
    better: str  # "lower" or "higher"
    source: str


DEFINITIONS: tuple[KpiDefinition, ...] = (
    KpiDefinition("days_in_ar", "Days in A/R",
                  "open A/R, insurance and patient, at the month's end ÷ (gross charges of the 90 days ending "
                  "then ÷ 90; of the days since the first date of service when the book is younger)",
                  "days", "lower",
                  f"{HFMA}: Net Days in A/R (we divide by gross charges, the practice convention, "
                  "so contract changes do not move it, averaged over three months so a quiet month does not "
                  "swing it)"),
    KpiDefinition("ar_over_90", "% of A/R over 90 days",
                  "open A/R aged more than 90 days (insurance from billing, patient from posting) ÷ all open "
                  "A/R", "%", "lower",
                  f"{HFMA}: Aged A/R as a percentage of billed A/R"),
    KpiDefinition("clean_claim_rate", "Clean claim rate",
                  "claims that passed the scrubber with no edit on the first pass ÷ claims scrubbed", "%",
                  "higher", f"{HFMA}: Clean claim rate"),
    KpiDefinition("first_pass_resolution_rate", "First-pass resolution rate",
                  "claims paid in full or in part on their first adjudication ÷ claims adjudicated", "%",
                  "higher", MGMA),
    KpiDefinition("denial_rate", "Denial rate",
                  "claims denied (zero paid) on their first remittance ÷ claims remitted", "%", "lower",
                  f"{HFMA}: Initial denial rate (zero-pay claims)"),
    KpiDefinition("net_collection_rate", "Net collection rate",
                  "payments, payer and patient ÷ (charges − contractual adjustments)", "%", "higher", MGMA),
    KpiDefinition("gross_collection_rate", "Gross collection rate", "payments, payer and patient ÷ charges", "%",
                  "higher", MGMA),
    KpiDefinition("charge_lag", "Charge lag", "average days from date of service to charge entry", "days",
                  "lower", f"{HFMA}: Days in total discharged not final billed (the physician analogue)"),
    KpiDefinition("payment_posting_lag", "Payment posting lag",
                  "average days from the payment date (BPR16) to posting", "days", "lower", MGMA),
    KpiDefinition("cost_to_collect", "Cost to collect",
                  "revenue-cycle operating cost ÷ patient service cash collected (payer and patient payments)",
                  "%", "lower",
                  f"{HFMA}: Cost to collect"),
)
BY_ID = {d.id: d for d in DEFINITIONS}


def _ratio(numerator: Decimal | int, denominator: Decimal | int, scale: int = 100) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) * scale / Decimal(denominator)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def days_in_ar(open_ar: Decimal, charges: Decimal, days: int) -> Decimal | None:
    """Open A/R divided by the average charges per day of the period (usually the last 90 days)."""
    if not charges or not days:
        return None
    return (Decimal(open_ar) * days / Decimal(charges)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def percent_over_90(over_90: Decimal, open_ar: Decimal) -> Decimal | None:
    return _ratio(over_90, open_ar)


def clean_claim_rate(clean_first_pass: int, scrubbed: int) -> Decimal | None:
    return _ratio(clean_first_pass, scrubbed)


def first_pass_resolution_rate(paid_first_time: int, adjudicated: int) -> Decimal | None:
    return _ratio(paid_first_time, adjudicated)


def denial_rate(denied: int, remitted: int) -> Decimal | None:
    return _ratio(denied, remitted)


def net_collection_rate(payments: Decimal, charges: Decimal, contractual: Decimal) -> Decimal | None:
    return _ratio(payments, Decimal(charges) - Decimal(contractual))


def gross_collection_rate(payments: Decimal, charges: Decimal) -> Decimal | None:
    return _ratio(payments, charges)


def average_lag(pairs: Iterable[tuple[date, date]]) -> Decimal | None:
    """Average whole days from the first date of each pair to the second (charge lag, posting lag)."""
    total = count = 0
    for start, end in pairs:
        total += (end - start).days
        count += 1
    return _ratio(total, count, scale=1)


def cost_to_collect(revenue_cycle_cost: Decimal, cash_collected: Decimal) -> Decimal | None:
    """A hook: the MSO supplies its revenue-cycle cost (staff, clearinghouse, vendors) for the period."""
    return _ratio(revenue_cycle_cost, cash_collected)


@dataclass(frozen=True, slots=True)
class ClaimFacts:
    """What the KPIs need to know about one claim of the period (loaded by `ar.reports`)."""

    charge: Decimal
    service_date: date
    charge_entered: date
    billed_on: date | None
    clean_first_pass: bool | None  # None: never scrubbed
    first_adjudication: str | None  # "paid", "denied" or None (not remitted yet)
    paid: Decimal = Decimal("0.00")  # by the payer
    contractual: Decimal = Decimal("0.00")
    open_balance: Decimal = Decimal("0.00")  # insurance A/R
    paid_on: date | None = None
    posted_on: date | None = None
    patient_paid: Decimal = Decimal("0.00")  # patient payments applied to it (`patients.payments_by_claim`)


def summarize(facts: Iterable[ClaimFacts], period_start: date, period_end: date, as_of: date,
              revenue_cycle_cost: Decimal | None = None) -> dict[str, Decimal | None]:
    """Every KPI of `DEFINITIONS` for the claims of one period (one pass over the facts)."""
    rows = list(facts)
    charges = sum((f.charge for f in rows), Decimal("0.00"))
    collected = sum((f.paid + f.patient_paid for f in rows), Decimal("0.00"))  # all payments, as HFMA counts cash
    contractual = sum((f.contractual for f in rows), Decimal("0.00"))
    aging = age(((f.billed_on or f.service_date, f.open_balance) for f in rows), as_of)
    scrubbed = [f for f in rows if f.clean_first_pass is not None]
    adjudicated = [f for f in rows if f.first_adjudication is not None]
    days = (period_end - period_start).days + 1
    return {
        "days_in_ar": days_in_ar(aging.total, charges, days),
        "ar_over_90": percent_over_90(aging.over_90, aging.total),
        "clean_claim_rate": clean_claim_rate(sum(1 for f in scrubbed if f.clean_first_pass), len(scrubbed)),
        "first_pass_resolution_rate": first_pass_resolution_rate(
            sum(1 for f in adjudicated if f.first_adjudication == "paid"), len(adjudicated)),
        "denial_rate": denial_rate(sum(1 for f in adjudicated if f.first_adjudication == "denied"), len(adjudicated)),
        "net_collection_rate": net_collection_rate(collected, charges, contractual),
        "gross_collection_rate": gross_collection_rate(collected, charges),
        "charge_lag": average_lag((f.service_date, f.charge_entered) for f in rows),
        "payment_posting_lag": average_lag((f.paid_on, f.posted_on) for f in rows if f.paid_on and f.posted_on),
        "cost_to_collect": None if revenue_cycle_cost is None else cost_to_collect(revenue_cycle_cost, collected),
    }
