"""Who may do what with claims: tenancy and role checks, then the practice's agreement for
MSO-side actions (`agreements.enforcement.authorize`, which audits a refusal and names the clause)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from openmso.agreements.enforcement import MsoAction, authorize, permitted_practices
from openmso.core.errors import Forbidden
from openmso.core.tenancy import Actor, Role, ensure_can_write, ensure_role

SUBMITTERS = (Role.MSO_ADMIN, Role.MSO_STAFF, Role.PRACTICE_ADMIN)

__all__ = ["MsoAction", "can_read", "can_manage_charges", "can_submit", "readable_practices",
           "charge_managing_practices", "workable_practices"]


def can_read(db: Session, actor: Actor, practice_id: int, *, object_type: str = "claim", object_id=None,
             patient_id: int | None = None) -> None:
    """Claims carry PHI: reading one is READ_PHI under the practice's agreement."""
    authorize(db, actor, MsoAction.READ_PHI, practice_id, object_type=object_type, object_id=object_id,
              patient_id=patient_id)


def can_manage_charges(db: Session, actor: Actor, practice_id: int, *, object_type: str = "charge",
                       object_id=None) -> None:
    """Entering, importing, building and scrubbing charges and claims."""
    ensure_can_write(actor, practice_id)
    authorize(db, actor, MsoAction.MANAGE_CHARGES, practice_id, object_type=object_type, object_id=object_id)


def can_submit(db: Session, actor: Actor, practice_id: int, *, object_type: str = "claim", object_id=None) -> None:
    ensure_can_write(actor, practice_id)
    ensure_role(actor, SUBMITTERS, "submit claims")
    authorize(db, actor, MsoAction.SUBMIT_CLAIMS, practice_id, object_type=object_type, object_id=object_id)


def readable_practices(db: Session, actor: Actor, practice_ids: list[int]) -> set[int]:
    """Of the visible practices, those whose claims (PHI) the actor may list."""
    return permitted_practices(db, actor, MsoAction.READ_PHI, practice_ids)


def charge_managing_practices(db: Session, actor: Actor, practice_ids: list[int]) -> set[int]:
    """Of the visible practices, those whose claims the actor may work (`can_manage_charges`), for work done
    across practices at once; an auditor may work none."""
    if actor.read_only:
        raise Forbidden("Auditors have read-only access")
    return workable_practices(db, actor, practice_ids)


def workable_practices(db: Session, actor: Actor, practice_ids: list[int]) -> set[int]:
    """Of the visible practices, those whose claims the actor may work, asked quietly (none for an auditor): which
    actions a page offers. Doing the work checks again (`can_manage_charges`), and audits a refusal."""
    if actor.read_only:
        return set()
    return permitted_practices(db, actor, MsoAction.MANAGE_CHARGES, practice_ids)
