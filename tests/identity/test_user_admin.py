"""Who may create users and assign scopes."""

from __future__ import annotations

import pytest

from openmso.core.tenancy import Role
from openmso.identity.models import User
from tests.factories import add_practice, add_user, bearer

NEW_USER = {"username": "new.user", "display_name": "New User", "password": "a-long-password"}


def test_mso_admin_creates_staff_with_a_scope(client, db):
    first, second = add_practice(db, "Scope1"), add_practice(db, "Scope2")
    headers = bearer(db, add_user(db, Role.MSO_ADMIN))
    response = client.post("/api/v1/users", headers=headers,
                           json={**NEW_USER, "role": "mso_staff", "practice_ids": [first.id]})
    assert response.status_code == 201, response.text
    user_id = response.json()["id"]
    staff_headers = bearer(db, db.get(User, user_id))
    seen = {p["id"] for p in client.get("/api/v1/practices", headers=staff_headers).json()["items"]}
    assert seen == {first.id}
    updated = client.put(f"/api/v1/users/{user_id}/scope", headers=headers, json={"practice_ids": [second.id]})
    assert updated.json()["practice_ids"] == [second.id]


def test_practice_admin_creates_only_users_of_their_practice(client, db):
    mine, other = add_practice(db, "Mine"), add_practice(db, "Other")
    headers = bearer(db, add_user(db, Role.PRACTICE_ADMIN, mine))
    ok = client.post("/api/v1/users", headers=headers,
                     json={**NEW_USER, "role": "practice_user", "practice_id": mine.id})
    assert ok.status_code == 201
    for body in ({**NEW_USER, "username": "other.user1", "role": "practice_user", "practice_id": other.id},
                 {**NEW_USER, "username": "other.user2", "role": "mso_admin"}):
        assert client.post("/api/v1/users", headers=headers, json=body).status_code == 403


@pytest.mark.parametrize("role", [Role.MSO_STAFF, Role.PRACTICE_USER, Role.AUDITOR])
def test_other_roles_cannot_create_users(client, db, role):
    practice = add_practice(db, "NoCreate")
    user = add_user(db, role, practice if role is Role.PRACTICE_USER else None)
    response = client.post("/api/v1/users", headers=bearer(db, user),
                           json={**NEW_USER, "role": "practice_user", "practice_id": practice.id})
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("body, field", [
    ({**NEW_USER, "role": "practice_user"}, "body"),                       # practice role without a practice
    ({**NEW_USER, "role": "mso_admin", "password": "short"}, "password"),  # weak password
    ({**NEW_USER, "role": "wizard"}, "role"),                              # unknown role
    ({**NEW_USER, "username": "Bad Name!", "role": "auditor"}, "username"),
])
def test_invalid_users_are_422_naming_the_field(client, db, body, field):
    response = client.post("/api/v1/users", headers=bearer(db, add_user(db, Role.MSO_ADMIN)), json=body)
    assert response.status_code == 422
    assert any(field in e["loc"] for e in response.json()["errors"])


def test_duplicate_username_is_a_conflict(client, db):
    headers = bearer(db, add_user(db, Role.MSO_ADMIN))
    assert client.post("/api/v1/users", headers=headers, json={**NEW_USER, "role": "auditor"}).status_code == 201
    assert client.post("/api/v1/users", headers=headers, json={**NEW_USER, "role": "auditor"}).status_code == 409
