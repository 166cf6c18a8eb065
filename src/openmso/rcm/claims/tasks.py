"""Submitting ready claims from the batches page runs as a job: building a large day's 837P batches and
sending them takes longer than a browser should wait, and the job's result says what was sent."""

from __future__ import annotations

from sqlalchemy.orm import Session

from openmso.core import job_runner, jobs
from openmso.core.db import unit_of_work
from openmso.core.jobs import Job
from openmso.core.tenancy import Actor, ensure_role
from openmso.network import service as network
from openmso.rcm.claims import access
from openmso.rcm.clearinghouse import service as clearinghouse

SUBMIT_JOB = "claims.submit"


def batches_href(practice_id: int | None) -> str:
    return f"/claims/batches?practice_id={practice_id}" if practice_id else "/claims/batches"


def start_submit_job(db: Session, actor: Actor, practice_id: int | None, runner: job_runner.JobRunner) -> Job:
    """Queue the submission of the ready claims (of one practice, or all the actor may submit), refusing
    at once those who may not submit; the job is committed before the runner takes it."""
    ensure_role(actor, access.SUBMITTERS, "submit claims")
    if practice_id is not None:
        network.get_practice(db, actor, practice_id)
        access.can_submit(db, actor, practice_id, object_type="claim_batch")
    job = jobs.create(db, actor, SUBMIT_JOB, practice_id, {"practice_id": practice_id})
    db.commit()
    runner.start(job.id)
    return job


def _submit_job(context: job_runner.JobContext) -> dict:
    practice_id = context.params.get("practice_id")
    with unit_of_work(context.factory) as db:
        adapter = clearinghouse.connect(db, context.settings.var_dir)
    built = 0

    def advance(claims: int) -> None:
        nonlocal built
        built += claims
        context.progress(f"building 837P batches: {built:,} claims", built)

    report = clearinghouse.submit(context.factory, context.actor, adapter, practice_id=practice_id,
                                  progress=advance)
    summary = f"{report.claims} claim(s) submitted; {report.sent} batch(es) sent via {adapter.name}."
    if report.failed:
        summary += f" Not sent (kept for the next submission): {'; '.join(report.failed)}."
    return {"batches": report.batches, "claims": report.claims, "sent": report.sent, "failed": report.failed,
            "batch_ids": report.batch_ids, "summary": summary,
            "links": [{"href": batches_href(practice_id), "label": "See the batches"}]}


job_runner.register(SUBMIT_JOB, "Claim submission", _submit_job)
