"""Domain errors: a small hierarchy, each with the HTTP status it maps to in one place.

Services raise these; `core.problems` turns them into RFC 9457 problem+json for the API and the UI
shows them inline. A located error (`Invalid`) names the field or the line/segment at fault.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class FieldError:
    """One located problem: `location` is a path such as ["body", "npi"] or ["line 12", "cpt"]."""

    location: list[str | int]
    message: str
    type: str = "invalid"

    def as_dict(self) -> dict:
        return {"loc": list(self.location), "msg": self.message, "type": self.type}


class OpenMSOError(Exception):
    status = 500
    title = "Internal error"
    type_slug = "internal"

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class Invalid(OpenMSOError):
    status = 422
    title = "Invalid input"
    type_slug = "invalid"

    @classmethod
    def field(cls, location: str | list[str | int], message: str) -> Invalid:
        loc = [location] if isinstance(location, str) else list(location)
        return cls(f"{'.'.join(str(p) for p in loc)}: {message}", errors=[FieldError(loc, message)])


class NotFound(OpenMSOError):
    status = 404
    title = "Not found"
    type_slug = "not-found"


class Forbidden(OpenMSOError):
    status = 403
    title = "Forbidden"
    type_slug = "forbidden"


class Unauthorized(OpenMSOError):
    status = 401
    title = "Authentication required"
    type_slug = "unauthorized"


class Conflict(OpenMSOError):
    status = 409
    title = "Conflict"
    type_slug = "conflict"


class TooManyAttempts(OpenMSOError):
    status = 429
    title = "Too many attempts"
    type_slug = "too-many-attempts"

    def __init__(self, detail: str, *, retry_after_seconds: int):
        super().__init__(detail)
        self.retry_after_seconds = retry_after_seconds
