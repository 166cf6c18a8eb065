"""A payer's 835 may be far larger than any other request: the two routes that take one (the API's
POST /api/v1/remittances and the receive page's upload) stream it to disk and allow up to
`max_file_bytes`; every other route keeps the general `max_body_bytes`."""

from __future__ import annotations

from dataclasses import replace

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from openmso.app import create_app
from openmso.core.middleware import LARGE_FILE
from openmso.core.tenancy import Role
from openmso.rcm.remittance.models import ClaimPosting, RemittanceFile
from tests.factories import add_signed_agreement, add_user, signed_in
from tests.rcm.remits import accepted_claims, paid, render, transaction


def _client(settings, session_factory, *, body_limit: int, file_limit: int) -> TestClient:
    app = create_app(replace(settings, max_body_bytes=body_limit, max_file_bytes=file_limit), session_factory)
    return TestClient(app)


def _postings(db, claims) -> int:
    return db.scalar(select(func.count()).select_from(ClaimPosting)
                     .where(ClaimPosting.claim_id.in_([c.id for c in claims])))


def test_an_835_larger_than_the_body_limit_posts_and_other_routes_keep_the_limit(db, settings, session_factory,
                                                                                 clinic):
    add_signed_agreement(db, clinic.practice)
    claims = accepted_claims(db, clinic, 3)
    body = render(transaction(clinic.practice, [paid(c) for c in claims], trace="BIGEFT1"))
    with _client(settings, session_factory, body_limit=len(body) // 3, file_limit=len(body) * 4) as client:
        browser = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
        posted = browser.post("/api/v1/remittances", params={"filename": "big.835"}, content=body)
        assert posted.status_code == 200, posted.text
        assert posted.json()["claims"] == 3 and _postings(db, claims) == 3
        other = browser.post("/api/v1/practices", content=b"[" + b"1," * len(body) + b"1]",
                             headers={"content-type": "application/json"})
        assert other.status_code == 413 and f"limit of {len(body) // 3} bytes" in other.json()["detail"]
        spec = browser.get("/openapi.json").json()
        assert spec["paths"]["/api/v1/remittances"]["post"][LARGE_FILE] is True


def test_the_receive_page_takes_an_835_larger_than_the_body_limit(db, settings, session_factory, clinic):
    add_signed_agreement(db, clinic.practice)
    claims = accepted_claims(db, clinic, 3)
    body = render(transaction(clinic.practice, [paid(c) for c in claims], trace="BIGEFT2"))
    with _client(settings, session_factory, body_limit=len(body) // 3, file_limit=len(body) * 4) as client:
        browser = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
        page = browser.post("/remittances/receive/835", files={"file": ("big.835", body, "application/edi-x12")})
        assert page.status_code == 200 and "<strong>big.835</strong>: Posted" in page.text
        assert _postings(db, claims) == 3


def test_an_835_over_the_file_limit_is_refused_and_nothing_is_kept(db, settings, session_factory, clinic):
    add_signed_agreement(db, clinic.practice)
    claims = accepted_claims(db, clinic, 2)
    body = render(transaction(clinic.practice, [paid(c) for c in claims], trace="BIGEFT3"))
    files = db.scalar(select(func.count()).select_from(RemittanceFile))
    with _client(settings, session_factory, body_limit=len(body) // 4, file_limit=len(body) - 1) as client:
        browser = signed_in(client, db, settings, add_user(db, Role.MSO_ADMIN))
        refused = browser.post("/api/v1/remittances", params={"filename": "huge.835"}, content=body)
        assert refused.status_code == 413
        assert refused.json()["detail"] == f"The request body exceeds the limit of {len(body) - 1} bytes"
        streamed = browser.post("/api/v1/remittances", content=iter([body[:100], body[100:]]))  # no Content-Length
        assert streamed.status_code == 413
    assert db.scalar(select(func.count()).select_from(RemittanceFile)) == files and _postings(db, claims) == 0
