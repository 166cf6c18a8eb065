"""The checks behind the legal-risk rules: pure functions of (terms, context) → findings.

Each finding names the clause of the agreement it is about, so the risk panel and the report can
point at the words to renegotiate. Several rules share one check (a percentage fee matters in
New York, Illinois and New Jersey for different reasons); the rule row carries the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from openmso.agreements.catalogue import (
    BAA_CLAUSE,
    BENCHMARKING_CLAUSE,
    CONTROL_TERMS_CLAUSE,
    COVENANTS_CLAUSE,
    DATA_OWNERSHIP_CLAUSE,
    DECISION_BY_KEY,
    EXIT_DATA_CLAUSE,
    FEES_CLAUSE,
    FMV_CLAUSE,
    MSO_CONTROLLED,
    NOTICE_CLAUSE,
    STRUCTURE_CLAUSE,
    TERM_CLAUSE,
    Access,
    AssetKey,
    DataClass,
    DecisionKey,
    Owner,
    ServiceKey,
    asset_clause,
    decision_clause,
)
from openmso.agreements.terms import Fees, Terms

if TYPE_CHECKING:  # the rule table imports this module; the context type is only annotated here
    from openmso.agreements.rules import Context

PHI_SERVICES = (ServiceKey.REVENUE_CYCLE, ServiceKey.CODING, ServiceKey.PATIENT_ACCESS, ServiceKey.EHR_PM)
CLINICIAN_DECISIONS = (DecisionKey.HIRE_PHYSICIANS, DecisionKey.CLINICAL_STAFFING)
PROFESSIONAL_DECISIONS = tuple(d.key for d in DECISION_BY_KEY.values() if d.professional)
BACKSTOP_MAX_BREACH_NOTICE_DAYS = 60  # 45 CFR §164.410(b)


@dataclass(frozen=True, slots=True)
class Finding:
    text: str
    clause: str


def estimate_annual_fee(fees: Fees, providers: int) -> Decimal | None:
    """The fee for a year from the recorded estimates; None when a component cannot be priced."""
    parts = []
    if fees.monthly_amount is not None:
        parts.append(fees.monthly_amount * 12)
    if fees.per_provider_monthly is not None:
        if providers <= 0:
            return None
        parts.append(fees.per_provider_monthly * providers * 12)
    if fees.collections_percent is not None:
        if fees.estimated_net_collections_annual is None:
            return None
        parts.append(fees.estimated_net_collections_annual * fees.collections_percent / 100)
    if fees.cost_plus_percent is not None:
        if fees.estimated_cost_base_annual is None:
            return None
        parts.append(fees.estimated_cost_base_annual * (1 + fees.cost_plus_percent / 100))
    if not parts:
        return None
    total = sum(parts, Decimal(0))
    if fees.monthly_cap is not None:
        total = min(total, fees.monthly_cap * 12)
    if fees.monthly_floor is not None:
        total = max(total, fees.monthly_floor * 12)
    return total.quantize(Decimal("0.01"))


def fee_tied_to_referrals(terms: Terms, context: Context) -> list[Finding]:
    fees = terms.fees
    found = []
    if fees.tied_to_referrals:
        found.append(Finding("the fee is tied to referrals or patient volume", FEES_CLAUSE))
    if fees.is_percentage and fees.includes_marketing:
        found.append(Finding(f"a {fees.collections_percent}% of collections fee pays for marketing", FEES_CLAUSE))
    return found


def outside_safe_harbor(terms: Terms, context: Context) -> list[Finding]:
    found = []
    if terms.fees.is_percentage:
        found.append(Finding(f"a {terms.fees.collections_percent}% of collections fee varies with the volume or "
                             "value of business", FEES_CLAUSE))
    if not terms.fees.methodology_set_in_advance:
        found.append(Finding("the compensation methodology is not set in advance", FEES_CLAUSE))
    return found


def fee_outside_fmv(terms: Terms, context: Context) -> list[Finding]:
    fees = terms.fees
    if fees.fmv_low_annual is None or fees.fmv_high_annual is None or not fees.fmv_source:
        return [Finding("no fair-market-value range with its valuation source is recorded", FMV_CLAUSE)]
    estimate = estimate_annual_fee(fees, context.providers)
    if estimate is None:
        return [Finding("the annual fee cannot be estimated from the recorded figures to compare with FMV",
                        FMV_CLAUSE)]
    if not fees.fmv_low_annual <= estimate <= fees.fmv_high_annual:
        return [Finding(f"estimated annual fee ${estimate:,.2f} is outside the FMV range ${fees.fmv_low_annual:,.0f}"
                        f"–${fees.fmv_high_annual:,.0f} ({fees.fmv_source})", FMV_CLAUSE)]
    return []


def missing_baa(terms: Terms, context: Context) -> list[Finding]:
    rights = terms.data_rights
    handles_phi = rights.access_to(DataClass.PHI) is not Access.NONE or any(terms.service(s) for s in PHI_SERVICES)
    found = []
    if handles_phi and not rights.baa_in_force:
        found.append(Finding("the MSO handles PHI but no business associate agreement is in force", BAA_CLAUSE))
    if rights.baa_in_force and (rights.baa_breach_notice_days is None
                                or rights.baa_breach_notice_days > BACKSTOP_MAX_BREACH_NOTICE_DAYS):
        found.append(Finding("the BAA sets no breach-notice deadline within 60 days of discovery", BAA_CLAUSE))
    if rights.owner is Owner.MSO or terms.asset(AssetKey.PATIENT_RECORDS).owner is Owner.MSO:
        found.append(Finding("the MSO, not the practice, owns practice data or patient records",
                             DATA_OWNERSHIP_CLAUSE))
    return found


def aggregation_without_consent(terms: Terms, context: Context) -> list[Finding]:
    rights = terms.data_rights
    aggregates = rights.access_to(DataClass.DEIDENTIFIED) is not Access.NONE or terms.service(ServiceKey.ANALYTICS)
    if aggregates and not rights.benchmarking_consent:
        return [Finding("the MSO aggregates the practice's data without its consent to benchmarking",
                        BENCHMARKING_CLAUSE)]
    if rights.benchmarking_consent and not rights.deidentification:
        return [Finding("benchmarking is consented but no de-identification method is stated", BENCHMARKING_CLAUSE)]
    return []


def missing_exit_data_terms(terms: Terms, context: Context) -> list[Finding]:
    rights = terms.data_rights
    terms_given = (("formats", rights.exit_formats), ("delivery window", rights.exit_delivery_days),
                   ("cost", rights.exit_cost))
    missing = [name for name, value in terms_given if value in (None, [])]
    return [Finding(f"exit data terms missing: {', '.join(missing)}", EXIT_DATA_CLAUSE)] if missing else []


def _controlled(terms: Terms, keys) -> list[Finding]:
    return [Finding(f"{DECISION_BY_KEY[key].label.lower()}: {terms.holder(key).value}", decision_clause(key))
            for key in keys if terms.holder(key) in MSO_CONTROLLED]


def mso_controls_clinicians(terms: Terms, context: Context) -> list[Finding]:
    return _controlled(terms, CLINICIAN_DECISIONS)


def mso_controls_professional_decisions(terms: Terms, context: Context) -> list[Finding]:
    # Oregon SB 951 also reserves patient billing and collection policies to the practice.
    found = _controlled(terms, (*PROFESSIONAL_DECISIONS, DecisionKey.COLLECTION_POLICY))
    if terms.term.productivity_quotas:
        found.append(Finding("the agreement sets clinician productivity quotas", TERM_CLAUSE))
    return found


def friendly_pc_controls(terms: Terms, context: Context) -> list[Finding]:
    controls = terms.structure.controls
    named = [("stock transfer restriction", controls.stock_transfer_restriction),
             ("succession agreement", controls.succession_agreement),
             ("MSO proxy or voting rights over PC shares", controls.mso_proxy_voting),
             ("MSO person as PC officer or director", controls.mso_person_is_pc_officer_or_director),
             ("MSO majority ownership or control of the PC", controls.mso_majority_ownership_or_control),
             ("MSO-arranged financing of the PC's acquisition", controls.mso_finances_acquisition)]
    return [Finding(name, CONTROL_TERMS_CLAUSE) for name, present in named if present]


def lay_control(terms: Terms, context: Context) -> list[Finding]:
    found = friendly_pc_controls(terms, context) + mso_controls_clinicians(terms, context)
    if terms.structure.controls.nominee_physician:
        found.append(Finding(f"the PC is held by a nominee ({terms.structure.controls.nominee_physician})",
                             CONTROL_TERMS_CLAUSE))
    return found


def clinician_covenants(terms: Terms, context: Context) -> list[Finding]:
    found = []
    if terms.term.noncompete_binds_clinicians and terms.term.noncompete_months:
        found.append(Finding(f"a {terms.term.noncompete_months}-month non-compete binds clinicians", COVENANTS_CLAUSE))
    if terms.term.non_disparagement_binds_clinicians:
        found.append(Finding("a non-disparagement clause binds clinicians", COVENANTS_CLAUSE))
    return found


def pe_control_ca(terms: Terms, context: Context) -> list[Finding]:
    if not terms.structure.private_equity_backed:
        return []
    found = _controlled(terms, (DecisionKey.CODING_DECISIONS, DecisionKey.PAYER_CONTRACT_SIGNING,
                                DecisionKey.HIRE_PHYSICIANS, DecisionKey.CLINICAL_STAFFING))
    if terms.data_rights.owner is Owner.MSO or terms.asset(AssetKey.PATIENT_RECORDS).owner is Owner.MSO:
        found.append(Finding("the MSO owns patient records or practice data", asset_clause(AssetKey.PATIENT_RECORDS)))
    if terms.term.productivity_quotas:
        found.append(Finding("clinician productivity quotas", TERM_CLAUSE))
    return found + clinician_covenants(terms, context)


def percentage_fee(terms: Terms, context: Context) -> list[Finding]:
    if terms.fees.is_percentage:
        return [Finding(f"the management fee is {terms.fees.collections_percent}% of net collections", FEES_CLAUSE)]
    return []


def percentage_with_growth_services(terms: Terms, context: Context) -> list[Finding]:
    if not terms.fees.is_percentage:
        return []
    growth = [name for name, present in (("marketing", terms.fees.includes_marketing),
                                         ("payer contracting", terms.service(ServiceKey.PAYER_CONTRACTING)),
                                         ("referral-linked pay", terms.fees.tied_to_referrals)) if present]
    if growth:
        return [Finding(f"a {terms.fees.collections_percent}% of collections fee while the MSO also provides "
                        f"{', '.join(growth)}", FEES_CLAUSE)]
    return []


def significant_equity_investor(terms: Terms, context: Context) -> list[Finding]:
    stake = terms.structure.mso_equity_percent
    if stake is not None and stake > 10:
        return [Finding(f"the investor holds {stake}% equity (over 10%)", STRUCTURE_CLAUSE)]
    return []


def missing_notice(state: str, days: int, since: date | None = None, min_providers: int = 0):
    """A check for a pre-closing notice law: the agreement's effective date is the closing."""

    def check(terms: Terms, context: Context) -> list[Finding]:
        closing = terms.term.effective_on
        if (since is not None and closing < since) or context.providers < min_providers:
            return []
        filing = next((f for f in terms.filings if f.state == state), None)
        if filing is None:
            return [Finding(f"no {days}-day pre-closing notice filed in {state}", NOTICE_CLAUSE)]
        if (closing - filing.filed_on).days < days:
            return [Finding(f"{state} notice filed {(closing - filing.filed_on).days} days before closing; {days} "
                            "required", NOTICE_CLAUSE)]
        return []

    return check
