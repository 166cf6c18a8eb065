"""The agreement editor's HTML form, as plain field names ↔ the terms document.

Field names are dotted paths generated from the catalogue ("decision.clinical_protocols.holder"),
so the form always covers every catalogued service and decision. Parsing builds the same dict the
API accepts and validates it with the same `Terms` model; errors come back located by path.
"""

from __future__ import annotations

from datetime import date

from pydantic import ValidationError

from openmso.agreements.catalogue import AssetKey, DataClass, DecisionKey, ServiceKey, TechnologyCategory
from openmso.agreements.terms import FriendlyPcControls, Terms
from openmso.core.errors import FieldError

CHECKBOXES_TERM = ("auto_renew", "noncompete_binds_clinicians", "non_disparagement_binds_clinicians",
                   "productivity_quotas")
TERM_FIELDS = ("effective_on", "initial_years", "renewal_years", "for_cause_notice_days", "cure_days",
               "convenience_termination", "convenience_notice_days", "noncompete_months", "nonsolicit_months")
FEE_FIELDS = ("kind", "monthly_amount", "per_provider_monthly", "collections_percent", "cost_plus_percent",
              "estimated_net_collections_annual", "estimated_cost_base_annual", "monthly_cap", "monthly_floor",
              "fmv_low_annual", "fmv_high_annual", "fmv_source", "fmv_valuation_date")
FEE_CHECKBOXES = ("methodology_set_in_advance", "includes_marketing", "tied_to_referrals")
DATA_FIELDS = ("owner", "deidentification", "baa_signed_on", "baa_breach_notice_days", "exit_delivery_days",
               "exit_cost", "retention_after_exit_days")
DATA_CHECKBOXES = ("benchmarking_consent", "baa_in_force")
CONTROL_FLAGS = tuple(name for name in FriendlyPcControls.model_fields if name != "nominee_physician")


def _value(form, name: str):
    value = form.get(name)
    value = value.strip() if isinstance(value, str) else value
    return None if value in ("", None) else value


def _on(form, name: str) -> bool:
    return form.get(name) in ("on", "true", "1", True)


def terms_from_form(form) -> dict:
    """The terms dict (as the API takes it) from the editor's submitted fields."""
    structure = {"model": _value(form, "structure.model"),
                 "mso_equity_percent": _value(form, "structure.mso_equity_percent"),
                 "private_equity_backed": _on(form, "structure.private_equity_backed"),
                 "controls": {**{f: _on(form, f"controls.{f}") for f in CONTROL_FLAGS},
                              "nominee_physician": _value(form, "controls.nominee_physician")}}
    term = {f: _value(form, f"term.{f}") for f in TERM_FIELDS} | {f: _on(form, f"term.{f}") for f in CHECKBOXES_TERM}
    fees = {f: _value(form, f"fees.{f}") for f in FEE_FIELDS} | {f: _on(form, f"fees.{f}") for f in FEE_CHECKBOXES}
    services = [{"service": k.value, "in_scope": True, "level": _value(form, f"service.{k.value}.level"),
                 "performed_by": _value(form, f"service.{k.value}.performed_by"),
                 "service_level": _value(form, f"service.{k.value}.service_level") or ""}
                for k in ServiceKey if _on(form, f"service.{k.value}.in_scope")]
    services = [{k: v for k, v in s.items() if v is not None} for s in services]
    decisions = [{"decision": k.value, "holder": _value(form, f"decision.{k.value}.holder") or "practice",
                  "threshold": _value(form, f"decision.{k.value}.threshold")} for k in DecisionKey]
    assets = [{"asset": k.value, "owner": _value(form, f"asset.{k.value}.owner") or "practice",
               "transfers_at_exit": _on(form, f"asset.{k.value}.transfers_at_exit"),
               "exit_price_basis": _value(form, f"asset.{k.value}.exit_price_basis") or ""} for k in AssetKey]
    technology = [{"category": k.value, "arrangement": _value(form, f"technology.{k.value}.arrangement"),
                   "vendor": _value(form, f"technology.{k.value}.vendor")} for k in TechnologyCategory]
    data = {f: _value(form, f"data.{f}") for f in DATA_FIELDS} | {f: _on(form, f"data.{f}") for f in DATA_CHECKBOXES}
    data["access"] = [{"data_class": k.value, "access": _value(form, f"access.{k.value}.access") or "none",
                       "purpose": _value(form, f"access.{k.value}.purpose") or ""} for k in DataClass]
    data["exit_formats"] = [f.strip() for f in (_value(form, "data.exit_formats") or "").split(",") if f.strip()]
    contracts = []
    for line in (_value(form, "exit.contracts") or "").splitlines():
        if line.strip():
            kind, _, rest = line.partition("|")
            contract, _, rest = rest.partition("|")
            disposition, _, notice_days = rest.partition("|")
            contracts.append({"kind": kind.strip(), "contract": contract.strip(),
                              "disposition": disposition.strip() or "transfer_to_practice",
                              "notice_days": notice_days.strip() or None})
    filings = []
    for line in (_value(form, "filings") or "").splitlines():
        if line.strip():
            state, _, filed_on = line.strip().partition(" ")
            filings.append({"state": state.strip().upper(), "filed_on": filed_on.strip()})
    return {"structure": {k: v for k, v in structure.items() if v is not None},
            "term": {k: v for k, v in term.items() if v is not None},
            "services": services, "fees": {k: v for k, v in fees.items() if v is not None},
            "decision_rights": [{k: v for k, v in d.items() if v is not None} for d in decisions],
            "assets": assets, "technology": [{k: v for k, v in t.items() if v is not None} for t in technology],
            "data_rights": {k: v for k, v in data.items() if v is not None},
            "exit": {"contracts": contracts, "transition_days": _value(form, "exit.transition_days"),
                     "cost_borne_by": _value(form, "exit.cost_borne_by"),
                     "ar_run_out_days": _value(form, "exit.ar_run_out_days"),
                     "ar_collected_by": _value(form, "exit.ar_collected_by")},
            "filings": filings}


def parse(form) -> tuple[Terms | None, list[FieldError]]:
    """Validate the submitted form with the same model as the API; errors are located by path."""
    try:
        return Terms.model_validate(terms_from_form(form)), []
    except ValidationError as error:
        return None, [FieldError(["terms", *e["loc"]], e["msg"]) for e in error.errors()]


def form_values(terms: Terms) -> dict[str, object]:
    """The editor's field values for `terms` (the inverse of `terms_from_form`)."""
    values: dict[str, object] = {"structure.model": terms.structure.model.value,
                                 "structure.mso_equity_percent": terms.structure.mso_equity_percent,
                                 "structure.private_equity_backed": terms.structure.private_equity_backed,
                                 "controls.nominee_physician": terms.structure.controls.nominee_physician}
    values |= {f"controls.{f}": getattr(terms.structure.controls, f) for f in CONTROL_FLAGS}
    values |= {f"term.{f}": _plain(getattr(terms.term, f)) for f in TERM_FIELDS + CHECKBOXES_TERM}
    values |= {f"fees.{f}": _plain(getattr(terms.fees, f)) for f in FEE_FIELDS + FEE_CHECKBOXES}
    for key in ServiceKey:
        service = terms.service(key)
        values[f"service.{key.value}.in_scope"] = service is not None
        if service is not None:
            values |= {f"service.{key.value}.level": service.level.value,
                       f"service.{key.value}.performed_by": service.performed_by.value,
                       f"service.{key.value}.service_level": service.service_level}
    for key in DecisionKey:
        right = terms.decision(key)
        values |= {f"decision.{key.value}.holder": right.holder.value,
                   f"decision.{key.value}.threshold": right.threshold}
    for key in AssetKey:
        asset = terms.asset(key)
        values |= {f"asset.{key.value}.owner": asset.owner.value, f"asset.{key.value}.transfers_at_exit":
                   asset.transfers_at_exit, f"asset.{key.value}.exit_price_basis": asset.exit_price_basis}
    for key in TechnologyCategory:
        tech = terms.technology_for(key)
        values |= {f"technology.{key.value}.arrangement": tech.arrangement.value,
                   f"technology.{key.value}.vendor": tech.vendor}
    rights = terms.data_rights
    values |= {f"data.{f}": _plain(getattr(rights, f)) for f in DATA_FIELDS + DATA_CHECKBOXES}
    values["data.exit_formats"] = ", ".join(rights.exit_formats)
    for key in DataClass:
        access = next((a for a in rights.access if a.data_class is key), None)
        values |= {f"access.{key.value}.access": rights.access_to(key).value,
                   f"access.{key.value}.purpose": access.purpose if access else ""}
    values["exit.contracts"] = "\n".join(f"{c.kind} | {c.contract} | {c.disposition.value}"
                                         + (f" | {c.notice_days}" if c.notice_days is not None else "")
                                         for c in terms.exit.contracts)
    values["exit.transition_days"] = terms.exit.transition_days
    values["exit.cost_borne_by"] = terms.exit.cost_borne_by.value if terms.exit.cost_borne_by else None
    values["exit.ar_run_out_days"] = terms.exit.ar_run_out_days
    values["exit.ar_collected_by"] = terms.exit.ar_collected_by.value if terms.exit.ar_collected_by else None
    values["filings"] = "\n".join(f"{f.state} {f.filed_on.isoformat()}" for f in terms.filings)
    return values


def _plain(value):
    if hasattr(value, "value"):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value
