"""Pydantic shapes of the identity domain (API and UI forms share them)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from openmso.core.security import password_problem
from openmso.core.tenancy import PRACTICE_ROLES, Role


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    username: str = Field(min_length=3, max_length=80, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    display_name: str = Field(min_length=1, max_length=160)
    email: str | None = Field(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    password: str = Field(min_length=1, max_length=256)
    role: Role
    practice_id: int | None = Field(default=None, ge=1, description="required for practice roles")
    practice_ids: list[int] = Field(default_factory=list, description="scope of an mso_staff user")

    @field_validator("password")
    @classmethod
    def _password_strong_enough(cls, value: str) -> str:
        if problem := password_problem(value):
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _scope_matches_role(self) -> UserCreate:
        if self.role in PRACTICE_ROLES and self.practice_id is None:
            raise ValueError(f"practice_id is required for role {self.role}")
        if self.role not in PRACTICE_ROLES and self.practice_id is not None:
            raise ValueError(f"practice_id applies only to practice roles, not {self.role}")
        if self.role is not Role.MSO_STAFF and self.practice_ids:
            raise ValueError("practice_ids (a scope) applies only to mso_staff")
        return self


class ScopeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    practice_ids: list[int] = Field(max_length=10_000)


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    email: str | None
    role: Role
    practice_id: int | None
    practice_ids: list[int]
    active: bool
    created_at: datetime
    last_login_at: datetime | None


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=80)


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    display_prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="shown once; store it now")


class Me(BaseModel):
    id: int | None
    username: str
    role: Role
    practice_ids: list[int] | None
