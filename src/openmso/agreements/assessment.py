"""Risk assessment of agreement versions: load what the rules need, run them, summarise.

The rules are pure (`rules.evaluate`); this module supplies their context from the network (the
states the practice operates in, its active provider count) and shapes the results for the risk
panel, the network page and `openmso agreements check`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openmso.agreements import schemas, service
from openmso.agreements.models import AgreementVersion
from openmso.agreements.rules import Context, Flag, evaluate
from openmso.agreements.terms import FeeKind, Fees
from openmso.core.tenancy import Actor
from openmso.network.models import Practice, Provider


def context_for(db: Session, practice: Practice, as_of: date) -> Context:
    providers = db.scalar(select(func.count()).select_from(Provider).where(Provider.practice_id == practice.id,
                                                                           Provider.active.is_(True))) or 0
    return Context(states=frozenset(practice.states_of_operation or [practice.primary_state]), as_of=as_of,
                   providers=providers)


def flags_for(db: Session, actor: Actor, version: AgreementVersion, as_of: date) -> list[Flag]:
    """The legal-risk flags of one version (as of `as_of`) for the practice it belongs to."""
    practice = service.practice_of(db, actor, version.practice_id)
    return evaluate(service.terms_of(version), context_for(db, practice, as_of))


def flag_out(flag: Flag) -> schemas.FlagOut:
    rule = flag.rule
    return schemas.FlagOut(rule_id=rule.id, jurisdiction=rule.jurisdiction, severity=rule.severity.value,
                           status=flag.status, citation=rule.citation, title=rule.title, finding=flag.finding,
                           clause=flag.clause, confidence=rule.confidence)


def describe_fee(fees: Fees) -> str:
    """One line a person reads: "$18,500.00 a month", "22.00% of net collections", "hybrid: …"."""
    parts = []
    if fees.monthly_amount is not None:
        parts.append(f"${fees.monthly_amount:,.2f}/month")
    if fees.per_provider_monthly is not None:
        parts.append(f"${fees.per_provider_monthly:,.2f}/provider/month")
    if fees.collections_percent is not None:
        parts.append(f"{fees.collections_percent}% of net collections")
    if fees.cost_plus_percent is not None:
        parts.append(f"cost + {fees.cost_plus_percent}%")
    text = " + ".join(parts)
    return f"hybrid: {text}" if fees.kind is FeeKind.HYBRID else text


@dataclass(frozen=True, slots=True)
class Tally:
    high: int = 0
    medium: int = 0
    low: int = 0
    upcoming: int = 0

    @classmethod
    def of(cls, flags: list[Flag]) -> Tally:
        counts = Counter(f.rule.severity.value for f in flags if f.in_force)
        return cls(counts["high"], counts["medium"], counts["low"], sum(not f.in_force for f in flags))


def network_rows(db: Session, actor: Actor, as_of: date) -> list[schemas.NetworkRow]:
    """Every practice the actor sees with its current agreement, model, fee and flag counts."""
    practices = list(db.scalars(service.visible_practices(actor)))
    agreements = {}
    for agreement in service.list_agreements(db, actor):
        current = agreement.current
        held = agreements.get(agreement.practice_id)
        if current is not None and (held is None or current.status == "signed"):
            agreements[agreement.practice_id] = (agreement, current)
    rows = []
    for practice in practices:
        agreement, version = agreements.get(practice.id, (None, None))
        row = schemas.NetworkRow(practice_id=practice.id, practice=practice.legal_name,
                                 states=practice.states_of_operation, agreement_id=None, title=None,
                                 version_id=None, version=None, status=None, model=None, fee=None)
        if version is not None:
            terms = service.terms_of(version)
            tally = Tally.of(evaluate(terms, context_for(db, practice, as_of)))
            row = row.model_copy(update=dict(
                agreement_id=agreement.id, title=agreement.title, version_id=version.id, version=version.number,
                status=version.status, model=version.model, fee=describe_fee(terms.fees), flags_high=tally.high,
                flags_medium=tally.medium, flags_low=tally.low, flags_upcoming=tally.upcoming))
        rows.append(row)
    return rows
