"""Compare two sets of terms (two versions, or two agreements) and say where control moves.

Pure: terms in, changes out. Each side is flattened to (section, item, field) → value with the
defaults spelled out (a service not listed is out of scope, a decision not listed is the
practice's), so omission and explicit defaults compare equal. For fields that carry control, a
rank tells whether a change hands more to the MSO or gives it back to the practice.
"""

from __future__ import annotations

from decimal import Decimal

from openmso.agreements.catalogue import (
    ASSET_LABELS,
    DATA_CLASS_LABELS,
    DECISION_BY_KEY,
    SERVICE_LABELS,
    TECHNOLOGY_LABELS,
    Access,
    Arrangement,
    AssetKey,
    DataClass,
    DecisionKey,
    Holder,
    Owner,
    ServiceKey,
    TechnologyCategory,
)
from openmso.agreements.schemas import Change
from openmso.agreements.terms import Disposition, Terms

Key = tuple[str, str, str]

# Higher rank = more with the MSO.
RANKS: dict[str, list] = {
    "holder": [Holder.PRACTICE, Holder.MSO_RECOMMENDS, Holder.JOINT, Holder.MSO],
    "arrangement": [Arrangement.PRACTICE_CHOICE, Arrangement.RECOMMENDED, Arrangement.PREFERRED, Arrangement.MANDATED],
    "access": [Access.NONE, Access.READ, Access.READ_WRITE],
    "owner": [Owner.PRACTICE, Owner.THIRD_PARTY, Owner.MSO],
    "disposition": [Disposition.REVERT, Disposition.TRANSFER, Disposition.TERMINATE, Disposition.STAYS_WITH_MSO],
    "in_scope": [False, True],
    "benchmarking_consent": [False, True],
    "noncompete_binds_clinicians": [False, True],
    "non_disparagement_binds_clinicians": [False, True],
    "productivity_quotas": [False, True],
}
CONTROL_FLAGS = {"stock_transfer_restriction", "succession_agreement", "mso_proxy_voting",
                 "mso_person_is_pc_officer_or_director", "mso_majority_ownership_or_control",
                 "mso_finances_acquisition", "private_equity_backed"}


def _plain(value):
    if hasattr(value, "value"):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list):
        return ", ".join(str(_plain(v)) for v in value)
    return value if value is None or isinstance(value, bool | int | str) else str(value)


def flatten(terms: Terms) -> dict[Key, object]:
    """Every term as (section, item, field) → plain value, defaults included."""
    flat: dict[Key, object] = {}

    def put(section: str, item: str, model, exclude: set[str] = frozenset()) -> None:
        for name in type(model).model_fields:
            if name not in exclude:
                flat[(section, item, name)] = _plain(getattr(model, name))

    put("Structure", "", terms.structure, {"controls"})
    put("Structure", "Friendly-PC controls", terms.structure.controls)
    put("Term", "", terms.term)
    for key in ServiceKey:
        service = next((s for s in terms.services if s.service is key), None)
        if service is None or not service.in_scope:
            flat[("Services", SERVICE_LABELS[key], "in_scope")] = False
        else:
            put("Services", SERVICE_LABELS[key], service, {"service"})
    put("Fees", "", terms.fees)
    for key in DecisionKey:
        put("Decision rights", DECISION_BY_KEY[key].label, terms.decision(key), {"decision"})
    for key in AssetKey:
        put("Assets", ASSET_LABELS[key], terms.asset(key), {"asset"})
    for key in TechnologyCategory:
        put("Technology", TECHNOLOGY_LABELS[key], terms.technology_for(key), {"category"})
    put("Data rights", "", terms.data_rights, {"access"})
    for key in DataClass:
        flat[("Data rights", DATA_CLASS_LABELS[key], "access")] = terms.data_rights.access_to(key).value
    for contract in terms.exit.contracts:
        flat[("Exit", f"{contract.kind}: {contract.contract}", "disposition")] = contract.disposition.value
    put("Exit", "", terms.exit, {"contracts"})
    for filing in terms.filings:
        flat[("Filings", filing.state, "filed_on")] = filing.filed_on.isoformat()
    return flat


def _direction(field: str, before, after) -> str | None:
    if field in CONTROL_FLAGS:
        ranking = [False, True]
    elif field in RANKS:
        ranking = [_plain(v) for v in RANKS[field]]
    elif field == "mso_equity_percent":
        low, high = Decimal(before or 0), Decimal(after or 0)
        return None if low == high else ("to MSO" if high > low else "to practice")
    else:
        return None
    if before not in ranking or after not in ranking:
        return None
    step = ranking.index(after) - ranking.index(before)
    return None if step == 0 else ("to MSO" if step > 0 else "to practice")


def compare(before: Terms, after: Terms) -> list[Change]:
    """The terms that differ, in document order, each marked with the way control moves."""
    left, right = flatten(before), flatten(after)
    keys = list(left) + [k for k in right if k not in left]
    changes = []
    for section, item, field in keys:
        old, new = left.get((section, item, field)), right.get((section, item, field))
        if old != new:
            changes.append(Change(section=section, item=item, field=field, before=old, after=new,
                                  control=_direction(field, old, new)))
    return changes
