"""Jobs: long work recorded, run on a worker thread, watched through its status, and who may see it."""

from __future__ import annotations

import os
import threading
import time

import pytest
from sqlalchemy import select

from openmso.core import audit, job_runner, jobs
from openmso.core.audit import AuditEntry
from openmso.core.db import unit_of_work
from openmso.core.errors import Forbidden, Invalid
from openmso.core.job_runner import JobRunner, recover_interrupted
from openmso.core.jobs import Job, JobStatus
from openmso.core.tenancy import SYSTEM, Role
from openmso.identity.service import actor_for
from tests.conftest import test_settings as settings_for
from tests.factories import add_practice, add_user, signed_in

released = threading.Event()


def _waits_for_release(context: job_runner.JobContext) -> dict:
    context.progress("counting", 3, 4)
    if not released.wait(timeout=30):
        raise TimeoutError("never released")
    return {"summary": f"counted {context.params['n']}", "links": [{"href": "/done", "label": "Open it"}]}


def _refuses(context: job_runner.JobContext) -> dict:
    raise Invalid("practice_id: the practice has no signed agreement")


def _breaks(context: job_runner.JobContext) -> dict:
    raise ZeroDivisionError("division by zero in some helper")


def _refused_with_trail(context: job_runner.JobContext) -> dict:
    with unit_of_work(context.factory) as db:
        audit.record_refusal(db, context.actor, "test.refused", "practice", None, reason="refused inside a job")
        raise Forbidden("Your role may not do this")


def _whoami(context: job_runner.JobContext) -> dict:
    return {"actor": context.actor.username, "role": str(context.actor.role)}


job_runner.register("test.wait", "Waiting test job", _waits_for_release)
job_runner.register("test.refuse", "Refusing test job", _refuses)
job_runner.register("test.break", "Breaking test job", _breaks)
job_runner.register("test.whoami", "Who-am-I test job", _whoami)
job_runner.register("test.refused-with-trail", "Refused test job", _refused_with_trail)


def _finished(factory, job_id: int, timeout: float = 20.0) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with unit_of_work(factory) as db:
            job = db.get(Job, job_id)
            if job.finished:
                return job
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not finish")


@pytest.fixture
def file_settings(tmp_path, cli_url):
    return settings_for(tmp_path, cli_url)


def _queued(factory, kind: str, params: dict | None = None, actor=SYSTEM, practice_id=None) -> int:
    with unit_of_work(factory) as db:
        return jobs.create(db, actor, kind, practice_id, params or {}).id


def test_a_job_runs_on_a_worker_thread_with_live_progress_then_keeps_its_result(cli_sessions, file_settings):
    """A real file database and a real thread: the request that queued the job is long gone while it runs."""
    runner = JobRunner(cli_sessions, file_settings, workers=1)
    released.clear()
    try:
        job_id = _queued(cli_sessions, "test.wait", {"n": 7})
        runner.start(job_id)
        deadline = time.monotonic() + 10
        while runner.progress(job_id) is None or runner.progress(job_id).step != "counting":
            assert time.monotonic() < deadline, "the job never reported progress"
            time.sleep(0.01)
        assert runner.progress(job_id).percent == 75
        with unit_of_work(cli_sessions) as db:
            running = db.get(Job, job_id)
            assert running.status == JobStatus.RUNNING and running.started_at is not None
            assert running.runner == jobs.runner_id() and f":{os.getpid()}:" in running.runner
        released.set()
        done = _finished(cli_sessions, job_id)
        assert done.status == JobStatus.SUCCEEDED and done.finished_at >= done.started_at
        assert done.outcome == {"summary": "counted 7", "links": [{"href": "/done", "label": "Open it"}]}
        assert runner.progress(job_id) is None
    finally:
        released.set()
        runner.shutdown()


def test_failures_are_recorded_in_words_and_the_worker_goes_on(cli_sessions, file_settings, caplog):
    runner = JobRunner(cli_sessions, file_settings, workers=1)
    try:
        refused, broken = _queued(cli_sessions, "test.refuse"), _queued(cli_sessions, "test.break")
        unknown = _queued(cli_sessions, "test.nobody-handles-this")
        for job_id in (refused, broken, unknown):
            runner.start(job_id)
        assert _finished(cli_sessions, refused).error == "practice_id: the practice has no signed agreement"
        failed = _finished(cli_sessions, broken)
        assert failed.status == JobStatus.FAILED
        assert failed.error == "Unexpected error (ZeroDivisionError); the server log has the details"
        assert "division by zero in some helper" in caplog.text  # the details went to the log, not the page
        assert _finished(cli_sessions, unknown).error == "No handler is registered for this kind of job"
        after = _queued(cli_sessions, "test.whoami")
        runner.start(after)
        assert _finished(cli_sessions, after).outcome == {"actor": "system", "role": "mso_admin"}
    finally:
        runner.shutdown()


def test_a_job_acts_as_its_requester_as_they_are_when_it_starts(cli_sessions, file_settings):
    runner = JobRunner(cli_sessions, file_settings, workers=0)
    with unit_of_work(cli_sessions) as db:
        practice = add_practice(db, "jobs")
        user = add_user(db, Role.PRACTICE_ADMIN, practice)
        requester = actor_for(user)
        active = jobs.create(db, requester, "test.whoami", practice.id, {}).id
        deactivated = jobs.create(db, requester, "test.whoami", practice.id, {}).id
    runner.start(active)
    assert _finished(cli_sessions, active).outcome == {"actor": user.username, "role": "practice_admin"}
    with unit_of_work(cli_sessions) as db:
        db.get(type(user), user.id).active = False
    runner.start(deactivated)
    assert _finished(cli_sessions, deactivated).error == "The user who started this job is no longer active"


def test_jobs_a_stopped_server_left_behind_are_marked_failed_on_the_next_start(cli_sessions):
    host, pid = job_runner.socket.gethostname(), os.getpid()

    def job(status: JobStatus, runner: str) -> Job:
        return Job(kind="test.wait", requester="x", status=status.value, runner=runner)

    with unit_of_work(cli_sessions) as db:
        dead = job(JobStatus.RUNNING, f"{host}:99999999:0badc0de")
        never_started = job(JobStatus.QUEUED, f"{host}:99999998:0badc0de")
        pid_came_round = job(JobStatus.RUNNING, f"{host}:{pid}:0badc0de")  # an earlier process with our pid
        ours = job(JobStatus.RUNNING, jobs.runner_id())
        elsewhere = job(JobStatus.RUNNING, "other-host:1:0badc0de")
        finished = job(JobStatus.SUCCEEDED, f"{host}:99999999:0badc0de")
        db.add_all([dead, never_started, pid_came_round, ours, elsewhere, finished])
    assert recover_interrupted(cli_sessions) == 3
    with unit_of_work(cli_sessions) as db:
        states = {row.id: (row.status, row.error) for row in db.query(Job)}
    stopped = (JobStatus.FAILED.value, "The server stopped before this job finished; start it again")
    assert states[dead.id] == states[never_started.id] == states[pid_came_round.id] == stopped
    assert states[ours.id][0] == states[elsewhere.id][0] == JobStatus.RUNNING.value  # alive, or not ours to judge
    assert states[finished.id] == (JobStatus.SUCCEEDED.value, None)


def test_at_shutdown_the_jobs_still_queued_are_failed(cli_sessions, file_settings):
    runner = JobRunner(cli_sessions, file_settings, workers=1)
    released.clear()
    busy, waiting = _queued(cli_sessions, "test.wait", {"n": 1}), _queued(cli_sessions, "test.whoami")
    runner.start(busy)
    runner.start(waiting)
    deadline = time.monotonic() + 10
    while runner.progress(busy) is None or runner.progress(busy).step != "counting":  # busy holds the worker
        assert time.monotonic() < deadline, "the first job never started"
        time.sleep(0.01)
    runner.shutdown()
    released.set()
    assert _finished(cli_sessions, busy).status == JobStatus.SUCCEEDED  # the running one was let finish
    left = _finished(cli_sessions, waiting)
    assert (left.status, left.error) == (JobStatus.FAILED, job_runner.STOPPED)


def test_a_refusal_inside_a_job_stays_on_the_trail(cli_sessions, file_settings):
    runner = JobRunner(cli_sessions, file_settings, workers=0)
    job_id = _queued(cli_sessions, "test.refused-with-trail")
    runner.start(job_id)
    assert _finished(cli_sessions, job_id).error == "Your role may not do this"
    with unit_of_work(cli_sessions) as db:
        entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "test.refused")).one()
        assert (entry.outcome, entry.reason) == ("refused", "refused inside a job")


@pytest.fixture
def two_practices(db):
    return add_practice(db, "jobs-a"), add_practice(db, "jobs-b")


def test_a_job_is_seen_by_its_requester_and_by_those_who_see_its_practice(client, db, settings, two_practices):
    mine, theirs = two_practices
    owner = add_user(db, Role.PRACTICE_ADMIN, mine)
    colleague = add_user(db, Role.PRACTICE_USER, mine)
    outsider = add_user(db, Role.PRACTICE_ADMIN, theirs)
    admin = add_user(db, Role.MSO_ADMIN)
    job = jobs.create(db, actor_for(owner), "test.whoami", mine.id, {})
    db.flush()
    client.app.state.jobs.start(job.id)  # the tests' app runs jobs inside the caller
    for user in (owner, colleague, admin):
        body = signed_in(client, db, settings, user).get(f"/api/v1/jobs/{job.id}").json()
        assert (body["status"], body["label"], body["result"]) == (
            "succeeded", "Who-am-I test job", {"actor": owner.username, "role": "practice_admin"})
    refused = signed_in(client, db, settings, outsider).get(f"/api/v1/jobs/{job.id}")
    assert refused.status_code == 404 and refused.headers["content-type"] == "application/problem+json"
    page = signed_in(client, db, settings, colleague).get(f"/jobs/{job.id}", headers={"HX-Request": "true"}).text
    assert 'data-status="succeeded"' in page and "hx-trigger" not in page  # a finished job stops polling


def test_a_queued_job_polls_and_shows_who_started_it(client, db, settings, two_practices):
    mine, _ = two_practices
    owner = add_user(db, Role.PRACTICE_ADMIN, mine)
    job = jobs.create(db, actor_for(owner), "test.wait", mine.id, {"n": 1})
    db.flush()
    page = signed_in(client, db, settings, owner).get(f"/jobs/{job.id}").text
    assert "Waiting for a worker" in page and 'hx-trigger="load delay:1s"' in page and owner.username in page
