"""Agreement use cases: create, edit drafts, amend, sign, terminate, read versions.

Every function takes the acting user. Reads go through `visible`; changes are for MSO
administrators and the practice's own administrators; every change is audited. Saving terms that
give the MSO a clinical decision is refused, naming the clause (`terms.ensure_no_clinical_control`).
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openmso.agreements import enforcement, schemas
from openmso.agreements.catalogue import TechnologyCategory
from openmso.agreements.lifecycle import Event, next_status
from openmso.agreements.models import Agreement, AgreementVersion, VersionStatus
from openmso.agreements.terms import Terms, ensure_no_clinical_control, thresholds_present
from openmso.core import audit
from openmso.core.errors import Conflict, Invalid, NotFound
from openmso.core.tenancy import Actor, Role, ensure_can_write, ensure_role, visible
from openmso.network.models import Practice

EDITORS = (Role.MSO_ADMIN, Role.PRACTICE_ADMIN)


def _ensure_editor(actor: Actor, practice_id: int) -> None:
    ensure_can_write(actor, practice_id, "Agreement")
    ensure_role(actor, EDITORS, "negotiate or sign management services agreements")


def _check_terms(terms: Terms) -> None:
    ensure_no_clinical_control(terms)
    if errors := thresholds_present(terms):
        raise Invalid("; ".join(e.message for e in errors), errors=errors)


def _apply(version: AgreementVersion, terms: Terms) -> None:
    version.terms = terms.model_dump(mode="json")
    version.model = terms.structure.model.value
    version.fee_kind = terms.fees.kind.value
    version.effective_on = terms.term.effective_on


def _new_draft(db: Session, actor: Actor, agreement: Agreement, number: int, terms: Terms,
               note: str) -> AgreementVersion:
    version = AgreementVersion(agreement_id=agreement.id, practice_id=agreement.practice_id, number=number,
                               status=VersionStatus.DRAFT, change_note=note, created_by=actor.username)
    _apply(version, terms)
    db.add(version)
    db.flush()
    db.refresh(agreement, ["versions"])
    return version


def terms_of(version: AgreementVersion) -> Terms:
    return Terms.model_validate(version.terms)


# --- reads --------------------------------------------------------------------------------------


def list_agreements(db: Session, actor: Actor, practice_id: int | None = None) -> list[Agreement]:
    query = visible(select(Agreement), actor)
    if practice_id is not None:
        query = query.where(Agreement.practice_id == practice_id)
    return list(db.scalars(query.order_by(Agreement.practice_id, Agreement.id)))


def get_agreement(db: Session, actor: Actor, agreement_id: int) -> Agreement:
    agreement = db.scalar(visible(select(Agreement), actor).where(Agreement.id == agreement_id))
    if agreement is None:
        raise NotFound("Agreement not found")
    return agreement


def get_version(db: Session, actor: Actor, version_id: int) -> AgreementVersion:
    version = db.scalar(visible(select(AgreementVersion), actor).where(AgreementVersion.id == version_id))
    if version is None:
        raise NotFound("Agreement version not found")
    return version


def active_version(db: Session, actor: Actor, practice_id: int) -> AgreementVersion | None:
    """The practice's signed version, if it has one (and the actor sees the practice)."""
    return db.scalar(visible(select(AgreementVersion), actor).where(
        AgreementVersion.practice_id == practice_id, AgreementVersion.status == VersionStatus.SIGNED))


def visible_practices(actor: Actor):
    return visible(select(Practice), actor).order_by(Practice.legal_name)


def practice_of(db: Session, actor: Actor, practice_id: int) -> Practice:
    practice = db.scalar(visible(select(Practice), actor).where(Practice.id == practice_id))
    if practice is None:
        raise NotFound("Practice not found")
    return practice


def affiliate_counts(db: Session) -> Counter:
    """How many practices' active agreements name each (technology category, vendor).

    A network-wide aggregate by design: the number of affiliates on a vendor is what a practice
    weighs before signing, and it names no other practice.
    """
    counts: Counter = Counter()
    for terms in db.scalars(select(AgreementVersion.terms).where(AgreementVersion.status == VersionStatus.SIGNED)):
        for item in terms.get("technology", []):
            if item.get("vendor"):
                counts[(TechnologyCategory(item["category"]), item["vendor"].strip().lower())] += 1
    return counts


# --- changes ------------------------------------------------------------------------------------


def create_agreement(db: Session, actor: Actor, data: schemas.AgreementCreate) -> Agreement:
    """Start an agreement for a practice with its first draft version."""
    practice = practice_of(db, actor, data.practice_id)
    _ensure_editor(actor, practice.id)
    _check_terms(data.terms)
    agreement = Agreement(practice_id=practice.id, mso_id=practice.mso_id, title=data.title,
                          created_by=actor.username)
    db.add(agreement)
    db.flush()
    _new_draft(db, actor, agreement, 1, data.terms, data.change_note or "Initial draft")
    audit.record(db, actor, "agreement.create", "agreement", agreement.id, practice_id=practice.id,
                 reason=f"v1 draft: {data.title}")
    return agreement


def update_draft(db: Session, actor: Actor, version_id: int, data: schemas.DraftUpdate) -> AgreementVersion:
    """Replace a draft's terms; signed history is never edited."""
    version = get_version(db, actor, version_id)
    _ensure_editor(actor, version.practice_id)
    next_status(version.status, Event.EDIT)
    _check_terms(data.terms)
    _apply(version, data.terms)
    if data.change_note:
        version.change_note = data.change_note
    db.flush()
    audit.record(db, actor, "agreement.edit", "agreement_version", version.id, practice_id=version.practice_id,
                 reason=f"{version.label} draft edited")
    return version


def amend(db: Session, actor: Actor, agreement_id: int, data: schemas.AmendmentCreate) -> AgreementVersion:
    """Open an amendment: a new draft starting from the agreement's current terms."""
    agreement = get_agreement(db, actor, agreement_id)
    _ensure_editor(actor, agreement.practice_id)
    if any(v.status == VersionStatus.DRAFT for v in agreement.versions):
        raise Conflict("this agreement already has a draft; edit or sign it before opening another amendment")
    base = agreement.current
    if base is None or base.status == VersionStatus.TERMINATED:
        raise Conflict("a terminated agreement cannot be amended; start a new agreement")
    version = _new_draft(db, actor, agreement, max(v.number for v in agreement.versions) + 1, terms_of(base),
                         data.change_note)
    audit.record(db, actor, "agreement.amend", "agreement_version", version.id, practice_id=agreement.practice_id,
                 reason=f"{version.label} opened from v{base.number}: {data.change_note}")
    return version


def sign(db: Session, actor: Actor, version_id: int, data: schemas.Signing) -> AgreementVersion:
    """Sign a draft: it becomes the practice's one active version; the version it replaces is `amended`."""
    version = get_version(db, actor, version_id)
    _ensure_editor(actor, version.practice_id)
    new_status = next_status(version.status, Event.SIGN)
    _check_terms(terms_of(version))
    previous = db.scalar(select(AgreementVersion).where(AgreementVersion.practice_id == version.practice_id,
                                                        AgreementVersion.status == VersionStatus.SIGNED))
    if previous is not None:
        if data.signed_on < (previous.signed_on or previous.effective_on):
            raise Invalid.field(["body", "signed_on"], f"is before the signing of {previous.label} it replaces")
        previous.status = next_status(previous.status, Event.SUPERSEDE)
        previous.ended_on = data.signed_on
        db.flush()  # free the practice's one "signed" slot before taking it
    version.status = new_status
    version.signed_on = data.signed_on
    version.signed_by_practice = data.signed_by_practice
    version.signed_by_mso = data.signed_by_mso
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError as error:
        raise Conflict("another version of this practice was signed at the same time; reload and retry") from error
    enforcement.invalidate(db)
    audit.record(db, actor, "agreement.sign", "agreement_version", version.id, practice_id=version.practice_id,
                 reason=f"{version.label} signed on {data.signed_on}"
                        + (f"; replaces {previous.label}" if previous is not None else ""))
    return version


def terminate(db: Session, actor: Actor, version_id: int, data: schemas.Termination) -> AgreementVersion:
    """End the active version with no successor: from now on the MSO may do nothing for the practice."""
    version = get_version(db, actor, version_id)
    _ensure_editor(actor, version.practice_id)
    version.status = next_status(version.status, Event.TERMINATE)
    version.ended_on = data.ended_on
    db.flush()
    enforcement.invalidate(db)
    audit.record(db, actor, "agreement.terminate", "agreement_version", version.id,
                 practice_id=version.practice_id, reason=f"{version.label} terminated on {data.ended_on}: "
                                                         f"{data.reason}")
    return version


def versions_of(db: Session, actor: Actor, agreement_id: int) -> list[AgreementVersion]:
    return list(get_agreement(db, actor, agreement_id).versions)

