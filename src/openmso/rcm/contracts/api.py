"""Contract API under /api/v1: import a practice's payer fee schedule (CSV) and list the rates on file."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from openmso.core import csv_input
from openmso.core.deps import DB, CurrentActor, OptionalId, Paging, RowId
from openmso.core.pagination import Page
from openmso.rcm.contracts import service
from openmso.rcm.contracts.schemas import ContractRateOut, RateImportOut
from openmso.rcm.contracts.service import RateFilter

router = APIRouter(prefix="/api/v1", tags=["contracts"])


@router.post("/practices/{practice_id}/contract-rates", response_model=RateImportOut,
             openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}})
async def import_rates(practice_id: RowId, request: Request, db: DB, actor: CurrentActor,
                       filename: Annotated[str, Query(min_length=1, max_length=200)] = "fee-schedule.csv"):
    """Import a payer fee schedule (CSV: payer, code, modifier, allowed_amount or percent_of_medicare,
    effective_from, effective_to): every row or, with any problem, none; each problem by line and column."""
    text = csv_input.decode_upload(await request.body(), filename)
    report = service.import_rates(db, actor, practice_id, text, filename)
    return RateImportOut(imported=report.imported, by_payer=report.by_payer)


@router.get("/practices/{practice_id}/contract-rates", response_model=Page[ContractRateOut])
def list_rates(practice_id: RowId, db: DB, actor: CurrentActor, paging: Paging, payer_id: OptionalId = None,
               q: Annotated[str | None, Query(max_length=5, description="a procedure code or its beginning")] = None):
    """The practice's rates on file, by payer, code, modifier and start date."""
    page = service.rates_page(db, actor, practice_id, RateFilter(payer_id, q), paging)
    codes = {payer.id: payer.payer_code for payer in service.rate_payers(db, actor, practice_id)}
    items = [ContractRateOut.model_validate(rate).model_copy(update={"payer_code": codes.get(rate.payer_id, "")})
             for rate in page.rows]
    return {"items": items, "total": page.total, "page": page.params.page, "limit": page.params.limit}
