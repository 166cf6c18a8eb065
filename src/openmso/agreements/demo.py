"""Varied signed agreements for the demo network, built through the service like a user would.

The first practices get hand-picked agreements that exercise the legal-risk rules (a clean
service-only MSA in Texas, a risky friendly-PC percentage-fee MSA in Oregon, percentage fees where
fee-splitting bites, an FMV miss, an amendment history and an open draft); later practices draw
from the clean variants. Every demo agreement keeps a BAA and PHI access, so every demo login works.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from openmso.agreements import presets, schemas, service
from openmso.agreements.catalogue import AgreementModel, DecisionKey, Holder, ServiceKey
from openmso.agreements.terms import DecisionRight, FeeKind, Fees, NoticeFiling, ServiceTerm, Structure, Terms
from openmso.core.tenancy import SYSTEM
from openmso.network.models import Practice


def _clean(start: date, rng: random.Random) -> Terms:
    return presets.standard_terms(start, monthly_fee=Decimal(rng.randrange(120, 260) * 100))


def _per_provider(start: date, rng: random.Random) -> Terms:
    terms = _clean(start, rng)
    fee = Decimal(rng.randrange(22, 36) * 100)
    return presets.revised(terms, {"fees": Fees(kind=FeeKind.PER_PROVIDER, per_provider_monthly=fee,
                                                fmv_low_annual=fee * 12 * 4, fmv_high_annual=fee * 12 * 9,
                                                fmv_source=presets.VALUATION_SOURCE,
                                                fmv_valuation_date=start - timedelta(days=30))})


def _percentage(percent: str, marketing: bool = False) -> Callable[[date, random.Random], Terms]:
    def build(start: date, rng: random.Random) -> Terms:
        return presets.revised(_clean(start, rng), {"fees": Fees(
            kind=FeeKind.PERCENT_OF_COLLECTIONS, collections_percent=Decimal(percent),
            estimated_net_collections_annual=Decimal(rng.randrange(25, 60) * 100_000), includes_marketing=marketing,
            fmv_low_annual=Decimal("150000"), fmv_high_annual=Decimal("320000"), fmv_source=presets.VALUATION_SOURCE,
            fmv_valuation_date=start - timedelta(days=60))})
    return build


def _equity_hybrid_ca(start: date, rng: random.Random) -> Terms:
    terms = _clean(start, rng)
    return presets.revised(terms, {
        "structure": Structure(model=AgreementModel.EQUITY_PARTNERSHIP, mso_equity_percent=Decimal("30.00"),
                               private_equity_backed=True),
        "fees": Fees(kind=FeeKind.HYBRID, monthly_amount=Decimal("9000.00"), collections_percent=Decimal("4.00"),
                     estimated_net_collections_annual=Decimal("3100000.00"), fmv_low_annual=Decimal("150000"),
                     fmv_high_annual=Decimal("260000"), fmv_source=presets.VALUATION_SOURCE,
                     fmv_valuation_date=start - timedelta(days=20)),
        "decision_rights": [*terms.decision_rights,
                            DecisionRight(decision=DecisionKey.CODING_DECISIONS, holder=Holder.MSO)],
    })


def _over_fmv(start: date, rng: random.Random) -> Terms:
    terms = _clean(start, rng)
    return presets.revised(terms, {"fees": terms.fees.model_copy(update={"monthly_amount": Decimal("42000.00")})})


def _cost_plus_equity(start: date, rng: random.Random) -> Terms:
    terms = _clean(start, rng)
    return presets.revised(terms, {
        "structure": Structure(model=AgreementModel.EQUITY_PARTNERSHIP, mso_equity_percent=Decimal("12.50")),
        "fees": Fees(kind=FeeKind.COST_PLUS, cost_plus_percent=Decimal("8.00"),
                     estimated_cost_base_annual=Decimal("1900000.00"), fmv_low_annual=Decimal("1950000"),
                     fmv_high_annual=Decimal("2200000"), fmv_source=presets.VALUATION_SOURCE,
                     fmv_valuation_date=start - timedelta(days=40)),
        "filings": [NoticeFiling(state="WA", filed_on=start - timedelta(days=75))],
    })


def _without_credentialing(start: date, rng: random.Random) -> Terms:
    terms = _per_provider(start, rng)
    return presets.revised(terms, {"services": [s for s in terms.services
                                                if s.service is not ServiceKey.CREDENTIALING]})


def _with_credentialing(terms: Terms) -> Terms:
    return presets.revised(terms, {"services": [*terms.services, *presets.standard_terms(
        terms.term.effective_on).services[2:3]]})


def _friendly_pc(start: date, rng: random.Random) -> Terms:
    # A new arrangement (2026), so Oregon SB 951 already reaches it rather than from 2029.
    return presets.friendly_pc_terms(max(start, NEW_IN_OREGON))


NEW_IN_OREGON = date(2026, 2, 1)
# (recipe, amendment, leave the amendment as an open draft)
HAND_PICKED = {
    "Austin Family Medicine Associates, PLLC": (_clean, "fee", False),
    "Lone Star Pediatrics, P.A.": (_without_credentialing, "credentialing", True),
    "Bay Area Dermatology Medical Group, Inc.": (_equity_hybrid_ca, None, False),
    "Pacific Orthopaedic Specialists, A Medical Corporation": (_over_fmv, None, False),
    "Willamette Valley Primary Care, P.C.": (_friendly_pc, None, False),
    "Cascade Cardiology, P.C.": (_clean, None, False),
    "Hudson Valley Internal Medicine, PLLC": (_percentage("6.00"), None, False),
    "Brooklyn Pediatric Partners, PLLC": (_per_provider, None, False),
    "Gulf Coast Orthopedics, P.A.": (_percentage("7.50", marketing=True), None, False),
    "Sunshine Dermatology, P.A.": (_per_provider, None, False),
    "Puget Sound Family Physicians, PLLC": (_cost_plus_equity, None, False),
    "Lakeshore Cardiology Associates, P.C.": (_percentage("5.00"), None, False),
}
VARIANTS = [_clean, _per_provider, _cost_plus_equity]


def _amendment(kind: str, terms: Terms) -> tuple[str, Terms]:
    if kind == "fee":
        fee = (terms.fees.monthly_amount or Decimal("15000.00")) + Decimal("1500.00")
        access = ServiceTerm(service=ServiceKey.PATIENT_ACCESS, service_level=presets.SERVICE_LEVELS[
            ServiceKey.PATIENT_ACCESS])
        return "Fee raised for the added patient-access service", presets.revised(terms, {
            "fees": terms.fees.model_copy(update={"monthly_amount": fee}), "services": [*terms.services, access]})
    return "Add credentialing and payer enrolment to the MSO's scope", _with_credentialing(terms)


def seed_agreements(db: Session, practices: list[Practice], rng: random.Random, as_of: date) -> int:
    """Give every practice a signed agreement (some with history or an open amendment); returns the count.
    Amendments are signed at least two months before the demo's today (`as_of`), so the history is past."""
    signatory = "Chief Executive Officer of the MSO"
    for index, practice in enumerate(practices):
        recipe, amendment, leave_open = HAND_PICKED.get(practice.legal_name, (VARIANTS[index % len(VARIANTS)], None,
                                                                              False))
        start = practice.affiliated_on or date(2024, 1, 1)
        terms = recipe(start, rng)
        start = terms.term.effective_on
        agreement = service.create_agreement(db, SYSTEM, schemas.AgreementCreate(
            practice_id=practice.id, title=f"Management Services Agreement — {practice.legal_name}", terms=terms))
        owner = practice.owners[0].name if practice.owners else "Managing physician"
        signing = schemas.Signing(signed_on=start, signed_by_practice=owner, signed_by_mso=signatory)
        service.sign(db, SYSTEM, agreement.versions[0].id, signing)
        if amendment:
            note, amended_terms = _amendment(amendment, terms)
            draft = service.amend(db, SYSTEM, agreement.id, schemas.AmendmentCreate(change_note=note))
            service.update_draft(db, SYSTEM, draft.id, schemas.DraftUpdate(terms=amended_terms))
            if not leave_open:
                when = min(start + timedelta(days=rng.randint(200, 400)), as_of - timedelta(days=61))
                service.sign(db, SYSTEM, draft.id, signing.model_copy(update={"signed_on": max(when, start)}))
    return len(practices)
