"""Identity use cases: who may log in, with what, and as which `Actor`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openmso.core import audit
from openmso.core.errors import Conflict, Forbidden, Invalid, NotFound, TooManyAttempts
from openmso.core.security import (
    API_TOKEN_PREFIX,
    hash_password,
    needs_rehash,
    new_token,
    token_digest,
    verify_password,
)
from openmso.core.settings import Settings
from openmso.core.tenancy import PRACTICE_ROLES, Actor, Role, ensure_role
from openmso.core.types import utcnow
from openmso.identity.models import ApiToken, LoginAttempt, LoginSession, User, UserPracticeScope
from openmso.identity.schemas import UserCreate
from openmso.network.models import Practice


def actor_for(user: User) -> Actor:
    """The tenancy scope a user's role grants."""
    role = Role(user.role)
    if role in (Role.MSO_ADMIN, Role.AUDITOR):
        scope = None
    elif role in PRACTICE_ROLES:
        scope = frozenset({user.practice_id}) if user.practice_id else frozenset()
    else:
        scope = frozenset(s.practice_id for s in user.scopes)
    return Actor(user_id=user.id, username=user.username, role=role, practice_ids=scope)


# --- login and sessions -------------------------------------------------------------------------


def _recent_failures(db: Session, settings: Settings, *, username: str, client_address: str) -> int:
    since = utcnow() - timedelta(minutes=settings.login_window_minutes)
    by_user = db.scalar(
        select(func.count()).where(LoginAttempt.username == username, LoginAttempt.attempted_at >= since,
                                   LoginAttempt.succeeded.is_(False))
    )
    by_client = db.scalar(
        select(func.count()).where(LoginAttempt.client_address == client_address,
                                   LoginAttempt.attempted_at >= since, LoginAttempt.succeeded.is_(False))
    )
    # A single address gets more room than a single account: offices share one NAT address.
    return max(by_user, by_client // 4)


def authenticate(db: Session, settings: Settings, username: str, password: str,
                 client_address: str) -> User | None:
    """Check a password, throttled per username and per client; None on bad credentials.

    Failures are recorded in the caller's transaction, which must be committed even on failure.
    """
    username = username.strip().lower()[:80]
    if _recent_failures(db, settings, username=username, client_address=client_address) >= settings.login_max_failures:
        raise TooManyAttempts(
            f"Too many failed logins; wait {settings.login_window_minutes} minutes and try again.",
            retry_after_seconds=settings.login_window_minutes * 60,
        )
    user = db.scalar(select(User).where(User.username == username))
    ok = verify_password(user.password_hash if user else None, password) and user is not None and user.active
    db.add(LoginAttempt(username=username, client_address=client_address[:64], succeeded=ok))
    if not ok:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    audit.record(db, actor_for(user), "login", "user", user.id)
    return user


def start_session(db: Session, settings: Settings, user: User) -> str:
    token = new_token()
    db.add(LoginSession(token_digest=token_digest(token), user_id=user.id,
                        expires_at=utcnow() + timedelta(hours=settings.session_hours)))
    db.flush()
    return token


@dataclass(frozen=True, slots=True)
class Authenticated:
    actor: Actor
    credential_digest: str
    via_session: bool


def _active_user(db: Session, user_id: int) -> User | None:
    user = db.get(User, user_id)
    return user if user is not None and user.active else None


def from_session_token(db: Session, token: str) -> Authenticated | None:
    digest = token_digest(token)
    login = db.scalar(select(LoginSession).where(LoginSession.token_digest == digest))
    if login is None or login.revoked_at is not None or login.expires_at <= utcnow():
        return None
    user = _active_user(db, login.user_id)
    return Authenticated(actor_for(user), digest, True) if user else None


def end_session(db: Session, token: str) -> None:
    login = db.scalar(select(LoginSession).where(LoginSession.token_digest == token_digest(token)))
    if login is not None and login.revoked_at is None:
        login.revoked_at = utcnow()


def from_api_token(db: Session, token: str) -> Authenticated | None:
    if not token.startswith(API_TOKEN_PREFIX):
        return None
    digest = token_digest(token)
    row = db.scalar(select(ApiToken).where(ApiToken.token_digest == digest))
    if row is None or row.revoked_at is not None:
        return None
    user = _active_user(db, row.user_id)
    if user is None:
        return None
    row.last_used_at = utcnow()
    return Authenticated(actor_for(user), digest, False)


def create_api_token(db: Session, actor: Actor, name: str) -> tuple[ApiToken, str]:
    """A new bearer token for the actor's own account; the secret is returned once."""
    if actor.user_id is None:
        raise Forbidden("the system actor has no account to hold tokens")
    token = new_token(API_TOKEN_PREFIX)
    row = ApiToken(user_id=actor.user_id, name=name, token_digest=token_digest(token),
                   display_prefix=token[: len(API_TOKEN_PREFIX) + 4])
    db.add(row)
    db.flush()
    audit.record(db, actor, "api_token.create", "api_token", row.id)
    return row, token


def list_api_tokens(db: Session, actor: Actor) -> list[ApiToken]:
    return list(db.scalars(select(ApiToken).where(ApiToken.user_id == actor.user_id).order_by(ApiToken.id)))


def revoke_api_token(db: Session, actor: Actor, token_id: int) -> ApiToken:
    """Revoke one of the actor's own tokens (administrators may revoke anyone's)."""
    row = db.get(ApiToken, token_id)
    if row is None or (row.user_id != actor.user_id and actor.role is not Role.MSO_ADMIN):
        raise NotFound("API token not found")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(db, actor, "api_token.revoke", "api_token", row.id)
    return row


# --- user administration ------------------------------------------------------------------------


def _users_visible_to(actor: Actor):
    query = select(User)
    if actor.role in (Role.MSO_ADMIN, Role.AUDITOR):
        return query
    if actor.role is Role.PRACTICE_ADMIN:
        return query.where(User.practice_id.in_(sorted(actor.practice_ids or ())))
    return query.where(User.id == actor.user_id)


def list_users(db: Session, actor: Actor) -> list[User]:
    """Administrators and auditors see every account; a practice admin sees their practice's."""
    return list(db.scalars(_users_visible_to(actor).order_by(User.username)))


def get_user(db: Session, actor: Actor, user_id: int) -> User:
    user = db.scalar(_users_visible_to(actor).where(User.id == user_id))
    if user is None:
        raise NotFound("User not found")
    return user


def _check_practices_exist(db: Session, practice_ids: list[int], field: str) -> None:
    found = set(db.scalars(select(Practice.id).where(Practice.id.in_(practice_ids))))
    missing = sorted(set(practice_ids) - found)
    if missing:
        raise Invalid.field(["body", field], f"unknown practice id(s): {', '.join(map(str, missing))}")


def create_user(db: Session, actor: Actor, data: UserCreate) -> User:
    """MSO admins create any account; a practice admin creates accounts of their own practice only."""
    if actor.role is Role.PRACTICE_ADMIN:
        if data.role not in PRACTICE_ROLES or not actor.sees(data.practice_id):
            raise Forbidden("A practice administrator may create only users of their own practice")
    else:
        ensure_role(actor, [Role.MSO_ADMIN], "create users")
    if data.practice_id is not None:
        _check_practices_exist(db, [data.practice_id], "practice_id")
    if data.practice_ids:
        _check_practices_exist(db, data.practice_ids, "practice_ids")
    if db.scalar(select(User.id).where(User.username == data.username)) is not None:
        raise Conflict(f"username {data.username!r} is taken")
    user = User(username=data.username, display_name=data.display_name, email=data.email,
                password_hash=hash_password(data.password), role=data.role, practice_id=data.practice_id,
                scopes=[UserPracticeScope(practice_id=p) for p in sorted(set(data.practice_ids))])
    db.add(user)
    db.flush()
    audit.record(db, actor, "user.create", "user", user.id, practice_id=data.practice_id)
    return user


def set_scope(db: Session, actor: Actor, user_id: int, practice_ids: list[int]) -> User:
    """Assign an MSO staff member to practices (MSO admins only)."""
    ensure_role(actor, [Role.MSO_ADMIN], "assign practice scopes")
    user = get_user(db, actor, user_id)
    if Role(user.role) is not Role.MSO_STAFF:
        raise Invalid.field(["body", "practice_ids"], "only mso_staff users have a practice scope")
    _check_practices_exist(db, practice_ids, "practice_ids")
    user.scopes = [UserPracticeScope(practice_id=p) for p in sorted(set(practice_ids))]
    db.flush()
    audit.record(db, actor, "user.scope", "user", user.id, reason=f"practices={sorted(set(practice_ids))}")
    return user


def set_active(db: Session, actor: Actor, user_id: int, active: bool) -> User:
    ensure_role(actor, [Role.MSO_ADMIN], "activate or deactivate users")
    user = get_user(db, actor, user_id)
    if user.id == actor.user_id and not active:
        raise Invalid.field(["body", "active"], "you cannot deactivate your own account")
    user.active = active
    if not active:
        for login in db.scalars(select(LoginSession).where(LoginSession.user_id == user.id,
                                                           LoginSession.revoked_at.is_(None))):
            login.revoked_at = utcnow()
    audit.record(db, actor, "user.activate" if active else "user.deactivate", "user", user.id)
    return user


def user_out(user: User) -> dict:
    return {
        "id": user.id, "username": user.username, "display_name": user.display_name, "email": user.email,
        "role": user.role, "practice_id": user.practice_id,
        "practice_ids": [s.practice_id for s in user.scopes], "active": user.active,
        "created_at": user.created_at, "last_login_at": user.last_login_at,
    }
