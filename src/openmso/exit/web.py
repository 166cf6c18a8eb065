"""Exit pages on the practice page's tabs: exit readiness (the transition plan and its dry run, the exit
package) and data access (the report, filtered, paged, exported as CSV)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, RedirectResponse

from openmso.agreements.catalogue import DATA_CLASS_LABELS, DataClass
from openmso.core import audit, jobs
from openmso.core.deps import DB, AppSettings, CurrentActor, Paging, RowId
from openmso.core.errors import NotFound
from openmso.core.jobs_api import job_view
from openmso.core.web import is_htmx, render
from openmso.exit import data_access
from openmso.exit.api import AsOf, Filter
from openmso.exit.package import service as packaging
from openmso.exit.plan_service import transition_plan
from openmso.exit.tasks import PACKAGE_JOB, packages_dir, published_fingerprint, start_package_job
from openmso.network import service as network

router = APIRouter(include_in_schema=False)
PACKAGE_NAME = re.compile(r"^practice-(\d+)-\d{8}T\d{6}Z\.zip$")
FileName = Annotated[str, Query(max_length=80)]


@router.get("/practices/{practice_id}/exit-readiness")
def exit_readiness(practice_id: RowId, request: Request, db: DB, actor: CurrentActor, settings: AppSettings,
                   as_of: AsOf = None):
    practice = network.get_practice(db, actor, practice_id)
    plan = transition_plan(db, actor, practice.id, as_of)
    builds = [job_view(request, job) for job in jobs.recent(db, actor, PACKAGE_JOB, practice.id, limit=3)]
    return render(request, "exit/readiness.html", practice=practice, plan=plan, tab="exit", today=date.today(),
                  dry_run=as_of is None or as_of == date.today(), builds=builds,
                  signing_fingerprint=published_fingerprint(settings))


@router.post("/practices/{practice_id}/exit-package")
def request_package(practice_id: RowId, request: Request, db: DB, actor: CurrentActor):
    """Start building the practice's exit package as one archive on the server; the page follows the job
    and offers the archive for download when it is done."""
    start_package_job(db, actor, practice_id, request.app.state.jobs)
    return RedirectResponse(f"/practices/{practice_id}/exit-readiness#exit-package", status_code=303)


@router.get("/practices/{practice_id}/exit-package")
def download_package(practice_id: RowId, filename: FileName, db: DB, actor: CurrentActor, settings: AppSettings):
    """A package built earlier, to whoever may export the practice's records."""
    practice = network.get_practice(db, actor, practice_id)
    match = PACKAGE_NAME.match(filename)
    path = packages_dir(settings) / filename
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
