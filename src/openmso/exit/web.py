"""Exit pages on the practice page's tabs: exit readiness (the transition plan and its dry run, the exit
package) and data access (the report, filtered, paged, exported as CSV)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, RedirectResponse

from openmso.agreements.catalogue import DATA_CLASS_LABELS, DataClass
from openmso.core import audit
from openmso.core.deps import DB, AppSettings, CurrentActor, Paging, RowId
from openmso.core.errors import NotFound
from openmso.core.types import utcnow
from openmso.core.web import is_htmx, render
from openmso.exit import data_access
from openmso.exit.api import AsOf, Filter
from openmso.exit.package import service as packaging
from openmso.exit.plan_service import transition_plan
from openmso.network import service as network

router = APIRouter(include_in_schema=False)
PACKAGE_NAME = re.compile(r"^practice-(\d+)-\d{8}T\d{6}Z\.zip$")
FileName = Annotated[str, Query(max_length=80)]
BuiltName = Annotated[str | None, Query(max_length=80)]


def _packages_dir(settings) -> Path:
    return Path(settings.var_dir) / "exit-packages"


@router.get("/practices/{practice_id}/exit-readiness")
def exit_readiness(practice_id: RowId, request: Request, db: DB, actor: CurrentActor, settings: AppSettings,
                   as_of: AsOf = None, filename: BuiltName = None):
    practice = network.get_practice(db, actor, practice_id)
    plan = transition_plan(db, actor, practice.id, as_of)
    built = filename if filename and PACKAGE_NAME.match(filename) and \
        (_packages_dir(settings) / filename).is_file() else None
    return render(request, "exit/readiness.html", practice=practice, plan=plan, tab="exit", today=date.today(),
                  dry_run=as_of is None or as_of == date.today(), built=built)


@router.post("/practices/{practice_id}/exit-package")
def request_package(practice_id: RowId, db: DB, actor: CurrentActor, settings: AppSettings):
    """Build the practice's exit package as one archive on the server, then offer it for download."""
    practice = network.get_practice(db, actor, practice_id)
    stem = f"practice-{practice.id}-{utcnow():%Y%m%dT%H%M%SZ}"
    _packages_dir(settings).mkdir(parents=True, exist_ok=True)
    result = packaging.build_package(db, actor, practice.id, _packages_dir(settings) / stem, archive="zip")
    return RedirectResponse(f"/practices/{practice.id}/exit-readiness?filename={result.path.name}", status_code=303)


@router.get("/practices/{practice_id}/exit-package")
def download_package(practice_id: RowId, filename: FileName, db: DB, actor: CurrentActor, settings: AppSettings):
    """A package built earlier, to whoever may export the practice's records."""
    practice = network.get_practice(db, actor, practice_id)
    match = PACKAGE_NAME.match(filename)
    path = _packages_dir(settings) / filename
    if match is None or int(match.group(1)) != practice.id or not path.is_file():
        raise NotFound("Exit package not found")
    clause = packaging.export_clause(db, actor, practice.id)
    audit.record(db, actor, "exit.package_download", "practice", practice.id, practice_id=practice.id,
                 reason=f"{filename} ({clause})"[:500])
    return FileResponse(path, media_type="application/zip", filename=filename)


@router.get("/practices/{practice_id}/data-access")
def data_access_page(practice_id: RowId, request: Request, db: DB, actor: CurrentActor, criteria: Filter,
                     paging: Paging):
    practice = network.get_practice(db, actor, practice_id)
    result = data_access.report(db, actor, practice.id, criteria, paging)
    context = dict(practice=practice, slice=result, rows=[data_access.as_row(e) for e in result.rows],
                   criteria=criteria, readers=data_access.readers(db, actor, practice.id), tab="data_access",
                   classes=[(c.value, DATA_CLASS_LABELS[c]) for c in DataClass],
                   class_labels={c.value: DATA_CLASS_LABELS[c] for c in DataClass}, target="#data-access",
                   base_path=f"/practices/{practice.id}/data-access")
    if is_htmx(request):
        return render(request, "exit/_data_access_table.html", **context)
    return render(request, "exit/data_access.html", **context)
