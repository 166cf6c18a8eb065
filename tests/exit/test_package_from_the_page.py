"""The exit-readiness page's "Build the exit package now": a job that builds the archive, whose status the
page shows, then the download; refused at once to those who may not export."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from sqlalchemy import func, select

from openmso.core.audit import AuditEntry
from openmso.core.jobs import Job
from openmso.core.tenancy import Role
from openmso.exit.verify import verify
from tests.factories import add_user, build_world, signed_in


@pytest.fixture
def world(db):
    return build_world(db)


def test_the_practice_admin_builds_the_package_from_the_page_and_downloads_it(client, db, settings, world,
                                                                               tmp_path):
    practice = world.practices[0]
    http = signed_in(client, db, settings, add_user(db, Role.PRACTICE_ADMIN, practice))
    before = http.get(f"/practices/{practice.id}/exit-readiness").text  # no key yet: a page view makes none
    assert 'signing-fingerprint">not made yet' in before and "--fingerprint" not in before
    response = http.post(f"/practices/{practice.id}/exit-package", follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/practices/{practice.id}/exit-readiness#exit-package"
    job = db.scalars(select(Job).where(Job.practice_id == practice.id, Job.kind == "exit.package")).one()
    assert job.status == "succeeded", job.error
    filename = job.outcome["filename"]
    assert filename.startswith(f"practice-{practice.id}-") and filename.endswith(".zip")
    page = http.get(f"/practices/{practice.id}/exit-readiness").text
    assert "Package built:" in page and f"Download {filename}" in page and 'data-status="succeeded"' in page
    download = http.get(f"/practices/{practice.id}/exit-package", params={"filename": filename})
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        manifest = json.loads(next(archive.read(n) for n in archive.namelist() if n.endswith("manifest.json")))
    assert manifest["practice"]["id"] == practice.id
    # The page shows the fingerprint of the key the package is signed with, and the download verifies with it.
    shown = re.search(r'<code id="signing-fingerprint">([^<]+)</code>', page).group(1)
    assert manifest["signature"]["key_fingerprint"] == shown and f'--fingerprint "{shown}"' in page
    downloaded = tmp_path / filename
    downloaded.write_bytes(download.content)
    assert verify(downloaded, shown).ok
    actions = set(db.scalars(select(AuditEntry.action).where(AuditEntry.practice_id == practice.id)))
    assert {"exit.package", "exit.package_completed", "exit.package_download"} <= actions


@pytest.mark.parametrize("role", [Role.PRACTICE_USER, Role.AUDITOR])
def test_those_who_may_not_export_are_refused_before_any_job_starts(client, db, settings, world, role):
    practice = world.practices[0]
    http = signed_in(client, db, settings, add_user(db, role, practice if role is Role.PRACTICE_USER else None))
    response = http.post(f"/practices/{practice.id}/exit-package", follow_redirects=False)
    assert response.status_code == 403, response.text
    assert db.scalar(select(func.count()).select_from(Job).where(Job.kind == "exit.package")) == 0


def test_another_practices_admin_cannot_start_or_see_the_build(client, db, settings, world):
    mine, theirs = world.practices[0], world.practices[1]
    owner = signed_in(client, db, settings, add_user(db, Role.PRACTICE_ADMIN, mine))
    owner.post(f"/practices/{mine.id}/exit-package", follow_redirects=False)
    job = db.scalars(select(Job).where(Job.practice_id == mine.id, Job.kind == "exit.package")).one()
    outsider = signed_in(client, db, settings, add_user(db, Role.PRACTICE_ADMIN, theirs))
    assert outsider.post(f"/practices/{mine.id}/exit-package", follow_redirects=False).status_code == 404
    assert outsider.get(f"/api/v1/jobs/{job.id}").status_code == 404
    assert outsider.get(f"/jobs/{job.id}").status_code == 404


def test_a_script_starts_the_build_over_the_api_and_follows_the_job(client, db, settings, world):
    practice = world.practices[0]
    http = signed_in(client, db, settings, add_user(db, Role.PRACTICE_ADMIN, practice))
    started = http.post(f"/api/v1/practices/{practice.id}/exit-package")
    assert started.status_code == 202, started.text
    job = started.json()
    assert started.headers["location"] == f"/api/v1/jobs/{job['id']}"
    status = http.get(started.headers["location"]).json()
    assert (status["kind"], status["practice_id"], status["status"]) == ("exit.package", practice.id, "succeeded")
    link = status["result"]["links"][0]["href"]
    download = http.get(link)
    assert download.status_code == 200 and download.content.startswith(b"PK")
    refused = signed_in(client, db, settings, add_user(db, Role.AUDITOR)).post(
        f"/api/v1/practices/{practice.id}/exit-package")
    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"


def test_a_failed_build_tells_the_page_which_package_not_where_the_server_keeps_it(client, db, settings, world):
    from datetime import timedelta

    from openmso.core.types import utcnow
    from openmso.exit.tasks import packages_dir

    practice = world.practices[0]
    folder = packages_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    now = utcnow()
    for second in range(5):  # the job names its archive after the second it starts in: every name is taken
        (folder / f"practice-{practice.id}-{now + timedelta(seconds=second):%Y%m%dT%H%M%SZ}.zip").write_bytes(b"")
    http = signed_in(client, db, settings, add_user(db, Role.PRACTICE_ADMIN, practice))
    assert http.post(f"/practices/{practice.id}/exit-package", follow_redirects=False).status_code == 303
    job = db.scalars(select(Job).where(Job.practice_id == practice.id, Job.kind == "exit.package")).one()
    assert job.status == "failed"
    assert re.match(rf"practice-{practice.id}-\d{{8}}T\d{{6}}Z\.zip already exists", job.error), job.error
    assert str(settings.var_dir) not in job.error and str(folder) not in job.error
    page = http.get(f"/jobs/{job.id}").text
    assert "already exists" in page and str(folder) not in page
