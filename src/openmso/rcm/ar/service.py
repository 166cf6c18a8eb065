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

from openmso.core.tenancy import Actor
from openmso.network.models import Payer
from openmso.rcm.ar import facts, patients, reports
from openmso.rcm.ar.aging import BUCKETS, Aging
from openmso.rcm.ar.schemas import AgingBy, AgingKind


@dataclass
class AgingLine:
    key: int | None
    label: str
    aging: Aging

    def as_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "buckets": dict(self.aging.amounts),
                "counts": dict(self.aging.counts), "total": self.aging.total, "over_90": self.aging.over_90}


def aging(db: Session, actor: Actor, kind: AgingKind, by: AgingBy, as_of: date,
          practice_id: int | None = None) -> list[AgingLine]:
    """Insurance A/R by practice, payer, provider or network; patient A/R by practice or network."""
    if kind is AgingKind.PATIENT:
        grouping = "network" if by is AgingBy.NETWORK else "practice"
        return [AgingLine(*row) for row in patients.aging(db, actor, as_of, practice_id, grouping)]
    return [AgingLine(r.key, r.label, r.aging)
            for r in reports.insurance_aging(db, actor, as_of, by.value, practice_id)]


def network_total(lines: list[AgingLine]) -> Aging:
    total = Aging()
    for line in lines:
        for bucket in BUCKETS:
            total.amounts[bucket.key] += line.aging.amounts[bucket.key]
            total.counts[bucket.key] += line.aging.counts[bucket.key]
    return total


def underpayments(db: Session, actor: Actor, practice_id: int | None = None,
                  tolerance: Decimal = Decimal("1.00")) -> list[dict]:
    """Underpayments summed by payer and code, with the payer's name."""
    rows = reports.underpayments(db, actor, practice_id, tolerance)
    names = dict(db.execute(select(Payer.id, Payer.name).where(Payer.id.in_({r.payer_id for r in rows if r.payer_id})))
                 .all()) if rows else {}
    return [{"payer_id": r.payer_id, "payer_name": names.get(r.payer_id, ""), "procedure_code": r.procedure_code,
             "lines": r.lines, "expected": r.expected, "allowed": r.allowed, "difference": r.difference}
            for r in rows]


def kpi_csv(months: list[facts.MonthKpis]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(facts.as_csv_rows(months))
    return out.getvalue()
