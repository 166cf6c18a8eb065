"""Secrets handling: argon2id password hashes, random bearer tokens stored only as hashes, CSRF.

API tokens and session ids are 256-bit random values; the database keeps their SHA-256 only, so a
leaked database does not leak usable credentials. Passwords use argon2id (argon2-cffi defaults,
RFC 9106 parameters) and are rehashed on login when the parameters change.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# A real hash to verify against when the username is unknown, so timing does not reveal which
# usernames exist.
_DUMMY_HASH = _hasher.hash("openmso-timing-equaliser")

MIN_PASSWORD_LENGTH = 10
API_TOKEN_PREFIX = "omso_"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str) -> str | None:
    """Why a new password is unacceptable, or None (NIST SP 800-63B: length over composition)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must be at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > 256:
        return "must be at most 256 characters"
    return None


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token_for(session_token_digest: str, secret_key: str) -> str:
    """CSRF token bound to one login session (HMAC of the session id's digest)."""
    return hmac.new(secret_key.encode(), session_token_digest.encode(), hashlib.sha256).hexdigest()


def csrf_valid(given: str | None, session_token_digest: str, secret_key: str) -> bool:
    return bool(given) and hmac.compare_digest(given, csrf_token_for(session_token_digest, secret_key))
