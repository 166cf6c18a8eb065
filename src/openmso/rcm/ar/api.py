"""A/R API under /api/v1: aging, underpayments, patient balances, payments and statements, KPIs (JSON and CSV)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from openmso.core.deps import DB, CurrentActor, OptionalId, Paging, RowId
from openmso.core.pagination import Page
from openmso.rcm.ar import facts, kpis, patients, service, statements
from openmso.rcm.ar.schemas import (
    AgingBy,
    AgingKind,
    AgingRowOut,
    BalanceFilter,
    KpiDefinitionOut,
    KpiMonthOut,
    PatientBalanceOut,
    PatientPaymentIn,
    PatientPaymentOut,
    UnderpaidLineOut,
    UnderpaymentOut,
)

router = APIRouter(prefix="/api/v1", tags=["accounts receivable"])
AsOf = Annotated[date | None, Query(ge=date(2000, 1, 1), le=date(2100, 1, 1), description="default: today")]
Months = Annotated[int, Query(ge=1, le=36)]


@router.get("/ar/aging", response_model=list[AgingRowOut])
def aging(db: DB, actor: CurrentActor, kind: AgingKind = AgingKind.INSURANCE, by: AgingBy = AgingBy.PRACTICE,
          practice_id: OptionalId = None, as_of: AsOf = None):
    """Open A/R in buckets 0–30, 31–60, 61–90, 91–120 and over 120 days."""
    return [line.as_dict() for line in service.aging(db, actor, kind, by, as_of or date.today(), practice_id)]


@router.get("/underpayments", response_model=list[UnderpaymentOut])
def underpayments(db: DB, actor: CurrentActor, practice_id: OptionalId = None,
                  tolerance: Annotated[Decimal, Query(ge=0, le=100000, decimal_places=2)] = Decimal("1.00")):
    """Posted lines allowed below the contracted amount by more than `tolerance`, summed by payer and code."""
    return service.underpayments(db, actor, practice_id, tolerance)


Tolerance = Annotated[Decimal, Query(ge=0, le=100000, decimal_places=2)]
Code = Annotated[str | None, Query(min_length=1, max_length=5, pattern="^[A-Za-z0-9]+$")]


@router.get("/underpayments/lines", response_model=list[UnderpaidLineOut])
def underpaid_lines(db: DB, actor: CurrentActor, payer_id: OptionalId = None, procedure_code: Code = None,
                    practice_id: OptionalId = None, tolerance: Tolerance = Decimal("1.00")):
    """The posted lines behind the underpayment sums (of one payer and code when given), largest first."""
    return [asdict(line) | {"difference": line.difference}
            for line in service.underpaid_lines(db, actor, payer_id, procedure_code, practice_id, tolerance)]


@router.get("/underpayments/lines.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def underpaid_lines_csv(db: DB, actor: CurrentActor, payer_id: OptionalId = None, procedure_code: Code = None,
                        practice_id: OptionalId = None, tolerance: Tolerance = Decimal("1.00")):
    """The same lines as CSV, for the payer's provider representative."""
    lines = service.underpaid_lines(db, actor, payer_id, procedure_code, practice_id, tolerance)
    return Response(service.underpaid_csv(db, lines), media_type="text/csv",
                    headers={"content-disposition": 'attachment; filename="underpaid-lines.csv"'})


@router.get("/patient-balances", response_model=Page[PatientBalanceOut])
def patient_balances(db: DB, actor: CurrentActor, paging: Paging, practice_id: OptionalId = None,
                     balance: BalanceFilter = BalanceFilter.ALL):
    """Patients who owe something, largest balance first, then credit balances (refunds due, negative and
    flagged `credit`); `balance=owing` or `balance=credit` keeps one kind. Paged (`page`, `limit`). A share
    billed to the patient's other plan and not answered yet is `pending`, not `due`."""
    found = patients.balance_page(db, actor, paging, practice_id, balance)
    return Page(items=[PatientBalanceOut.model_validate(row, from_attributes=True) for row in found.rows],
                total=found.total, page=paging.page, limit=paging.limit)


@router.post("/practices/{practice_id}/patients/{patient_id}/payments", response_model=PatientPaymentOut,
             status_code=201)
def patient_payment(practice_id: RowId, patient_id: RowId, data: PatientPaymentIn, db: DB, actor: CurrentActor):
    entry = patients.record_payment(db, actor, practice_id, patient_id, data.amount, data.paid_on, data.reference)
    return PatientPaymentOut(id=entry.id, patient_id=patient_id, amount=-entry.amount, entered_on=entry.entered_on,
                             balance=patients.balance_after(db, practice_id, patient_id))


@router.get("/practices/{practice_id}/patients/{patient_id}/statement", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
def statement(practice_id: RowId, patient_id: RowId, db: DB, actor: CurrentActor):
    """The patient's statement PDF."""
    pdf = statements.patient_statement(db, actor, practice_id, patient_id)
    return Response(pdf, media_type="application/pdf",
                    headers={"content-disposition": f'inline; filename="statement-{patient_id}.pdf"'})


@router.get("/kpis/definitions", response_model=list[KpiDefinitionOut])
def kpi_definitions():
    """Each KPI's formula and source (HFMA MAP Keys, MGMA)."""
    return [asdict(d) for d in kpis.DEFINITIONS]


@router.get("/kpis", response_model=list[KpiMonthOut])
def kpi_trend(db: DB, actor: CurrentActor, practice_id: OptionalId = None, as_of: AsOf = None, months: Months = 6):
    """Every KPI month by month, for one practice or every practice you may see."""
    months_kpis = facts.kpi_trend(db, actor, as_of or date.today(), months, practice_id)
    return [KpiMonthOut(month=m.month.strftime("%Y-%m"), period_end=m.period_end, claims=m.claims_shown,
                        values=m.values) for m in months_kpis]


@router.get("/kpis.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def kpi_export(db: DB, actor: CurrentActor, practice_id: OptionalId = None, as_of: AsOf = None, months: Months = 6):
    """The same KPIs as CSV: one row per month and KPI, with the definition beside the value."""
    months_kpis = facts.kpi_trend(db, actor, as_of or date.today(), months, practice_id)
    return Response(service.kpi_csv(months_kpis), media_type="text/csv",
                    headers={"content-disposition": 'attachment; filename="kpis.csv"'})
