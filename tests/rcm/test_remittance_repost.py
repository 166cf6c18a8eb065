"""A payment to a payee that is none of our practices is kept as unmatched, and posted again from the
kept file once the practice's NPI is on file: through the service, the API, the page and the CLI."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from openmso.cli import app
from openmso.core.db import unit_of_work
from openmso.core.errors import Conflict, NotFound
from openmso.core.tenancy import SYSTEM, Role
from openmso.identity.service import actor_for
from openmso.rcm.remittance.ingest import ingest_file, repost_unmatched
from openmso.rcm.remittance.models import ClaimPosting, Remittance, RemittanceException, RemittanceFile
from tests.factories import add_signed_agreement, add_user, signed_in
from tests.rcm.conftest import make_clinic
from tests.rcm.remits import accepted_claims, paid, render, transaction

NEW_NPI = "1245319599"


def _unmatched(db, clinic, trace: str = "EARLYERA"):
    claims = accepted_claims(db, clinic, 2)
    content = render(transaction(clinic.practice, [paid(claim) for claim in claims], trace=trace, npi=NEW_NPI))
    report = ingest_file(db, SYSTEM, "early.835", content)
    db.flush()
    return report, db.scalars(select(Remittance).where(Remittance.file_id == report.file.id)).one()


def test_an_unmatched_payment_is_counted_and_posts_once_the_practice_npi_is_on_file(db, clinic):
    report, row = _unmatched(db, clinic)
    assert (report.unmatched, report.posted, report.file.status, row.status) == (1, 0, "unmatched", "unmatched")
    with pytest.raises(Conflict, match="still none of our practices"), db.begin_nested():
        repost_unmatched(db, SYSTEM, row.id)  # a request's failure rolls back what it did
    assert row.status == "unmatched"
    clinic.practice.group_npi = NEW_NPI
    again = repost_unmatched(db, SYSTEM, row.id)
    db.flush()
    assert (again.posted, again.claims, row.status, row.practice_id) == (1, 2, "posted", clinic.practice.id)
    assert db.get(RemittanceFile, report.file.id).status == "posted"
    [problem] = db.scalars(select(RemittanceException).where(RemittanceException.remittance_id == row.id)).all()
    assert problem.kind == "unknown_payee" and problem.status == "resolved" and "posted again" in problem.resolution
    assert len(db.scalars(select(ClaimPosting).where(ClaimPosting.remittance_id == row.id)).all()) == 2
    with pytest.raises(Conflict, match="this one is posted"):
        repost_unmatched(db, SYSTEM, row.id)


def test_a_practice_user_cannot_repost_a_payment_of_no_practice(db, clinic):
    _, row = _unmatched(db, clinic)
    staff = actor_for(add_user(db, Role.MSO_STAFF, scope=[clinic.practice]))
    with pytest.raises(NotFound):
        repost_unmatched(db, staff, row.id)


def test_the_api_and_the_page_repost_an_unmatched_payment(client, db, settings, clinic):
    add_signed_agreement(db, clinic.practice)
    browser = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
    _, first = _unmatched(db, clinic, "APIEARLY")
    _, second = _unmatched(db, clinic, "PAGEEARLY")
    page = browser.get(f"/remittances/{second.id}")
    assert page.status_code == 200 and 'id="repost"' in page.text
    refused = browser.post(f"/remittances/{second.id}/repost", data={"csrf_token": browser.headers["x-csrf-token"]})
    assert refused.status_code == 409 and "still none of our practices" in refused.text
    clinic.practice.group_npi = NEW_NPI
    db.flush()
    posted = browser.post(f"/api/v1/remittances/{first.id}/repost")
    assert posted.status_code == 200 and (posted.json()["posted"], posted.json()["claims"]) == (1, 2)
    assert browser.post(f"/api/v1/remittances/{first.id}/repost").status_code == 409
    shown = browser.post(f"/remittances/{second.id}/repost", data={"csrf_token": browser.headers["x-csrf-token"]})
    assert shown.status_code == 200 and 'id="repost"' not in shown.text and "Posted" in shown.text


def test_the_cli_reposts_and_says_when_it_cannot(cli_sessions):
    runner = CliRunner()
    with unit_of_work(cli_sessions) as db:
        clinic = make_clinic(db, "Cliearly")
        add_signed_agreement(db, clinic.practice)
        _, row = _unmatched(db, clinic)
        row_id, practice_id = row.id, clinic.practice.id
    refused = runner.invoke(app, ["remit", "repost", str(row_id)])
    assert refused.exit_code == 1 and "still none of our practices" in refused.output
    with unit_of_work(cli_sessions) as db:
        db.get(type(clinic.practice), practice_id).group_npi = NEW_NPI
    done = runner.invoke(app, ["remit", "repost", str(row_id)])
    assert done.exit_code == 0 and "1 posted, 2 claims" in done.output, done.output
