"""A practice's exit package as long work: the same steps for the command line and for a job started
from the exit-readiness page.

The export is authorized and recorded first (committed), written in one read snapshot that blocks
no writer however long it takes, and its outcome recorded last, so the trail shows a failed export
as plainly as a finished one.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from openmso.core import job_runner, jobs, signing
from openmso.core.db import snapshot_factory, unit_of_work
from openmso.core.errors import OpenMSOError
from openmso.core.jobs import Job
from openmso.core.settings import Settings
from openmso.core.tenancy import Actor
from openmso.core.types import utcnow
from openmso.exit.package import service
from openmso.exit.package.service import PackageResult, Progress
from openmso.network import service as network

PACKAGE_JOB = "exit.package"


def export_package(factory: sessionmaker[Session], actor: Actor, practice_id: int, out: Path, *,
                   var_dir: Path, archive: str | None = None, progress: Progress | None = None) -> PackageResult:
    """Export the practice's package to `out`, its manifest signed with the MSO's key kept under `var_dir`
    (`core.signing`); any failure, an unusable key too, is recorded on the trail, then raised."""
    try:
        signing_key = signing.load_or_create(var_dir)
        with unit_of_work(factory) as db:
            clause = service.begin_export(db, actor, practice_id, out)
        with unit_of_work(snapshot_factory(factory)) as db:
            result = service.write_package(db, actor, practice_id, out, clause, archive=archive, progress=progress,
                                           signing_key=signing_key)
    except Exception as error:  # a full disk or a dead helper process is as much a failed export
        detail = error.detail if isinstance(error, OpenMSOError) else f"{type(error).__name__}: {error}"
        with unit_of_work(factory) as db:
            service.record_outcome(db, actor, practice_id, None, detail)
        raise
    with unit_of_work(factory) as db:
        service.record_outcome(db, actor, practice_id, result)
    return result


def describe(result: PackageResult) -> str:
    counts = result.manifest["database_counts"]
    return (f"{len(result.manifest['files'])} files, {result.rows:,} table rows, "
            f"{sum(counts['fhir'].values()):,} FHIR resources, in {result.seconds:.1f} s.")


def published_fingerprint(settings: Settings) -> str:
    """The fingerprint of the MSO's signing key as the exit page shows it, or why there is none (never
    made here: a page view does not create a key)."""
    try:
        key = signing.load(settings.var_dir)
    except signing.SigningKeyError as error:
        return f"unavailable: {error.detail}"
    return signing.fingerprint(key) if key is not None else "not made yet (it is made at the first export)"


def packages_dir(settings: Settings) -> Path:
    """Where packages built from the web are kept for download."""
    return Path(settings.var_dir) / "exit-packages"


def download_href(practice_id: int, filename: str) -> str:
    return f"/practices/{practice_id}/exit-package?filename={filename}"


def start_package_job(db: Session, actor: Actor, practice_id: int, runner: job_runner.JobRunner) -> Job:
    """Queue the practice's package as one archive, refusing now (not minutes later in the job) those who
    may not export it; the job is committed before the runner takes it."""
    practice = network.get_practice(db, actor, practice_id)
    service.export_clause(db, actor, practice.id)
    stem = f"practice-{practice.id}-{utcnow():%Y%m%dT%H%M%SZ}"
    job = jobs.create(db, actor, PACKAGE_JOB, practice.id, {"practice_id": practice.id, "stem": stem})
    db.commit()
    runner.start(job.id)
    return job


def _package_job(context: job_runner.JobContext) -> dict:
    practice_id = context.params["practice_id"]
    directory = packages_dir(context.settings)
    directory.mkdir(parents=True, exist_ok=True)
    try:
        result = export_package(context.factory, context.actor, practice_id, directory / context.params["stem"],
                                var_dir=context.settings.var_dir, archive="zip",
                                progress=lambda step: context.progress(step))
    except OpenMSOError as error:
        # Everyone who sees the practice sees the job's error: it names the package, not the server's folders.
        error.detail = error.detail.replace(f"{directory}{os.sep}", "")
        raise
    name = result.path.name
    return {"filename": name, "summary": f"Package built: {describe(result)}",
            "links": [{"href": download_href(practice_id, name), "label": f"Download {name}"}]}


job_runner.register(PACKAGE_JOB, "Exit package", _package_job)
