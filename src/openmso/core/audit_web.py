"""The audit-trail browser for auditors and administrators, with CSV export of the same filter."""

from __future__ import annotations

from fastapi import APIRouter, Request

from openmso.core import audit
from openmso.core.audit_api import Filter
from openmso.core.deps import DB, CurrentActor, Paging
from openmso.core.web import render

router = APIRouter(include_in_schema=False)


@router.get("/audit")
def audit_page(request: Request, db: DB, actor: CurrentActor, criteria: Filter, paging: Paging):
    entries = audit.browse(db, actor, criteria, paging)
    return render(request, "core/audit.html", entries=entries, criteria=criteria,
                  export_query=request.url.query)
