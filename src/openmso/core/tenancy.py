"""Who may see which practice's rows: the one place queries are scoped by tenant.

Every service function receives an `Actor`. A query for practice-owned rows goes through
`visible(select(Model), actor)`; nothing else filters by practice by hand. Rows the actor may not
see are simply absent, so fetching one by id is a 404, never a 403 that would reveal it exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import Select, false

from openmso.core.errors import Forbidden, NotFound


class Role(StrEnum):
    MSO_ADMIN = "mso_admin"
    MSO_STAFF = "mso_staff"
    PRACTICE_ADMIN = "practice_admin"
    PRACTICE_USER = "practice_user"
    AUDITOR = "auditor"


MSO_ROLES = frozenset({Role.MSO_ADMIN, Role.MSO_STAFF})
PRACTICE_ROLES = frozenset({Role.PRACTICE_ADMIN, Role.PRACTICE_USER})
NETWORK_WIDE_ROLES = frozenset({Role.MSO_ADMIN, Role.AUDITOR})


@dataclass(frozen=True, slots=True)
class Actor:
    """The authenticated subject of a service call.

    `practice_ids` is the set of practices this actor may see; `None` means the whole network
    (MSO administrators and auditors). Built by `identity.service` from the user's role and scope.
    """

    user_id: int | None
    username: str
    role: Role
    practice_ids: frozenset[int] | None = field(default=frozenset())

    @property
    def is_network_wide(self) -> bool:
        return self.practice_ids is None

    @property
    def is_mso_side(self) -> bool:
        return self.role in MSO_ROLES

    @property
    def read_only(self) -> bool:
        return self.role is Role.AUDITOR

    def sees(self, practice_id: int | None) -> bool:
        return practice_id is not None and (self.practice_ids is None or practice_id in self.practice_ids)


SYSTEM = Actor(user_id=None, username="system", role=Role.MSO_ADMIN, practice_ids=None)


def tenant_column(entity):
    key = getattr(entity, "__tenant_key__", None)
    if key is None:
        raise TypeError(f"{entity.__name__} is not practice-owned; it has no tenant key")
    return getattr(entity, key)


def visible(statement: Select, actor: Actor, entity=None) -> Select:
    """Restrict `statement` to the rows of practices `actor` may see.

    `entity` defaults to the statement's first selected entity; pass it when selecting columns or
    joining, to say which table carries the tenant key.
    """
    if actor.practice_ids is None:
        return statement
    entity = entity or statement.column_descriptions[0]["entity"]
    column = tenant_column(entity)
    if not actor.practice_ids:
        return statement.where(false())
    return statement.where(column.in_(sorted(actor.practice_ids)))


def ensure_visible(actor: Actor, practice_id: int | None, what: str = "Practice") -> None:
    """Raise NotFound for a practice the actor may not see (404 before 403)."""
    if not actor.sees(practice_id):
        raise NotFound(f"{what} not found")


def ensure_can_write(actor: Actor, practice_id: int | None, what: str = "Practice") -> None:
    """A visible practice that the actor may only read is a 403; an invisible one stays a 404."""
    ensure_visible(actor, practice_id, what)
    if actor.read_only:
        raise Forbidden("Auditors have read-only access")


def ensure_role(actor: Actor, roles: Iterable[Role], action: str) -> None:
    if actor.role not in set(roles):
        raise Forbidden(f"Your role ({actor.role}) may not {action}")
