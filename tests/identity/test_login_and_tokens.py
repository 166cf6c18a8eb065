"""Sign-in, CSRF, login throttling and API tokens."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from openmso.core.security import hash_password, verify_password
from openmso.core.tenancy import Role
from openmso.identity.models import ApiToken, LoginAttempt
from tests.factories import PASSWORD, add_practice, add_user, bearer, signed_in


def _login(client: TestClient, username: str, password: str, next_path: str = "/"):
    form_page = client.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', form_page.text).group(1)
    return client.post("/login", data={"username": username, "password": password, "login_csrf": token,
                                       "next": next_path}, follow_redirects=False)


def test_password_is_stored_as_argon2id_and_verifies():
    stored = hash_password("a long enough password")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "a long enough password")
    assert not verify_password(stored, "wrong password")
    assert not verify_password(None, "anything")


def test_login_sets_an_httponly_session_and_redirects(client, db):
    user = add_user(db, Role.MSO_ADMIN, username="alice")
    response = _login(client, "alice", PASSWORD, "/practices/1")
    assert response.status_code == 303 and response.headers["location"] == "/practices/1"
    cookie = response.headers["set-cookie"]
    assert "openmso_session=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert client.get("/api/v1/me").json()["username"] == "alice"
    db.refresh(user)
    assert user.last_login_at is not None


def test_login_refuses_open_redirects(client, db):
    add_user(db, Role.MSO_ADMIN, username="bob")
    assert _login(client, "bob", PASSWORD, "https://evil.example/").headers["location"] == "/"
    assert _login(client, "bob", PASSWORD, "//evil.example/x").headers["location"] == "/"


def test_wrong_password_is_401_and_recorded(client, db):
    add_user(db, Role.MSO_ADMIN, username="carol")
    response = _login(client, "carol", "not the password")
    assert response.status_code == 401 and "wrong password" in response.text
    attempts = db.scalars(select(LoginAttempt).where(LoginAttempt.username == "carol")).all()
    assert [a.succeeded for a in attempts] == [False]


def test_login_is_throttled_after_repeated_failures(client, db, settings):
    add_user(db, Role.MSO_ADMIN, username="dave")
    for _ in range(settings.login_max_failures):
        assert _login(client, "dave", "guess").status_code == 401
    blocked = _login(client, "dave", PASSWORD)  # even the right password waits out the window
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) == settings.login_window_minutes * 60


def test_login_form_without_its_csrf_cookie_is_rejected(client, db):
    add_user(db, Role.MSO_ADMIN, username="erin")
    response = client.post("/login", data={"username": "erin", "password": PASSWORD, "login_csrf": "forged"})
    assert response.status_code == 400


def test_cookie_session_writes_need_the_csrf_token(app, db, settings):
    practice = add_practice(db, "Csrf")
    user = add_user(db, Role.MSO_ADMIN)
    client = signed_in(TestClient(app), db, settings, user)
    body = {"name": "Second site", "address_line1": "1 Elm St", "city": "Austin", "state": "TX",
            "postal_code": "78701", "place_of_service": "11"}
    good = client.post(f"/api/v1/practices/{practice.id}/locations", json=body)
    assert good.status_code == 201
    client.headers.pop("X-CSRF-Token")
    refused = client.post(f"/api/v1/practices/{practice.id}/locations", json=body)
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]


def test_logout_revokes_the_session(app, db, settings):
    user = add_user(db, Role.PRACTICE_USER, add_practice(db, "Logout"))
    client = signed_in(TestClient(app), db, settings, user)
    assert client.get("/api/v1/me").status_code == 200
    cookie = client.cookies.get("openmso_session")
    assert client.post("/logout", follow_redirects=False).status_code == 303
    client.cookies.set("openmso_session", cookie)
    assert client.get("/api/v1/me").status_code == 401


def test_api_token_is_stored_hashed_and_can_be_revoked(client, db):
    user = add_user(db, Role.AUDITOR)
    headers = bearer(db, user)
    secret = headers["Authorization"].split()[1]
    assert client.get("/api/v1/me", headers=headers).json()["role"] == "auditor"
    row = db.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert secret not in (row.token_digest, row.display_prefix) and len(row.token_digest) == 64
    assert client.delete(f"/api/v1/tokens/{row.id}", headers=headers).status_code == 200
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401 and response.headers["content-type"] == "application/problem+json"


def test_deactivated_user_loses_access(client, db):
    admin = add_user(db, Role.MSO_ADMIN)
    staff = add_user(db, Role.MSO_STAFF)
    staff_headers = bearer(db, staff)
    assert client.post(f"/api/v1/users/{staff.id}/deactivate", headers=bearer(db, admin)).status_code == 200
    assert client.get("/api/v1/me", headers=staff_headers).status_code == 401


def test_unauthenticated_api_is_401_and_ui_redirects_to_login(client):
    assert client.get("/api/v1/practices").status_code == 401
    response = client.get("/", headers={"accept": "text/html"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
