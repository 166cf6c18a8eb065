"""The demo network is deterministic and has the shape the issue promises."""

from __future__ import annotations

import re
from collections import Counter

from sqlalchemy import func, select

from openmso.demo.generator import build_demo
from openmso.identity.models import User
from openmso.network.identifiers import is_valid_npi
from openmso.network.models import Coverage, Patient, Payer, Practice, PracticeState, Provider


def _fingerprint(db):
    return (
        db.scalars(select(Practice.legal_name).order_by(Practice.id)).all(),
        db.scalars(select(Provider.npi).order_by(Provider.id)).all(),
        db.execute(select(Patient.mrn, Patient.last_name, Patient.birth_date).order_by(Patient.id).limit(50)).all(),
    )


def test_default_network_has_the_promised_shape(db):
    summary = build_demo(db, patients=3000)
    assert summary.practices >= 12 and summary.providers >= 55 and summary.payers >= 15
    states = set(db.scalars(select(PracticeState.state)))
    assert {"CA", "TX", "OR", "NY", "FL"} <= states
    assert len(set(db.scalars(select(Practice.specialty)))) >= 4
    assert all(is_valid_npi(n) for n in db.scalars(select(Provider.npi)))
    assert all(is_valid_npi(n) for n in db.scalars(select(Practice.group_npi)))
    lines = Counter(db.scalars(select(Payer.line_of_business)))
    assert {"medicare", "medicaid", "commercial", "medicare_advantage"} <= set(lines)
    assert db.scalar(select(func.count()).select_from(Patient)) == 3000
    assert db.scalar(select(func.count()).select_from(Coverage)) > 2500
    assert {u.role for u in db.scalars(select(User))} == {"mso_admin", "mso_staff", "practice_admin",
                                                         "practice_user", "auditor"}


def test_medicare_goes_to_the_elderly_and_pediatrics_sees_children(db):
    build_demo(db, patients=3000)
    ages = db.execute(
        select(Payer.line_of_business, Patient.birth_date)
        .join(Coverage, Coverage.payer_id == Payer.id).join(Patient, Patient.id == Coverage.patient_id)
        .where(Coverage.priority == 1)
    ).all()
    medicare_births = [born for lob, born in ages if lob == "medicare"]
    assert medicare_births and max(medicare_births).year <= 1962
    pediatric = db.scalar(select(Practice).where(Practice.specialty == "Pediatrics"))
    births = db.scalars(select(Patient.birth_date).where(Patient.practice_id == pediatric.id)).all()
    assert births and min(births).year >= 2008


def test_same_seed_same_network(session_factory):
    first = session_factory()
    build_demo(first, seed=11, practices=3, patients=200)
    one = _fingerprint(first)
    first.rollback()
    second = session_factory()
    build_demo(second, seed=11, practices=3, patients=200)
    assert _fingerprint(second) == one
    second.rollback()


def test_medicare_members_carry_a_cms_format_beneficiary_identifier(db):
    build_demo(db, practices=3, patients=600)
    ids = db.scalars(select(Coverage.member_id).join(Payer).where(Payer.line_of_business == "medicare")).all()
    mbi = re.compile(r"^[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d[AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d"
                     r"[AC-HJKMNP-RT-Y]{2}\d{2}$")
    assert ids and all(mbi.match(i) for i in ids), [i for i in ids if not mbi.match(i)][:3]
