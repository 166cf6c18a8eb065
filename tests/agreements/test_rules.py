"""Each legal-risk rule with a failing and a passing agreement, and its effective dates."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openmso.agreements import presets, rules
from openmso.agreements.catalogue import DecisionKey, Holder
from openmso.agreements.checks import estimate_annual_fee
from openmso.agreements.terms import DecisionRight, FeeKind, Fees, FriendlyPcControls, NoticeFiling, Structure, Terms

START = date(2025, 1, 1)
AS_OF = date(2026, 11, 1)
ALL_STATES = ("CA", "TX", "NY", "OR", "WA", "RI", "MA", "IL", "NJ", "FL")


def clean(start: date = START) -> Terms:
    """The clean preset, with every state's notice filed 120 days before closing."""
    terms = presets.standard_terms(start)
    return presets.revised(terms, {"filings": [NoticeFiling(state=s, filed_on=start - timedelta(days=120))
                                               for s in ALL_STATES]})


def change(terms: Terms, **parts) -> Terms:
    return presets.revised(terms, parts)


def fees(terms: Terms, **fields) -> Terms:
    return change(terms, fees=Fees.model_validate({**terms.fees.model_dump(), **fields}))


def percentage(terms: Terms, **more) -> Terms:
    return fees(terms, kind=FeeKind.PERCENT_OF_COLLECTIONS, collections_percent=Decimal("20.00"), monthly_amount=None,
                estimated_net_collections_annual=Decimal("1100000.00"), **more)


def holder(terms: Terms, key: DecisionKey, who: Holder = Holder.MSO) -> Terms:
    rights = [r for r in terms.decision_rights if r.decision is not key] + [DecisionRight(decision=key, holder=who)]
    return change(terms, decision_rights=rights)


def controls(terms: Terms, **flags) -> Terms:
    return change(terms, structure=Structure(model="friendly_pc", controls=FriendlyPcControls(**flags)))


def data(terms: Terms, **fields) -> Terms:
    return change(terms, data_rights=terms.data_rights.model_copy(update=fields))


def term(terms: Terms, **fields) -> Terms:
    return change(terms, term=terms.term.model_copy(update=fields))


def without_filing(terms: Terms, state: str, start: date | None = None) -> Terms:
    terms = term(terms, effective_on=start) if start else terms
    return change(terms, filings=[f for f in terms.filings if f.state != state])


# rule id -> (states, the failing agreement built from the clean one, providers)
CASES = {
    "US-AKS-REFERRALS": ("TX", lambda t: fees(t, tied_to_referrals=True), 5),
    "US-AKS-SAFE-HARBOR": ("TX", percentage, 5),
    "US-STARK-FMV": ("TX", lambda t: fees(t, fmv_source=None), 5),
    "US-HIPAA-BAA": ("TX", lambda t: data(t, baa_in_force=False), 5),
    "US-HIPAA-AGGREGATION": ("TX", lambda t: data(t, benchmarking_consent=False), 5),
    "US-EXIT-DATA": ("TX", lambda t: data(t, exit_formats=[], exit_delivery_days=None), 5),
    "CA-CPOM": ("CA", lambda t: holder(t, DecisionKey.HIRE_PHYSICIANS), 5),
    "CA-SB351": ("CA", lambda t: change(holder(t, DecisionKey.CODING_DECISIONS),
                                       structure=Structure(private_equity_backed=True)), 5),
    "CA-FEE-650": ("CA", percentage, 5),
    "CA-AB1415": ("CA", lambda t: without_filing(t, "CA", date(2026, 3, 1)), 5),
    "TX-CPOM": ("TX", lambda t: controls(t, stock_transfer_restriction=True), 5),
    "TX-SOLICITATION": ("TX", lambda t: percentage(t, includes_marketing=True), 5),
    "NY-FEE-SPLIT": ("NY", percentage, 5),
    "NY-CPOM": ("NY", lambda t: controls(t, succession_agreement=True), 5),
    "NY-45A": ("NY", lambda t: without_filing(t, "NY"), 5),
    "OR-SB951-STRUCTURE": ("OR", lambda t: controls(term(t, effective_on=date(2026, 2, 1)), mso_proxy_voting=True), 5),
    "OR-SB951-CONTROL": ("OR", lambda t: holder(term(t, effective_on=date(2026, 2, 1)), DecisionKey.FEE_SCHEDULE), 5),
    "OR-SB951-COVENANTS": ("OR", lambda t: term(t, effective_on=date(2026, 2, 1), noncompete_months=24,
                                                noncompete_binds_clinicians=True), 5),
    "WA-CPOM": ("WA", lambda t: holder(t, DecisionKey.CLINICAL_STAFFING, Holder.JOINT), 5),
    "WA-19390": ("WA", lambda t: without_filing(t, "WA"), 9),
    "RI-CPOM": ("RI", lambda t: controls(t, mso_person_is_pc_officer_or_director=True), 5),
    "RI-AG-NOTICE": ("RI", lambda t: without_filing(t, "RI", date(2026, 3, 1)), 5),
    "MA-SEI": ("MA", lambda t: change(t, structure=Structure(model="equity_partnership",
                                                             mso_equity_percent=Decimal("25.00"))), 5),
    "IL-FEE-SPLIT": ("IL", percentage, 5),
    "IL-NOTICE": ("IL", lambda t: without_filing(t, "IL"), 5),
    "NJ-CPOM": ("NJ", lambda t: controls(t, stock_transfer_restriction=True), 5),
    "NJ-FEE": ("NJ", percentage, 5),
    "FL-FEE-SPLIT": ("FL", lambda t: percentage(t, includes_marketing=True), 5),
}


def ids(terms: Terms, states: str, as_of: date = AS_OF, providers: int = 5) -> dict[str, rules.Flag]:
    return {f.rule.id: f for f in rules.evaluate(terms, rules.Context(frozenset(states.split()), as_of, providers))}


def test_every_rule_has_a_case_and_the_required_jurisdictions_are_covered():
    assert set(CASES) == set(rules.RULE_BY_ID)
    assert {r.jurisdiction for r in rules.RULES} >= {*ALL_STATES, "US"}
    assert {"US-AKS-SAFE-HARBOR", "US-STARK-FMV", "US-HIPAA-BAA"} <= set(rules.RULE_BY_ID)
    for rule in rules.RULES:
        assert rule.citation and rule.explanation and rule.confidence, rule.id


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_flags_the_failing_agreement_and_passes_the_clean_one(rule_id):
    states, failing, providers = CASES[rule_id]
    flag = ids(failing(clean()), states, providers=providers).get(rule_id)
    assert flag is not None and flag.in_force and flag.finding and flag.clause
    assert rule_id not in ids(clean(), states, providers=providers)
    assert rule_id not in ids(failing(clean()), "MN", providers=providers) or rule_id.startswith("US-")


@pytest.mark.parametrize("rule_id", sorted(r.id for r in rules.RULES if r.effective_from))
def test_rule_reads_from_its_date_before_it_takes_effect(rule_id):
    rule = rules.RULE_BY_ID[rule_id]
    states, failing, providers = CASES[rule_id]
    terms = failing(clean())
    starts = rule.start_for(terms)
    before = ids(terms, states, starts - timedelta(days=1), providers).get(rule_id)
    on = ids(terms, states, starts, providers).get(rule_id)
    if before is not None:  # notice laws reach only closings after they took effect
        assert not before.in_force and before.status == f"from {starts.isoformat()}"
    assert on is not None and on.in_force and on.status == "in force"


def test_oregon_sb951_reaches_existing_arrangements_only_from_2029():
    existing = controls(clean(date(2024, 6, 1)), stock_transfer_restriction=True, succession_agreement=True)
    flag = ids(existing, "OR", date(2026, 11, 1))["OR-SB951-STRUCTURE"]
    assert not flag.in_force and flag.status == "from 2029-01-01"
    assert ids(existing, "OR", date(2029, 1, 1))["OR-SB951-STRUCTURE"].in_force


def test_repealed_section_stops_flagging_after_its_end_date():
    terms = without_filing(clean(), "IL")
    assert "IL-NOTICE" in ids(terms, "IL", date(2026, 12, 31))
    assert "IL-NOTICE" not in ids(terms, "IL", date(2027, 1, 1))


def test_fee_outside_the_valued_range_is_flagged_with_the_figures():
    terms = fees(clean(), monthly_amount=Decimal("40000.00"))
    flag = ids(terms, "TX")["US-STARK-FMV"]
    assert "$480,000.00 is outside the FMV range" in flag.finding


def test_clean_texas_agreement_raises_nothing():
    assert ids(presets.standard_terms(START), "TX") == {}


def test_florida_percentage_without_growth_services_is_not_the_bakarania_pattern():
    assert "FL-FEE-SPLIT" not in ids(percentage(clean()), "FL")


@settings(max_examples=80, deadline=None)
@given(monthly=st.decimals(min_value=0, max_value=100000, places=2),
       per_provider=st.decimals(min_value=0, max_value=10000, places=2),
       providers=st.integers(min_value=0, max_value=40),
       cap=st.one_of(st.none(), st.decimals(min_value=0, max_value=200000, places=2)))
def test_fee_estimate_adds_the_parts_respects_the_cap_and_never_guesses(monthly, per_provider, providers, cap):
    fee = Fees(kind=FeeKind.HYBRID, monthly_amount=monthly, per_provider_monthly=per_provider, monthly_cap=cap)
    estimate = estimate_annual_fee(fee, providers)
    if providers == 0:
        assert estimate is None  # a per-provider part cannot be priced without the provider count
        return
    uncapped = monthly * 12 + per_provider * providers * 12
    assert estimate == (uncapped if cap is None else min(uncapped, cap * 12)).quantize(Decimal("0.01"))
