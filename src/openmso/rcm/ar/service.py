"""A/R use cases as the API, pages and CLI call them: aging of either kind in one shape, underpayments with
payer names, the KPI trend as CSV. The rules live in `aging`, `kpis`, `facts`, `patients` and `reports`."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from openmso.agreements import aggregation
from openmso.core import audit
from openmso.core.tenancy import Actor
from openmso.network.models import Payer
from openmso.rcm.ar import facts, patients, reports, underpaid
from openmso.rcm.ar.aging import BUCKETS, Aging
from openmso.rcm.ar.schemas import AgingBy, AgingKind


@dataclass
class AgingLine:
    key: int | None
    label: str
    aging: Aging
    suppressed: frozenset[str] = frozenset()  # bucket keys, "total" and "credits", hidden as under 11 patients
    in_network_total: bool = True  # the practice consents to its A/R entering the network total

    def shown(self, bucket: str) -> Decimal | None:
        return None if bucket in self.suppressed else self.aging.amounts[bucket]

    @property
    def total(self) -> Decimal | None:
        return None if "total" in self.suppressed else self.aging.total

    @property
    def over_90(self) -> Decimal | None:
        return None if self.suppressed - {reports.CREDITS} else self.aging.over_90

    @property
    def credits(self) -> Decimal | None:
        """Credit balances (owed back), shown beside the open A/R and never netted against it."""
        return None if reports.CREDITS in self.suppressed else self.aging.credits

    def as_dict(self) -> dict:
        hidden = reports.CREDITS in self.suppressed
        return {"key": self.key, "label": self.label, "buckets": {b.key: self.shown(b.key) for b in BUCKETS},
                "counts": {b.key: None if b.key in self.suppressed else self.aging.counts[b.key] for b in BUCKETS},
                "total": self.total, "over_90": self.over_90, "credits": self.credits,
                "credit_count": None if hidden else self.aging.credit_count}


def aging(db: Session, actor: Actor, kind: AgingKind, by: AgingBy, as_of: date,
          practice_id: int | None = None) -> list[AgingLine]:
    """Insurance A/R by practice, payer, provider or network; patient A/R by practice or network.

    Lines that add up several practices take only consenting ones and hide cells under 11 patients
    (`agreements.aggregation`); so does the network total of a by-practice view (`network_total`).
    """
    if kind is AgingKind.PATIENT:
        grouping = "network" if by is AgingBy.NETWORK else "practice"
        rows = patients.aging(db, actor, as_of, practice_id, grouping)
    else:
        rows = reports.insurance_aging(db, actor, as_of, by.value, practice_id)
    lines = [AgingLine(r.key, r.label, r.aging, r.suppressed) for r in rows]
    if by is AgingBy.PRACTICE and len(lines) > 1:
        scope = aggregation.participation(db, [line.key for line in lines])
        for line in lines:
            line.in_network_total = line.key in scope.included
        total = network_total(lines)
        aggregation.record(db, actor, f"{kind.value}_aging_network_total", scope,
                           len(set().union(*total.aging.patients.values(), total.aging.credit_patients)),
                           len(total.suppressed))
    return lines


def network_total(lines: list[AgingLine]) -> AgingLine:
    """The "All" line of consenting practices. A bucket is hidden when it holds fewer than 11 patients; the total
    with any hidden bucket.

    The total of a column less the cells shown on the lines above is the sum of the cells hidden there, so it
    must not be a small cell itself: where the cells hidden in a column hold 1–10 patients between them, the
    smallest cells shown in it are hidden too (complementary suppression, `reports.hide_complements`) until they hold 11
    or more, or, if the column has too few, the column's total is hidden. Without it, with many payers some cell of
    every column is small, and the network line showed nothing."""
    total = Aging()
    counted = [line for line in lines if line.in_network_total]
    reports.hide_complements(counted)
    inherited = {column for column in (*(b.key for b in BUCKETS), "total", reports.CREDITS)
                 if aggregation.too_small(len(reports.patients_hidden(counted, column)))}
    for line in counted:
        for bucket in BUCKETS:
            total.amounts[bucket.key] += line.aging.amounts[bucket.key]
            total.counts[bucket.key] += line.aging.counts[bucket.key]
            total.patients[bucket.key] |= line.aging.patients[bucket.key]
        total.credits += line.aging.credits
        total.credit_count += line.aging.credit_count
        total.credit_patients |= line.aging.credit_patients
    hidden = {column for _, column in aggregation.suppressed_cells({None: total.patient_counts()})
              if column is not None} | inherited
    if aggregation.too_small(len(total.credit_patients)):
        hidden.add(reports.CREDITS)
    suppressed = frozenset(hidden | ({"total"} if hidden - {reports.CREDITS} else set()))
    left_out = sum(1 for line in lines if not line.in_network_total)
    return AgingLine(None, "All consenting practices" if left_out else "All", total, suppressed)


def underpayments(db: Session, actor: Actor, practice_id: int | None = None,
                  tolerance: Decimal = Decimal("1.00")) -> list[dict]:
    """Underpayments summed by payer and code, with the payer's name."""
    rows = reports.underpayments(db, actor, practice_id, tolerance)
    names = payer_names(db, {r.payer_id for r in rows})
    return [{"payer_id": r.payer_id, "payer_name": names.get(r.payer_id, ""), "procedure_code": r.procedure_code,
             "lines": r.lines, "expected": r.expected, "allowed": r.allowed, "difference": r.difference}
            for r in rows]


def underpaid_lines(db: Session, actor: Actor, payer_id: int | None, procedure_code: str | None,
                    practice_id: int | None = None,
                    tolerance: Decimal = Decimal("1.00")) -> list[underpaid.UnderpaidLine]:
    """The lines behind one row of the underpayment worklist (or all of them): what a biller takes to the payer."""
    lines = underpaid.underpaid_lines(db, reports.payment_practices(db, actor, practice_id), tolerance, payer_id,
                                      procedure_code)
    audit.record(db, actor, "ar.underpaid_lines", "practice", practice_id, practice_id=practice_id,
                 reason=f"payer={payer_id} code={procedure_code} tolerance={tolerance} rows={len(lines)}")
    return lines


UNDERPAID_CSV_COLUMNS = ("claim_number", "service_date", "payer", "procedure_code", "modifiers", "units", "contracted",
                         "allowed", "paid", "underpaid", "trace_number", "paid_on")


def underpaid_csv(db: Session, lines: list[underpaid.UnderpaidLine]) -> str:
    """The lines as CSV, one per posted service line, for the payer's provider representative."""
    names = payer_names(db, {line.payer_id for line in lines})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(UNDERPAID_CSV_COLUMNS)
    writer.writerows((line.claim_number, line.service_date.isoformat(), names.get(line.payer_id, ""),
                      line.procedure_code, line.modifiers, line.units, line.expected, line.allowed, line.paid,
                      line.difference, line.trace_number, line.paid_on.isoformat() if line.paid_on else "")
                     for line in lines)
    return out.getvalue()


def payer_names(db: Session, ids) -> dict[int, str]:
    ids = {payer_id for payer_id in ids if payer_id}
    return dict(db.execute(select(Payer.id, Payer.name).where(Payer.id.in_(ids))).all()) if ids else {}


def kpi_csv(months: list[facts.MonthKpis]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(facts.as_csv_rows(months))
    return out.getvalue()
