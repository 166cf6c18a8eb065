"""A/R pages: underpayments, patient balances (statement PDF, payments), aging, and the KPI dashboard with
server-rendered SVG charts and a CSV export link."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, NamedTuple
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from openmso.core.deps import DB, CurrentActor, OptionalId, Paging, RowId
from openmso.core.errors import OpenMSOError
from openmso.core.web import form_problems, render
from openmso.network import service as network
from openmso.rcm.ar import charts, facts, kpis, patients, service, statements
from openmso.rcm.ar.aging import BUCKETS
from openmso.rcm.ar.schemas import AgingBy, AgingKind, BalanceFilter, PatientPaymentIn

router = APIRouter(include_in_schema=False)
AsOf = Annotated[date | None, Query(ge=date(2000, 1, 1), le=date(2100, 1, 1))]


def _practices(db, actor):
    return network.list_practices(db, actor).rows


@router.get("/underpayments")
def underpayments_page(request: Request, db: DB, actor: CurrentActor, practice_id: OptionalId = None,
                       tolerance: Annotated[Decimal, Query(ge=0, le=100000, decimal_places=2)] = Decimal("1.00")):
    rows = service.underpayments(db, actor, practice_id, tolerance)
    return render(request, "ar/underpayments.html", rows=rows, practice_id=practice_id, tolerance=tolerance,
                  practices=_practices(db, actor), total=sum((r["difference"] for r in rows), Decimal("0.00")))


LINES_SHOWN = 500  # the page lists the largest; the CSV export has them all


@router.get("/underpayments/lines")
def underpaid_lines_page(request: Request, db: DB, actor: CurrentActor, payer_id: OptionalId = None,
                         procedure_code: Annotated[str | None, Query(max_length=5, pattern="^[A-Za-z0-9]*$")] = None,
                         practice_id: OptionalId = None,
                         tolerance: Annotated[Decimal, Query(ge=0, le=100000, decimal_places=2)] = Decimal("1.00")):
    procedure_code = procedure_code or None
    lines = service.underpaid_lines(db, actor, payer_id, procedure_code, practice_id, tolerance)
    query = urlencode({key: value for key, value in (("payer_id", payer_id), ("procedure_code", procedure_code),
                                                     ("practice_id", practice_id), ("tolerance", tolerance))
                       if value is not None})
    return render(request, "ar/underpaid_lines.html", lines=lines[:LINES_SHOWN], count=len(lines),
                  total=sum((line.difference for line in lines), Decimal("0.00")),
                  payer_name=service.payer_names(db, {payer_id}).get(payer_id, "") if payer_id else "",
                  procedure_code=procedure_code, practice_id=practice_id, tolerance=tolerance, query=query)


class RefusedPayment(NamedTuple):
    """A payment turned down (by the form's check or the service), shown again on its patient's row."""

    practice_id: int
    patient_id: int
    typed: dict[str, str]  # what the biller typed, kept in the fields so they correct it rather than retype it
    errors: list[dict]


@router.get("/patient-balances")
def balances_page(request: Request, db: DB, actor: CurrentActor, paging: Paging, practice_id: OptionalId = None,
                  balance: BalanceFilter = BalanceFilter.ALL):
    return _balances_page(request, db, actor, paging, practice_id, balance)


def _balances_page(request: Request, db, actor, paging, practice_id: int | None, balance: BalanceFilter,
                   refused: RefusedPayment | None = None, status_code: int = 200):
    found = patients.balance_page(db, actor, paging, practice_id, balance)
    practices = _practices(db, actor)
    return render(request, "ar/balances.html", status_code=status_code, rows=found.rows, found=found,
                  practice_id=practice_id, practices=practices, practice_names={p.id: p.legal_name for p in practices},
                  today=date.today(), balance=balance, filters=list(BalanceFilter), refused=refused)


@router.get("/patient-balances/{practice_id}/{patient_id}/statement.pdf")
def statement(practice_id: RowId, patient_id: RowId, db: DB, actor: CurrentActor):
    pdf = statements.patient_statement(db, actor, practice_id, patient_id)
    return Response(pdf, media_type="application/pdf",
                    headers={"content-disposition": f'inline; filename="statement-{patient_id}.pdf"'})


FormText = Annotated[str, Form(max_length=1000)]  # checked by the API's schema, so a bad value is shown inline


@router.post("/patient-balances/{practice_id}/{patient_id}/payments")
def payment(practice_id: RowId, patient_id: RowId, request: Request, db: DB, actor: CurrentActor, paging: Paging,
            balance: BalanceFilter = BalanceFilter.ALL,
            amount: FormText = "", paid_on: FormText = "", reference: FormText = ""):
    """Post a patient's payment from their row. Refused — a bad amount or date, or more than the service says is
    due — the list the biller posted from (its filters and page ride in the form's query string) comes back with
    the reason on that row and what they typed (422, as the other pages' forms), nothing of the attempt kept. A
    list filtered to a practice holds only its rows, so its filter is the row's practice, when it was given."""
    listed_practice = practice_id if "practice_id" in request.query_params else None
    typed = {"amount": amount.strip(), "paid_on": paid_on.strip(), "reference": reference.strip()}
    try:
        data = PatientPaymentIn.model_validate(typed)
        with db.begin_nested():
            patients.record_payment(db, actor, practice_id, patient_id, data.amount, data.paid_on, data.reference)
    except (ValidationError, OpenMSOError) as error:
        refused = RefusedPayment(practice_id, patient_id, typed, form_problems(error))
        return _balances_page(request, db, actor, paging, listed_practice, balance, refused, 422)
    return RedirectResponse(f"/patient-balances?practice_id={practice_id}", status_code=303)


@router.get("/ar/aging")
def aging_page(request: Request, db: DB, actor: CurrentActor, practice_id: OptionalId = None,
               kind: AgingKind = AgingKind.INSURANCE, by: AgingBy = AgingBy.PRACTICE, as_of: AsOf = None):
    when = as_of or date.today()
    lines = service.aging(db, actor, kind, by, when, practice_id)
    total = service.network_total(lines)
    chart = charts.stacked_bar(f"{kind.value.capitalize()} A/R by age"
                               + (f", {total.total:,} open" if total.total is not None else ""),
                               [(b.label, total.shown(b.key) or 0) for b in BUCKETS])
    return render(request, "ar/aging.html", lines=lines, total=total, buckets=BUCKETS, chart=chart, kind=kind,
                  by=by, as_of=when, practice_id=practice_id, practices=_practices(db, actor), kinds=list(AgingKind),
                  groupings=list(AgingBy) if kind is AgingKind.INSURANCE else [AgingBy.PRACTICE, AgingBy.NETWORK],
                  over_90=kpis.percent_over_90(total.over_90, total.total) if total.over_90 is not None else None)


@router.get("/kpis")
def kpi_dashboard(request: Request, db: DB, actor: CurrentActor, practice_id: OptionalId = None,
                  months: Annotated[int, Query(ge=1, le=36)] = 6, as_of: AsOf = None):
    when = as_of or date.today()
    trend = facts.kpi_trend(db, actor, when, months, practice_id)
    labels = [charts.month_name(m.month) for m in trend]
    cards = [{"definition": d, "latest": next((m.values[d.id] for m in reversed(trend) if m.values[d.id] is not None),
                                              None),
              "chart": charts.line_chart(d.name, [m.month for m in trend], [m.values[d.id] for m in trend], d.unit)}
             for d in kpis.DEFINITIONS if d.id != "cost_to_collect"]
    return render(request, "ar/kpis.html", cards=cards, trend=trend, definitions=kpis.DEFINITIONS, labels=labels,
                  practice_id=practice_id, months=months, as_of=when, practices=_practices(db, actor))
