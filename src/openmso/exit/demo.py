"""Demo MSO staff at work, through the real services, so every practice's data access report has rows:
billers open patients and their practices' A/R, the administrator looks at network KPIs and aging,
the compliance auditor samples records. Each read is audited with the clause that allowed it, and
each network view leaves an aggregation entry on every consenting practice's report."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from openmso.core.errors import Forbidden
from openmso.identity import service as identity
from openmso.identity.models import User
from openmso.network import service as network
from openmso.network.models import Patient
from openmso.rcm.ar import facts, reports
from openmso.rcm.ar import service as ar
from openmso.rcm.ar.schemas import AgingBy, AgingKind

PATIENTS_PER_PRACTICE = 4


@dataclass
class AccessDemoSummary:
    patient_reads: int = 0
    ar_views: int = 0
    network_views: int = 0
    refused: int = 0


def _actor(db: Session, username: str):
    user = db.scalar(select(User).where(User.username == username))
    return identity.actor_for(user) if user is not None else None


def record_demo_accesses(db: Session, as_of: date, seed: int = 7) -> AccessDemoSummary:
    """Reads by the demo's MSO users (`biller.tx`, `biller.nw`, `admin`, `auditor`) as they would make them."""
    rng = random.Random(seed)
    summary = AccessDemoSummary()
    for username in ("biller.tx", "biller.nw", "auditor"):
        actor = _actor(db, username)
        if actor is None:
            continue
        practices = sorted(actor.practice_ids) if actor.practice_ids is not None else \
            [p.id for p in network.list_practices(db, actor).rows][:3]
        for practice_id in practices:
            ids = list(db.scalars(select(Patient.id).where(Patient.practice_id == practice_id).order_by(Patient.id)
                                  .limit(200)))
            for patient_id in rng.sample(ids, min(PATIENTS_PER_PRACTICE, len(ids))):
                try:
                    network.get_patient(db, actor, patient_id)
                    summary.patient_reads += 1
                except Forbidden:
                    summary.refused += 1  # the practice's agreement does not open PHI to this user
            if username != "auditor":
                reports.insurance_aging(db, actor, as_of, "practice", practice_id)
                summary.ar_views += 1
    admin = _actor(db, "admin")
    if admin is not None:
        facts.kpi_trend(db, admin, as_of, 3)
        ar.aging(db, admin, AgingKind.INSURANCE, AgingBy.NETWORK, as_of)
        ar.aging(db, admin, AgingKind.INSURANCE, AgingBy.PRACTICE, as_of)
        summary.network_views += 3
    return summary
