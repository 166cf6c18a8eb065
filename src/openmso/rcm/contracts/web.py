"""Contract pages: which practices have fee schedules on file, and one practice's rates with a CSV
upload whose problems are shown by line and column. The same services as the API; no rules here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import RedirectResponse

from openmso.core import csv_input
from openmso.core.deps import DB, CurrentActor, OptionalId, Paging, RowId
from openmso.core.errors import FieldError, Invalid
from openmso.core.pagination import PageParams
from openmso.core.web import render
from openmso.network import service as network
from openmso.rcm.contracts import service
from openmso.rcm.contracts.service import RateFilter

router = APIRouter(include_in_schema=False)
Code = Annotated[str | None, Query(max_length=5)]


@router.get("/contracts")
def contracts_page(request: Request, db: DB, actor: CurrentActor):
    """The practices the user sees, with how many rates each has on file."""
    return render(request, "contracts/index.html", practices=network.list_practices(db, actor).rows,
                  counts=service.rate_counts(db, actor))


def _rates_page(request: Request, db, actor, practice_id: int, criteria: RateFilter, paging: PageParams,
                status_code: int = 200, **context):
    practice = network.get_practice(db, actor, practice_id)
    payers = service.rate_payers(db, actor, practice_id)
    return render(request, "contracts/rates.html", status_code=status_code, practice=practice, payers=payers,
                  payer_by_id={payer.id: payer for payer in payers}, criteria=criteria,
                  rates=service.rates_page(db, actor, practice_id, criteria, paging),
                  **{"imported": None, "problems": [], "detail": "", **context})


@router.get("/practices/{practice_id}/contract-rates")
def rates_page(practice_id: RowId, request: Request, db: DB, actor: CurrentActor, paging: Paging,
               payer_id: OptionalId = None, q: Code = None, imported: OptionalId = None):
    """One practice's fee schedules on file (fixed amounts and % of Medicare terms, effective-dated)."""
    return _rates_page(request, db, actor, practice_id, RateFilter(payer_id, q or None), paging, imported=imported)


def _problem_rows(errors: list[FieldError]) -> list[dict]:
    return [{"line": str(e.location[0]) if e.location else "", "column": " ".join(str(p) for p in e.location[1:]),
             "message": e.message} for e in errors]


@router.post("/practices/{practice_id}/contract-rates")
async def upload_rates(practice_id: RowId, request: Request, db: DB, actor: CurrentActor,
                       file: Annotated[UploadFile, File()]):
    """Import an uploaded fee schedule: every row or none; on a problem the page lists each by line and column."""
    filename = (file.filename or "fee-schedule.csv")[:200]
    try:
        report = service.import_rates(db, actor, practice_id, csv_input.decode_upload(await file.read(), filename),
                                      filename)
    except Invalid as error:
        return _rates_page(request, db, actor, practice_id, RateFilter(), PageParams(), status_code=422,
                           problems=_problem_rows(error.errors), detail=error.detail)
    return RedirectResponse(f"/practices/{practice_id}/contract-rates?imported={report.imported}", status_code=303)
